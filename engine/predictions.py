"""What the model gets right and wrong on the test set (d2l's predict_ch3, and more).

A Predictions holds plain numpy: the confusion matrix, and a handful of test
examples with their true and predicted labels, the most confident mistakes
first, since those teach the most. A regression gets a Fit instead: each test
target beside its prediction, and for a model of one input its curve over it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

SHOWN = 24  # examples kept for the gallery


@dataclass(frozen=True)
class Predictions:
    epoch: int
    step: int
    class_names: tuple[str, ...]
    confusion: np.ndarray  # (classes, classes) counts; row = true class, column = predicted
    indices: np.ndarray  # (k,) test-set indices of the examples shown, mistakes first
    images: np.ndarray  # (k, h, w) those examples as images; (0,) for data that are not images
    true: np.ndarray  # (k,) their labels
    predicted: np.ndarray  # (k,)
    confidence: np.ndarray  # (k,) softmax probability of the predicted class

    @property
    def total(self) -> int:
        return int(self.confusion.sum())

    @property
    def wrong(self) -> int:
        return self.total - int(np.trace(self.confusion))


def summarize(
    logits: torch.Tensor,
    labels: torch.Tensor,
    inputs: torch.Tensor,
    class_names: tuple[str, ...],
    image_shape: tuple[int, int] | None,
    epoch: int,
    step: int,
    shown: int = SHOWN,
) -> Predictions:
    """Confusion matrix and gallery from the model's outputs on the whole test set."""
    classes = len(class_names)
    probabilities = torch.softmax(logits.float(), 1)
    confidence, predicted = probabilities.max(1)
    confusion = torch.bincount(labels * classes + predicted, minlength=classes * classes).reshape(classes, classes)
    wrong = predicted != labels
    # Mistakes first, the most confident ones leading; then correct answers, the least sure first.
    key = torch.where(wrong, 2.0 + confidence, 1.0 - confidence)
    order = torch.argsort(key, descending=True, stable=True)[:shown]
    images = inputs[order].reshape(len(order), *image_shape) if image_shape else inputs.new_zeros(0)
    return Predictions(
        epoch,
        step,
        class_names,
        confusion.cpu().numpy(),
        order.cpu().numpy(),
        images.cpu().numpy().copy(),
        labels[order].cpu().numpy(),
        predicted[order].cpu().numpy(),
        confidence[order].cpu().numpy(),
    )


FIT_POINTS = 2000  # test targets kept for the plot: every one of the app's regression sets
CURVE_POINTS = 200  # a 1-D input's model, drawn as a curve


def no_points() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0), np.zeros(0)


@dataclass(frozen=True)
class Fit:
    """A regression's test set: each target beside the model's prediction; with one input, the
    model as a curve over it, and the points it learns from (see `over_the_input`)."""

    epoch: int
    step: int
    true: np.ndarray  # (n,) targets
    predicted: np.ndarray  # (n,)
    test_x: np.ndarray = field(default_factory=lambda: np.zeros(0))  # one input: each target's x (else empty)
    curve: tuple[np.ndarray, np.ndarray] = field(default_factory=no_points)  # one input: x, prediction over its range
    train: tuple[np.ndarray, np.ndarray] = field(default_factory=no_points)  # one input: the training points

    @property
    def mse(self) -> float:
        """The mean squared error: the curves' test loss."""
        return float(np.mean((self.predicted.astype(np.float64) - self.true) ** 2)) if self.true.size else 0.0


def fit(outputs: torch.Tensor, targets: torch.Tensor, epoch: int, step: int, kept: int = FIT_POINTS) -> Fit:
    """The first `kept` test targets and the predictions for them (one output per example)."""
    return Fit(epoch, step, targets[:kept].reshape(-1).cpu().numpy().copy(), outputs[:kept].reshape(-1).float().cpu().numpy().copy())


def curve_over(predict: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, points: int = CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """A model of one input as a curve: its predictions over a grid spanning `x`'s range."""
    grid = torch.linspace(float(x.min()), float(x.max()), points).unsqueeze(1)
    return grid.squeeze(1).numpy(), predict(grid).float().cpu().squeeze(1).numpy()


def over_the_input(f: Fit, predict: Callable[[torch.Tensor], torch.Tensor], x_train: torch.Tensor, y_train: torch.Tensor, x_test: torch.Tensor) -> Fit:
    """`f` with what a model of one input shows best: its curve over every input's range (a test
    point beyond the training ones is where a wiggly fit goes wrong), the training points it
    bends towards, and each test target's x."""
    train = (x_train.cpu().squeeze(1).numpy().copy(), y_train.cpu().squeeze(1).numpy().copy())
    test_x = x_test[: len(f.true)].cpu()
    return dataclasses.replace(f, test_x=test_x.squeeze(1).numpy().copy(), curve=curve_over(predict, torch.cat([x_train.cpu(), test_x])), train=train)
