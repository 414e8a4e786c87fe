"""File > Open recent: the checkpoints last saved or opened, remembered between launches.

Which of them still exist is asked off the GUI thread (a stat on a network drive can hang)
when the File menu opens, before the list under it is shown."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QMenu

RECENT_KEY = "files/recent_checkpoints"
RECENT_LIMIT = 8
FOLDER_WIDTH_PX = 320  # a longer folder is cut in the middle, as a file dialog would


class RecentCheckpoints(QObject):
    """Fills `menu` each time it opens, newest first; a file found gone is shown greyed out."""

    checked = Signal(list)  # the listed paths that are not files, found off the GUI thread

    def __init__(self, settings: QSettings, file_menu: QMenu, menu: QMenu, open_path: Callable[[str], None]) -> None:
        super().__init__(menu)
        self.settings = settings
        self.menu = menu
        self.open_path = open_path
        self.missing: set[str] = set()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.checked.connect(self._on_checked)
        file_menu.aboutToShow.connect(self.check)
        menu.aboutToShow.connect(self.fill)

    def check(self) -> None:
        """Find out which listed files are gone, in the background; the list shows it when it comes."""
        paths = self.paths()
        self.pool.start(lambda: self.checked.emit([p for p in paths if not os.path.isfile(p)]))

    def wait(self, msecs: int = 2000) -> bool:
        return self.pool.waitForDone(msecs)

    def _on_checked(self, missing: list[str]) -> None:
        self.missing = set(missing)
        if self.menu.isVisible():
            self.fill()

    def paths(self) -> list[str]:
        stored = self.settings.value(RECENT_KEY, [])
        return [stored] if isinstance(stored, str) else list(stored or [])  # an INI file reads one item back as a string

    def add(self, path: str) -> None:
        """`path` moves to the top (a file saved or opened only once, however often)."""
        path = os.path.abspath(path)
        self.settings.setValue(RECENT_KEY, [path, *(p for p in self.paths() if p != path)][:RECENT_LIMIT])

    def clear(self) -> None:
        self.settings.remove(RECENT_KEY)

    def fill(self) -> None:
        self.menu.clear()
        paths = self.paths()
        for number, path in enumerate(paths, 1):
            # The file's name first, where the eye looks, and its folder after it.
            folder = self.menu.fontMetrics().elidedText(str(Path(path).parent), Qt.TextElideMode.ElideMiddle, FOLDER_WIDTH_PX)
            action = self.menu.addAction(f"&{number} {Path(path).name}  ({folder})")
            action.setToolTip(path)
            action.setEnabled(path not in self.missing)
            action.triggered.connect(lambda checked=False, p=path: self.open_path(p))
        if not paths:
            self.menu.addAction("No checkpoints yet").setEnabled(False)
            return
        self.menu.addSeparator()
        self.menu.addAction("Clear the list", self.clear)
