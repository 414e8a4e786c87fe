"""Datasets as in-memory tensors.

Every dataset is loaded once into float tensors; training takes batches by
index. There are no per-sample Python transforms: d2l's DataLoader + ToTensor
pipeline is the slow baseline this design beats.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import math
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.config import DataConfig
from engine.errors import DataError

ProgressCallback = Callable[[str, int, int], None]  # (file name, bytes done, bytes total or 0)


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: torch.Tensor  # (n, features) float32
    y_train: torch.Tensor  # (n,) int64 class labels, or (n, 1) float32 targets
    x_test: torch.Tensor
    y_test: torch.Tensor
    task: str  # "classification" or "regression"
    class_names: tuple[str, ...] = ()
    image_shape: tuple[int, int] | None = None  # for drawing first-layer weights as images
    # Plane sets: the (n, 2) points of each split (on the CPU), which x_train and x_test hold as
    # the features the model sees; the plane's views draw the points themselves.
    plane: tuple[torch.Tensor, torch.Tensor] | None = None
    # One-input sets (the line, the polynomial): the (n, 1) inputs x of each split, which
    # x_train and x_test hold as the features the model sees (see one_input_features).
    one_input: tuple[torch.Tensor, torch.Tensor] | None = None
    origin: tuple = ()  # what it was loaded from (see data_origin): a session reuses it only for the same

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_outputs(self) -> int:
        return len(self.class_names) if self.task == "classification" else 1

    @property
    def is_classification(self) -> bool:
        return self.task == "classification"

    def to(self, device: torch.device) -> Dataset:
        return dataclasses.replace(
            self,
            x_train=self.x_train.to(device),
            y_train=self.y_train.to(device),
            x_test=self.x_test.to(device),
            y_test=self.y_test.to(device),
        )


def default_cache_dir() -> Path:
    """Per-user cache for downloaded data, following the XDG convention."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "mlp-lab"


def load_dataset(cfg: DataConfig, seed: int = 0, progress: ProgressCallback | None = None) -> Dataset:
    """Load the dataset that `cfg` names. Raises DataError with a readable reason."""
    loader = _LOADERS.get(cfg.name)
    if loader is None:
        raise DataError(f"unknown dataset {cfg.name!r}; choose one of {', '.join(_LOADERS)}")
    return dataclasses.replace(loader(cfg, seed, progress), origin=data_origin(cfg, seed))


def data_origin(cfg: DataConfig, seed: int) -> tuple:
    """What a loaded set depends on: its settings, and the run's seed where its points are drawn
    from it (the toy sets; not the image sets or digits, whose files and split are fixed). Two
    sessions with the same origin have the same data."""
    return cfg, seed if _LOADERS.get(cfg.name) in _SEEDED_LOADERS else None


# --------------------------------------------------------------------------- IDX image sets

FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


# torchvision keeps a set's files in <folder>/<its class's name>/raw. Looking for them must not
# import torchvision: the window does so before it opens, and that import took 3.5 s of it.
RAW_FOLDERS = {"fashion-mnist": "FashionMNIST", "mnist": "MNIST"}


def is_cached(name: str, data_dir: str | None = None) -> bool:
    """True when the four IDX files of an image set are on disk (no download needed)."""
    folder = Path(data_dir) if data_dir else default_cache_dir()
    return all(_find_idx_file(folder, RAW_FOLDERS[name], f) for f in IDX_FILES)


