"""Typed commands the window (or a test) sends to a running Trainer.

They travel through a thread-safe queue and are applied between two steps,
so no tensor is ever touched by two threads at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from engine.config import Config, changed_fields


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
    live: tuple[LiveChange, ...] = ()  # settings to apply over the file's own before it is shown


class LiveChange:
    """A setting that applies at once, mid-training. Each subclass holds one value and
    names the config field it sets in `section` and `field`."""

    section: ClassVar[str]
    field: ClassVar[str]

    @property
    def value(self) -> Any:
        return getattr(self, self.field)

    def changes(self) -> dict[str, dict[str, Any]]:
        return {self.section: {self.field: self.value}}


@dataclass(frozen=True)
class SetLearningRate(LiveChange):
    section, field = "train", "lr"
    lr: float


@dataclass(frozen=True)
class SetWeightDecay(LiveChange):
    section, field = "train", "weight_decay"
    weight_decay: float


@dataclass(frozen=True)
class SetL1(LiveChange):
    section, field = "train", "l1"
    l1: float


@dataclass(frozen=True)
class SetGradClip(LiveChange):
    section, field = "train", "clip_grad"
    clip_grad: float


@dataclass(frozen=True)
class SetEpochs(LiveChange):
    section, field = "train", "epochs"
    epochs: int


@dataclass(frozen=True)
class SetDropout(LiveChange):
    section, field = "model", "dropout"
    dropout: float


@dataclass(frozen=True)
class SetActivation(LiveChange):
    section, field = "model", "activation"
    activation: str


LIVE_CHANGES: tuple[type[LiveChange], ...] = (
    SetLearningRate, SetWeightDecay, SetL1, SetGradClip, SetEpochs, SetDropout, SetActivation,
)  # fmt: skip
LIVE_FIELDS = frozenset((c.section, c.field) for c in LIVE_CHANGES)


def live_changes(old: Config, new: Config) -> list[LiveChange]:
    """The live commands that take `old` to `new`, ignoring fields that need a reset."""
    return [
        change(getattr(getattr(new, change.section), change.field))
        for change in LIVE_CHANGES
        if getattr(getattr(old, change.section), change.field) != getattr(getattr(new, change.section), change.field)
    ]


def named_live_changes(given: dict[str, dict[str, Any]]) -> list[LiveChange]:
    """The live commands for the settings named in `given` (by section, as cli.given_options
    gives them), the epochs left out: over an opened checkpoint they count on from its own."""
    return [
        change(given[change.section][change.field])
        for change in LIVE_CHANGES
        if change is not SetEpochs and change.field in given.get(change.section, {})
    ]


def fields_needing_reset(old: Config, new: Config) -> list[str]:
    """Names of the fields that differ between `old` and `new` and only a reset can apply."""
    return [name for section, name in changed_fields(old, new) if (section, name) not in LIVE_FIELDS]


Command = Pause | Resume | Step | Stop | Reset | Save | Load | LiveChange
