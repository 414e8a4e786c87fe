"""Closing, or opening another checkpoint, over training that is not saved: the window asks
first, as an editor does of an unsaved document. Minutes of Fashion-MNIST were one stray click
on the close button from gone.

What counts is the steps trained since the model was made, opened or last saved: a model
just made or just opened loses nothing, and a Reset starts the count again."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from gui.session import Session
from gui.widgets import as_sentence, wrapped_tip

ASK_KEY = "files/ask_to_save_unsaved_training"


def unsaved_text(steps: int, batches_per_epoch: int) -> str:
    """What closing or opening would lose, in steps and, from a whole epoch on, in epochs too:
    "1,410 steps (30 epochs)"."""
    text = "1 step" if steps == 1 else f"{steps:,} steps"
    epochs = steps / batches_per_epoch if batches_per_epoch else 0.0
    if epochs >= 1:
        text += f" ({epochs:.3g} epoch{'s' if epochs != 1 else ''})"
    return text


class UnsavedTraining(QObject):
    """Counts the steps the model trained since it was made, opened or saved, and asks whether
    to save them before they are lost (File > Ask to save unsaved training turns that off)."""

    def __init__(self, session: Session, settings: QSettings, parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self._kept_step = 0
        self.ask_action = QAction("Ask to save unsaved training", parent, checkable=True)
        self.ask_action.setChecked(settings.value(ASK_KEY, True, type=bool))
        self.ask_action.setToolTip(wrapped_tip("Before closing, or opening another checkpoint, over training not yet saved, offer to save it"))
        self.ask_action.toggled.connect(lambda on: settings.setValue(ASK_KEY, on))
        # Events come in order: when a model starts or a save is done, the session's step is its.
        session.started.connect(self._keep)
        session.saved.connect(self._keep)

    def _keep(self, *_: object) -> None:
        self._kept_step = self.session.step

    def steps(self) -> int:
        """Steps that closing or opening now would lose: none while there is no model to save."""
        s = self.session
        if not s.alive or s.mode == "loading":
            return 0
        return max(0, s.step - self._kept_step)

    def answer(self, parent: QWidget, doing: str) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel, as the user answers before `doing` ("closing", "opening
        run.pt"); Discard at once when nothing would be lost or the user said not to ask."""
        steps = self.steps()
        if not steps or not self.ask_action.isChecked():
            return QMessageBox.StandardButton.Discard
        box = QMessageBox(QMessageBox.Icon.Question, "MLP Lab", f"Save the trained model before {doing}?", parent=parent)
        lost = unsaved_text(steps, self.session.batches_per_epoch)
        box.setInformativeText(as_sentence(f"{doing} now loses the training not yet saved: {lost}."))
        box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        dont_ask = QCheckBox("Don't ask again")  # kept here: the box does not keep Python's wrapper alive
        box.setCheckBox(dont_ask)
        answer = QMessageBox.StandardButton(box.exec())
        if dont_ask.isChecked() and answer != QMessageBox.StandardButton.Cancel:
            self.ask_action.setChecked(False)
        box.deleteLater()  # a child of the window: each question would stay with it otherwise
        return answer
