"""One-click configurations for the chapter's lessons. Each starts from the current
settings and changes what the lesson is about, so the user can change it further."""

from __future__ import annotations

from collections.abc import Callable

from engine.config import SUITED_TRAINING, Config

DEEP = (128,) * 8


def _plain_model(hidden: tuple[int, ...], activation: str, init: str, init_scale: float) -> dict[str, object]:
    """The lesson's model and nothing more: no batch norm or dropout left from before to blur it."""
    return {"hidden": hidden, "activation": activation, "init": init, "init_scale": init_scale, "batch_norm": False, "dropout": 0.0}


def _on_digits(config: Config, hidden: tuple[int, ...], activation: str, init: str, init_scale: float) -> Config:
    """Digits trains in seconds and ships offline: the right stage for a deep-net lesson."""
    return config.with_changes(
        data={"name": "digits"},
        model=_plain_model(hidden, activation, init, init_scale),
        train={**SUITED_TRAINING["digits"], "clip_grad": 0.0},
    )


def _on_xor(config: Config, hidden: tuple[int, ...], features: tuple[str, ...] = ("x1", "x2")) -> Config:
    """XOR: the problem a linear model cannot solve (d2l's "limitations of linear models") on the
    point itself, and solves given the product of its coordinates."""
    return config.with_changes(
        data={"name": "xor", "features": features},
        model=_plain_model(hidden, "relu", "he", 1.0),
        train={**SUITED_TRAINING["xor"], "optimizer": "sgd", "momentum": 0.0},
    )


PRESETS: dict[str, Callable[[Config], Config]] = {
    "Linear on XOR: no hidden layer": lambda c: _on_xor(c, ()),
    "MLP on XOR: one hidden layer of 16": lambda c: _on_xor(c, (16,)),
    "Linear on XOR given x1*x2: no hidden layer": lambda c: _on_xor(c, (), ("x1", "x2", "x1*x2")),
    "Vanishing: 8 sigmoid layers": lambda c: _on_digits(c, DEEP, "sigmoid", "xavier", 1.0),
    "Exploding: ReLU depth 8 with init scale 1 (normal)": lambda c: _on_digits(c, DEEP, "relu", "normal", 1.0),
    "Healthy: ReLU + He": lambda c: _on_digits(c, DEEP, "relu", "he", 1.0),
    "Too small: 3 ReLU layers at N(0, 0.01)": lambda c: _on_digits(c, (256,) * 3, "relu", "normal", 0.01),
    "Symmetry: every weight 0.01 (constant init)": lambda c: _on_digits(c, (64,), "relu", "constant", 0.01),
    "d2l default: 784-256-10": lambda c: Config().with_changes(data={"data_dir": c.data.data_dir}),
}
