"""Typed commands the window (or a test) sends to a running Trainer.

They travel through a thread-safe queue and are applied between two steps,
so no tensor is ever touched by two threads at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.config import Config


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Step:
    """Train `count` batches, then stay paused."""

    count: int = 1


@dataclass(frozen=True)
class Stop:
    """End the run: the trainer's generator returns."""


@dataclass(frozen=True)
class Reset:
    """Rebuild model, optimizer and (if it changed) the data from `config`; starts paused."""

    config: Config


@dataclass(frozen=True)
class Save:
    path: str


@dataclass(frozen=True)
class Load:
    path: str


class LiveChange:
    """A setting that applies at once, mid-training: it says which config fields change."""

    def changes(self) -> dict[str, dict[str, Any]]:
        raise NotImplementedError


@dataclass(frozen=True)
class SetLearningRate(LiveChange):
    lr: float

    def changes(self) -> dict[str, dict[str, Any]]:
        return {"train": {"lr": self.lr}}


@dataclass(frozen=True)
class SetWeightDecay(LiveChange):
    weight_decay: float

    def changes(self) -> dict[str, dict[str, Any]]:
        return {"train": {"weight_decay": self.weight_decay}}


@dataclass(frozen=True)
class SetL1(LiveChange):
    l1: float

    def changes(self) -> dict[str, dict[str, Any]]:
        return {"train": {"l1": self.l1}}


@dataclass(frozen=True)
class SetGradClip(LiveChange):
    max_norm: float

    def changes(self) -> dict[str, dict[str, Any]]:
        return {"train": {"clip_grad": self.max_norm}}


@dataclass(frozen=True)
class SetEpochs(LiveChange):
    epochs: int

    def changes(self) -> dict[str, dict[str, Any]]:
        return {"train": {"epochs": self.epochs}}


@dataclass(frozen=True)
class SetDropout(LiveChange):
    dropout: float

    def changes(self) -> dict[str, dict[str, Any]]:
        return {"model": {"dropout": self.dropout}}


@dataclass(frozen=True)
class SetActivation(LiveChange):
    activation: str

    def changes(self) -> dict[str, dict[str, Any]]:
        return {"model": {"activation": self.activation}}


Command = Pause | Resume | Step | Stop | Reset | Save | Load | LiveChange
