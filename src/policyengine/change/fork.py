"""Writing forks (`policyengine fork`) and showing effective rulebooks (`show`)."""
from __future__ import annotations

import datetime as _dt
import os
import re

import yaml
from dateutil.relativedelta import relativedelta

from ..engine.compile import Rulebook
from ..engine.constructs import CONSTRUCTS, ELEMENT_SECTIONS
from ..engine.pipeline import load_rulebook
from ..engine.validate import fork_schema_file
from ..errors import Location, PolicyEngineError
from ..formats import AtomicOutput

#: What a new rulebook id may be: it names files and folders (templates/<id>/).
RULEBOOK_ID = re.compile(r"[a-z][a-z0-9_]*")


def fork_rulebook(base: Rulebook | str | os.PathLike, new_id: str, *, council: str | None = None,
                  output: str | os.PathLike | None = None, today: _dt.date | None = None) -> str:
    """Write a new rulebook that extends ``base`` (a rulebook loaded from a file, or
    its path) beside it, as ``<new_id>.yaml`` unless ``output`` says where, and return
    its path. It never overwrites a file, and a fork that would not load is not left behind."""
    if not RULEBOOK_ID.fullmatch(new_id):
        raise ValueError("a rulebook id uses lower-case letters, digits and _, starting with a letter")
    if isinstance(base, Rulebook):
        if not os.path.isfile(base.path):
            raise ValueError("a fork extends a rulebook file: this rulebook was not loaded from one")
        book, base = base, base.path
    else:
        base = os.fspath(base)
        book = load_rulebook(base)
    output = os.fspath(output) if output else os.path.join(os.path.dirname(base), f"{new_id}.yaml")
    if os.path.exists(output):
        raise PolicyEngineError("the file already exists; fork will not overwrite it", Location(output))
    text = fork_text(book, base, output, new_id, council, today or _dt.date.today())
    AtomicOutput.write_all(output, text, exclusive=True)  # whole or not at all, even on a full disk
    try:
        load_rulebook(output)
    except PolicyEngineError:
        os.unlink(output)
        raise
    return output


def guide(book: Rulebook, new_id: str) -> str:
    """A commented guide to overriding, using the base's own element names."""
    data = book.data
    lines = ["What a fork can override (write only what changes; the rest comes from the base):", ""]
    for construct in sorted(CONSTRUCTS, key=lambda c: c.guide_rank):
        if construct.fork_example is not None and data.get(construct.section):
            name, spec = next(iter(data[construct.section].items()))
            lines += construct.fork_example(name, spec)
    if data.get("documents"):
        lines += ["documents:", f"  {next(iter(data['documents']))}: {{template: my_letter.md.j2}}",
                  f"    # or put a file with the same name in templates/{new_id}/ beside this file"]
    if data.get("settings"):
        lines += [f"settings: every one above is the base council's, written as a placeholder: give each your own "
                  f"value ({', '.join(data['settings'])}); until you do, letters are refused "
                  f"(render --draft to preview)"]
    if (data.get("letterhead") or {}).get("word"):
        lines += [f"letterhead: the base's Word letterhead `{data['letterhead']['word']}` is the base council's: "
                  f"put your own file of that name in templates/{new_id}/"]
    lines += ["remove: [section.name]                  # delete an element by name",
              "tests: [...]                            # a fork carries its own tests (they are not inherited)",
              "", "Then: policyengine validate THIS, policyengine diff BASE THIS, policyengine test THIS"]
    return "".join(f"# {line}\n".replace("#  \n", "#\n") if line else "#\n" for line in lines)


def fork_text(book: Rulebook, base_path: str, output: str, new_id: str, council: str | None, today: _dt.date) -> str:
    meta = book.meta
    rel = os.path.relpath(os.path.abspath(base_path), os.path.dirname(os.path.abspath(output)))
    named = council
    council = council or f"{meta.council} (local variation)"
    header = {
        "rulebook": {
            "id": new_id,
            "title": f"{meta.title} ({council})",
            "council": council,
            "version": "0.1.0",
            "effective_from": today,
            "review_by": today + relativedelta(years=1),
        }
    }
    body = yaml.safe_dump(header, sort_keys=False, allow_unicode=True)
    return (f"# yaml-language-server: $schema={os.path.relpath(_schema_path(), os.path.dirname(os.path.abspath(output)))}\n"
            f"#\n# A fork of {meta.id} {meta.version} ({meta.council}).\n"
            f"extends: {rel}\n\n{body}\n{fork_settings(book, named)}{guide(book, new_id)}")


def fork_settings(book: Rulebook, council: str | None) -> str:
    """The base's settings, each written as a placeholder (they are the base council's
    name, team and phone number), but the council's name when ``council`` gives it."""
    if not book.settings:
        return ""
    names = {name for name, value in book.settings.items()
             if name == "council_name" or value == book.meta.council}
    settings = {name: council if council and name in names else {"placeholder": value}
                for name, value in book.settings.items()}
    text = yaml.safe_dump({"settings": settings}, sort_keys=False, allow_unicode=True, default_flow_style=None,
                          width=1000)
    return ("# The base council's settings, each a placeholder until you write your own value in its place\n"
            "# (`team_phone: 0300 123 4567`): a letter that uses a placeholder is refused.\n" + text + "\n")


def _schema_path() -> str:
    return str(fork_schema_file())  # a fork is partial: the rulebook schema would flag what it leaves out


def effective_text(book: Rulebook) -> str:
    """The merged rulebook as YAML, each element labelled with the file(s) it came from."""
    effective = book.effective
    data = _builtin(book.data)
    out = [f"# Effective rulebook {book.meta.id} {book.meta.version}",
           "# merged from: " + " ← ".join(os.path.relpath(f) for f in effective.files), ""]
    for key, value in data.items():
        if key in ELEMENT_SECTIONS and isinstance(value, dict):
            out.append(f"{key}:")
            for name, spec in value.items():
                files = effective.origins.get((key, name), [])
                label = " ← overridden in ".join(os.path.relpath(f) for f in files) if files else "?"
                out.append(f"  # from {label}")
                dumped = yaml.safe_dump({name: spec}, sort_keys=False, allow_unicode=True, width=100)
                out.extend("  " + line for line in dumped.splitlines())
        else:
            dumped = yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=100)
            out.extend(dumped.splitlines())
        out.append("")
    return "\n".join(out)


def _builtin(node):
    """Plain dicts and lists (dates kept as dates) that yaml.safe_dump can write."""
    if isinstance(node, dict):
        return {k: _builtin(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_builtin(v) for v in node]
    return node
