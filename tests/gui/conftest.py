"""Fixtures that build the real window on a real session, offscreen, with private settings."""

from __future__ import annotations

import itertools

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QWidget

from engine.config import Config
from gui.app import make_application
from gui.main_window import MainWindow
from gui.session import Session
from gui.unsaved import ASK_KEY

WAIT_MS = 20000


def digits_config(**train) -> Config:
    """A quick run: digits, one small hidden layer, small batches."""
    return Config().with_changes(
        data={"name": "digits"},
        model={"hidden": (32,), "init": "he", "init_scale": 1.0},
        train={"batch_size": 32, "epochs": 50, **train},
        probes={"every": 5},
    )


@pytest.fixture
def settings(tmp_path) -> QSettings:
    """Private settings. Closing and opening do not ask to save unsaved training: a test's window
    closes at its end, where nobody answers (tests of the question turn it back on)."""
    private = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    private.setValue(ASK_KEY, False)
    return private


@pytest.fixture
def make_window(qtbot, settings):
    """Build windows on demand; each opens its session on the given config and waits for the model."""
    make_application()
    made: list[MainWindow] = []

    def make(config: Config | None = None, start: bool = False) -> MainWindow:
        config = config or digits_config()
        session = Session()
        window = MainWindow(session, settings, config)
        qtbot.addWidget(window)
        window.show()
        with qtbot.waitSignal(session.started, timeout=WAIT_MS):
            session.open(config, start=start)
        made.append(window)
        qtbot.waitUntil(lambda: session.mode == ("running" if start else "paused"), timeout=WAIT_MS)
        return window

    yield make
    for window in made:
        window.close()


def press_shortcut(qtbot, window: MainWindow, key: str | Qt.Key) -> None:
    """Keyboard shortcuts reach the active window only: make sure it is (another test's
    window, deleted a moment ago, can still take activation away from a new one)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(window, key)


def shown(qtbot, widget: QWidget, width: int, height: int) -> None:
    """`widget` on screen at `width` x `height`, closed by qtbot after the test."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()


def wait_for(qtbot, condition, timeout: int = WAIT_MS) -> None:
    qtbot.waitUntil(condition, timeout=timeout)


def drawn_labels(axis: pg.AxisItem) -> list[tuple[pg.QtCore.QRectF, str]]:
    """The tick labels `axis` draws, with their rectangles."""
    image = pg.QtGui.QImage(8, 8, pg.QtGui.QImage.Format.Format_ARGB32)
    painter = pg.QtGui.QPainter(image)
    try:
        return [(rect, text) for rect, _, text in axis.generateDrawSpecs(painter)[2]]
    finally:
        painter.end()


def cut_labels(widget) -> list[tuple[str, str]]:
    """Tick labels drawn inside `widget` that its views cut off: partly outside the visible scene."""
    cut = []
    for view in widget.findChildren(pg.GraphicsView):
        visible = view.mapToScene(view.viewport().rect()).boundingRect()
        for axis in (item for item in view.scene().items() if isinstance(item, pg.AxisItem) and item.isVisible()):
            cut += [(axis.orientation, text) for rect, text in drawn_labels(axis) if not visible.contains(axis.mapRectToScene(rect))]
    return cut


def touching_labels(widget) -> list[tuple[str, str, str]]:
    """Pairs of tick labels that touch or overlap, on any axis drawn inside `widget`, with the axis's side."""
    touching = []
    for view in widget.findChildren(pg.GraphicsView):
        for axis in (item for item in view.scene().items() if isinstance(item, pg.AxisItem) and item.isVisible()):
            for (rect, text), (other_rect, other_text) in itertools.combinations(drawn_labels(axis), 2):
                if rect.intersects(other_rect):
                    touching.append((axis.orientation, text, other_text))
    return touching
