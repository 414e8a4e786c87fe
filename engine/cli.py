"""The command line, shared by the headless runner and the window.

Options left out keep the base configuration's value (the defaults, or the
window's remembered settings), so `main.py --lr 0.5` changes only the rate; but
`--dataset` brings the batch size, epochs and learning rate that suit the set.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from engine.config import (
    ACTIVATION_NAMES,
    DATASET_NAMES,
    DEFAULT_INIT_SCALE,
    DEVICES,
    INIT_SCHEMES,
    MAX_LEARNING_RATE,
    MAX_SAMPLES,
    MAX_SEED,
    OPTIMIZERS,
    PLANE_FEATURES,
    SETS_READING,
    Config,
    on_dataset,
    reads,
)
from engine.errors import ConfigError
from engine.numbers import significant, spoken_list


def _number(kind: Callable[[str], float], lo: float, hi: float | None = None, lo_open: bool = False) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid number") from None
        too_low = value <= lo if lo_open else value < lo
        if too_low or (hi is not None and value > hi):
            bound = f"{'above' if lo_open else 'at least'} {_written(lo, kind)}" + (f" and at most {_written(hi, kind)}" if hi is not None else "")
            raise argparse.ArgumentTypeError(f"{text} is out of range: must be {bound}")
        return value

    return parse


def _written(value: float, kind: Callable[[str], float]) -> str:
    """A bound as the user would type it: 1,000,000 for a count (not 1e6), 0.999 for a rate."""
    return f"{value:,}" if kind is int else significant(value, 6)


def parse_hidden(text: str) -> tuple[int, ...]:
    """'256,256' -> (256, 256); '' -> () for no hidden layer."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated layer sizes such as 256,128") from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"{text!r}: every layer needs at least one unit")
    return sizes


def parse_features(text: str) -> tuple[str, ...]:
    """'x2^2,x1^2' -> ('x1^2', 'x2^2'): in PLANE_FEATURES' order, the window's (another order showed
    a Reset pending in its controls); the configuration checks the names (parse_config)."""
    names = [p.strip() for p in text.split(",") if p.strip()]
    return tuple(sorted(names, key=lambda n: PLANE_FEATURES.index(n) if n in PLANE_FEATURES else len(PLANE_FEATURES)))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="main.py",
        description="MLP Lab: train a multilayer perceptron and watch it learn.",
    )
    p.add_argument("--headless", action="store_true", help="train without a window; one JSON line per epoch on stdout")
    p.add_argument("--start", action="store_true", help="window: start training at once")
    data = p.add_argument_group("data")
    data.add_argument("--dataset", choices=DATASET_NAMES)
    data.add_argument("--data-dir", metavar="DIR", help="folder holding the four (Fashion-)MNIST IDX files")
    data.add_argument("--noise", type=_number(float, 0, 0.5), help="2-D toy sets: noise, 0 to 0.5")
    data.add_argument("--train-ratio", type=_number(float, 0, 0.99, lo_open=True), help="2-D toy sets: share used for training")
    data.add_argument("--samples", type=_number(int, 10, MAX_SAMPLES), help="2-D toy sets: number of points")
    data.add_argument("--poly-degree", type=_number(int, 1, 20), help="polynomial: features the model sees (4 fits)")
    data.add_argument(
        "--features", type=parse_features, metavar="NAMES", help=f"2-D toy sets: what the model sees of a point, e.g. x1^2,x2^2 (of {','.join(PLANE_FEATURES)})"
    )
    model = p.add_argument_group("model")
    model.add_argument("--hidden", type=parse_hidden, metavar="SIZES", help='hidden layer sizes, e.g. 256,256 ("" for none)')
    model.add_argument("--activation", choices=ACTIVATION_NAMES)
    model.add_argument("--dropout", type=_number(float, 0, 0.99), help="dropout rate after each hidden layer (0 = off)")
    model.add_argument("--batch-norm", action="store_true", default=None, help="batch norm between hidden layers")
    model.add_argument(
        "--from-scratch", action="store_true", default=None, help="d2l 5.2's MLP: explicit W and b, hand-written ReLU and SGD"
    )
    model.add_argument("--init", choices=INIT_SCHEMES)
    model.add_argument("--init-scale", type=_number(float, 0, lo_open=True), help="multiplies the init (default 0.01 for normal, else 1)")
    train = p.add_argument_group("training")
    train.add_argument("--optimizer", choices=OPTIMIZERS)
    train.add_argument("--lr", type=_number(float, 0, MAX_LEARNING_RATE, lo_open=True), help="learning rate")
    train.add_argument("--momentum", type=_number(float, 0, 0.999))
    train.add_argument("--batch-size", type=_number(int, 1))
    train.add_argument("--epochs", type=_number(int, 0))
    train.add_argument("--weight-decay", type=_number(float, 0, 100), help="L2 strength (weights only)")
    train.add_argument("--l1", type=_number(float, 0, 100), help="L1 strength (weights only)")
    train.add_argument("--clip-grad", type=_number(float, 0), help="clip the global gradient norm (0 = off)")
    train.add_argument("--seed", type=_number(int, 0, MAX_SEED))
    train.add_argument("--device", choices=DEVICES)
    train.add_argument("--probe-every", type=_number(int, 1), help="steps between histogram probes")
    files = p.add_argument_group("checkpoints")
    files.add_argument("--save", metavar="PATH", help="save a checkpoint when training ends")
    files.add_argument("--load", metavar="PATH", help="start from a checkpoint (--epochs N trains N more)")
    return p


