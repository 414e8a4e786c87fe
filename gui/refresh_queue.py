"""The panels on screen redrawn in turns, one plot per pass of the event loop.

Qt paints everything a pass made dirty at once, and all panels together held the GUI
thread for 50-100 ms on a slow machine while training ran (benchmarks/results.md): one
plot at a time, with a pause after each paint, keeps every paint short.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

STAGGER_MS = 5  # from the end of one refresh's paint to the next refresh: room for input and timers

# Redraws a panel: the argument asks for one plot only (panels of one plot ignore it), the result
# says whether some of its plots are still behind.
Refresh = Callable[[bool], "bool | None"]


def on_screen(widget: QWidget) -> bool:
    """Shown and not covered: a dock in a tab behind another is "visible" to Qt all the same."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


class RefreshQueue(QObject):
    def __init__(
        self, parent: QObject, refreshes: Callable[[], list[tuple[QWidget, Refresh]]], after: Callable[[QWidget], None]
    ) -> None:
        """`refreshes` gives every panel and its Refresh; `after` runs after each redraw of a panel."""
        super().__init__(parent)
        self.refreshes = refreshes
        self.after = after
        self.due: list[QWidget] = []  # panels waiting for their turn
        self.stagger = QTimer(self, singleShot=True, interval=STAGGER_MS)
        self.stagger.timeout.connect(self._next)
        # Fires once the event loop has painted what a refresh made dirty: the stagger counts
        # from there, else a paint longer than it runs straight into the next refresh.
        self.painted = QTimer(self, singleShot=True, interval=0)
        self.painted.timeout.connect(self.stagger.start)

    @property
    def idle(self) -> bool:
        """No refresh waits for its turn or for the paint before it."""
        return not (self.stagger.isActive() or self.painted.isActive())

    def all_now(self) -> None:
        """Every panel on screen, whole, at once (the queue's turns start over)."""
        self.due.clear()
        for panel, refresh in self.refreshes():
            if on_screen(panel):
                refresh(False)
                self.after(panel)

    def tick(self) -> None:
        """Queue the panels on screen. A panel still waiting for its turn keeps its place, and one
        with plots still behind goes to the back of the queue, so each gets its turn."""
        on_show = [panel for panel, _ in self.refreshes() if on_screen(panel)]  # not a tab behind another
        self.due += [panel for panel in on_show if panel not in self.due]
        if self.idle:
            self._next()

    def one_plot_of(self, panel: QWidget) -> bool:
        """Draw one plot of `panel` (or all of it, for panels drawn as a whole); True while
        some of its plots are still behind."""
        for candidate, refresh in self.refreshes():
            if candidate is panel:
                behind = bool(refresh(True))
                self.after(panel)
                return behind
        return False

    def _next(self) -> None:
        if self.due:
            panel = self.due.pop(0)
            # A tab put behind another meanwhile leaves the queue; the next tick brings it back when shown.
            if on_screen(panel) and self.one_plot_of(panel):
                self.due.append(panel)  # more of it to draw, after the others' turns
        if self.due:
            self.painted.start()