def _find_idx_file(folder: Path, class_folder: str, base: str) -> Path | None:
    """Look for `base` or `base.gz` directly in `folder` or in torchvision's `<Class>/raw` layout."""
    for where in (folder, folder / class_folder / "raw"):
        for candidate in (where / base, where / f"{base}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _load_idx_set(cfg: DataConfig, seed: int, progress: ProgressCallback | None) -> Dataset:
    raw_folder = RAW_FOLDERS[cfg.name]
    folder = Path(cfg.data_dir) if cfg.data_dir else default_cache_dir()
    paths = [_find_idx_file(folder, raw_folder, f) for f in IDX_FILES]
    if any(p is None for p in paths):
        if cfg.data_dir:
            raise DataError(_missing_files_message(cfg.name, folder, raw_folder))
        download_idx_set(cfg.name, folder, progress)
        paths = [_find_idx_file(folder, raw_folder, f) for f in IDX_FILES]
    x_train, y_train, x_test, y_test = (_read_idx(p) for p in paths)  # type: ignore[arg-type]
    for images, labels, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{cfg.name} {split} files do not match: {tuple(images.shape)} images, {tuple(labels.shape)} labels")
    classes = FASHION_CLASSES if cfg.name == "fashion-mnist" else tuple(str(i) for i in range(10))
    for labels, split in ((y_train, "train"), (y_test, "test")):
        if len(labels) and int(labels.max()) >= len(classes):  # the loss would fail at the first step
            raise DataError(f"{cfg.name} {split} labels run up to {int(labels.max())}, but it has {len(classes)} classes, 0 to {len(classes) - 1}")
    h, w = x_train.shape[1:]
    return Dataset(
        cfg.name,
        x_train.reshape(len(x_train), -1).float().div_(255.0),
        y_train.long(),
        x_test.reshape(len(x_test), -1).float().div_(255.0),
        y_test.long(),
        "classification",
        classes,
        (h, w),
    )


def _missing_files_message(name: str, folder: Path, class_folder: str) -> str:
    files = ", ".join(f"{f}.gz" for f in IDX_FILES)
    return (
        f"{name} data not found in {folder} (nor in {folder / class_folder / 'raw'}): "
        f"expected the four files {files} (gzipped or extracted)"
    )


def _read_idx(path: Path) -> torch.Tensor:
    """Parse an IDX file with torchvision's reader; gzipped files are read through gzip."""
    from torchvision.datasets.mnist import read_sn3_pascalvincent_tensor

    try:
        if path.suffix == ".gz":
            # torchvision's reader wants a path, so unpack next to the cache once.
            extracted = default_cache_dir() / "extracted" / hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12] / path.stem
            if not extracted.exists() or extracted.stat().st_mtime < path.stat().st_mtime:
                extracted.parent.mkdir(parents=True, exist_ok=True)
                tmp = extracted.with_suffix(".part")
                with gzip.open(path, "rb") as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                os.replace(tmp, extracted)
            path = extracted
        return read_sn3_pascalvincent_tensor(str(path), strict=True)
    except (AssertionError, KeyError, ValueError, RuntimeError, OSError, EOFError) as exc:
        detail = "wrong magic number or truncated" if isinstance(exc, (AssertionError, KeyError, ValueError)) else str(exc)
        raise DataError(f"{path.name} is not a valid IDX file ({detail})") from None


def download_idx_set(name: str, folder: Path, progress: ProgressCallback | None = None) -> None:
    """Download the four gzipped files into torchvision's `<Class>/raw` layout, checking their MD5.

    torchvision's own `download=True` prints a console bar; we need a callback the
    window can show, so we fetch the same mirrors and resources it lists.
    """
    from torchvision.datasets import MNIST, FashionMNIST
    from torchvision.datasets.utils import check_integrity

    cls = FashionMNIST if name == "fashion-mnist" else MNIST
    raw = folder / RAW_FOLDERS[name] / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for filename, md5 in cls.resources:
        target = raw / filename
        if check_integrity(str(target), md5):
            continue
        errors = []
        for mirror in cls.mirrors:
            try:
                _download(mirror + filename, target, progress)
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                errors.append(str(getattr(exc, "reason", exc)))
                continue
            if check_integrity(str(target), md5):
                break
            target.unlink(missing_ok=True)
            errors.append(f"{filename}: checksum mismatch")
        else:
            raise DataError(_missing_files_message(name, folder, RAW_FOLDERS[name]) + f"; download failed ({'; '.join(errors)})")


