"""Hostile YAML, against every command that reads a rulebook or a case file."""
import json
import os

import pytest

from .conftest import GOOD_CASE, KNOWSLEY, assert_clean_failure

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))

ATTACKS = {
    "alias bomb (billion laughs)": (BILLION_LAUGHS, ":2:", "YAML aliases (*name) are not allowed"),
    "deeply nested structure": ("a: " + "[" * 500 + "]" * 500 + "\n", ":1:", "nesting deeper than 64 levels"),
    "duplicate key": ("rulebook: {}\nrulebook: {}\n", ":2:1:", "duplicate key `rulebook`"),
    "python object tag": ("a: !!python/object/apply:os.system ['echo pwned']\n", ":1:4:",
                          "only plain YAML data is allowed"),
    "other non-safe tag": ("a: !!binary aGVsbG8=\nb: !custom x\n", ":2:4:", "could not determine a constructor"),
    "non-UTF-8 bytes": (b"case_id: \xff\xfe\x00\n", ":1:", "is not UTF-8 text"),
    "tab indentation": ("a:\n\tb: 1\n", ":2:1:", "found character '\\t' that cannot start any token"),
    "empty file": ("", ":1:1:", "the file is empty"),
    "impossible date": ("a: 2026-02-30\n", ":1:4:", "`2026-02-30` is not a real date"),
}
#: In a case file an impossible date is a value the case reader refuses at its field, with
#: the case's other problems and without repeating it (test_case_problems.py), not a file error.
CASE_ATTACKS = {name: attack for name, attack in ATTACKS.items() if name != "impossible date"}

RULEBOOK_COMMANDS = {
    "validate": lambda r: ["validate", r],
    "evaluate": lambda r: ["evaluate", "-r", r, GOOD_CASE],
    "render": lambda r: ["render", "-r", r, GOOD_CASE, "-d", "allocation_note"],
    "schema": lambda r: ["schema", "-r", r],
    "test": lambda r: ["test", r],
    "batch": lambda r: ["batch", "-r", r, os.path.dirname(GOOD_CASE)],
    "worklist": lambda r: ["worklist", "-r", r, os.path.dirname(GOOD_CASE), "--as-of", "2026-11-23"],
    "impact": lambda r: ["impact", "--base", KNOWSLEY, "--variant", r, os.path.dirname(GOOD_CASE)],
    "diff": lambda r: ["diff", KNOWSLEY, r],
    "show": lambda r: ["show", "-r", r],
    "docs": lambda r: ["docs", "-r", r],
    "fork": lambda r: ["fork", r, "--id", "x", "-o", str(r) + ".fork.yaml"],
}


@pytest.mark.parametrize("command", list(RULEBOOK_COMMANDS))
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_hostile_rulebook_is_refused_with_its_line(cli, hostile, attack, command):
    content, where, message = ATTACKS[attack]
    path = hostile("evil.yaml", content)
    err = assert_clean_failure(cli(*RULEBOOK_COMMANDS[command](str(path))), mentions=message)
    assert f"{path}{where}" in err


@pytest.mark.parametrize("command", ["evaluate", "render"])
@pytest.mark.parametrize("attack", list(CASE_ATTACKS))
def test_a_hostile_case_file_is_refused_with_its_line(cli, hostile, attack, command):
    content, where, message = CASE_ATTACKS[attack]
    path = hostile("case.yaml", content)
    args = ["evaluate", "-r", KNOWSLEY, str(path)] if command == "evaluate" else \
        ["render", "-r", KNOWSLEY, str(path), "-d", "allocation_note"]
    err = assert_clean_failure(cli(*args), mentions=message)
    assert f"{path}{where}" in err


@pytest.mark.parametrize("attack", list(CASE_ATTACKS))
def test_a_hostile_case_file_in_a_batch_folder_is_one_error_record(cli, hostile, attack):
    content, where, message = CASE_ATTACKS[attack]
    hostile("cases/a-good.yaml", "case_id: G1\n")
    hostile("cases/b-evil.yaml", content)
    folder = hostile("cases/c-good.yaml", "case_id: G2\n").parent
    result = cli("batch", "-r", KNOWSLEY, folder)
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["case_id"] for r in records] == ["G1", None, "G2"]
    assert records[1]["where"] == "b-evil.yaml" and message in records[1]["error"]


def test_a_50_mb_file_is_refused_before_it_is_read(cli, tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing to read
    err = assert_clean_failure(cli("validate", path), mentions="the limit is 1,048,576 bytes")
    assert err == f"{path}: the file is 52,428,800 bytes; the limit is 1,048,576 bytes\n"
    err = assert_clean_failure(cli("evaluate", "-r", KNOWSLEY, path), mentions="the limit is")


def test_a_50_mb_case_on_stdin_is_refused(cli):
    result = cli("evaluate", "-r", KNOWSLEY, "-", input="a" * (5 * 1024 * 1024 + 10))
    assert_clean_failure(result, mentions="<stdin>: standard input is over the limit of 5,242,880 bytes")


def test_a_rulebook_of_a_hundred_thousand_nested_lists_is_refused_at_the_value_past_the_cap(cli, hostile):
    # Review round 2: a 1 MB rulebook of nested flow lists took 38 s and 840 MB to
    # validate (PyYAML's parser is pure Python); every command and server start pays it.
    lists = "[" * 20 + "]" * 20 + ","
    path = hostile("nested.yaml", "rulebook: {id: x}\nsettings: {x: [" + lists * 5_000 + "1]}\n")
    err = assert_clean_failure(cli("validate", path), mentions="more than 25,000 values")
    where, message = err.rsplit(": the file", 1)
    assert where.startswith(f"{path}:2:")  # the line of the value that passed the cap
    assert message == " holds more than 25,000 values; a rulebook or case is far smaller\n"


def test_a_case_file_of_more_than_25000_values_is_refused(cli, hostile):
    path = hostile("case.yaml", "case_id: C1\nnotes: [" + "a, " * 30_000 + "b]\n")
    err = assert_clean_failure(cli("evaluate", "-r", KNOWSLEY, path), mentions="more than 25,000 values")
    assert err.endswith("the file holds more than 25,000 values; a rulebook or case is far smaller\n")


@pytest.mark.parametrize("written", ["012", "0x1F", "1_000", "1:30", "+12", "1_0.5"])
def test_a_number_yaml_would_silently_change_is_refused_not_reinterpreted(cli, hostile, written):
    # Review round 3: `case_id: 012` became "10" (YAML 1.1 octal); `1:30` became 90.
    path = hostile("case.yaml", f"case_id: {written}\nstage: allocation\n")
    result = cli("evaluate", "-r", KNOWSLEY, path, "--as-of", "2026-11-22")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"{path}:1:10: a number is written in a form YAML would change (a leading zero or "
                             "+, 0x, _ or :): put it in quotes if it is text, or write it as a plain number\n")
