"""A splash screen, up within a second or two of launch: the window's modules import torch
first, which takes seconds on a cold start (3 to 4 s on the project's 2-core machine). This
module imports Qt only, so main.py can show it before anything imports torch."""

from __future__ import annotations

import sys

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QSplashScreen

SIZE = (360, 140)
TITLE = "MLP Lab"
MESSAGE = "loading PyTorch…"


def show_splash() -> QSplashScreen:
    """Create the application if there is none yet, and show the splash at once."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    width, height = SIZE
    pixmap = QPixmap(width, height)
    pixmap.fill(QColor("white"))
    painter = QPainter(pixmap)
    font = painter.font()
    font.setPointSize(20)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#1f77b4"))
    painter.drawText(QRect(0, 25, width, 50), Qt.AlignmentFlag.AlignCenter, TITLE)
    painter.end()
    splash = QSplashScreen(pixmap)
    splash.showMessage(MESSAGE, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, QColor("#555"))
    splash.show()
    app.processEvents()  # painted now: the imports that follow hold the thread for seconds
    return splash
