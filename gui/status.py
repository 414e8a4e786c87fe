"""The status bar's message, cut to the room its labels leave."""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QStatusBar


class StatusMessage(QObject):
    """A message left of the status bar's labels, cut in the middle where it would run under
    them (a path keeps its file name; a cut at the end lost it), and cut again whenever the
    labels move: training's samples/s appeared after the first launch's note was shown, and the
    note ran under them ("...choose it and press Rrunning")."""

    def __init__(self, bar: QStatusBar, labels: Sequence[QLabel]) -> None:
        super().__init__(bar)
        self.bar = bar
        self.labels = labels
        self._message = ""
        self._until: float | None = None  # when a timed message goes (time.monotonic); None: it stays
        self._shown = ""  # the message as last cut
        labels[0].installEventFilter(self)  # the leftmost: it moves whenever the others grow or shrink

    def say(self, message: str, ms: int) -> None:
        """Show `message` for `ms` milliseconds (0: until the next one)."""
        self._message = message
        self._until = time.monotonic() + ms / 1000 if ms else None
        self._fit()

    def _fit(self) -> None:
        ms = 0 if self._until is None else max(1, round((self._until - time.monotonic()) * 1000))
        metrics = self.bar.fontMetrics()
        visible = [label for label in self.labels if label.isVisible()]
        room = min((label.x() for label in visible), default=self.bar.width()) - 2 * metrics.averageCharWidth()
        self._shown = metrics.elidedText(self._message, Qt.TextElideMode.ElideMiddle, max(room, 1))
        self.bar.showMessage(self._shown, ms)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # Only the message still showing: not one gone by its time or replaced (a menu's tip).
        if event.type() == QEvent.Type.Move and self._shown and self.bar.currentMessage() == self._shown:
            self._fit()
        return False
