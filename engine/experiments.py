"""The MLP chapter's experiments: several configurations trained side by side.

Each experiment is a list of labelled variants. `compare()` trains them
together, one epoch of each in turn (as d2l's dropout demo trains two nets at
once), and yields their epoch reports as they come, each with what its variant
has learned so far (its weights, and for 1-D inputs its fit over the input
range), then the outcomes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from engine.config import Config, DataConfig
from engine.data import POLY_TRUE_WEIGHTS, ProgressCallback
from engine.predictions import curve_over
from engine.stats import Diverged, EpochReport, History
from engine.trainer import Trainer


@dataclass(frozen=True)
class Variant:
    label: str
    config: Config


@dataclass(frozen=True)
class Learned:
    """What a variant's model holds at one moment: plain numpy, ready to draw."""

    first_weights: np.ndarray  # the first Linear layer's weights (out, in)
    first_bias: np.ndarray
    weight_norm: float  # of all Linear weights together
    fit_x: np.ndarray  # 1-D inputs: a grid over the data's range (else empty)
    fit_y: np.ndarray  # and the model's predictions on it
    train_x: np.ndarray  # 1-D inputs: the training points (else empty)
    train_y: np.ndarray


@dataclass(frozen=True)
class VariantEpoch:
    """One epoch of one variant, as it finishes, and what the variant has learned by then:
    the panel draws it while the runs go on (an epoch of Fashion-MNIST takes seconds)."""

    index: int
    report: EpochReport
    learned: Learned


@dataclass(frozen=True)
class Outcome:
    """A variant once all are done: what it learned and its losses on both whole splits."""

    label: str
    history: History
    learned: Learned
    train_loss: float  # evaluated on the whole split at the end (eval mode: no dropout)
    test_loss: float
    diverged: str = ""


def _regression(name: str, **train: float) -> Config:
    return Config().with_changes(
        data={"name": name}, model={"hidden": (), "init": "normal", "init_scale": 0.01}, train={"optimizer": "sgd", **train}
    )


def polynomial_degrees() -> list[Variant]:
    """d2l's model selection: degree 3 fits (4 features), degree 1 underfits (2), 19 overfits (20)."""
    base = _regression("polynomial", lr=0.01, batch_size=10, epochs=400)
    return [
        Variant(
            f"degree {features - 1} ({features} features)",
            base.with_changes(data={"poly_degree": features}, train={"epochs": epochs}),
        )
        for features, epochs in ((4, 400), (2, 400), (20, 1500))  # d2l gives the overfitting model 1500 epochs
    ]


def weight_decay_lambdas() -> list[Variant]:
    """d2l's weight decay: 200-d linear regression from 20 points, lambda 0 against 3."""
    base = _regression("highdim", lr=0.003, batch_size=5, epochs=100)
    return [Variant(f"lambda {lam:g}", base.with_changes(train={"weight_decay": lam})) for lam in (0.0, 3.0)]


def dropout_on_the_line() -> list[Variant]:
    """A 200-200 net on 20 noisy points of a line: it memorises the noise unless dropout stops it."""
    base = Config().with_changes(
        data={"name": "line"},
        model={"hidden": (200, 200), "activation": "relu", "init": "he", "init_scale": 1.0},
        train={"optimizer": "adam", "lr": 0.01, "batch_size": 20, "epochs": 500},
    )
    return [Variant(f"dropout {p:g}", base.with_changes(model={"dropout": p})) for p in (0.0, 0.5)]


def dropout_on_fashion_mnist() -> list[Variant]:
    """d2l's dropout chapter: 784-256-256-10, dropout 0.2 then 0.5 against none, lr 0.5."""
    base = Config().with_changes(model={"hidden": (256, 256)}, train={"lr": 0.5, "epochs": 10})
    return [
        Variant(label, base.with_changes(model={"dropout": p}))
        for label, p in (("no dropout", 0.0), ("dropout 0.2", 0.2), ("dropout 0.5", 0.5))
    ]


