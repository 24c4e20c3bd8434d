"""Atomic writes: a file or a directory appears complete or not at all, and nothing saved is lost."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_directory(target: str | Path) -> Iterator[Path]:
    """Yield a fresh sibling directory; on success it takes the place of ``target``.

    On Linux the swap is one ``renameat2(RENAME_EXCHANGE)``: ``target`` holds the old or the new
    directory at every instant. Elsewhere it is two renames (``target`` to a ``.old`` sibling, the new
    directory to ``target``); a kill between them is repaired by :func:`recover_directory`, which the
    next save or load runs. On failure the partial directory is removed and ``target`` is left as it was.
    """
    target = Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_directory(target)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".partial"))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if target.exists() and _exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # it now holds the old content
        return
    backup = None
    if target.exists():
        backup = target.with_name(f".{target.name}.{os.getpid()}.old")
        os.replace(target, backup)
    os.replace(staging, target)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def leftovers(target: str | Path) -> list[Path]:
    """Staging (``.partial``) and backup (``.old``) siblings of ``target`` left by saves that were killed.

    Those of a process still running (a save in progress) are not included."""
    target = Path(target).absolute()
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(\d+)\.(?:.*\.partial|old)$")
    found = []
    if not target.parent.is_dir():
        return found
    for sibling in target.parent.iterdir():
        match = pattern.match(sibling.name)
        if match and not _running(int(match.group(1))):
            found.append(sibling)
    return sorted(found)


def recover_directory(target: str | Path) -> None:
    """Undo what a killed :func:`atomic_directory` left: put a ``.old`` back when ``target`` is missing,
    then delete every leftover copy."""
    target = Path(target).absolute()
    stale = leftovers(target)
    backups = [p for p in stale if p.name.endswith(".old")]
    if not target.exists() and backups:
        with contextlib.suppress(OSError):
            os.replace(backups[0], target)
    for path in stale:
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)


def _running(pid: int) -> bool:
    """Whether another live process has this id (our own id counts as not running: a leftover of ours is stale)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one system call (Linux ``renameat2``); ``False`` where that is unavailable."""
    if sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False  # the file system cannot exchange: fall back to two renames
    raise OSError(error, os.strerror(error), str(second))
