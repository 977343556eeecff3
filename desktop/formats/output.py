"""Putting an export in place safely: temporaries that name the process writing them,
renames made durable, and what an export killed half-way left behind cleaned up.

An export writes ``.{name}.dossier-{machine}-{pid}-XXXXXXXX`` beside its target and renames
it into place when complete. ``machine`` tells this computer (and its process namespace)
from another one that shares the folder, ``pid`` is the writing process. A temporary whose
process is gone is garbage: the next export to that folder removes it (:func:`sweep`), and
a process removes its own that are still there when it exits. A temporary of a process
that still runs is never touched. Where a folder replaces an earlier export and the system
cannot exchange the two in one step, the earlier one is first set aside in
``.{name}.dossier-old-{machine}-{pid}-XXXXXXXX/{name}``; if the process dies before the new
one takes its place, the next export or import puts it back (:func:`recover`).
"""

from __future__ import annotations

import atexit
import ctypes
import errno
import hashlib
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import IO

NAME_BYTES = 255  # the longest file name most file systems take, in bytes of UTF-8
_RANDOM = 8  # the characters mkstemp and mkdtemp add
_LEFTOVER = re.compile(
    r"\.dossier-(?P<old>old-)?(?P<machine>[0-9a-f]{8})-(?P<pid>\d+)-[a-z0-9_]+\Z"
)
# What would be left dangling if a name were cut just before it.
_JOINERS = {"\u200c", "\u200d"}
_PENDING: dict[str, tuple[int, bool]] = {}  # path -> (pid, is an earlier export set aside)
_FOLDERS: set[str] = set()  # folders this process exported to, swept again at exit
_LOCK = threading.Lock()


def fit_name(name: str, limit: int = NAME_BYTES) -> str:
    """``name`` shortened to at most ``limit`` bytes of UTF-8, never cutting a character
    (nor leaving a letter without the accents and joiners that follow it)."""
    data = name.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return name
    cut = data[:limit].decode("utf-8", "ignore")
    while cut and (
        unicodedata.category(name[len(cut)])[0] == "M"
        or name[len(cut)] in _JOINERS
        or cut[-1] in _JOINERS
    ):
        cut = cut[:-1]
    return cut


@cache
def _machine() -> str:
    """Eight hex digits for this computer and process namespace: a pid means nothing on
    another computer that writes to the same shared folder, or in another container."""
    namespace = ""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        pass
    return hashlib.sha256(f"{socket.gethostname()}\0{namespace}".encode()).hexdigest()[:8]


def temporary_prefix(name: str, old: bool = False) -> str:
    """The start of the name of a temporary beside ``name`` (mkstemp adds 8 characters),
    within :data:`NAME_BYTES` however long ``name`` is."""
    tail = f".dossier-{'old-' if old else ''}{_machine()}-{os.getpid()}-"
    room = NAME_BYTES - _RANDOM - len(tail) - 1
    return f".{fit_name(name, room)}{tail}"


def track(path: str | Path, old: bool = False) -> None:
    """Remember a temporary (or an earlier export set aside) until :func:`release`, so
    that it is cleaned up if the process exits first."""
    with _LOCK:
        _PENDING[str(path)] = (os.getpid(), old)
        _FOLDERS.add(str(Path(path).parent))


def release(path: str | Path) -> None:
    with _LOCK:
        _PENDING.pop(str(path), None)


def remove(path: str | Path) -> None:
    """Delete a temporary file or folder as far as possible (it may be gone already, or
    not be ours to delete); never raises, as it runs while an error is on its way up."""
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass
    release(path)


def _process_gone(pid: int) -> bool:
    """Whether no process ``pid`` runs here. Unknown counts as running: a temporary is
    only ever deleted when its writer is certainly gone."""
    if pid == os.getpid():
        return False
    if os.name != "posix":
        return False  # os.kill(pid, 0) would end the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # EPERM: it runs, as another user
    return False


def _put_back(old: Path) -> None:
    """Return an earlier export set aside in ``old`` to its place unless something took
    that place meanwhile; then drop ``old``. Nothing is deleted if the move fails."""
    try:
        for child in list(old.iterdir()):
            target = old.parent / child.name
            if not os.path.lexists(target):
                os.replace(child, target)
                fsync_folder(old.parent)
        shutil.rmtree(old)
    except OSError:
        return
    release(old)


