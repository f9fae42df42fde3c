"""Stage 1, load: safe YAML with the line and column of every key kept.

Only the safe subset of YAML is accepted. A duplicated key, an alias, a
non-safe tag, half a UTF-16 pair (a ``\\udc00`` escape), a file over the size
limit or nested too deeply is an error with its position, never a silent
override or a crash. Only regular files are read: opening a FIFO would wait
for ever.
"""
from __future__ import annotations

import json
import os
import re
import stat
from decimal import Decimal
from typing import Any, Sequence

import yaml
from yaml.events import AliasEvent

from ..errors import Location, YamlError, looks_like_a_name

#: Largest YAML or JSON file the engine reads (case files; rulebooks below).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: Largest rulebook (or base rulebook) file. The shipped ones are under 25 KB;
#: loading and checking cost time in proportion to size, paid by every command,
#: every `--jobs` worker and every server start.
MAX_RULEBOOK_BYTES = 1024 * 1024
#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH = 64
#: Most values (mappings, lists and scalars) in one file. Leicestershire, the
#: largest shipped rulebook, has about 1,400; the cap keeps the time to read
#: any file, however written, to a few seconds (PyYAML's parser is pure Python).
MAX_NODES = 25_000
#: Why text holding half a UTF-16 pair (from a ``\\udc00`` escape) is refused:
#: it cannot be written out as UTF-8, so no message, page or file could show it.
SURROGATE_PROBLEM = "a string holds a \\u escape that is half of a character (a lone surrogate)"
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class YMap(dict):
    """A mapping that remembers where it and each of its keys stand."""

    loc: Location
    key_locs: dict
    value_locs: dict


class YList(list):
    """A list that remembers where it and each of its items stand."""

    loc: Location
    item_locs: list


def loc_of(node: Any, key: Any = None, *, value: bool = True) -> Location | None:
    """The location of ``node`` or of ``node[key]`` (its value, or its key)."""
    if key is None:
        return getattr(node, "loc", None)
    if isinstance(node, YMap):
        table = node.value_locs if value else node.key_locs
        return table.get(key, node.loc)
    if isinstance(node, YList) and isinstance(key, int) and 0 <= key < len(node.item_locs):
        return node.item_locs[key]
    return getattr(node, "loc", None)


def locate(root: Any, path: Sequence[Any], file: str, *, key: bool = False) -> Location:
    """The location of the element at ``path`` (a sequence of keys) in ``root``."""
    node, loc = root, loc_of(root) or Location(file, 1, 1)
    parent, last = None, None
    for part in path:
        if isinstance(node, (YMap, YList)):
            try:
                child = node[part]
            except (KeyError, IndexError, TypeError):
                break
            parent, last, node = node, part, child
        else:
            break
    if parent is not None:
        loc = loc_of(parent, last, value=not key) or loc
    return loc.at(path_text(path))