EXPERIMENTS: dict[str, Callable[[], list[Variant]]] = {
    "Model selection: polynomial degree 3 / 1 / 19": polynomial_degrees,
    "Weight decay: lambda 0 vs 3 (200-d, 20 points)": weight_decay_lambdas,
    "Dropout: 200-200 net on 20 noisy points, 0 vs 0.5": dropout_on_the_line,
    "Dropout on Fashion-MNIST: 784-256-256-10, 0 / 0.2 / 0.5": dropout_on_fashion_mnist,
}
TRUE_POLYNOMIAL = np.array(POLY_TRUE_WEIGHTS)


def compare(
    variants: list[Variant], should_stop: Callable[[], bool] = lambda: False, progress: ProgressCallback | None = None
) -> Iterator[VariantEpoch | list[Outcome]]:
    """Train every variant, an epoch of each in turn; yield each finished epoch, then the
    outcomes (last); return early, between two steps, once `should_stop`. A variant that diverges
    stops there and says so in its outcome. `progress` hears of a dataset's download
    (Fashion-MNIST's, the first time), and may raise DataError to abandon it."""
    trainers = [Trainer(v.config, progress=progress) for v in variants]
    diverged = [""] * len(variants)
    epochs = max(v.config.train.epochs for v in variants)
    for _ in range(epochs):
        for index, trainer in enumerate(trainers):
            if diverged[index] or trainer.state.epoch >= trainer.config.train.epochs:
                continue
            report = _one_epoch(trainer, should_stop)
            if report is None:
                return
            if isinstance(report, Diverged):
                diverged[index] = report.message
                continue
            yield VariantEpoch(index, report, learned_by(trainer))
            if should_stop():
                return
    yield [_outcome(v, t, d) for v, t, d in zip(variants, trainers, diverged)]


def _one_epoch(trainer: Trainer, should_stop: Callable[[], bool]) -> EpochReport | Diverged | None:
    """The rest of an epoch, or None if told to stop first: an epoch of Fashion-MNIST takes
    seconds, and a window closing waits for no more than a step."""
    while not should_stop():
        for event in trainer.train_step():
            if isinstance(event, (EpochReport, Diverged)):
                return event
    return None


def learned_by(trainer: Trainer) -> Learned:
    """What `trainer`'s model holds now; the fit is predicted in eval mode, which draws no
    random numbers and moves no batch-norm statistics: training goes on as if unseen."""
    weights = [layer.weight.detach() for layer in trainer.model.layers]
    norm = float(torch.sqrt(sum((w * w).sum() for w in weights)))
    fit_x = fit_y = train_x = train_y = np.zeros(0)
    data = trainer.data
    if data.n_features == 1 and not data.is_classification:  # a curve y(x): not a plane set given one feature
        train_x, train_y = data.x_train.cpu().squeeze(1).numpy(), data.y_train.cpu().squeeze(1).numpy()
        fit_x, fit_y = curve_over(trainer.predict, data.x_train)
    first = trainer.model.layers[0]
    return Learned(
        first.weight.detach().cpu().numpy().copy(), first.bias.detach().cpu().numpy().copy(), norm, fit_x, fit_y, train_x, train_y
    )


def _outcome(variant: Variant, trainer: Trainer, diverged: str) -> Outcome:
    train_loss, _ = trainer.evaluate("train")
    test_loss, _ = trainer.evaluate("test")
    return Outcome(variant.label, trainer.history, learned_by(trainer), train_loss, test_loss, diverged)


def on_data_folder(variants: list[Variant], data: DataConfig) -> list[Variant]:
    """The variants, those on `data`'s image set reading it from its folder (a folder given with
    --data-dir, not only the cache). Only for the same set: MNIST's files bear Fashion-MNIST's names."""
    return [
        dataclasses.replace(v, config=v.config.with_changes(data={"data_dir": data.data_dir})) if v.config.data.name == data.name else v
        for v in variants
    ]


def run(variants: list[Variant]) -> list[Outcome]:
    """Train to the end and return the outcomes (for tests and scripts)."""
    result: list[Outcome] = []
    for item in compare(variants):
        if isinstance(item, list):
            result = item
    return result
