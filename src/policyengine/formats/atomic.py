"""The atomic file writer: an output file appears whole or not at all."""
from __future__ import annotations

import errno
import os
import sys
from typing import TextIO

from ..errors import CaseError, Location


class OutputError(CaseError):
    """An output file that cannot be written (a full disk, a missing folder)."""


class AtomicOutput:
    """A stream (standard output by default), or a file that appears whole or not at all.

    The file is written nameless where Linux allows it (``O_TMPFILE``: it
    vanishes with the process, even one killed with SIGKILL) and given its name
    only when every record has been written; elsewhere it is written under a
    hidden temporary name and renamed into place. Any failure to write (a full
    disk, a missing folder) is a clean ``OutputError`` and leaves nothing behind.
    With ``exclusive`` an existing file is never replaced.
    """

    def __init__(self, path: str | None, *, exclusive: bool = False, stream: TextIO | None = None,
                 binary: bool = False) -> None:
        self.path, self.exclusive = path, exclusive
        self.tmp: str | None = None   # the temporary name, when the file has one
        self.fd: int | None = None    # the nameless file, until it is linked
        if not path:
            self.fh = stream if stream is not None else sys.stdout.buffer if binary else sys.stdout
            return
        mode = {"mode": "wb"} if binary else {"mode": "w", "encoding": "utf-8", "newline": ""}
        folder = os.path.dirname(os.path.abspath(path))
        try:
            self.fd = _nameless(folder)
            if self.fd is None:
                self.tmp = _temporary_name(path)
                self.fh = open(self.tmp, **mode)
            else:
                self.fh = open(self.fd, **mode, closefd=False)
        except OSError as exc:
            self._discard()
            raise self._cannot(exc) from None

    @classmethod
    def write_all(cls, path: str | None, text: str | bytes, *, exclusive: bool = False) -> None:
        """Write ``text`` (or bytes) to ``path`` atomically (or to stdout when there is none)."""
        out = cls(path, exclusive=exclusive, binary=isinstance(text, bytes))
        try:
            out.write(text)
            out.commit()
        except BaseException:
            out.abort()
            raise

    def write(self, text: str | bytes) -> None:
        try:
            self.fh.write(text)
        except OSError as exc:
            self.abort()
            if not self.path:
                raise  # a stream: the caller reports it (and stops Python retrying at exit)
            raise self._cannot(exc) from None

    def commit(self) -> None:
        try:
            self.fh.flush()
            if self.path:
                os.fsync(self.fh.fileno())
                self.fh.close()
                self._name()
        except OSError as exc:
            self.abort()
            if not self.path:
                raise
            raise self._cannot(exc) from None
        self._discard()

    def abort(self) -> None:
        if self.path:
            try:
                self.fh.close()
            except (OSError, AttributeError):
                pass  # a full disk fails the close too; the file is discarded anyway
        self._discard()

    def _name(self) -> None:
        """Give the finished file its name: replace the old one, or refuse to."""
        if self.fd is not None:  # link the nameless file under a temporary name first
            self.tmp = _temporary_name(self.path)
            if self.exclusive:
                _link_nameless(self.fd, self.path)
                self.tmp = None
                return
            _link_nameless(self.fd, self.tmp)
        if self.exclusive:
            os.link(self.tmp, self.path)
        else:
            os.replace(self.tmp, self.path)
            self.tmp = None

    def _discard(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.tmp:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass
            self.tmp = None

    def _cannot(self, exc: OSError) -> OutputError:
        if isinstance(exc, FileExistsError) and self.exclusive:
            return OutputError("the file already exists; it will not be overwritten", Location(self.path))
        return OutputError(f"cannot write the file: {exc.strerror or type(exc).__name__}", Location(self.path))


def _temporary_name(path: str) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.{os.getpid()}.tmp")


def _link_nameless(fd: int, path: str) -> None:
    """Name a nameless file: linkat through /proc following the link, which,
    unlike AT_EMPTY_PATH, needs no privilege. (A dir_fd makes Python use linkat.)"""
    procfd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(str(fd), os.path.abspath(path), src_dir_fd=procfd, follow_symlinks=True)
    finally:
        os.close(procfd)


def _nameless(folder: str) -> int | None:
    """A nameless file in ``folder`` that can later be linked by name; None where
    the system or file system cannot make one (then a temporary name is used)."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(folder, flag | os.O_WRONLY, 0o666)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise
