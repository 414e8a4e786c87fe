"""One-click configurations for the chapter's lessons. Each starts from the current
settings and changes what the lesson is about, so the user can change it further."""

from __future__ import annotations

from collections.abc import Callable

from engine.config import SUITED_TRAINING, Config

DEEP = (128,) * 8


def _on_digits(config: Config) -> Config:
    """Digits trains in seconds and ships offline: the right stage for a deep-net lesson."""
    return config.with_changes(data={"name": "digits"}, train={**SUITED_TRAINING["digits"], "clip_grad": 0.0})


def _on_xor(config: Config, hidden: tuple[int, ...]) -> Config:
    """XOR: the problem a linear model cannot solve (d2l's "limitations of linear models")."""
    return config.with_changes(
        data={"name": "xor"},
        model={"hidden": hidden, "activation": "relu", "init": "he", "init_scale": 1.0, "batch_norm": False, "dropout": 0.0},
        train={**SUITED_TRAINING["xor"], "optimizer": "sgd", "momentum": 0.0},
    )


PRESETS: dict[str, Callable[[Config], Config]] = {
    "Linear on XOR: no hidden layer": lambda c: _on_xor(c, ()),
    "MLP on XOR: one hidden layer of 16": lambda c: _on_xor(c, (16,)),
    "Vanishing: 8 sigmoid layers": lambda c: _on_digits(c).with_changes(
        model={"hidden": DEEP, "activation": "sigmoid", "init": "xavier", "init_scale": 1.0, "batch_norm": False, "dropout": 0.0}
    ),
    "Exploding: ReLU depth 8 with init scale 1 (normal)": lambda c: _on_digits(c).with_changes(
        model={"hidden": DEEP, "activation": "relu", "init": "normal", "init_scale": 1.0, "batch_norm": False, "dropout": 0.0}
    ),
    "Healthy: ReLU + He": lambda c: _on_digits(c).with_changes(
        model={"hidden": DEEP, "activation": "relu", "init": "he", "init_scale": 1.0, "batch_norm": False, "dropout": 0.0}
    ),
    "Symmetry: every weight 0.01 (constant init)": lambda c: _on_digits(c).with_changes(
        model={"hidden": (64,), "activation": "relu", "init": "constant", "init_scale": 0.01, "batch_norm": False, "dropout": 0.0}
    ),
    "d2l default: 784-256-10": lambda c: Config().with_changes(data={"data_dir": c.data.data_dir}),
}
