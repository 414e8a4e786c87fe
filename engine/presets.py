"""One-click configurations for the chapter's lessons. Each starts from the current
settings and changes what the lesson is about, so the user can change it further."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


def _on_plane(config: Config, name: str, hidden: tuple[int, ...], features: tuple[str, ...] = ("x1", "x2")) -> Config:
    """A 2-D toy set, its decision boundary drawn under the network: XOR, the problem a linear
    model cannot solve (d2l's "limitations of linear models") on the point itself, and solves
    given the product of its coordinates; the spiral, whose arms want two hidden layers."""
    return config.with_changes(
        data={"name": name, "features": features},
        model=_plain_model(hidden, "relu", "he", 1.0),
        train={**SUITED_TRAINING[name], "optimizer": "sgd", "momentum": 0.0},
    )


@dataclass(frozen=True)
class Preset:
    """A lesson's settings, made from the current ones, and what the lesson shows (the menu's tooltip)."""

    build: Callable[[Config], Config]
    lesson: str

    def __call__(self, config: Config) -> Config:
        return self.build(config)


PRESETS: dict[str, Preset] = {
    "Linear on XOR: no hidden layer": Preset(
        lambda c: _on_plane(c, "xor", ()),
        "One straight boundary cannot split XOR: the loss stays near ln 2 = 0.69, the accuracy near chance.",
    ),
    "MLP on XOR: one hidden layer of 16": Preset(
        lambda c: _on_plane(c, "xor", (16,)),
        "A hidden layer of ReLUs bends the boundary around the quadrants: the loss falls towards 0.",
    ),
    "Linear on XOR given x1*x2: no hidden layer": Preset(
        lambda c: _on_plane(c, "xor", (), ("x1", "x2", "x1*x2")),
        "The product x₁x₂ has XOR's sign: one weight on it separates the classes, without a hidden layer.",
    ),
    "Spiral: two ReLU layers of 64 + He": Preset(
        lambda c: _on_plane(c, "spiral", (64, 64)),
        "One hidden layer, even of 256 with He's init, stays near 63 % on the spiral after 100 epochs; a second "
        "winds the boundary around its arms (95 %). At d2l's N(0, 0.01) the two layers stay at chance.",
    ),
    "Vanishing: 8 sigmoid layers": Preset(
        lambda c: _on_digits(c, DEEP, "sigmoid", "xavier", 1.0),
        "Each sigmoid passes back at most a quarter of the gradient: the first layers' gradients are orders of "
        "magnitude below the last's (Gradient flow).",
    ),
    "Exploding: ReLU depth 8 with init scale 1 (normal)": Preset(
        lambda c: _on_digits(c, DEEP, "relu", "normal", 1.0),
        "Weights of std 1 grow the signal about eightfold a layer: the loss overflows, and training pauses to say why.",
    ),
    "Healthy: ReLU + He": Preset(
        lambda c: _on_digits(c, DEEP, "relu", "he", 1.0),
        "He's init keeps the signal and the gradients the same size from layer to layer: every layer learns.",
    ),
    "Too small: 3 ReLU layers at N(0, 0.01)": Preset(
        lambda c: _on_digits(c, (256,) * 3, "relu", "normal", 0.01),
        "The signal shrinks about tenfold a layer: the output hardly depends on the input, and the accuracy stays "
        "at chance for epochs.",
    ),
    "Symmetry: every weight 0.01 (constant init)": Preset(
        lambda c: _on_digits(c, (64,), "relu", "constant", 0.01),
        "Every unit of a layer starts equal, gets the same gradient and stays a copy of the others: the layer "
        "acts as one unit.",
    ),
    "d2l default: 784-256-10": Preset(
        lambda c: Config().with_changes(data={"data_dir": c.data.data_dir}),
        "d2l's MLP: Fashion-MNIST (downloaded once), 256 ReLUs, SGD lr 0.1, batch 256, 10 epochs.",
    ),
}
