"""Space starts and pauses training from anywhere in the app, yet a control reached with the
keyboard still gets Space, as Qt's own keyboard navigation promises."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QApplication, QComboBox, QWidget

# Widgets that act on Space (press, tick, open) but, unlike text boxes, never claim it from a
# shortcut.
PRESSED_BY_SPACE = (QAbstractButton, QComboBox)


class SpaceForKeyboardFocus(QObject):
    """Before a shortcut fires, Qt asks the focused widget whether it wants the key
    (ShortcutOverride); buttons, check boxes and combo boxes never say yes, so Start/Pause took
    Space and a keyboard user could not tick a box. This says yes for such a control while the
    keyboard (Tab) holds the focus there. A control clicked with the mouse keeps the focus too,
    but leaves Space to Start/Pause: the hand on the mouse expects that. A list (a combo box's
    open popup) always says yes: training started behind an open popup.

    The filter stays on a control once the keyboard has reached it (a few widgets at most), and
    is never put on the application: that would take Python's lock for each of its events, and
    wait for the training thread each time."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._keyboard_control: QWidget | None = None  # where Tab put the focus, until it moves
        QApplication.instance().focusChanged.connect(self._on_focus_changed)

    def _on_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if isinstance(new, QAbstractItemView):
            new.installEventFilter(self)
        elif old is not None and not isinstance(old, QAbstractItemView):  # moved, not given back by a window or a closed popup
            by_keyboard = QApplication.mouseButtons() == Qt.MouseButton.NoButton
            self._keyboard_control = new if by_keyboard and isinstance(new, PRESSED_BY_SPACE) else None
            if self._keyboard_control is not None:
                new.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ShortcutOverride or event.key() != Qt.Key.Key_Space or event.modifiers():
            return False
        if watched is self._keyboard_control or isinstance(watched, QAbstractItemView):
            event.accept()  # the key goes to the control, not to the shortcut
            return True
        return False
