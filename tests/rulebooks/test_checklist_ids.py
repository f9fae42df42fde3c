"""Every item of a shipped checklist states its id: the heading of its column in
CSV and XLSX results, which must not change when an item's wording does (#17)."""


def test_every_shipped_checklist_item_states_its_id(books):
    for book in books.values():
        for name, spec in (book.data.get("checklists") or {}).items():
            assert [item.get("id") for item in spec["items"] if "id" not in item] == [], (book.meta.id, name)
