import gzip
import hashlib
import io
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import data as data_module
from engine.config import DataConfig
from engine.data import IDX_FILES, POLY_TRUE_WEIGHTS, is_cached, load_dataset
from engine.errors import DataError
from tests.idx_files import LABEL_MAGIC, idx_bytes, write_idx_set


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("layout", ["flat", "torchvision"])
@pytest.mark.parametrize("name,folder", [("fashion-mnist", "FashionMNIST"), ("mnist", "MNIST")])
def test_idx_sets_load_from_data_dir(tmp_path, gz, layout, name, folder):
    where = tmp_path if layout == "flat" else tmp_path / folder / "raw"
    written = write_idx_set(where, gz=gz)
    ds = load_dataset(DataConfig(name=name, data_dir=str(tmp_path)))
    assert ds.x_train.shape == (120, 784) and ds.x_test.shape == (40, 784)
    assert ds.image_shape == (28, 28) and ds.n_outputs == 10
    # Pixels are the written bytes scaled to [0, 1], in the same order.
    np.testing.assert_allclose(ds.x_train.numpy(), written["x_train"].reshape(120, -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.y_test.numpy(), written["y_test"])
    assert ds.y_train.dtype == torch.int64
    assert is_cached(name, str(tmp_path))


def test_the_raw_folders_are_torchvisions_and_finding_them_needs_no_torchvision(tmp_path):
    """The window checks the cache before it opens: without importing torchvision (seconds)."""
    from torchvision.datasets import MNIST, FashionMNIST

    assert data_module.RAW_FOLDERS == {"fashion-mnist": FashionMNIST.__name__, "mnist": MNIST.__name__}
    write_idx_set(tmp_path / "MNIST" / "raw")
    check = f"import sys; from engine.data import is_cached; print(is_cached('mnist', {str(tmp_path)!r}), 'torchvision' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2])
    assert out.stdout.split() == ["True", "False"]


def test_fashion_class_names(tmp_path):
    write_idx_set(tmp_path)
    ds = load_dataset(DataConfig(name="fashion-mnist", data_dir=str(tmp_path)))
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"


def test_missing_files_name_the_folder_and_files(tmp_path):
    with pytest.raises(DataError) as err:
        load_dataset(DataConfig(name="fashion-mnist", data_dir=str(tmp_path)))
    message = str(err.value)
    assert str(tmp_path) in message
    for f in IDX_FILES:
        assert f in message


def test_wrong_magic_number_is_refused(tmp_path):
    write_idx_set(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    raw = bytearray(path.read_bytes())
    raw[0:4] = b"\x00\x00\x77\x77"
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="train-images-idx3-ubyte is not a valid IDX file"):
        load_dataset(DataConfig(name="fashion-mnist", data_dir=str(tmp_path)))


def test_truncated_idx_file_is_refused(tmp_path):
    write_idx_set(tmp_path, gz=False)
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(DataError, match="not a valid IDX file"):
        load_dataset(DataConfig(name="fashion-mnist", data_dir=str(tmp_path)))


def test_images_and_labels_must_match(tmp_path):
    write_idx_set(tmp_path)
    other = tmp_path / "other"
    write_idx_set(other, n_train=50)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes((other / "train-labels-idx1-ubyte.gz").read_bytes())
    with pytest.raises(DataError, match="do not match"):
        load_dataset(DataConfig(name="fashion-mnist", data_dir=str(tmp_path)))


def test_labels_past_the_last_class_are_refused_before_training(tmp_path):
    """Label 200 of ten classes passed the loader and ended the first step with an IndexError."""
    write_idx_set(tmp_path, gz=False)
    labels = np.zeros(40, dtype=np.uint8)
    labels[7] = 10
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(labels, LABEL_MAGIC))
    with pytest.raises(DataError, match="mnist test labels run up to 10, but it has 10 classes, 0 to 9"):
        load_dataset(DataConfig(name="mnist", data_dir=str(tmp_path)))


