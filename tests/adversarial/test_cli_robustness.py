"""No command prints a traceback, ever: full disks, killed runs, the last date there is."""
import builtins
import errno
import os
import signal
import subprocess
import sys
import time

import pytest

from policyengine.formats import atomic
from policyengine import cli as cli_module

from ..conftest import MINIMAL, ROOT
from .conftest import LEICS

KNOWSLEY = str(ROOT / "rulebooks" / "knowsley.yaml")
#: The ``policyengine`` command, run as a separate process.
POLICYENGINE = [sys.executable, "-c", "from policyengine.cli import main; main()"]
HEADER = "case_id,support,risk,priority,complexity,date_added\n"
INTERNAL = ("policyengine: internal error (RuntimeError); this is a bug in the engine, not in your files. "
            "Run again with POLICYENGINE_DEBUG=1 to see where, and report it.\n")
#: How long a subprocess test waits for something before it fails (never a sleep).
DEADLINE = 30


class FullDisk:
    """A file whose writes (or, with ``on="flush"``, whose flushes) fail as a full disk does."""

    def __init__(self, fh, on: str) -> None:
        self.fh, self.on = fh, on

    def write(self, text):
        if self.on == "write":
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.fh.write(text)

    def flush(self):
        if self.on == "flush":
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.fh.flush()

    def __getattr__(self, name):
        return getattr(self.fh, name)


@pytest.fixture(params=["write", "flush"])
def full_disk(request, monkeypatch):
    """Every file the engine writes is on a full disk (failing at write, or at flush)."""
    def open_on_full_disk(file, mode="r", *args, **kwargs):
        fh = builtins.open(file, mode, *args, **kwargs)
        return FullDisk(fh, request.param) if "w" in mode else fh

    monkeypatch.setattr(atomic, "open", open_on_full_disk, raising=False)


def caseload(folder, rows: int) -> str:
    path = folder / "caseload.csv"
    path.write_text(HEADER + "".join(f"C{i},full,low,low,low,2026-11-01\n" for i in range(rows)))
    return str(path)


def test_a_full_disk_while_writing_a_batch_output_is_a_clean_error_and_leaves_no_file(cli, tmp_path, full_disk):
    out = tmp_path / "out" / "decisions.jsonl"
    out.parent.mkdir()
    result = cli("batch", "-r", LEICS, caseload(tmp_path, 3), "-o", out)
    assert result.exit_code == 1
    assert result.stderr == f"{out}: cannot write the file: No space left on device\n"
    assert os.listdir(out.parent) == []


def test_fork_on_a_full_disk_leaves_no_truncated_rulebook(cli, tmp_path, full_disk):
    out = tmp_path / "ours.yaml"
    result = cli("fork", KNOWSLEY, "--id", "ours", "-o", out)
    assert result.exit_code == 1
    assert result.stderr == f"{out}: cannot write the file: No space left on device\n"
    assert os.listdir(tmp_path) == []


def test_standard_output_on_a_full_disk_is_one_clean_line_not_a_traceback(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        run = subprocess.run([*POLICYENGINE, "batch", "-r", LEICS,
                              caseload(tmp_path, 3)], stdout=full, stderr=subprocess.PIPE, text=True,
                             timeout=DEADLINE, env={**os.environ, "POLICYENGINE_DEBUG": ""})
    assert run.returncode == 1
    assert run.stderr == "policyengine: cannot finish: No space left on device\n"


@pytest.mark.parametrize("as_of", ["9999-12-31", "9999-12-25"])
def test_a_worklist_as_of_the_last_dates_there_are_is_answered_not_an_overflow(cli, tmp_path, as_of):
    path = tmp_path / "caseload.csv"
    path.write_text(HEADER + "A1,full,low,low,low,2026-11-01\n")
    result = cli("worklist", "-r", LEICS, path, "--as-of", as_of, "--format", "json")
    assert result.exit_code == 0, result.output
    assert f'"as_of": "{as_of}"' in result.stdout


@pytest.mark.parametrize("command", [["validate", KNOWSLEY], ["test", KNOWSLEY], ["serve", "--rulebooks", "."]])
def test_a_bug_in_validate_test_or_serve_is_one_internal_error_line_not_a_traceback(cli, monkeypatch, command):
    def crash(*args, **kwargs):
        raise RuntimeError("a case's data would be in here")

    monkeypatch.setattr(cli_module, "load_rulebook", crash)
    monkeypatch.setattr("policyengine.web.catalogue.load_rulebook", crash)
    monkeypatch.setattr("policyengine.web.app.load_all", crash)
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: None)
    result = cli(*command)
    assert (result.exit_code, result.stderr) == (1, INTERNAL)


