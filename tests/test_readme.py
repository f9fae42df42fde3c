"""Every `policyengine` command in the README works as printed."""
import os
import re
import shlex

import pytest

from policyengine.cli import main

from .conftest import ROOT


def readme_commands():
    """(command, expected exit code): a comment saying "exits 1" above a command expects 1."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        comment = ""
        for line in block.splitlines():
            if line.startswith("#"):
                comment = line
            elif line.startswith("policyengine "):
                yield pytest.param(line, 1 if "exits 1" in comment else 0, id=line[:90])


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A folder that looks like a checkout, so commands that write files write here."""
    for name in ("rulebooks", "examples", "schemas"):
        os.symlink(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_has_commands():
    assert len(list(readme_commands())) >= 10


@pytest.mark.parametrize("line, code", list(readme_commands()))
def test_readme_command_works_as_printed(runner, workdir, line, code):
    args = shlex.split(line)[1:]
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == code, f"{line}\n{result.output}\n{result.stderr}"
    assert "Traceback" not in result.output
