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
