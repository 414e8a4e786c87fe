"""The divergence banner: what happened, and one-click remedies."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.numbers import significant
from engine.stats import Diverged


class DivergenceBanner(QFrame):
    lower_lr = Signal()
    clip_gradients = Signal()
    reset = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("divergenceBanner")
        self.setStyleSheet("#divergenceBanner { background:#f8d7da; border:1px solid #f1aeb5; border-radius:4px }"
                           "#divergenceBanner QLabel { color:#58151c }")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.lower_lr_button = QPushButton("Lower learning rate ×0.1")
        self.clip_button = QPushButton("Clip gradients at 1")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("A fresh model with the settings shown: lower the init scale first where it is large")
        for remedy in (self.lower_lr_button, self.clip_button):
            remedy.setToolTip("Then press Start: training stays paused until you do")
        self.dismiss_button = QPushButton("Dismiss")
        buttons = QHBoxLayout()
        for button in (self.lower_lr_button, self.clip_button, self.reset_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.dismiss_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.lower_lr_button.clicked.connect(self.lower_lr)
        self.clip_button.clicked.connect(self.clip_gradients)
        self.reset_button.clicked.connect(self.reset)
        self.dismiss_button.clicked.connect(self.hide)
        self.hide()

    def show_divergence(self, event: Diverged) -> None:
        """Two lines where there were five (the engine's whole message, and what the buttons
        say again): on a 700-pixel screen the banner left the loss plot a pixel high."""
        self.message.setText(
            f"<b>Diverged at step {event.step:,} (epoch {event.epoch + 1}); paused.</b> The loss became {significant(event.loss)}; "
            f"the gradients of layer {html.escape(event.layer)} blew up first. The weights were not updated."
        )
        self.show()
