"""Files written whole or not at all (engine.files): what a full disk or a missing folder leaves."""

import errno

import pytest

from engine.errors import SaveError
from engine.files import save_bytes, write_atomically


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


def test_a_missing_folder_is_refused_unless_asked_to_make_it(tmp_path):
    gone = tmp_path / "unplugged" / "curves.png"
    with pytest.raises(SaveError, match="No such file or directory"):
        save_bytes(gone, b"png")
    assert not gone.parent.exists()  # not made again where the user chose a folder that has gone
    write_atomically(gone, lambda f: f.write(b"png"), make_folder=True)
    assert gone.read_bytes() == b"png"
