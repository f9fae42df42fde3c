"""A report's JSON written a piece at a time is the same text as written whole."""
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.formats.writers import json_chunks, json_text

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner,
                                                                                           max_size=4), max_leaves=12)


@settings(max_examples=300)
@given(st.dictionaries(st.text(), VALUES, max_size=6), st.data())
def test_json_written_in_pieces_is_the_json_written_whole(data, draw):
    lazy = {k: iter(v) if isinstance(v, list) and draw.draw(st.booleans()) else v for k, v in data.items()}
    assert "".join(json_chunks(lazy)) == json_text(data)


def test_a_list_produced_as_it_is_written_is_never_held_whole():
    def sections():
        yield {"case_id": "A1", "item": "line\nbreak"}
        yield {"case_id": "A2", "item": "£ – ☃"}

    pieces = list(json_chunks({"as_of": "2026-11-23", "cases": 2, "escalations": sections(), "errors": iter([])}))
    assert "".join(pieces) == (
        '{\n  "as_of": "2026-11-23",\n  "cases": 2,\n  "escalations": [\n    {\n      "case_id": "A1",\n'
        '      "item": "line\\nbreak"\n    },\n    {\n      "case_id": "A2",\n      "item": "£ – ☃"\n    }\n'
        '  ],\n  "errors": []\n}\n')
    assert len(pieces) > 6  # one piece per item, not the whole list at once
