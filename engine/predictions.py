"""What the model gets right and wrong on the test set (d2l's predict_ch3, and more).

A Predictions holds plain numpy: the confusion matrix, and a handful of test
examples with their true and predicted labels, the most confident mistakes
first, since those teach the most. A regression gets a Fit instead: each test
target beside its prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Fit:
    """A regression's test set: each target beside the model's prediction."""

    epoch: int
    step: int
    true: np.ndarray  # (n,) targets
    predicted: np.ndarray  # (n,)

    @property
    def mse(self) -> float:
        """The mean squared error: the curves' test loss."""
        return float(np.mean((self.predicted.astype(np.float64) - self.true) ** 2)) if self.true.size else 0.0


def fit(outputs: torch.Tensor, targets: torch.Tensor, epoch: int, step: int, kept: int = FIT_POINTS) -> Fit:
    """The first `kept` test targets and the predictions for them (one output per example)."""
    return Fit(epoch, step, targets[:kept].reshape(-1).cpu().numpy().copy(), outputs[:kept].reshape(-1).float().cpu().numpy().copy())