def test_serve_lists_each_invalid_rulebook_on_stderr_and_serves_the_rest(cli, monkeypatch, tmp_path):
    served = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: served.append(app))
    (tmp_path / "mini.yaml").write_text(MINIMAL)
    (tmp_path / "broken.yaml").write_text("rulebook: {id: broken}\n")
    result = cli("serve", "--rulebooks", tmp_path, "--port", 8765)
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"policyengine: not serving broken.yaml: {tmp_path}/broken.yaml:1:1: ")
    assert lines[1] == f"policyengine: serving {tmp_path}/ on http://127.0.0.1:8765/ (Ctrl-C to stop)"
    assert len(served) == 1


def test_serve_says_when_its_folder_of_rulebooks_does_not_exist(cli, monkeypatch, tmp_path):
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: pytest.fail("served a folder that does not exist"))
    result = cli("serve", "--rulebooks", tmp_path / "nope")
    assert result.exit_code == 1
    assert result.stderr == f"{tmp_path / 'nope'}: cannot read the folder of rulebooks: No such directory\n"


@pytest.mark.parametrize("where, reason", [("busy", "Address already in use"),
                                           ("no.such.host.invalid", "Name or service not known")])
def test_serve_on_a_busy_port_or_an_unknown_host_is_one_line_and_exit_1_before_saying_serving(
        cli, monkeypatch, where, reason):
    # Issue #20: serve printed "serving…" before it bound, then uvicorn exited 3.
    import socket

    monkeypatch.setattr("uvicorn.run", lambda *a, **k: pytest.fail("served without a socket"))
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        host = "127.0.0.1" if where == "busy" else where
        result = cli("serve", "--host", host, "--port", port)
    assert (result.exit_code, result.stderr) == (1, f"{host}:{port}: cannot listen here: {reason}\n")


def test_serve_hands_uvicorn_the_socket_it_bound(cli, monkeypatch):
    import socket

    seen = {}

    def run(app, fd, **kwargs):
        seen["family"] = socket.socket(fileno=socket.dup(fd)).family
        # Review round 3: after SIGTERM, queued renders ran for 30 s before the server stopped.
        seen["shutdown"] = kwargs["timeout_graceful_shutdown"]

    monkeypatch.setattr("uvicorn.run", run)
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # a free port, released just before serve binds it
    result = cli("serve", "--port", port)
    assert result.exit_code == 0 and seen == {"family": socket.AF_INET, "shutdown": 5}


# -- killed runs -----------------------------------------------------------------
def _start_batch(tmp_path, *extra):
    """A batch run on a caseload big enough to be killed in the middle of."""
    out = tmp_path / "out"
    out.mkdir()
    source = caseload(tmp_path, 60_000)
    proc = subprocess.Popen([*POLICYENGINE, "batch", "-r", LEICS, source,
                             "-o", str(out / "decisions.jsonl"), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, out


def _wait_for(condition, what):
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)


def _writing_into(pid: int, folder) -> bool:
    """The process has a file open in ``folder`` (named, or nameless and so shown as deleted)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(str(folder) + "/"):
                return True
        except OSError:
            continue
    return False


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    stat = fh.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")  # dead, awaiting its reaper
    except FileNotFoundError:
        return True


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@linux_only
def test_a_batch_killed_with_sigkill_leaves_no_temporary_file(tmp_path):
    proc, out = _start_batch(tmp_path)
    try:
        _wait_for(lambda: _writing_into(proc.pid, out), "the batch to open its output")
    finally:
        proc.kill()
        proc.wait(DEADLINE)
    assert os.listdir(out) == []


@linux_only
def test_parallel_workers_die_with_a_parent_killed_with_sigkill(tmp_path):
    proc, out = _start_batch(tmp_path, "--jobs", "2")
    try:
        _wait_for(lambda: len(_children(proc.pid)) >= 2, "the workers to start")
        _wait_for(lambda: _writing_into(proc.pid, out), "the batch to open its output")
        workers = _children(proc.pid)
    finally:
        proc.kill()
        proc.wait(DEADLINE)
    try:
        _wait_for(lambda: all(_gone(w) for w in workers), "the orphaned workers to end")
    finally:
        for worker in workers:  # never leave one running, whatever the outcome
            if not _gone(worker):
                os.kill(worker, signal.SIGKILL)
