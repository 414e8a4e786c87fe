"""Write small (Fashion-)MNIST-format IDX files, so the real loader can be tested offline."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

IMAGE_MAGIC = 0x00000803  # unsigned byte, 3 dimensions
LABEL_MAGIC = 0x00000801  # unsigned byte, 1 dimension


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def make_arrays(n: int, seed: int, side: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """Images whose brightness encodes the label, so a model can learn them."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 40, (n, side, side)).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, label * 2 : label * 2 + 3, :] = 250
    return images, labels


def write_idx_set(folder: Path, n_train: int = 120, n_test: int = 40, gz: bool = True, side: int = 28) -> dict[str, np.ndarray]:
    """The four published files in `folder`; returns the arrays written."""
    folder.mkdir(parents=True, exist_ok=True)
    x_tr, y_tr = make_arrays(n_train, 1, side)
    x_te, y_te = make_arrays(n_test, 2, side)
    files = {
        "train-images-idx3-ubyte": idx_bytes(x_tr, IMAGE_MAGIC),
        "train-labels-idx1-ubyte": idx_bytes(y_tr, LABEL_MAGIC),
        "t10k-images-idx3-ubyte": idx_bytes(x_te, IMAGE_MAGIC),
        "t10k-labels-idx1-ubyte": idx_bytes(y_te, LABEL_MAGIC),
    }
    for name, data in files.items():
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return {"x_train": x_tr, "y_train": y_tr, "x_test": x_te, "y_test": y_te}
