"""Frozen, validated configuration for one training session.

Everything that defines a run lives here as plain values, so a config can be
compared, copied with `dataclasses.replace`, written into a checkpoint as a
dict, and rebuilt from one without any pickled Python objects.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from engine.errors import ConfigError
from engine.numbers import significant

ACTIVATION_NAMES = ("relu", "sigmoid", "tanh", "leaky_relu", "gelu", "identity")
INIT_SCHEMES = ("normal", "xavier", "he", "constant")
OPTIMIZERS = ("sgd", "adam")
DEVICES = ("auto", "cpu", "cuda")
DATASET_NAMES = (
    "fashion-mnist",
    "mnist",
    "digits",
    "circle",
    "xor",
    "gauss",
    "spiral",
    "polynomial",
    "line",
    "highdim",
)
REGRESSION_SETS = ("polynomial", "line", "highdim")  # the rest are classification sets
PLANE_SETS = ("circle", "xor", "gauss", "spiral")  # TensorFlow Playground's 2-D sets
# What a plane set's model may see of a point (x1, x2): Playground's features, less its sines (on
# our [-1, 1] plane a sine is nearly a straight line). A linear model separates the circle with
# the squares and XOR with the product: features chosen by hand, where hidden layers learn their own.
PLANE_FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2")
MAX_SAMPLES = 1_000_000  # points of a 2-D toy set: TensorFlow Playground draws 500
MAX_LEARNING_RATE = 1e6  # past float32's 3.4e38 the optimizer raised instead of diverging
MAX_SEED = 2**31 - 1  # the window's seed box; numpy refused negative seeds, torch past 2^63
# The data settings that only some sets read (the rest read the name alone): the window shows
# each where its set reads it, and the command line refuses one given for a set that ignores it.
SETS_READING: dict[str, tuple[str, ...]] = {
    "data_dir": ("fashion-mnist", "mnist"),
    "noise": PLANE_SETS,
    "train_ratio": PLANE_SETS,
    "samples": PLANE_SETS,
    "features": PLANE_SETS,
    "poly_degree": ("polynomial",),
}
# The batch size, epochs and learning rate that suit each dataset: d2l's for the image sets, and
# enough steps to watch on the small ones (d2l's batch of 256 is one step an epoch of a toy set's
# 250 training points); d2l 3.6's and 3.7's for the polynomial and the 200-d set.
_TOY_TRAINING = {"batch_size": 10, "epochs": 100, "lr": 0.1}
SUITED_TRAINING: dict[str, dict[str, Any]] = {
    "fashion-mnist": {"batch_size": 256, "epochs": 10, "lr": 0.1},
    "mnist": {"batch_size": 256, "epochs": 10, "lr": 0.1},
    "digits": {"batch_size": 32, "epochs": 20, "lr": 0.1},
    **dict.fromkeys(("circle", "xor", "gauss", "spiral"), _TOY_TRAINING),
    "polynomial": {"batch_size": 10, "epochs": 400, "lr": 0.01},
    "line": {"batch_size": 5, "epochs": 200, "lr": 0.1},
    "highdim": {"batch_size": 5, "epochs": 100, "lr": 0.003},
}
# d2l draws weights from N(0, 0.01^2); Xavier and He already carry their own scale; constant
# sets every weight to the scale itself (d2l's symmetry that training cannot break).
DEFAULT_INIT_SCALE = {"normal": 0.01, "xavier": 1.0, "he": 1.0, "constant": 0.01}


def reads(dataset: str, setting: str) -> bool:
    """Whether `dataset` depends on the data setting `setting` (a DataConfig field)."""
    return dataset in SETS_READING.get(setting, DATASET_NAMES)


@dataclass(frozen=True)
class DataConfig:
    name: str = "fashion-mnist"
    data_dir: str | None = None
    noise: float = 0.1  # toy sets: noise level in [0, 0.5], as TensorFlow Playground's 0-50 %
    train_ratio: float = 0.5  # toy sets: share of points used for training
    samples: int = 500  # toy sets: number of points
    poly_degree: int = 20  # polynomial: number of features x^i/i! the model sees
    features: tuple[str, ...] = ("x1", "x2")  # plane sets: what the model sees of each point (PLANE_FEATURES)


@dataclass(frozen=True)
class ModelConfig:
    hidden: tuple[int, ...] = (256,)
    activation: str = "relu"
    dropout: float = 0.0
    init: str = "normal"
    init_scale: float = 0.01
    batch_norm: bool = False
    from_scratch: bool = False  # d2l 5.2: explicit W and b, hand-written ReLU and SGD


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.0
    batch_size: int = 256
    epochs: int = 10
    weight_decay: float = 0.0
    l1: float = 0.0
    clip_grad: float = 0.0  # max global gradient norm; 0 = no clipping
    seed: int = 0
    device: str = "auto"


@dataclass(frozen=True)
class ProbeConfig:
    every: int = 25  # steps between probes: often enough for the eye, rare enough to cost little
    bins: int = 64


@dataclass(frozen=True)
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    probes: ProbeConfig = field(default_factory=ProbeConfig)

    @property
    def normalises_batches(self) -> bool:
        """Batch norm between hidden layers, where there are any: no batch of a single sample then."""
        return self.model.batch_norm and bool(self.model.hidden)

    def validate(self) -> Config:
        """Raise ConfigError naming the first bad value; return self so calls chain."""
        _check_choice("dataset", self.data.name, DATASET_NAMES)
        _check_range("noise", self.data.noise, 0.0, 0.5)
        _check_open_range("train ratio", self.data.train_ratio, 0.0, 1.0)
        _check_int_min("samples", self.data.samples, 10)
        if self.data.samples > MAX_SAMPLES:  # a trillion points ended in numpy's MemoryError
            raise ConfigError(f"samples must be at most {MAX_SAMPLES:,} (a 2-D toy set is drawn whole in memory); got {self.data.samples:,}")
        _check_int_min("polynomial degree", self.data.poly_degree, 1)
        if self.data.poly_degree > 20:
            raise ConfigError("polynomial degree must be at most 20 (d2l's data has 20 features)")
        features = self.data.features
        if not features or any(f not in PLANE_FEATURES for f in features) or len(set(features)) < len(features):
            raise ConfigError(f"features must be one or more of {', '.join(PLANE_FEATURES)}, each once; got {list(features)}")
        if any(not isinstance(n, int) or n < 1 for n in self.model.hidden):
            raise ConfigError(f"hidden layer sizes must be positive integers, got {list(self.model.hidden)}")
        if len(self.model.hidden) > 32:
            raise ConfigError("at most 32 hidden layers are supported")
        _check_choice("activation", self.model.activation, ACTIVATION_NAMES)
        _check_dropout(self.model.dropout)
        _check_choice("init", self.model.init, INIT_SCHEMES)
        _check_positive("init scale", self.model.init_scale)
        _check_choice("optimizer", self.train.optimizer, OPTIMIZERS)
        if self.model.from_scratch and (self.train.optimizer != "sgd" or self.train.momentum or self.model.batch_norm):
            raise ConfigError("the from-scratch MLP trains with d2l's hand-written SGD: choose sgd, momentum 0 and no batch norm")
        _check_positive("learning rate", self.train.lr)
        if self.train.lr > MAX_LEARNING_RATE:
            raise ConfigError(f"learning rate must be at most {significant(MAX_LEARNING_RATE)}; got {significant(self.train.lr)}")
        seed = self.train.seed
        if not (isinstance(seed, int) and 0 <= seed <= MAX_SEED):
            raise ConfigError(f"seed must be a whole number from 0 to {MAX_SEED:,}; got {seed!r}")
        _check_range("momentum", self.train.momentum, 0.0, 0.999)
        _check_int_min("batch size", self.train.batch_size, 1)
        if self.normalises_batches and self.train.batch_size < 2:
            raise ConfigError("batch norm needs batches of at least 2 samples: it normalises each unit over the batch")
        _check_int_min("epochs", self.train.epochs, 0)
        _check_range("weight decay", self.train.weight_decay, 0.0, 100.0)
        _check_range("L1 strength", self.train.l1, 0.0, 100.0)
        _check_range("gradient clipping", self.train.clip_grad, 0.0, math.inf)
        _check_choice("device", self.train.device, DEVICES)
        _check_int_min("probe interval", self.probes.every, 1)
        _check_int_min("histogram bins", self.probes.bins, 2)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (lists, numbers, strings): safe for JSON and weights_only checkpoints."""
        d = dataclasses.asdict(self)
        d["model"]["hidden"] = list(self.model.hidden)
        d["data"]["features"] = list(self.data.features)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Config:
        """Inverse of to_dict; unknown keys are refused so a foreign dict cannot pass silently,
        and whatever else a damaged file or settings store holds is a ConfigError too."""
        sections = ("data", "model", "train", "probes")
        if not isinstance(d, dict) or not all(isinstance(d.get(name, {}), dict) for name in sections):
            raise ConfigError(f"not an MLP Lab configuration: expected a dict of the sections {', '.join(sections)}")
        try:
            model = dict(d.get("model", {}))
            if "hidden" in model:
                model["hidden"] = tuple(int(n) for n in model["hidden"])
            data = dict(d.get("data", {}))
            if "features" in data:
                data["features"] = tuple(str(f) for f in data["features"])
            return cls(
                data=DataConfig(**data),
                model=ModelConfig(**model),
                train=TrainConfig(**d.get("train", {})),
                probes=ProbeConfig(**d.get("probes", {})),
            ).validate()
        except (TypeError, ValueError) as exc:  # a field of the wrong type, or "wide" for a layer size
            raise ConfigError(f"not an MLP Lab configuration: {exc}") from None

    def with_changes(self, **sections: dict[str, Any]) -> Config:
        """Copy with some fields changed, e.g. `cfg.with_changes(train={"lr": 0.5})`."""
        parts = {name: dataclasses.replace(getattr(self, name), **fields) for name, fields in sections.items()}
        return dataclasses.replace(self, **parts)


