"""Random sequences of user actions on the real window (hypothesis stateful testing).

Each sequence opens a window on a small digits model and applies actions drawn at
random: start, pause, step, reset, every live and reset-only control, save, open
a good or a bad file, presets, then close. After every action the window must
still answer, show no error box it did not deserve, and close within two seconds.
MLP_LAB_STATEFUL_EXAMPLES sets how many sequences run (the README reports a long run).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from engine.config import ACTIVATION_NAMES, PLANE_FEATURES
from engine.experiments import EXPERIMENTS
from engine.presets import PRESETS
from gui.app import make_application
from gui.main_window import MainWindow
from gui.session import Session
from gui.unsaved import ASK_KEY
from gui.widgets import format_number
from tests.gui.conftest import digits_config

EXAMPLES = int(os.environ.get("MLP_LAB_STATEFUL_EXAMPLES", "12"))
MODES = {"loading", "running", "paused", "finished", "diverged", "stopped"}
FAST_PRESETS = [name for name in PRESETS if not name.startswith("d2l")]  # d2l's would download Fashion-MNIST
FAST_EXPERIMENTS = [name for name in EXPERIMENTS if "Fashion-MNIST" not in name]


def pump_until(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    app = QApplication.instance()
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.005)
    return False


class WindowSessions(RuleBasedStateMachine):
    @initialize()
    def open_window(self) -> None:
        make_application()
        self.folder = Path(tempfile.mkdtemp(prefix="mlp-lab-stateful-"))
        self.settings = QSettings(str(self.folder / "settings.ini"), QSettings.Format.IniFormat)
        self.settings.setValue(ASK_KEY, False)  # closing at the end asks nobody to save
        self.session = Session()
        config = digits_config().with_changes(model={"hidden": (8,)}, train={"epochs": 3})
        self.window = MainWindow(self.session, self.settings, config)
        self.window.show()
        self.session.open(config)
        assert pump_until(lambda: self.session.mode == "paused"), "the first model never came"
        self.saved = self.folder / "good.pt"
        self.bad = self.folder / "bad.pt"
        self.bad.write_bytes(b"PK\x03\x04 definitely not a checkpoint")
        self.deserved_warnings = 0

    def settle(self) -> None:
        pump_until(lambda: False, timeout=0.03)

    @rule()
    def start_or_pause(self) -> None:
        self.window.start_action.trigger()
        self.settle()

    @rule()
    def step(self) -> None:
        self.window.step_action.trigger()
        self.settle()

    @rule()
    def reset(self) -> None:
        self.window.reset_action.trigger()
        self.settle()

    @rule(rate=st.sampled_from([0.0, 0.1, 0.5, 0.9]))
    def dropout(self, rate: float) -> None:
        self.window.controls.dropout_on.setChecked(rate > 0)
        if rate > 0:
            self.window.controls.dropout.setValue(rate)
        self.window.controls.flush()
        self.settle()

    @rule(lr=st.sampled_from([1e-4, 0.01, 0.1, 1.0, 10.0]), l2=st.sampled_from([0.0, 1e-4, 0.1, 10.0]))
    def rates(self, lr: float, l2: float) -> None:
        c = self.window.controls
        c.lr.setValue(lr)
        c.weight_decay.setValue(l2)
        c.lr.valueChanged.emit(lr)
        c.flush()
        self.settle()

    @rule(text=st.sampled_from(["0.05", "1e-3", "50", "1e", "abc", "0,5"]))
    def type_learning_rate(self, text: str) -> None:
        """Typed into the learning rate's box, then Enter: a number in range applies, anything
        else goes back to the value in force."""
        slider = self.window.controls.lr
        slider.edit.clear()
        QTest.keyClicks(slider.edit, text)
        QTest.keyClick(slider.edit, Qt.Key.Key_Return)
        self.window.controls.flush()
        self.settle()
        assert slider.edit.text() == format_number(slider.value()), "the box shows the value in force"

    @rule(activation=st.sampled_from(ACTIVATION_NAMES))
    def activation(self, activation: str) -> None:
        self.window.controls.activation.setCurrentText(activation)
        self.window.controls.flush()
        self.settle()

    @rule(
        add=st.booleans(),
        init=st.sampled_from(["normal", "xavier", "he"]),
        batch=st.sampled_from([1, 16, 5000]),
        from_scratch=st.booleans(),
    )
    def reset_only_settings(self, add: bool, init: str, batch: int, from_scratch: bool) -> None:
        c = self.window.controls
        (c.hidden.add_button if add else c.hidden.remove_button).click()
        c.init.setCurrentText(init)
        c.from_scratch.setChecked(from_scratch)
        c.batch_size.setValue(batch)
        c.flush()
        self.settle()

    @rule(name=st.sampled_from(["digits", "circle", "spiral", "polynomial", "line"]))
    def dataset(self, name: str) -> None:
        """Another dataset, with the training that suits it (100 to 400 epochs of a small set)."""
        self.window.controls.dataset.setCurrentIndex(self.window.controls.dataset.findData(name))
        self.window.controls.flush()
        self.window.reset_action.trigger()
        self.settle()

    @rule(feature=st.sampled_from(PLANE_FEATURES))
    def toggle_feature(self, feature: str) -> None:
        """A plane set's input in or out (the last one stays), then Reset: the model's width follows."""
        box = self.window.controls.features.boxes[feature]
        box.setChecked(not box.isChecked())
        self.window.controls.flush()
        self.window.reset_action.trigger()
        self.settle()

    @rule(name=st.sampled_from(FAST_EXPERIMENTS))
    def experiment(self, name: str) -> None:
        """Experiments beside the run: a new one stops the one before, between two steps."""
        self.window.run_experiment(name)
        self.settle()

    @rule(key=st.sampled_from(["histograms", "gradient_flow", "predictions", "comparison", "network", "activation", "random_matrices"]))
    def show_panel(self, key: str) -> None:
        """A tab brought forward: only panels on screen redraw, so each one meets the runs of every dataset."""
        self.window.docks[key].raise_()
        self.settle()

    @rule(name=st.sampled_from(FAST_PRESETS))
    def preset(self, name: str) -> None:
        self.window.apply_preset(name)
        self.settle()

    @rule()
    def save(self) -> None:
        self._through_dialog("getSaveFileName", self.saved, self.window.save_action)

    @rule()
    def open_saved(self) -> None:
        """Not a precondition: whether the worker has written the file yet depends on timing, and
        Hypothesis needs the same choices on a replay."""
        if self.saved.exists():
            self._open(self.saved)

    @rule()
    def open_bad_file(self) -> None:
        self.deserved_warnings += 1
        self._open(self.bad)
        assert pump_until(lambda: len(WARNINGS) >= self.deserved_warnings), "a refused file must say why"

    @rule()
    def close_but_cancel(self) -> None:
        """Closing on training not saved, the question answered Cancel: the window and its
        session stay as they were (with nothing to lose the window would close: skipped)."""
        if self.window.unsaved.steps() == 0:
            return
        self.window.unsaved.ask_action.setChecked(True)
        original = QMessageBox.exec
        QMessageBox.exec = lambda box: int(QMessageBox.StandardButton.Cancel.value)
        try:
            self.window.close()
        finally:
            QMessageBox.exec = original
            self.window.unsaved.ask_action.setChecked(False)
        self.settle()
        assert self.window.isVisible()

    def _open(self, path: Path) -> None:
        self._through_dialog("getOpenFileName", path, self.window.open_action)

    def _through_dialog(self, dialog: str, path: Path, action: QAction) -> None:
        """`action`, its file dialog (QFileDialog's `dialog`) answering `path`."""
        original = getattr(QFileDialog, dialog)
        setattr(QFileDialog, dialog, lambda *a, **k: (str(path), ""))
        try:
            action.trigger()
        finally:
            setattr(QFileDialog, dialog, original)
        self.settle()

    @invariant()
    def still_answers(self) -> None:
        assert self.session.mode in MODES
        assert self.session.alive, "the worker must outlive every action"
        assert len(WARNINGS) <= self.deserved_warnings, f"undeserved error box: {WARNINGS[-1]}"

    def teardown(self) -> None:
        window = getattr(self, "window", None)
        if window is None:
            return
        began = time.monotonic()
        window.close()
        assert time.monotonic() - began < 2.0, "closing must stop the worker within two seconds"
        assert not self.session.alive
        assert window.comparison._stragglers == [], "an experiment stops in time too"
        WARNINGS.clear()


WARNINGS: list[tuple[str, str]] = []


@pytest.fixture
def record_warnings(monkeypatch):
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: WARNINGS.append((title, text)))
    WARNINGS.clear()


@pytest.mark.filterwarnings("error::RuntimeWarning")  # numpy's "invalid value" from a diverged probe went to the console
def test_random_sessions_never_crash_hang_or_lose_the_session(qapp, record_warnings):
    machine = settings(
        max_examples=EXAMPLES,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )(WindowSessions)
    machine.TestCase().runTest()
