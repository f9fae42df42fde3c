"""Every `policyengine` command in the README works as printed."""
import os
import re
import shlex

import pytest

from policyengine.cli import main

from .conftest import ROOT


def readme_blocks():
    """Each ``sh`` block of the README as its commands, in order: (command, expected
    exit code). A comment saying "exits 1" above a command expects 1. A command may
    take its input from ``printf '...' |``, as the interview's example does."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        commands, comment = [], ""
        for line in block.splitlines():
            if line.startswith("#"):
                comment = line
            elif line.startswith(("policyengine ", "printf ")):
                commands.append((line, 1 if "exits 1" in comment else 0))
        if commands:
            yield pytest.param(commands, id=commands[0][0][:90])


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A folder that looks like a checkout, so commands that write files write here."""
    for name in ("rulebooks", "examples"):
        os.symlink(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_has_commands():
    assert sum(len(block.values[0]) for block in readme_blocks()) >= 10


@pytest.mark.parametrize("commands", list(readme_blocks()))
def test_readme_commands_work_as_printed(runner, workdir, commands):
    # A block runs as a reader would type it: in order, in one folder, so a
    # command can read the file the one before it wrote.
    for line, code in commands:
        given = None
        if line.startswith("printf "):
            printf, line = line.split(" | ", 1)
            given = shlex.split(printf)[1].encode().decode("unicode_escape")
        args = shlex.split(line)[1:]
        result = runner.invoke(main, args, input=given, catch_exceptions=False)
        assert result.exit_code == code, f"{line}\n{result.output}\n{result.stderr}"
        assert "Traceback" not in result.output


def readme_yaml_blocks():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.S)


def test_every_yaml_block_in_the_readme_parses():
    # The annotated excerpt is the first thing a policy owner copies; it once held
    # `question: What is the case reference?}`, which is not YAML.
    import yaml

    blocks = readme_yaml_blocks()
    assert len(blocks) >= 2
    for block in blocks:
        yaml.safe_load(block)


def test_the_annotated_rulebook_excerpt_validates_and_its_test_passes(cli, tmp_path):
    (tmp_path / "templates" / "knowsley").mkdir(parents=True)
    (tmp_path / "templates" / "knowsley" / "allocation_note.md.j2").write_text("Allocation note for {{ case_id }}\n")
    path = tmp_path / "knowsley.yaml"
    path.write_text(readme_yaml_blocks()[0], encoding="utf-8")
    assert (cli("validate", path).exit_code, cli("test", path).output) == (0, "1 passed, 0 failed\n")


def test_the_python_api_example_runs_as_printed(workdir):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Python API"):text.index("## The web app")]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    names: dict = {}
    exec(compile(code, "README.md", "exec"), names)
    assert names["decision"].outcomes["complex"] is False
    summary = names["summary"]
    assert (summary.cases, summary.decided, summary.failed) == (7, 6, 1)
    assert [e["where"] for e in summary.as_dict()["errors"]] == ["row 6"]
    assert (workdir / "results.csv").read_text(encoding="utf-8").count("\n") == 8  # the header and 7 rows


def test_the_readme_says_how_long_the_northfield_fork_is():
    text = (ROOT / "examples" / "forks" / "northfield.yaml").read_text(encoding="utf-8")
    before_tests = text.split("\ntests:")[0]
    lines = [line for line in before_tests.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"it is {len(lines)} lines of YAML" in readme


def test_every_module_the_contributor_section_names_exists_and_every_package_is_named():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## How it is built"):]
    package = ROOT / "src" / "policyengine"
    modules = {p.name for p in package.rglob("*.py")}
    named = set(re.findall(r"`([a-z_]+\.py)`", section)) - {"test_readme.py"}
    assert named - modules == set()
    for sub in sorted(p.name for p in package.iterdir() if (p / "__init__.py").is_file()):
        assert f"`{sub}/`" in section, sub
    for module in sorted((package / "engine").glob("*.py")):
        if module.name != "__init__.py":
            assert f"`{module.name}`" in section, module.name
