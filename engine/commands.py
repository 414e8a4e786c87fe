"""Typed commands the window (or a test) sends to a running Trainer.

They travel through a thread-safe queue and are applied between two steps,
so no tensor is ever touched by two threads at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from engine.cli import option_name
from engine.config import Config, changed_fields
from engine.errors import ConfigError


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
    # Settings the command line named (cli.given_options), put over the file's own before it is
    # shown (changes_over_checkpoint); a file opened from the menu has none.
    given: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


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


# How a run goes, not what it trains: a session's own, whatever checkpoint it opens (engine.checkpoint
# takes the device, data folder and probe interval from the session; the epochs count on).
RUN_FIELDS = frozenset({("data", "data_dir"), ("train", "device"), ("train", "epochs"), ("probes", "every")})


def changes_over_checkpoint(loaded: Config, epoch: int, given: Mapping[str, Mapping[str, Any]]) -> list[LiveChange]:
    """The live commands that put the settings named on the command line over an opened
    checkpoint's (`--load run.pt --lr 0.01` trains on at 0.01); the epochs count on from the
    file's (`--epochs 5`: five more). One that needs another model or other data raises
    ConfigError, before anything changed: refused rather than silently left out."""
    wanted = loaded.with_changes(**given).validate()
    needing_reset = [name for name in changed_fields(loaded, wanted) if name not in LIVE_FIELDS | RUN_FIELDS]
    if needing_reset:
        names = ", ".join(option_name(*name) for name in needing_reset)
        live = ", ".join(option_name(change.section, change.field) for change in LIVE_CHANGES)
        raise ConfigError(f"with --load the checkpoint's model and data are kept, so {names} cannot apply (these can: {live})")
    changes: list[LiveChange] = [
        change(given[change.section][change.field])
        for change in LIVE_CHANGES
        if change is not SetEpochs and change.field in given.get(change.section, {})
    ]
    if "epochs" in given.get("train", {}):
        changes.append(SetEpochs(epoch + given["train"]["epochs"]))
    return changes


def fields_needing_reset(old: Config, new: Config) -> list[str]:
    """Names of the fields that differ between `old` and `new` and only a reset can apply."""
    return [name for section, name in changed_fields(old, new) if (section, name) not in LIVE_FIELDS]


Command = Pause | Resume | Step | Stop | Reset | Save | Load | LiveChange