def sweep(folder: Path) -> None:
    """Clean up what exports killed before they finished left in ``folder``: temporaries
    whose process is gone are deleted, earlier exports they had set aside are put back
    where nothing has taken their place. Never raises: an export goes ahead regardless."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        found = _LEFTOVER.search(entry.name)
        if not entry.name.startswith(".") or found is None or entry.is_symlink():
            continue  # an export never makes a link: whoever did, it is not Dossier's
        if found["machine"] != _machine() or not _process_gone(int(found["pid"])):
            continue
        if found["old"]:
            _put_back(Path(entry.path))
        else:
            remove(entry.path)


def recover(path: Path) -> bool:
    """Put back the earlier export that belongs at ``path`` if an export was killed while
    swapping folders (see :func:`sweep`); whether ``path`` exists afterwards."""
    sweep(path.parent)
    return os.path.lexists(path)


@atexit.register
def _at_exit() -> None:
    """Remove this process's temporaries (an export cut short by the exit, in a thread
    that never finished), then sweep the folders it exported to."""
    with _LOCK:
        pending = [(path, old) for path, (pid, old) in _PENDING.items() if pid == os.getpid()]
        folders = list(_FOLDERS)
    for path, old in pending:
        if old:
            _put_back(Path(path))
        else:
            remove(path)
    for folder in folders:
        sweep(Path(folder))


# --- durable writes ------------------------------------------------------------------------


def _sync(descriptor: int, folder: bool) -> None:
    try:
        os.fsync(descriptor)
    except OSError as exc:
        # Some file systems cannot sync a folder, or anything: nothing more can be done.
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF) and not folder:
            raise


def fsync_stream(stream: IO) -> None:
    """Flush a file being written and have the system put it on disk."""
    stream.flush()
    _sync(stream.fileno(), folder=False)


def fsync_folder(folder: str | Path) -> None:
    """Have the system put a folder's entries (files renamed into it) on disk."""
    if os.name != "posix":
        return  # Windows cannot open a folder to sync it; its renames are journalled
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        _sync(descriptor, folder=True)
    finally:
        os.close(descriptor)


def _fsync_file(path: str) -> None:
    descriptor = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
    try:
        _sync(descriptor, folder=False)
    finally:
        os.close(descriptor)


@cache
def _syncfs():
    """Linux's syncfs from the C library, or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return function


def fsync_tree(folder: Path) -> None:
    """Put every file under ``folder`` on disk, and every folder's entries: what a rename
    makes visible must be there after a power cut.

    On Linux one ``syncfs`` does it for the whole file system, in one journal commit; a
    folder export of thousands of files would otherwise wait for thousands of ``fsync``
    calls. Elsewhere, or if that fails, each file is synced (a few at a time, so that
    the file system can commit them together), then each folder, deepest first.
    """
    function = _syncfs()
    if function is not None:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            if function(descriptor) == 0:
                return
        finally:
            os.close(descriptor)
    walked = list(os.walk(folder, topdown=False))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(_fsync_file, [os.path.join(p, n) for p, _, files in walked for n in files]))
    for parent, _folders, _files in walked:
        fsync_folder(parent)


# --- swapping folders ------------------------------------------------------------------------


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@cache
def _renameat2():
    """Linux's renameat2 from the C library, or None (another system, an old C library)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


def exchange(first: Path, second: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux ``RENAME_EXCHANGE``); False where
    the system or the file system cannot, and nothing has moved then."""
    function = _renameat2()
    if function is None:
        return False
    if (
        function(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
        == 0
    ):
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def replace_folder(temporary: Path, path: Path) -> None:
    """Put the complete folder ``temporary`` at ``path``, where an earlier export is, so
    that a crash at any moment leaves one of the two at ``path`` (or recoverably aside)."""
    if exchange(temporary, path):
        fsync_folder(path.parent)
        remove(temporary)  # now the earlier export
        return
    previous = Path(tempfile.mkdtemp(prefix=temporary_prefix(path.name, old=True), dir=path.parent))
    track(previous, old=True)
    os.replace(path, previous / path.name)
    try:
        os.replace(temporary, path)
    except BaseException:
        _put_back(previous)
        raise
    fsync_folder(path.parent)
    remove(previous)
