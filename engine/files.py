"""Files written whole or not at all. A save goes to a temporary file beside its target, is
flushed to the disk, then renamed over the target, and the rename flushed too: a full disk, a
pulled drive, a crash or a power cut mid-write leaves the file that was there as it was
(checkpoints, and the exported curves and code alike)."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from engine.errors import SaveError


def write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Have `write` fill a temporary file beside `path`, then put it in `path`'s place; raises
    SaveError, with the system's reason, if any of it fails. A missing folder is refused, not
    made: one chosen in a dialog may have gone since (a drive pulled out), and making it again
    would write to the disk under the drive's mount point, not where the user chose."""
    path = Path(path)
    _refuse_what_is_not_a_file(path)
    fd, tmp = _temporary_file_beside(path, make_folder=False)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _flush_folder(path.parent)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise SaveError(f"cannot save to {path}: {exc.strerror or exc}") from None
        raise


def _flush_folder(folder: Path) -> None:
    """Make a rename in `folder` last through a power cut: the new name is in the folder's
    own data, which the file's fsync does not write (POSIX; SQLite and git do the same). Where
    the system cannot (some network file systems refuse a folder's fsync), the file is saved
    all the same: the save is not reported as failed."""
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def save_bytes(path: str | os.PathLike, data: bytes) -> None:
    """`data` as the whole of the file at `path` (an export), written atomically."""
    write_atomically(path, lambda f: f.write(data))


def check_can_write(path: str | os.PathLike, make_folder: bool = False) -> None:
    """Raise SaveError now if a save to `path` would fail (no such folder can be made, no right
    to write there): a long headless run learns it before training, not after. `make_folder`:
    make a missing folder (a command line's new run folder) for the save to come."""
    _refuse_what_is_not_a_file(Path(path))
    fd, tmp = _temporary_file_beside(Path(path), make_folder)
    os.close(fd)
    os.unlink(tmp)


def _refuse_what_is_not_a_file(path: Path) -> None:
    """A save renames its file over the target: over /dev/null, as root, it would have put a
    file in the device's place."""
    if path.exists() and not path.is_file():
        what = "a folder" if path.is_dir() else "a device or a pipe"
        raise SaveError(f"cannot save to {path}: it is {what}, not a file")


def _temporary_file_beside(path: Path, make_folder: bool) -> tuple[int, str]:
    """An open temporary file in `path`'s folder: a save writes there first. It gets the
    permissions a plain open would give `path`, the umask's, or the replaced file's own
    (tempfile.mkstemp's 0600 made every checkpoint unreadable to anyone but its owner)."""
    try:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            if path.is_file():
                os.fchmod(fd, stat.S_IMODE(path.stat().st_mode))
        except OSError:
            os.close(fd)
            tmp.unlink()
            raise
        return fd, str(tmp)
    except OSError as exc:
        nearest = next((folder for folder in path.parents if folder.exists()), None)
        in_the_way = nearest is not None and not nearest.is_dir()  # mkdir's own words: "File exists"
        reason = f"{nearest} is a file, not a folder" if in_the_way else exc.strerror or exc
        raise SaveError(f"cannot save to {path}: {reason}") from None
