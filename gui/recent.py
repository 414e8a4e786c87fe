"""File > Open recent: the checkpoints last saved or opened, remembered between launches."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMenu

RECENT_KEY = "files/recent_checkpoints"
RECENT_LIMIT = 8
FOLDER_WIDTH_PX = 320  # a longer folder is cut in the middle, as a file dialog would


class RecentCheckpoints:
    """Fills `menu` each time it opens, newest first; a file gone since is shown greyed out."""

    def __init__(self, settings: QSettings, menu: QMenu, open_path: Callable[[str], None]) -> None:
        self.settings = settings
        self.menu = menu
        self.open_path = open_path
        menu.aboutToShow.connect(self.fill)

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
            action.setEnabled(os.path.isfile(path))
            action.triggered.connect(lambda checked=False, p=path: self.open_path(p))
        if not paths:
            self.menu.addAction("No checkpoints yet").setEnabled(False)
            return
        self.menu.addSeparator()
        self.menu.addAction("Clear the list", self.clear)
