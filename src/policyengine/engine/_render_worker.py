"""Render worker processes: where a document's template actually runs.

A template is code from whoever wrote the rulebook, and no sandbox that only
inspects operations can bound a C-level call: ``str()`` of a list that holds
itself ten thousand times over, or ``==`` between two of them, runs for minutes
and fills memory without passing through any hook. So templates run in a
separate process whose address space the kernel caps (``RLIMIT_AS``), and the
parent stops waiting at the deadline and kills it. Nothing here installs a
signal handler, so this works from any thread (the web app renders from its
worker threads).

Workers are started with ``subprocess`` (fork and exec at once, so forking the
multi-threaded web server runs no Python in the child before exec), kept for
reuse, and exit on their own when their parent's pipe closes. The parent sends
a pickled request (trusted: it made it) and reads back JSON (untrusted: a
template produced it), each as a length-prefixed frame.
"""
from __future__ import annotations

import atexit
import json
import os
import pickle
import selectors
import struct
import subprocess
import sys
import threading
import time

#: Renders that may run at once; the others wait for a free worker.
MAX_WORKERS = 4
#: Idle workers kept for the next render.
KEEP_IDLE = 2
#: How long a new worker may take to start (imports only; generous for a busy machine).
START_SECONDS = 60
#: Largest reply a worker may send (a 200,000-character document is at most 1.2 MB of JSON).
MAX_REPLY_BYTES = 8 * 1024 * 1024

_HEADER = struct.Struct(">Q")


class WorkerTimeout(Exception):
    """The worker did not answer before the deadline (it has been killed)."""


class WorkerDied(Exception):
    """The worker stopped without answering (out of memory, CPU limit, crash)."""


class WorkerUnavailable(Exception):
    """No worker could be started."""


class PoolClosed(WorkerUnavailable):
    """The process is shutting down: no render is started any more."""


class WorkerBusy(Exception):
    """Every worker stayed busy for as long as this render may take."""


class _Worker:
    def __init__(self, memory_bytes: int) -> None:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from policyengine.engine._render_worker import main; main()", str(memory_bytes)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                cwd=root, env=env, close_fds=True,
            )
        except OSError as exc:
            raise WorkerUnavailable(str(exc)) from None
        try:
            if json.loads(self._read(time.monotonic() + START_SECONDS)) != {"ready": True}:
                raise WorkerUnavailable("the worker did not start")
        except (WorkerTimeout, WorkerDied, ValueError):
            self.stop()
            raise WorkerUnavailable("the worker did not start") from None
        except BaseException:
            self.stop()
            raise

    def ask(self, request: dict, seconds: float) -> dict:
        data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.proc.stdin.write(_HEADER.pack(len(data)) + data)
            self.proc.stdin.flush()
        except OSError:
            raise WorkerDied("the worker stopped") from None
        try:
            reply = json.loads(self._read(time.monotonic() + seconds))
        except ValueError:
            raise WorkerDied("the worker sent a reply that is not JSON") from None
        if not isinstance(reply, dict):
            raise WorkerDied("the worker sent a reply that is not an object")
        return reply

    def _read(self, deadline: float) -> bytes:
        (size,) = _HEADER.unpack(self._read_exactly(_HEADER.size, deadline))
        if size > MAX_REPLY_BYTES:
            raise WorkerDied("the worker sent an oversized reply")
        return self._read_exactly(size, deadline)

    def _read_exactly(self, count: int, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()
        buf = bytearray()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while len(buf) < count:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise WorkerTimeout()
                chunk = os.read(fd, min(count - len(buf), 1 << 20))
                if not chunk:
                    raise WorkerDied("the worker stopped")
                buf += chunk
        return bytes(buf)

    def stop(self) -> None:
        """Kill the worker and reap it (it may be stuck in a template)."""
        if self.proc.poll() is None:
            self.proc.kill()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        self.proc.wait()


class Pool:
    """Workers shared by every thread of one process.

    A render waits for a free worker no longer than it may run (``seconds``), so
    slow documents make others fail fast with WorkerBusy rather than queue without
    end; and once the process is shutting down nothing new starts (PoolClosed)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._closed = False
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_WORKERS)

    def run(self, request: dict, seconds: float, memory_bytes: int) -> dict:
        """The worker's reply to ``request``; WorkerTimeout or WorkerDied if there is none."""
        if self._closed:
            raise PoolClosed()
        if not self._slots.acquire(timeout=max(seconds, 0)):
            raise WorkerBusy()
        try:
            return self._run(request, seconds, memory_bytes)
        finally:
            self._slots.release()

    def _run(self, request: dict, seconds: float, memory_bytes: int) -> dict:
        with self._lock:
            if self._closed:
                raise PoolClosed()
            worker = self._idle.pop() if self._idle else None
        if worker is None or worker.proc.poll() is not None:
            worker = _Worker(memory_bytes)
        with self._lock:
            self._busy.add(worker)
        try:
            reply = worker.ask(request, seconds)
        except BaseException:
            worker.stop()
            if self._closed:
                raise PoolClosed() from None
            raise
        finally:
            with self._lock:
                self._busy.discard(worker)
        with self._lock:
            if self._closed or reply.get("recycle") or len(self._idle) >= KEEP_IDLE:
                worker.stop()
            else:
                self._idle.append(worker)
        return reply

    def close(self) -> None:
        """Stop every worker, busy ones too, and start no more."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            busy = list(self._busy)
        for worker in busy:  # its own thread sees it stop, reaps it and gets PoolClosed
            if worker.proc.poll() is None:
                worker.proc.kill()
        for worker in idle:
            worker.stop()


_pool: Pool | None = None
_pool_lock = threading.Lock()


def pool() -> Pool:
    """This process's pool, made on first use (a forked child makes its own)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():
            if _pool is None:
                _at_shutdown(_close)
            _pool = Pool()
        return _pool


def _at_shutdown(hook) -> None:
    """Run ``hook`` as the interpreter starts to exit: before it waits for the
    threads still running (a web server's request threads, which would otherwise
    go on starting workers after SIGTERM), or at least at exit."""
    try:
        threading._register_atexit(hook)  # what concurrent.futures uses for the same reason
    except (AttributeError, RuntimeError):
        atexit.register(hook)


def _close() -> None:
    if _pool is not None and _pool.pid == os.getpid():
        _pool.close()


# --- the worker process ---------------------------------------------------

def main() -> None:
    """Serve render requests on stdin/stdout until the parent goes away."""
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # a stray print must not corrupt the replies
    from .render import render_request

    _limit(int(sys.argv[1]))
    _send(out, {"ready": True})
    while True:
        header = inp.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return  # the parent has gone
        (size,) = _HEADER.unpack(header)
        request = pickle.loads(inp.read(size))
        _limit_cpu(request.get("seconds", 5))
        try:
            reply = render_request(request)
            _send(out, reply)
        except MemoryError:
            reply = {"memory": True, "recycle": True}
            _send(out, reply)
        if reply.get("recycle"):
            return


def _send(out, reply: dict) -> None:
    data = json.dumps(reply).encode("utf-8")
    out.write(_HEADER.pack(len(data)) + data)
    out.flush()


def _limit(memory_bytes: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform: the deadline still holds
        return
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _limit_cpu(seconds: float) -> None:
    """A CPU-time backstop, should the parent die while a template spins."""
    try:
        import resource
    except ImportError:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime + 2 * seconds + 5)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