def path_text(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _mark(filename: str, mark) -> Location:
    return Location(filename, mark.line + 1, mark.column + 1)


class _Loader(yaml.SafeLoader):
    filename = "<input>"

    def __init__(self, stream, filename: str) -> None:
        super().__init__(stream)
        self.filename = filename
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise YamlError(
                "YAML aliases (*name) are not allowed; write the value out in full",
                _mark(self.filename, event.start_mark),
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise YamlError(f"the file holds more than {MAX_NODES:,} values; a rulebook or case is far smaller",
                            _mark(self.filename, self.peek_event().start_mark))
        self._depth += 1
        if self._depth > MAX_DEPTH:
            event = self.peek_event()
            raise YamlError(
                f"nesting deeper than {MAX_DEPTH} levels is not allowed",
                _mark(self.filename, event.start_mark),
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_scalar(self, node):
        value = super().construct_scalar(node)
        if isinstance(value, str) and _SURROGATE.search(value):
            value = _join_pairs(value, _mark(self.filename, node.start_mark))
        return value

    def construct_yaml_map(self, node):
        data = YMap()
        data.loc = _mark(self.filename, node.start_mark)
        data.key_locs, data.value_locs = {}, {}
        yield data
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, bool, float)) or key is None:
                raise YamlError(
                    "a mapping key must be a plain name or number",
                    _mark(self.filename, key_node.start_mark),
                )
            if key in data:
                first = data.key_locs[key]
                raise YamlError(
                    f"duplicate key `{key}` (first given at line {first.line}); "
                    "a repeated key would silently replace the first",
                    _mark(self.filename, key_node.start_mark).at(str(key)),
                )
            data[key] = self.construct_object(value_node, deep=True)
            data.key_locs[key] = _mark(self.filename, key_node.start_mark)
            data.value_locs[key] = _mark(self.filename, value_node.start_mark)

    def construct_yaml_seq(self, node):
        data = YList()
        data.loc = _mark(self.filename, node.start_mark)
        data.item_locs = [_mark(self.filename, n.start_mark) for n in node.value]
        yield data
        data.extend(self.construct_object(n, deep=True) for n in node.value)


def _join_pairs(text: str, where: Location) -> str:
    """``text`` with each escaped UTF-16 pair (``\\ud83d\\ude00``, as JSON writers
    escape an emoji) joined into its character; YAML leaves the halves apart.
    Half a pair alone is refused."""
    try:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        raise YamlError(SURROGATE_PROBLEM, where) from None


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds half a UTF-16 pair, which no UTF-8 output can show."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def _construct_timestamp(loader: _Loader, node):
    # PyYAML raises a bare ValueError for 2026-02-30; give it a position.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        raise YamlError(f"`{node.value}` is not a real date", _mark(loader.filename, node.start_mark)) from None


#: Numbers as people write them. YAML 1.1 also reads `012` as ten (octal),
#: `0x1F`, `1_000`, `+12` and `1:30` (ninety) as numbers, so a case id `012`
#: silently became "10": any other form is refused, never reinterpreted.
_PLAIN_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_PLAIN_FLOAT = re.compile(r"-?(0|[1-9][0-9]*)?\.[0-9]*([eE][-+]?[0-9]+)?|-?(0|[1-9][0-9]*)[eE][-+]?[0-9]+|[-+]?\.(inf|Inf|INF|nan|NaN|NAN)")
_NOT_PLAIN = ("a number is written in a form YAML would change (a leading zero or +, 0x, _ or :): "
              "put it in quotes if it is text, or write it as a plain number")


def _construct_float(loader: _Loader, node):
    if not _PLAIN_FLOAT.fullmatch(node.value):
        raise YamlError(_NOT_PLAIN, _mark(loader.filename, node.start_mark))
    return yaml.SafeLoader.construct_yaml_float(loader, node)


def _construct_int(loader: _Loader, node):
    if not _PLAIN_INT.fullmatch(node.value):
        raise YamlError(_NOT_PLAIN, _mark(loader.filename, node.start_mark))
    # Python refuses int() of more than 4,300 digits with a bare ValueError.
    try:
        return yaml.SafeLoader.construct_yaml_int(loader, node)
    except ValueError:
        raise YamlError("a number has more than 4,300 digits", _mark(loader.filename, node.start_mark)) from None


# YAML 1.2's core schema, as editors and check-jsonschema read a file: only true and
# false are booleans. YAML 1.1 (PyYAML's default) also reads yes, no, on and off as
# booleans, so `values: [yes, no, not_known]` silently held two booleans.
_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_yaml_seq)


def _construct_case_timestamp(loader: _Loader, node):
    # In a case an impossible date (2026-02-30) stays the text it is: the case reader
    # refuses it at its field, with the case's other problems, and never repeats it.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


def _construct_case_float(loader: _Loader, node):
    value = _construct_float(loader, node)
    return exact_number(node.value) if isinstance(value, float) and value.is_integer() else value


class _CaseLoader(_Loader):
    """A case file's loader: the same safe YAML, but a date that does not exist is a value to refuse, not a
    file, and a number that a float would make another whole number is not made one (``exact_number``)."""


_CaseLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_case_timestamp)
_CaseLoader.add_constructor("tag:yaml.org,2002:float", _construct_case_float)


def parse_yaml(text: str, filename: str = "<input>", *, case: bool = False) -> Any:
    """Parse one YAML (or JSON) document from ``text``, keeping positions.
    A ``case`` file leaves an impossible date as text, for the case reader to refuse."""
    if not text.strip():
        raise YamlError("the file is empty", Location(filename, 1, 1))
    try:
        loader = (_CaseLoader if case else _Loader)(text, filename)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise YamlError(f"the file holds a control character (#x{exc.character:04x}) that YAML "
                        "does not allow", Location(filename, line)) from None
    try:
        data = loader.get_single_data()
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in problem:
            problem = f"{problem}; only plain YAML data is allowed"
        elif problem == "mapping values are not allowed here":
            problem += " (text that contains ': ' must be put in quotes)"
        loc = _mark(filename, mark) if mark else Location(filename)
        raise YamlError(f"invalid YAML: {problem}", loc) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise YamlError(f"the file holds a control character (#x{exc.character:04x}) that YAML "
                        "does not allow", Location(filename, line)) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", Location(filename)) from None
    except RecursionError:
        raise YamlError("the document is nested too deeply", Location(filename)) from None
    finally:
        loader.dispose()
    return data



def compose_yaml(text: str, filename: str = "<input>") -> Any:
    """The node tree of one YAML document (``yaml.Node``s), with the same limits and
    YAML 1.2 booleans as :func:`parse_yaml`: each scalar keeps its exact start and
    end in the text (``start_mark.index``, ``end_mark.index``), its style and its tag,
    so a value can be rewritten in place with nothing else in the file touched."""
    parse_yaml(text, filename)  # the same checks, and the same errors, as a load
    loader = _Loader(text, filename)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()

class RepeatedKey(ValueError):
    """A JSON object gives a key twice."""


