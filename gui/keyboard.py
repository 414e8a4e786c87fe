"""Space starts and pauses training from anywhere in the app, yet a control reached with the
keyboard still gets Space, as Qt's own keyboard navigation promises."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QApplication, QComboBox, QWidget

# Widgets that act on Space (press, tick, open, select) but, unlike text boxes, never claim it
# from a shortcut.
PRESSED_BY_SPACE = (QAbstractButton, QComboBox, QAbstractItemView)
# Focus that leaves for these comes back to the same widget.
FOCUS_COMES_BACK = {Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason}


class SpaceForKeyboardFocus(QObject):
    """Before a shortcut fires, Qt asks the focused widget whether it wants the key
    (ShortcutOverride); buttons, check boxes and combo boxes never say yes, so Start/Pause took
    Space and a keyboard user could not tick a box. This says yes for such a control while the
    keyboard (Tab) holds the focus there. A control clicked with the mouse keeps the focus too,
    but leaves Space to Start/Pause: the hand on the mouse expects that.

    It watches the one focused control, not every event of the application: a filter on the
    whole application would take Python's lock for each event, and wait for the training
    thread each time."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        QApplication.instance().focusChanged.connect(self._on_focus_changed)

    def _on_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        came_by_keyboard = old is not None and QApplication.mouseButtons() == Qt.MouseButton.NoButton
        if came_by_keyboard and isinstance(new, PRESSED_BY_SPACE):
            new.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Space and not event.modifiers():
            event.accept()  # the key goes to the control, not to the shortcut
            return True
        if event.type() == QEvent.Type.FocusOut and event.reason() not in FOCUS_COMES_BACK:
            watched.removeEventFilter(self)
        return False
