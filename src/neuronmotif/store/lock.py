"""One writer per run directory: a kernel lock (``flock``) on ``OUT/.neuronmotif.lock``.

A second process is refused with a message naming the holder (pid, host, start time, command line, which
the lock file records). A run that was killed leaves no stale lock: its file may remain, but the kernel
released the lock, so the next run takes it over. Nested locks in one process (``run`` then
``annotate``) share the lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import RunDirectoryError
from .formats import file_mode

#: held while a process writes to a run directory; says who holds it
LOCK_NAME = ".neuronmotif.lock"
#: run directories this process has locked, with the lock file's descriptor and a nesting count
_HELD: dict[Path, list[int]] = {}


@contextlib.contextmanager
def directory_lock(path: Path) -> Iterator[None]:
    """Hold the directory's write lock: a second process is refused, naming the first.

    The lock is a kernel lock (``flock``) on ``OUT/.neuronmotif.lock``, so a run that was killed
    leaves no stale lock: its file may remain, but the next run takes it over. The file records
    the holder's pid, host, start time and command line for the message. Nested calls in one
    process (``run`` then ``annotate``) share the lock.
    """
    directory = Path(path)
    key = directory.resolve()
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield
        finally:
            _HELD[key][1] -= 1
        return
    fd = _acquire(directory)
    _HELD[key] = [fd, 1]
    try:
        yield
    finally:
        del _HELD[key]
        with contextlib.suppress(OSError):
            (directory / LOCK_NAME).unlink()
        os.close(fd)


def _acquire(directory: Path) -> int:
    """Open, lock and stamp the lock file of ``directory``; its descriptor (refused: RunDirectoryError)."""
    path = directory / LOCK_NAME
    while True:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, file_mode())
        except OSError as exc:
            raise RunDirectoryError(
                f"cannot write to output directory '{directory}' ({exc.strerror or exc}); choose a writable "
                "directory (-o), or copy a finished run somewhere writable to re-annotate it.") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise RunDirectoryError(f"cannot lock run directory '{directory}' ({exc.strerror}).") from exc
            raise RunDirectoryError(
                f"'{directory}' is in use by another neuronmotif process ({_holder(path)}); wait for it to "
                "finish, or write to another directory with -o.") from None
        # the holder before us may have removed the file between our open and our lock: lock the new one
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime(
        "%Y-%m-%d %H:%M:%S"), "command": " ".join(sys.argv)[:300]})
    os.ftruncate(fd, 0)
    os.pwrite(fd, record.encode(), 0)
    return fd


def _holder(lock_path: Path) -> str:
    """'pid 123 on host h since 2026-12-01 10:00:00, running neuronmotif run ...' from a lock file."""
    try:
        info = json.loads(lock_path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "unknown process"
    return (f"pid {info.get('pid')} on host {info.get('host')} since {info.get('since')}, running "
            f"'{info.get('command', '?')}'")
