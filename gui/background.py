"""Small file jobs (exports) off the GUI thread, reporting back by signal."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QThreadPool, Signal

from engine.errors import EngineError


class BackgroundJobs(QObject):
    finished = Signal(str, str)  # description, error ("" when it worked)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one file at a time, in the order asked

    def run(self, description: str, job: Callable[[], None]) -> None:
        def task() -> None:
            try:
                job()
            except EngineError as exc:  # a file not written: SaveError, with the system's reason
                self.finished.emit(description, str(exc))
            else:
                self.finished.emit(description, "")

        self.pool.start(task)

    def wait(self, msecs: int = 2000) -> bool:
        return self.pool.waitForDone(msecs)