def _download(url: str, target: Path, progress: ProgressCallback | None) -> None:
    part = target.with_suffix(target.suffix + ".part")
    with urllib.request.urlopen(url, timeout=15) as response, open(part, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        while chunk := response.read(1 << 16):
            out.write(chunk)
            done += len(chunk)
            if progress:
                progress(target.name, done, total)
    os.replace(part, target)


# --------------------------------------------------------------------------- digits (scikit-learn)


def _load_digits(cfg: DataConfig, seed: int, progress: ProgressCallback | None) -> Dataset:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits.data.astype(np.float32) / 16.0
    y = digits.target.astype(np.int64)
    # A fixed split (not the run's seed), so results compare across runs.
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    return Dataset(
        "digits",
        torch.from_numpy(x_tr),
        torch.from_numpy(y_tr),
        torch.from_numpy(x_te),
        torch.from_numpy(y_te),
        "classification",
        tuple(str(i) for i in range(10)),
        (8, 8),
    )


# --------------------------------------------------------------------------- 2-D toy sets


def _toy_points(name: str, n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """TensorFlow Playground's generators, on its [-6, 6] plane, labels 0/1."""
    half = n // 2
    if name == "circle":
        radius = 5.0
        r = np.concatenate([rng.uniform(0, radius * 0.5, half), rng.uniform(radius * 0.7, radius, n - half)])
        angle = rng.uniform(0, 2 * math.pi, n)
        pts = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
        pts += rng.uniform(-radius, radius, (n, 2)) * noise
        labels = (np.arange(n) < half).astype(np.int64)  # inside the circle = class 1
    elif name == "xor":
        pts = rng.uniform(-5, 5, (n, 2))
        pts += np.where(pts > 0, 0.3, -0.3)  # padding keeps points off the axes
        labels = (pts[:, 0] * pts[:, 1] >= 0).astype(np.int64)
        pts += rng.uniform(-5, 5, (n, 2)) * noise
    elif name == "gauss":
        variance = 0.5 + 3.5 * noise / 0.5  # Playground maps noise 0..50 % to variance 0.5..4
        centres = np.where((np.arange(n) < half)[:, None], [2.0, 2.0], [-2.0, -2.0])
        pts = centres + rng.normal(0, math.sqrt(variance), (n, 2))
        labels = (np.arange(n) < half).astype(np.int64)
    else:  # spiral
        i = np.arange(half)
        pts_list, labels_list = [], []
        for label, delta in ((1, 0.0), (0, math.pi)):
            r = i / half * 5
            t = 1.75 * i / half * 2 * math.pi + delta
            p = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (half, 2)) * noise
            pts_list.append(p)
            labels_list.append(np.full(half, label))
        pts, labels = np.concatenate(pts_list), np.concatenate(labels_list).astype(np.int64)
    return (pts / 6.0).astype(np.float32), labels  # scaled to about [-1, 1]: friendlier inputs


def plane_features(points: torch.Tensor, names: Sequence[str]) -> torch.Tensor:
    """What the model sees of (n, 2) plane points: the named columns of PLANE_FEATURES, in order."""
    x1, x2 = points[:, 0], points[:, 1]
    columns = {"x1": x1, "x2": x2, "x1^2": x1 * x1, "x2^2": x2 * x2, "x1*x2": x1 * x2}
    return torch.stack([columns[name] for name in names], 1)


def _load_toy(cfg: DataConfig, seed: int, progress: ProgressCallback | None) -> Dataset:
    rng = np.random.default_rng(seed)
    x, y = _toy_points(cfg.name, cfg.samples, cfg.noise, rng)
    order = rng.permutation(len(x))
    n_train = max(1, min(len(x) - 1, round(len(x) * cfg.train_ratio)))
    tr, te = order[:n_train], order[n_train:]
    plane = (torch.from_numpy(x[tr]), torch.from_numpy(x[te]))
    return Dataset(
        cfg.name,
        plane_features(plane[0], cfg.features),
        torch.from_numpy(y[tr]),
        plane_features(plane[1], cfg.features),
        torch.from_numpy(y[te]),
        "classification",
        ("blue", "orange"),
        plane=plane,
    )


# --------------------------------------------------------------------------- regression sets

POLY_TRUE_WEIGHTS = (5.0, 1.2, -3.4, 5.6)  # d2l's model-selection polynomial; higher terms are 0
POLY_MAX_DEGREE = 20


def polynomial_features(x: np.ndarray, degree: int) -> np.ndarray:
    """d2l's features of inputs x (n, 1): x^i / i! for i < `degree`."""
    return np.power(x, np.arange(degree)) / np.array([math.gamma(i + 1) for i in range(degree)])


def one_input_features(cfg: DataConfig, x: torch.Tensor) -> torch.Tensor:
    """What the model sees of inputs x (n, 1) of a one-input set: the polynomial's powers, the line's x."""
    if cfg.name == "polynomial":
        return torch.from_numpy(polynomial_features(x.double().numpy(), cfg.poly_degree).astype(np.float32))
    return x


def _load_polynomial(cfg: DataConfig, seed: int, progress: ProgressCallback | None) -> Dataset:
    """d2l 3.6/5.x model selection: features x^i / i! for i < 20; the model sees the first `poly_degree`."""
    rng = np.random.default_rng(seed)
    n_train = n_test = 100
    x = rng.normal(size=(n_train + n_test, 1))
    features = polynomial_features(x, POLY_MAX_DEGREE)
    true_w = np.zeros(POLY_MAX_DEGREE)
    true_w[: len(POLY_TRUE_WEIGHTS)] = POLY_TRUE_WEIGHTS
    labels = features @ true_w + rng.normal(scale=0.1, size=n_train + n_test)
    f = torch.from_numpy(features[:, : cfg.poly_degree].astype(np.float32))
    t = torch.from_numpy(labels.astype(np.float32)).unsqueeze(1)
    inputs = torch.from_numpy(x.astype(np.float32))
    return Dataset("polynomial", f[:n_train], t[:n_train], f[n_train:], t[n_train:], "regression", one_input=(inputs[:n_train], inputs[n_train:]))


def _load_line(cfg: DataConfig, seed: int, progress: ProgressCallback | None) -> Dataset:
    """The dropout demo's 20 noisy points y = x + 0.3 e on [-1, 1]; 100 fresh points to test."""
    rng = np.random.default_rng(seed)

    def sample(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = rng.uniform(-1, 1, (n, 1)).astype(np.float32)
        y = (x + 0.3 * rng.normal(size=(n, 1))).astype(np.float32)
        return torch.from_numpy(x), torch.from_numpy(y)

    x_tr, y_tr = sample(20)
    x_te, y_te = sample(100)
    return Dataset("line", x_tr, y_tr, x_te, y_te, "regression", one_input=(x_tr, x_te))


def _load_highdim(cfg: DataConfig, seed: int, progress: ProgressCallback | None) -> Dataset:
    """d2l's weight-decay data: y = 0.05 + sum 0.01 x_i + N(0, 0.01^2), 200 dims, 20 train / 100 test."""
    rng = np.random.default_rng(seed)
    dims = 200
    x = rng.normal(size=(120, dims)).astype(np.float32)
    y = (0.05 + x.sum(axis=1, keepdims=True) * 0.01 + rng.normal(scale=0.01, size=(120, 1))).astype(np.float32)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    return Dataset("highdim", xt[:20], yt[:20], xt[20:], yt[20:], "regression")


_LOADERS: dict[str, Callable[[DataConfig, int, ProgressCallback | None], Dataset]] = {
    "fashion-mnist": _load_idx_set,
    "mnist": _load_idx_set,
    "digits": _load_digits,
    "circle": _load_toy,
    "xor": _load_toy,
    "gauss": _load_toy,
    "spiral": _load_toy,
    "polynomial": _load_polynomial,
    "line": _load_line,
    "highdim": _load_highdim,
}
_SEEDED_LOADERS = (_load_toy, _load_polynomial, _load_line, _load_highdim)  # they draw points from the run's seed