def changed_fields(old: Config, new: Config) -> list[tuple[str, str]]:
    """(section, field) of every setting that differs between two configs, in declaration order."""
    changed = []
    for section in ("data", "model", "train", "probes"):
        a, b = getattr(old, section), getattr(new, section)
        changed += [(section, f.name) for f in dataclasses.fields(a) if getattr(a, f.name) != getattr(b, f.name)]
    return changed


def on_dataset(base: Config, name: str) -> Config:
    """`base` moved to another dataset, with the training that suits it (d2l's batch of 256 gives
    digits' 1,347 training images 6 steps an epoch: too few to watch)."""
    return suited_to_its_dataset(base.with_changes(data={"name": name}), base)


def suited_to_its_dataset(shown: Config, before: Config) -> Config:
    """`shown`, which moves from `before`'s dataset to another, with the training that suits the new
    one (SUITED_TRAINING), except for the settings changed by hand from `before`'s: those stay."""
    if shown.data.name == before.data.name:
        return shown
    suited = SUITED_TRAINING[shown.data.name]
    untouched = {name: value for name, value in suited.items() if getattr(shown.train, name) == getattr(before.train, name)}
    return shown.with_changes(train=untouched)


def describe_differences(baseline: Config, current: Config, between: str = "vs") -> str:
    """e.g. "dropout 0 vs 0.5, lr 0.1 vs 0.01": the baseline's value first."""

    def show(value: Any) -> str:
        return ",".join(map(str, value)) if isinstance(value, tuple) else f"{value:g}" if isinstance(value, float) else str(value)

    parts = [
        f"{name.replace('_', ' ')} {show(getattr(getattr(baseline, s), name))} {between} {show(getattr(getattr(current, s), name))}"
        for s, name in changed_fields(baseline, current)
    ]
    return ", ".join(parts) or "same settings"


def _check_choice(what: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{what} must be one of {', '.join(choices)}; got {value!r}")


def _check_range(what: str, value: float, lo: float, hi: float) -> None:
    if not (isinstance(value, (int, float)) and lo <= value <= hi):
        raise ConfigError(f"{what} must be between {significant(lo, 6)} and {significant(hi, 6)}; got {value!r}")


def _check_open_range(what: str, value: float, lo: float, hi: float) -> None:
    if not (isinstance(value, (int, float)) and lo < value < hi):
        raise ConfigError(f"{what} must be strictly between {significant(lo, 6)} and {significant(hi, 6)}; got {value!r}")


def _check_positive(what: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and 0 < value < math.inf):
        raise ConfigError(f"{what} must be a positive number; got {value!r}")


def _check_int_min(what: str, value: int, lo: int) -> None:
    if not (isinstance(value, int) and value >= lo):
        raise ConfigError(f"{what} must be an integer of at least {lo}; got {value!r}")


def _check_dropout(p: float) -> None:
    if not (isinstance(p, (int, float)) and 0.0 <= p < 1.0):
        raise ConfigError(f"dropout must be in [0, 1): 1 would drop every unit; got {p!r}")