class _FakeResponse(io.BytesIO):
    def __init__(self, payload: bytes) -> None:
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_goes_to_the_cache_with_progress(tmp_path, private_cache, monkeypatch):
    """No network here: serve the files from memory through urlopen and check the whole path
    (mirror URLs, progress callback, MD5 check, torchvision layout in the cache)."""
    from torchvision.datasets import FashionMNIST

    source = tmp_path / "source"
    write_idx_set(source)
    payloads = {f"{f}.gz": (source / f"{f}.gz").read_bytes() for f in IDX_FILES}
    monkeypatch.setattr(FashionMNIST, "resources", [(n, hashlib.md5(b).hexdigest()) for n, b in payloads.items()])
    requested = []

    def fake_urlopen(url, timeout):
        requested.append(url)
        return _FakeResponse(payloads[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(data_module.urllib.request, "urlopen", fake_urlopen)
    progress = []
    ds = load_dataset(DataConfig(name="fashion-mnist"), progress=lambda name, done, total: progress.append((name, done, total)))
    assert len(ds.x_train) == 120
    assert all(url.startswith(FashionMNIST.mirrors[0]) for url in requested) and len(requested) == 4
    assert {p[0] for p in progress} == set(payloads) and all(done <= total for _, done, total in progress)
    assert (private_cache / "FashionMNIST" / "raw" / "train-images-idx3-ubyte.gz").is_file()
    assert is_cached("fashion-mnist")
    # A second load uses the cache and asks the network for nothing.
    requested.clear()
    load_dataset(DataConfig(name="fashion-mnist"))
    assert requested == []


def test_corrupt_download_is_refused(tmp_path, monkeypatch):
    from torchvision.datasets import FashionMNIST

    monkeypatch.setattr(FashionMNIST, "resources", [(f"{f}.gz", "0" * 32) for f in IDX_FILES])
    monkeypatch.setattr(data_module.urllib.request, "urlopen", lambda url, timeout: _FakeResponse(gzip.compress(b"junk")))
    with pytest.raises(DataError, match="checksum mismatch"):
        load_dataset(DataConfig(name="fashion-mnist"))


def test_no_network_gives_a_clear_message(private_cache, monkeypatch):
    def refuse(url, timeout):
        raise data_module.urllib.error.URLError("no network")

    monkeypatch.setattr(data_module.urllib.request, "urlopen", refuse)
    with pytest.raises(DataError) as err:
        load_dataset(DataConfig(name="fashion-mnist"))
    assert str(private_cache) in str(err.value) and "no network" in str(err.value)


def test_digits_split_is_fixed_and_stratified():
    a = load_dataset(DataConfig(name="digits"), seed=0)
    b = load_dataset(DataConfig(name="digits"), seed=5)
    assert a.x_train.shape == (1347, 64) and a.x_test.shape == (450, 64)
    assert torch.equal(a.x_test, b.x_test)
    assert 0.0 <= a.x_train.min() and a.x_train.max() <= 1.0
    train_share = np.bincount(a.y_train.numpy()) / len(a.y_train)
    test_share = np.bincount(a.y_test.numpy()) / len(a.y_test)
    np.testing.assert_allclose(train_share, test_share, atol=0.01)


@pytest.mark.parametrize("name", ["circle", "xor", "gauss", "spiral"])
def test_toy_sets(name):
    ds = load_dataset(DataConfig(name=name, samples=400, train_ratio=0.7, noise=0.0), seed=3)
    assert ds.x_train.shape == (280, 2) and ds.x_test.shape == (120, 2)
    labels = torch.cat([ds.y_train, ds.y_test])
    assert set(labels.tolist()) == {0, 1} and abs(labels.float().mean().item() - 0.5) < 0.1
    again = load_dataset(DataConfig(name=name, samples=400, train_ratio=0.7, noise=0.0), seed=3)
    assert torch.equal(ds.x_train, again.x_train)


def test_noise_free_toy_labels_follow_their_rule():
    ds = load_dataset(DataConfig(name="xor", noise=0.0), seed=0)
    x, y = ds.x_train, ds.y_train
    assert torch.equal(y, (x[:, 0] * x[:, 1] >= 0).long())
    circle = load_dataset(DataConfig(name="circle", noise=0.0), seed=0)
    radius = circle.x_train.norm(dim=1) * 6
    assert (radius[circle.y_train == 1] <= 2.5 + 1e-5).all() and (radius[circle.y_train == 0] >= 3.5 - 1e-5).all()


def test_a_plane_sets_model_sees_the_features_chosen_of_its_points():
    """TensorFlow Playground's features: by default the points themselves."""
    plain = load_dataset(DataConfig(name="circle"), seed=1)
    assert torch.equal(plain.x_train, plain.plane[0]) and torch.equal(plain.x_test, plain.plane[1])
    chosen = load_dataset(DataConfig(name="circle", features=("x1*x2", "x2^2", "x1")), seed=1)
    p = chosen.plane[0]
    assert torch.equal(p, plain.plane[0]) and torch.equal(chosen.y_train, plain.y_train), "the same points"
    assert torch.equal(chosen.x_train, torch.stack([p[:, 0] * p[:, 1], p[:, 1] ** 2, p[:, 0]], 1))
    assert chosen.n_features == 3 and load_dataset(DataConfig(name="digits")).plane is None


def test_noise_moves_points():
    clean = load_dataset(DataConfig(name="xor", noise=0.0), seed=0)
    noisy = load_dataset(DataConfig(name="xor", noise=0.5), seed=0)
    assert not torch.allclose(clean.x_train, noisy.x_train)


@pytest.mark.parametrize("degree", [2, 4, 20])
def test_polynomial_features(degree):
    ds = load_dataset(DataConfig(name="polynomial", poly_degree=degree))
    assert ds.task == "regression" and ds.n_outputs == 1
    assert ds.x_train.shape == (100, degree) and ds.x_test.shape == (100, degree)
    assert torch.all(ds.x_train[:, 0] == 1.0)  # x^0 / 0!
    if degree >= 4:
        x = ds.x_train[:, 1].double()
        truth = sum(w * x**i / math.factorial(i) for i, w in enumerate(POLY_TRUE_WEIGHTS))
        assert torch.allclose(ds.y_train[:, 0].double(), truth, atol=0.5)  # noise is N(0, 0.1^2)


def test_line_and_highdim_shapes():
    line = load_dataset(DataConfig(name="line"))
    assert line.x_train.shape == (20, 1) and line.x_test.shape == (100, 1)
    assert (line.x_train.abs() <= 1).all()
    hd = load_dataset(DataConfig(name="highdim"))
    assert hd.x_train.shape == (20, 200) and hd.x_test.shape == (100, 200)
