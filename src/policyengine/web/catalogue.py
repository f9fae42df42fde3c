"""The rulebooks a server offers: every file in its folder that loads, each under its own id."""
from __future__ import annotations

import os

from ..engine.compile import Rulebook
from ..engine.pipeline import load_rulebook
from ..errors import PolicyEngineError, RulebookInvalid


def load_all(folder: str) -> tuple[dict[str, Rulebook], dict[str, list[str]]]:
    """The rulebooks that load (id → rulebook) and, for each file that does not,
    every problem found in it (file name → ``file:line: message`` lines).
    One bad file takes no other council offline."""
    books: dict[str, Rulebook] = {}
    problems: dict[str, list[str]] = {}
    files: dict[str, str] = {}  # id → the file it was read from
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if not name.endswith((".yaml", ".yml")):
            continue
        path = os.path.join(folder, name)
        book = _load(path, name, problems)
        if book is None:
            continue
        rulebook_id = book.meta.id
        if os.path.splitext(name)[0] != rulebook_id:
            # Pages and the API name a rulebook by its id: a file that could claim
            # any id (a fork calling itself `knowsley`) could stand in for another council's.
            problems[name] = [f"{path}: the rulebook's id is `{rulebook_id}`, so its file must be named "
                              f"`{rulebook_id}.yaml` to be served"]
        elif rulebook_id in books:  # knowsley.yaml and knowsley.yml: neither is served
            first = files[rulebook_id]
            problems[name] = [f"{path}: the rulebook id `{rulebook_id}` is also in {first}; neither is served"]
            problems[first] = [f"{os.path.join(folder, first)}: the rulebook id `{rulebook_id}` is also in "
                               f"{name}; neither is served"]
            del books[rulebook_id]
        elif rulebook_id in files:  # a third file with an id already refused as repeated
            problems[name] = [f"{path}: the rulebook id `{rulebook_id}` is also in {files[rulebook_id]}; "
                              "neither is served"]
        else:
            books[rulebook_id], files[rulebook_id] = book, name
    return books, problems


def _load(path: str, name: str, problems: dict[str, list[str]]) -> Rulebook | None:
    """The compiled rulebook at ``path``, or None with its problems noted under ``name``."""
    try:
        return load_rulebook(path)
    except RulebookInvalid as exc:
        problems[name] = [str(error) for error in exc.errors]
    except PolicyEngineError as exc:
        problems[name] = [str(exc)]
    except Exception as exc:  # a bug in the engine, not a reason to serve no one
        problems[name] = [f"{path}: internal error ({type(exc).__name__}) while loading; "
                          f"run policyengine validate {path}"]
    return None