_FIELDS = {
    "data": {"dataset": "name", "data_dir": "data_dir", "noise": "noise", "train_ratio": "train_ratio", "samples": "samples", "poly_degree": "poly_degree", "features": "features"},
    "model": {"hidden": "hidden", "activation": "activation", "dropout": "dropout", "batch_norm": "batch_norm", "from_scratch": "from_scratch", "init": "init", "init_scale": "init_scale"},
    "train": {
        "optimizer": "optimizer", "lr": "lr", "momentum": "momentum", "batch_size": "batch_size", "epochs": "epochs",
        "weight_decay": "weight_decay", "l1": "l1", "clip_grad": "clip_grad", "seed": "seed", "device": "device",
    },
    "probes": {"probe_every": "every"},
}  # fmt: skip


def given_options(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The settings the user gave, by config section, for `Config.with_changes` (options left
    out are absent)."""
    changes = {
        section: {field: getattr(args, arg) for arg, field in fields.items() if getattr(args, arg, None) is not None}
        for section, fields in _FIELDS.items()
    }
    if args.init is not None and args.init_scale is None:
        changes["model"]["init_scale"] = DEFAULT_INIT_SCALE[args.init]
    return changes


def config_from_args(args: argparse.Namespace, base: Config | None = None) -> Config:
    """`base` with every option the user gave applied; `--dataset` brings the training that suits
    its set, as choosing it in the window does, but for the options given (d2l's batch of 256
    trained the line's 20 points in one step an epoch). Raises ConfigError."""
    base = base or Config()
    if args.dataset is not None:
        base = on_dataset(base, args.dataset)
    return base.with_changes(**given_options(args)).validate()


def option_name(section: str, field: str) -> str:
    """The command-line option that sets a config field: ("data", "name") -> "--dataset"."""
    arg = next(arg for arg, name in _FIELDS[section].items() if name == field)
    return "--" + arg.replace("_", "-")


def check_data_options(args: argparse.Namespace, dataset: str) -> None:
    """Raise ConfigError for a data option that `dataset` does not read: `--dataset digits
    --noise 0.3` trained digits as if the noise had been heard."""
    for arg, setting in _FIELDS["data"].items():
        if getattr(args, arg) is not None and not reads(dataset, setting):
            raise ConfigError(f"{option_name('data', setting)} applies only to {spoken_list(SETS_READING[setting])}, not to {dataset}")


def parse_config(argv: list[str] | None, base: Config | None = None) -> tuple[argparse.Namespace, Config]:
    """Parse and validate; a bad combination exits 2 with argparse's message, like a bad option.
    Data options are checked against the set where it is known here: the one named, or a new
    headless run's (the window puts options without --dataset over its last session's set, and
    a checkpoint's set is checked as it opens)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args, base)
        if args.dataset is not None or (args.headless and not args.load):
            check_data_options(args, config.data.name)
        return args, config
    except ConfigError as exc:
        parser.error(str(exc))
        raise  # unreachable: parser.error exits
