"""Files written whole or not at all (engine.files): what a full disk or a missing folder leaves."""

import errno
import os

import pytest

from engine.errors import SaveError
from engine.files import check_can_write, save_bytes, write_atomically


def test_a_disk_full_mid_write_leaves_the_old_file_and_says_why(tmp_path):
    path = tmp_path / "curves.csv"
    path.write_bytes(b"epoch,step\n1,10\n")

    def fill_the_disk(f):
        f.write(b"epoch,st")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(SaveError, match=r"cannot save to .*curves\.csv: No space left on device"):
        write_atomically(path, fill_the_disk)
    assert path.read_bytes() == b"epoch,step\n1,10\n"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.csv"]  # no temporary file left behind


def test_a_save_replaces_the_file_whole_keeping_its_permissions(tmp_path):
    path = tmp_path / "model.py"
    path.write_bytes(b"old and longer than the new one")
    path.chmod(0o640)
    save_bytes(path, b"new")
    assert path.read_bytes() == b"new" and path.stat().st_mode & 0o777 == 0o640


def test_a_missing_folder_is_refused_not_made(tmp_path):
    """A folder chosen in a dialog that has gone since (a drive pulled out): made again, it
    would take the save to the disk under the drive's mount point."""
    gone = tmp_path / "unplugged" / "curves.png"
    with pytest.raises(SaveError, match="No such file or directory"):
        save_bytes(gone, b"png")
    assert not gone.parent.exists()


def test_a_command_lines_new_folder_is_made_by_the_check_before_training(tmp_path):
    new = tmp_path / "runs" / "today" / "run.pt"
    check_can_write(new, make_folder=True)
    assert new.parent.is_dir() and list(new.parent.iterdir()) == []  # the check leaves no file behind
    save_bytes(new, b"checkpoint")
    assert new.read_bytes() == b"checkpoint"


def test_the_rename_is_flushed_to_the_disk_after_the_file(tmp_path, monkeypatch):
    """A power cut right after a save must not bring back the old file: the file's data, then
    its folder's entry (where the rename lives), are flushed, in that order."""
    flushed = []
    real_fsync = os.fsync
    monkeypatch.setattr("engine.files.os.fsync", lambda fd: flushed.append(os.readlink(f"/proc/self/fd/{fd}")) or real_fsync(fd))
    save_bytes(tmp_path / "run.csv", b"epoch\n")
    assert len(flushed) == 2 and flushed[0].startswith(str(tmp_path / ".run.csv.")) and flushed[1] == str(tmp_path)


def test_a_folder_that_cannot_be_flushed_still_saves(tmp_path, monkeypatch):
    """Some network file systems refuse a folder's fsync (EINVAL): the file is in place by then,
    so the save is not reported as failed."""
    real_fsync = os.fsync

    def refuse_folders(fd):
        if os.path.isdir(os.readlink(f"/proc/self/fd/{fd}")):
            raise OSError(errno.EINVAL, "Invalid argument")
        real_fsync(fd)

    monkeypatch.setattr("engine.files.os.fsync", refuse_folders)
    save_bytes(tmp_path / "run.csv", b"epoch\n")
    assert (tmp_path / "run.csv").read_bytes() == b"epoch\n"


def test_a_device_a_pipe_or_a_folder_is_refused_not_replaced_by_a_file(tmp_path):
    """The rename put a file in a pipe's place, and would have in /dev/null's, as root."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for target, what in ((pipe, "a device or a pipe"), (tmp_path, "a folder")):
        with pytest.raises(SaveError, match=f"cannot save to {target}: it is {what}, not a file"):
            save_bytes(target, b"data")
        with pytest.raises(SaveError, match=f"it is {what}"):
            check_can_write(target)
    assert pipe.is_fifo() and os.listdir(tmp_path) == ["pipe"], "no file left beside it"
