"""The training worker: builds a Trainer and iterates its generator in a QThread.

The GUI thread never trains, loads or downloads: all of that happens here. Events
leave in batches, at most about 30 a second while training runs flat out, so the
GUI thread spends its time drawing rather than unpacking signals.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback

from PySide6.QtCore import QObject, Signal, Slot

from engine import commands as cmd
from engine.config import Config
from engine.errors import DataError, EngineError
from engine.stats import Snapshot, StepReport
from engine.trainer import Trainer, leave_cores_for_others

FLUSH_INTERVAL_S = 1 / 30


class NumberedWorker(QObject):
    """A worker for a QThread whose signals start with its number: one queued before the worker
    was stopped is delivered after it, when another may run, and must be told apart. Cancelling
    it abandons a download in progress."""

    failed = Signal(int, str)  # worker, why it could not go on (bad data, cancelled download)
    download = Signal(int, str, int, int)  # worker, file name, bytes done, bytes total (0 if unknown)
    finished = Signal()

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Thread-safe: abandon a download in progress (and whatever else the worker checks for)."""
        self._cancelled.set()

    def report_download(self, name: str, done: int, total: int) -> None:
        """The progress callback for a dataset's download (engine.data.ProgressCallback)."""
        if self._cancelled.is_set():
            raise DataError("the download was cancelled")
        self.download.emit(self.number, name, done, total)


class TrainingWorker(NumberedWorker):
    events = Signal(int, object)  # worker, list of engine events, oldest first

    def __init__(self, config: Config, commands: queue.SimpleQueue[cmd.Command], start: bool, snapshot_weights: bool, number: int) -> None:
        super().__init__(number)
        self._config = config
        self._commands = commands
        self._start = start
        self._snapshot_weights = snapshot_weights

    @Slot()
    def run(self) -> None:
        try:
            leave_cores_for_others(1)
            try:
                trainer = Trainer(self._config, progress=self.report_download, commands=self._commands)
            except EngineError as exc:
                self.failed.emit(self.number, str(exc))
                return
            trainer.snapshot_weights = self._snapshot_weights
            trainer.report_predictions = True
            self._pump(trainer)
        except Exception as exc:  # a bug must reach the user, not end the thread in silence
            traceback.print_exc()
            self.failed.emit(self.number, f"internal error in the training thread: {exc!r}")
        finally:
            self.finished.emit()

    def _pump(self, trainer: Trainer) -> None:
        pending: list[object] = []
        last_flush = time.perf_counter()
        for event in trainer.run(start=self._start, stop_when_finished=False):
            pending.append(event)
            now = time.perf_counter()
            # Steps and snapshots wait for the next flush; anything else (an epoch, a state
            # change, a save) goes at once, and so does everything when training stops
            # advancing, since the generator may then block on the command queue.
            routine = isinstance(event, (StepReport, Snapshot))
            if not routine or trainer.mode != "running" or now - last_flush >= FLUSH_INTERVAL_S:
                self.events.emit(self.number, pending)
                pending = []
                last_flush = now
        if pending:
            self.events.emit(self.number, pending)
