"""Train without a window: one JSON object per line on stdout, messages on stderr.

The lines are a contract (see the README): epoch 0 describes the model before
this command trains (fresh or loaded), then one line per epoch.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any, TextIO

from engine.commands import changes_over_checkpoint
from engine.config import Config
from engine.errors import EngineError
from engine.files import check_can_write
from engine.stats import Diverged, EpochReport
from engine.trainer import Trainer


def _finite_or_none(value: Any) -> Any:
    """JSON has no NaN or Infinity: such values are written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite_or_none(v) for v in value]
    return value


def _emit(out: TextIO, record: dict[str, Any]) -> None:
    out.write(json.dumps({k: _finite_or_none(v) for k, v in record.items()}) + "\n")
    out.flush()


def _download_progress(err: TextIO) -> Any:
    def report(name: str, done: int, total: int) -> None:
        share = f"{100 * done / total:5.1f} %" if total else f"{done / 1e6:.1f} MB"
        err.write(f"\rdownloading {name}: {share}")
        if total and done >= total:
            err.write("\n")
        err.flush()

    return report


def run(
    config: Config,
    load: str | None = None,
    save: str | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    given: dict[str, dict[str, Any]] | None = None,
) -> int:
    """Returns the exit status: 0 done (diverged runs included: the last line says so), 1 bad data
    or checkpoint, 130 Ctrl+C, 141 the output's reader gone. `given`: the settings the command
    line named (cli.given_options), which apply over a loaded checkpoint's own."""
    try:
        if save:
            check_can_write(save, make_folder=True)
        # A checkpoint brings its own data: the command line's dataset is not loaded first (offline,
        # its default Fashion-MNIST would stop a digits checkpoint from opening).
        trainer = Trainer(config, progress=_download_progress(err), checkpoint=load)
        first = trainer.history.epochs[0]
        if load:
            # It trains --epochs more than the file holds, given or not (the default 10).
            given = given or {}
            over = {**given, "train": {**given.get("train", {}), "epochs": config.train.epochs}}
            for change in changes_over_checkpoint(trainer.config, trainer.state.epoch, over):
                trainer.apply_live(change)
            first = trainer.evaluation_report(epoch=0)
        status = _train(trainer, first, out, err)
        if save:
            trainer.save(save)
            err.write(f"saved {save}\n")
        return status
    except EngineError as exc:
        err.write(f"error: {exc}\n")
        return 1
    except KeyboardInterrupt:  # before training: loading the data or the checkpoint
        err.write("interrupted\n")
        return INTERRUPTED


def _train(trainer: Trainer, first: EpochReport, out: TextIO, err: TextIO) -> int:
    """Write the lines while training to the end, a divergence, Ctrl+C, or the reader's going
    away; returns the exit status."""
    target = trainer.config.train.epochs
    with ctrl_c_between_steps() as interrupted:
        try:
            _emit(out, first.to_json_dict())
            for event in trainer.run(start=True, stop_when_finished=True):
                if isinstance(event, EpochReport):
                    _emit(out, event.to_json_dict())
                    acc = f", test acc {event.test_acc:.3f}" if event.test_acc is not None else ""
                    err.write(f"epoch {event.epoch}/{target}: train loss {event.train_loss:.4f}, test loss {event.test_loss:.4f}{acc}\n")
                elif isinstance(event, Diverged):
                    _emit(out, _diverged_line(trainer, event))
                    err.write(f"diverged: {event.message}\n")
                    break
                if interrupted.is_set():
                    err.write(f"interrupted {_where(trainer)}\n")
                    return INTERRUPTED
        except BrokenPipeError:  # the reader went away (`| head -1`): stop quietly, between two steps
            _stop_writing(out)
            err.write(f"stopped {_where(trainer)}: nothing reads the output any more\n")
            return READER_GONE
    return 0


def _stop_writing(out: TextIO) -> None:
    """Point stdout at /dev/null: Python's last flush of it at exit would complain of the broken
    pipe again (the recipe of Python's signal module documentation)."""
    if out is sys.stdout:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


INTERRUPTED = 128 + signal.SIGINT  # the shell's status for a command stopped by Ctrl+C
READER_GONE = 128 + signal.SIGPIPE  # and for one whose reader went away


@contextlib.contextmanager
def ctrl_c_between_steps() -> Iterator[threading.Event]:
    """Ctrl+C sets the event, which the loop reads between two steps: the run stops whole, and is
    saved where --save says, where a KeyboardInterrupt in the middle of an update ended it in a
    traceback, unsaved. A second Ctrl+C interrupts at once."""
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield interrupted
        return

    def on_ctrl_c(signum: int, frame: object) -> None:
        interrupted.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def _where(trainer: Trainer) -> str:
    """'at step 1935, after epoch 45', 'at step 1940, in epoch 46 after 5 of its 43 batches'."""
    s = trainer.state
    if s.step_in_epoch == 0:
        return f"at step {s.step}, after epoch {s.epoch}"
    return f"at step {s.step}, in epoch {s.epoch + 1} after {s.step_in_epoch} of its {s.batches_per_epoch} batches"


def _diverged_line(trainer: Trainer, event: Diverged) -> dict[str, Any]:
    test_loss, test_acc = trainer.evaluate("test")
    progress = trainer.state.progress
    _, weights = trainer.layer_norms()
    return {
        "epoch": event.epoch + 1,
        "step": event.step,
        "train_loss": event.loss,
        "test_loss": test_loss,
        "train_acc": None if test_acc is None else progress.correct / max(1, progress.seen),
        "test_acc": test_acc,
        "seconds": progress.seconds,
        "samples_per_s": progress.seen / progress.seconds if progress.seconds > 0 else 0.0,
        "grad_norm": event.grad_norm,
        "weight_norm": weights,
        "diverged": True,
        "message": event.message,
    }
