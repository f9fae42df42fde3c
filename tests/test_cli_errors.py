"""The command line maps every error to one line per problem and an exit code, in one place."""
import pytest

from policyengine import cli as cli_module
from policyengine.errors import Location, PolicyEngineError


class Coded(PolicyEngineError):
    exit_code = 3


@pytest.mark.parametrize("command", [["show", "-r", "x.yaml"], ["schema", "-r", "x.yaml"],
                                     ["worklist", "-r", "x.yaml", "c.csv", "--as-of", "2026-11-23"]])
def test_an_engine_error_is_one_line_and_its_own_exit_code_in_every_command(cli, monkeypatch, command):
    def refuse(path):
        raise Coded("cannot read the file: No such file or directory", Location(path))

    monkeypatch.setattr(cli_module, "load_rulebook", refuse)
    result = cli(*command)
    assert (result.exit_code, result.stderr) == (3, "x.yaml: cannot read the file: No such file or directory\n")


def test_an_engine_error_without_a_code_exits_1(cli):
    result = cli("show", "-r", "no-such-rulebook.yaml")
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert not result.stderr.startswith("Error")


AS_OF_COMMANDS = [
    ["evaluate", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/complex-case.yaml"],
    ["render", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/complex-case.yaml", "-d", "allocation_note"],
    ["batch", "-r", "rulebooks/knowsley.yaml", "examples/knowsley"],
    ["worklist", "-r", "rulebooks/knowsley.yaml", "examples/knowsley"],
    ["impact", "--base", "rulebooks/knowsley.yaml", "--variant", "examples/forks/northfield.yaml",
     "examples/forks/caseload.csv"],
    ["interview", "-r", "rulebooks/knowsley.yaml"],
]


@pytest.mark.parametrize("command", AS_OF_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("date, reason", [
    ("11/22/2026", "not a real date; write it DD/MM/YYYY (day first) or YYYY-MM-DD"),
    ("31/02/2026", "not a real date; write it DD/MM/YYYY (day first) or YYYY-MM-DD"),
    ("2026/11/22", "write the date DD/MM/YYYY (day first) or YYYY-MM-DD"),
])
def test_as_of_is_day_first_and_a_refusal_names_the_option_not_the_value(cli, command, date, reason):
    result = cli(*command, "--as-of", date)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: Invalid value for '--as-of': {reason}"
    assert date not in result.stderr


def test_as_of_day_first_decides_as_the_iso_date_does(cli):
    args = ["evaluate", "-r", "rulebooks/leicestershire.yaml", "examples/leicestershire/red-escalation.yaml",
            "--format", "json"]
    assert cli(*args, "--as-of", "22/11/2026").stdout == cli(*args, "--as-of", "2026-11-22").stdout
    letter = ["render", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/complex-case.yaml", "-d",
              "allocation_note", "--as-of", "22/11/2026"]
    assert cli(*letter, "--letter-date", "1/12/2026").stdout == cli(*letter, "--letter-date", "2026-12-01").stdout
    assert cli(*letter, "--letter-date", "12/31/2026").exit_code == 2


def test_worklist_defaults_as_of_to_today_and_says_so(cli):
    import datetime as dt

    from policyengine.engine.dates import long_date

    result = cli("worklist", "-r", "rulebooks/knowsley.yaml", "examples/knowsley")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith(f"As of today, {long_date(dt.date.today())} · 4 cases")
    given = cli("worklist", "-r", "rulebooks/knowsley.yaml", "examples/knowsley", "--as-of", "23/11/2026")
    assert given.stdout.splitlines()[1].startswith("As of 23 November 2026 · 4 cases")