def json_object(pairs: list) -> dict:
    """A JSON object, refused if it gives a key twice: as in YAML, a repeated
    key would silently replace the first."""
    data = dict(pairs)
    if len(data) < len(pairs):
        seen: set = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        shown = f"`{key}`" if looks_like_a_name(key) else "a key"
        raise RepeatedKey(f"not valid JSON: {shown} is given twice; a repeated key would silently "
                          "replace the first")
    return data


def json_constant(name):
    raise ValueError(f"{name} is not a number a case may hold")


class JsonProblem(ValueError):
    """Why a text is not JSON a case may be read from, and where, when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def exact_number(text: str) -> float | Decimal:
    """A case's number written with a point or an exponent: a float, unless the float is a whole number
    the text is not (`2.9999999999999999` would be 3, `12345678901234567890.0` would be
    12345678901234567168): then the text's exact Decimal, which every input refuses, naming its field,
    rather than a case read as an answer nobody wrote."""
    value = float(text)
    if value.is_integer() and Decimal(text) != Decimal(value):
        return Decimal(text)
    return value


def strict_json(text: str) -> Any:
    """``text`` read by JSON's own rules, with no repeated key and no NaN or
    Infinity (a case file, a JSONL line); JsonProblem says why not."""
    try:
        return json.loads(text, parse_constant=json_constant, object_pairs_hook=json_object,
                          parse_float=exact_number)
    except json.JSONDecodeError as exc:
        raise JsonProblem(f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise JsonProblem("not valid JSON: nested too deeply") from None
    except RepeatedKey as exc:
        raise JsonProblem(str(exc)) from None
    except ValueError as exc:  # NaN or Infinity, or a number of over 4,300 digits
        problem = "a number has more than 4,300 digits" if "digits" in str(exc) else str(exc)
        raise JsonProblem(f"not valid JSON: {problem}") from None


def parse_json(text: str, filename: str = "<input>") -> Any:
    """One JSON document, read by JSON's own rules.

    A YAML parser reads broken JSON such as ``{"risk": }`` as "risk is empty",
    so a JSON case file is parsed as JSON: a syntax error is an error at its
    line and column, never a silently different case. The YAML reading of the
    same text only lends the fields' positions for later messages.
    """
    if not text.strip():
        raise YamlError("the file is empty", Location(filename, 1, 1))
    try:
        data = strict_json(text)
    except JsonProblem as exc:
        raise YamlError(exc.message, Location(filename, exc.line, exc.column)) from None
    try:
        located = parse_yaml(text, filename)  # also the checks on values: half characters, how many
    except YamlError as exc:
        if exc.message.startswith(("invalid YAML", "the file holds a control character")):
            return data  # JSON that YAML's grammar cannot read (a tab between tokens): no positions
        raise
    if isinstance(data, dict) and isinstance(located, YMap):
        out = YMap(data)
        out.loc = located.loc
        out.key_locs = {k: v for k, v in located.key_locs.items() if k in data}
        out.value_locs = {k: v for k, v in located.value_locs.items() if k in data}
        return out
    return data


#: Caseload files that `evaluate` and `render` are sometimes given by mistake.
_CASELOAD_ENDINGS = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".jsonl", ".ndjson")


def load_case(path: str) -> Any:
    """One case file: JSON by JSON's rules if it ends `.json`, YAML otherwise."""
    if path.lower().endswith(_CASELOAD_ENDINGS):
        raise YamlError("a case file is one case in YAML or JSON; a caseload is read by `policyengine batch`",
                        Location(path))
    text = read_text(path)
    return parse_json(text, path) if path.lower().endswith(".json") else parse_yaml(text, path, case=True)


def parse_case(text: str, filename: str) -> Any:
    """A case given as text (standard input): JSON when it opens as a JSON object does."""
    opening = text.lstrip("\ufeff \t\r\n")[:2]
    return parse_json(text, filename) if opening in ('{"', "{}") else parse_yaml(text, filename, case=True)


NOT_REGULAR = "cannot read the file: it is not a regular file (a pipe, a device or a folder)"


def open_regular(path: str):
    """``path`` opened for reading as bytes, if it is a regular file.

    Opening a FIFO waits for a writer for ever, so the file is checked before
    it is opened, then opened without waiting and checked again: a file swapped
    for a FIFO in between cannot hang the reader either. OSError if it cannot
    be opened; YamlError if it is not a regular file.
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise YamlError(NOT_REGULAR, Location(path))
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise YamlError(NOT_REGULAR, Location(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_text(path: str, *, limit: int = MAX_FILE_BYTES) -> str:
    """Read a UTF-8 file (a byte-order mark is allowed), within the size limit.
    Only a regular file is read."""
    try:
        with open_regular(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > limit:
                raise YamlError(
                    f"the file is {size:,} bytes; the limit is {limit:,} bytes", Location(path)
                )
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise YamlError(f"cannot read the file: {exc.strerror}", Location(path)) from None
    if len(raw) > limit:  # it grew after the check
        raise YamlError(f"the file is over the limit of {limit:,} bytes", Location(path))
    return decode(raw, path)


def decode(raw: bytes, filename: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlError(
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            Location(filename, line),
        ) from None

