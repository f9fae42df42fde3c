"""The project as a user gets it: a wheel, installed in a fresh virtual environment.

Issue #12, bug 4: ``fork`` built the ``$schema`` path from the repository, so a fork
made with an installed wheel pointed at nothing. The schema now ships once, as package
data, and these tests build the wheel, install it away from the repository and check
what a user's editor would follow.
"""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "src" / "policyengine" / "schemas" / "fork.schema.json"  # what a fork's modeline names
MODELINE = "# yaml-language-server: $schema="


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built from a copy of the source (never from a stale build/ in the repo)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(work / "dist"),
                            str(source)], capture_output=True, text=True, timeout=120)
    wheels = sorted((work / "dist").glob("*.whl"))
    if built.returncode != 0 or len(wheels) != 1:
        pytest.skip("the wheel could not be built here (pip wheel needs setuptools>=77, from the network or "
                    f"pip's cache): {(built.stderr or built.stdout).strip().splitlines()[-1:]}")
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed: its own ``policyengine``
    package, and this environment's dependencies (seen through a .pth file, as the
    machine may have no network to download them)."""
    env = tmp_path_factory.mktemp("venv") / "env"
    venv.create(env, with_pip=False, symlinks=True)
    python = env / "bin" / "python"
    target = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    ours = [p for p in {*site.getsitepackages(), sysconfig.get_paths()["purelib"]}
            if os.path.isdir(p) and not Path(p).resolve().is_relative_to(ROOT / "src")]  # CI's venv is inside ROOT
    (target / "_host_dependencies.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True, text=True, timeout=120)
    return env


def _run(*command, cwd=None) -> str:
    """Run a command of the fresh environment, with nothing of this checkout on its path."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, env=clean, cwd=cwd,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_wheel_ships_one_schema_the_policy_document_templates_the_letter_layout_and_the_web_pages(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert [n for n in names if n.endswith(".schema.json")] == ["policyengine/schemas/fork.schema.json",
                                                                "policyengine/schemas/rulebook.schema.json"]
    for folder, pattern in (("change/templates", "*.j2"), ("formats/letters/templates", "*"), ("web/templates", "*.j2"),
                            ("web/static", "*")):
        shipped = sorted(p.relative_to(ROOT / "src").as_posix()
                         for p in (ROOT / "src" / "policyengine" / folder).glob(pattern) if p.is_file())
        assert shipped, folder
        assert set(shipped) <= set(names), sorted(set(shipped) - set(names))
    assert "policyengine/py.typed" in names


def test_a_fork_made_with_the_installed_wheel_points_at_the_schema_it_installed(installed, tmp_path):
    site_packages = Path(_run(installed / "bin" / "python", "-c",
                              "import policyengine, os; print(os.path.dirname(policyengine.__file__))",
                              cwd=tmp_path).strip())
    assert site_packages.resolve().is_relative_to(installed.resolve())  # the wheel's package, not this checkout's
    fork = tmp_path / "forks" / "northwick.yaml"
    fork.parent.mkdir()
    _run(installed / "bin" / "policyengine", "fork", ROOT / "rulebooks" / "knowsley.yaml", "--id", "northwick",
         "-o", fork, cwd=tmp_path)
    first = fork.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(MODELINE)
    schema = (fork.parent / first[len(MODELINE):]).resolve()
    assert schema.is_file(), f"the fork's $schema leads nowhere: {first}"
    assert schema.read_bytes() == SCHEMA.read_bytes()
    assert schema == (site_packages / "schemas" / "fork.schema.json").resolve()
    assert not schema.is_relative_to(ROOT)


def test_the_installed_wheel_lays_out_a_letter(installed, tmp_path):
    """The letter layout (its templates and CSS are package data) works from an installed wheel."""
    case = tmp_path / "case.yaml"
    case.write_text("case_id: NB-1\nperson_name: Ann Lee\ndate_added: 2026-10-20\n", encoding="utf-8")
    rulebook = ROOT / "tests" / "letters" / "fixtures" / "letters.yaml"
    out = _run(installed / "bin" / "policyengine", "render", "-r", rulebook, case, "-d",
               "waiting_letter", "--as-of", "2026-11-20", "--format", "html", cwd=tmp_path)
    assert "size: A4" in out and '<address class="recipient">\n<p>Ann Lee</p>' in out
