"""Closing the window, or opening another checkpoint, over training that is not saved asks
first: save, discard or keep it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine import commands as cmd
from gui.unsaved import ASK_KEY, unsaved_text
from tests.gui.conftest import WAIT_MS, digits_config, wait_for
from tests.gui.test_window import fill_the_disk

Button = QMessageBox.StandardButton


@pytest.mark.parametrize(
    ("steps", "per_epoch", "text"),
    [(1, 43, "1 step"), (42, 43, "42 steps"), (43, 43, "43 steps (1 epoch)"), (1410, 47, "1,410 steps (30 epochs)"), (50, 43, "50 steps (1.16 epochs)"), (7, 0, "7 steps")],
)
def test_what_closing_would_lose_is_told_in_steps_and_epochs(steps, per_epoch, text):
    assert unsaved_text(steps, per_epoch) == text


@pytest.fixture
def answers(monkeypatch):
    """The question's boxes are answered from this list, first to last, instead of shown; each
    box's informative text is recorded. An answer (Button.Discard, True) also ticks "Don't ask
    again". Past the list, Discard: the windows a test leaves open close at its end."""
    planned: list[Button | tuple[Button, bool]] = []
    asked: list[str] = []

    def answer(box: QMessageBox) -> int:
        asked.append(box.informativeText())
        plan = planned.pop(0) if planned else Button.Discard
        button, tick = plan if isinstance(plan, tuple) else (plan, False)
        box.checkBox().setChecked(tick)
        return int(button.value)

    monkeypatch.setattr(QMessageBox, "exec", answer)
    return planned, asked


def asking_window(make_window):
    window = make_window()
    window.unsaved.ask_action.setChecked(True)  # the tests' settings turn it off
    return window


def train_steps(qtbot, window, count: int) -> None:
    target = window.session.step + count
    for _ in range(count):
        window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == target)


def test_a_model_with_nothing_trained_closes_without_a_question(qtbot, make_window, answers):
    window = asking_window(make_window)
    window.close()
    assert answers[1] == [] and not window.isVisible() and not window.session.alive


@pytest.mark.parametrize(("steps", "lost", "button", "stays"), [(3, "3 steps", Button.Cancel, True), (1, "1 step", Button.Discard, False)])
def test_cancel_keeps_the_window_and_its_training_and_discard_closes(qtbot, make_window, answers, steps, lost, button, stays):
    window = asking_window(make_window)
    train_steps(qtbot, window, steps)
    answers[0].append(button)
    window.close()
    assert answers[1] == [f"Closing now loses the training not yet saved: {lost}."]
    assert window.isVisible() is stays and window.session.alive is stays, "Discard stops the worker too"
    if stays:
        train_steps(qtbot, window, 1)


def test_save_writes_the_checkpoint_then_closes(qtbot, make_window, answers, monkeypatch, tmp_path):
    window = asking_window(make_window)
    train_steps(qtbot, window, 2)
    path = tmp_path / "run.pt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    answers[0].append(Button.Save)
    with qtbot.waitSignal(window.session.saved, timeout=WAIT_MS):
        window.close()
        assert window.isVisible(), "open until the checkpoint is written"
    wait_for(qtbot, lambda: not window.isVisible())
    assert not window.session.alive and torch.load(path, weights_only=True)["step"] == 2
    assert window.recent.paths() == [str(path)]


def test_a_worker_gone_before_its_save_is_reported_leaves_the_window_free_to_close(qtbot, make_window, answers, monkeypatch, tmp_path):
    """Closing waits for the checkpoint; a worker that stopped meanwhile (a crash) never reports
    it, and every later close waited too: the window could not be closed at all."""
    window = asking_window(make_window)
    train_steps(qtbot, window, 1)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "run.pt"), ""))
    answers[0].append(Button.Save)
    window.close()
    window.session.shutdown()  # before the worker's "saved" is handled: it is ignored
    qtbot.wait(100)
    assert window.isVisible()
    window.close()
    assert not window.isVisible() and len(answers[1]) == 1, "nothing left to save: no second question"


def test_save_cancelled_in_its_dialog_keeps_the_window(qtbot, make_window, answers, monkeypatch):
    window = asking_window(make_window)
    train_steps(qtbot, window, 1)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    answers[0].append(Button.Save)
    window.close()
    assert window.isVisible() and window.session.alive


def test_a_save_that_fails_keeps_the_window_and_closing_asks_again(qtbot, make_window, answers, monkeypatch, tmp_path):
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: warned.append(title))
    window = asking_window(make_window)
    train_steps(qtbot, window, 1)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "run.pt"), ""))
    fill_the_disk(monkeypatch)
    answers[0].append(Button.Save)
    with qtbot.waitSignal(window.session.command_failed, timeout=WAIT_MS):
        window.close()
    qtbot.wait(50)
    assert warned == ["Could not save the checkpoint"] and window.isVisible() and window.session.alive
    answers[0].append(Button.Discard)
    window.close()
    assert len(answers[1]) == 2 and not window.isVisible()


def test_saved_opened_or_reset_models_lose_nothing_by_closing(qtbot, make_window, answers, monkeypatch, tmp_path):
    """Only steps trained since the model was made, opened or saved count."""
    window = asking_window(make_window)
    train_steps(qtbot, window, 2)
    path = tmp_path / "run.pt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    with qtbot.waitSignal(window.session.saved, timeout=WAIT_MS):
        window.save_action.trigger()
    assert window.unsaved.steps() == 0 and not window.isWindowModified()
    train_steps(qtbot, window, 1)
    assert window.unsaved.steps() == 1, "trained on after the save"
    window.redraw()
    assert window.isWindowModified() and window.windowTitle().endswith("[*]"), "the title's '*'"
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.reset_action.trigger()
    assert window.unsaved.steps() == 0 and not window.isWindowModified()
    train_steps(qtbot, window, 4)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    answers[0].append(Button.Discard)
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.open_action.trigger()
    assert answers[1] == ["Opening run.pt now loses the training not yet saved: 4 steps."]
    assert window.session.step == 2 and window.unsaved.steps() == 0
    window.close()
    assert len(answers[1]) == 1 and not window.isVisible(), "no question on closing"


def checkpoint_of_another_model(qtbot, make_window, tmp_path) -> Path:
    """other.pt: a 64-12-10 model, saved by a window of its own."""
    other = make_window(digits_config().with_changes(model={"hidden": (12,)}))
    path = tmp_path / "other.pt"
    with qtbot.waitSignal(other.session.saved, timeout=WAIT_MS):
        other.session.send(cmd.Save(str(path)))
    return path


@pytest.mark.parametrize(("button", "opened"), [(Button.Cancel, False), (Button.Discard, True)], ids=["cancel", "discard"])
def test_opening_another_checkpoint_over_unsaved_training_asks_first(qtbot, make_window, answers, monkeypatch, tmp_path, button, opened):
    """Opening replaces the model as closing drops it: File > Open, Open recent and a dropped
    file all ask, as an editor does before opening another document."""
    path = checkpoint_of_another_model(qtbot, make_window, tmp_path)
    window = asking_window(make_window)
    train_steps(qtbot, window, 2)
    answers[0].append(button)
    window.open_path(str(path))
    assert answers[1] == ["Opening other.pt now loses the training not yet saved: 2 steps."]
    if opened:
        wait_for(qtbot, lambda: window.session.sizes == (64, 12, 10))
    else:
        qtbot.wait(300)
        assert window.session.sizes == (64, 32, 10) and window.session.step == 2 and window.unsaved.steps() == 2


def about_to_save_before_opening(qtbot, make_window, answers, monkeypatch, tmp_path, steps: int):
    """A window with `steps` unsaved, whose next question is answered Save into kept.pt: (the
    window, other.pt to open, kept.pt)."""
    opened = checkpoint_of_another_model(qtbot, make_window, tmp_path)
    window = asking_window(make_window)
    train_steps(qtbot, window, steps)
    kept = tmp_path / "kept.pt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(kept), ""))
    answers[0].append(Button.Save)
    return window, opened, kept


def test_save_before_opening_writes_the_training_then_opens(qtbot, make_window, answers, monkeypatch, tmp_path):
    window, opened, kept = about_to_save_before_opening(qtbot, make_window, answers, monkeypatch, tmp_path, 3)
    window.open_path(str(opened))
    wait_for(qtbot, lambda: window.session.sizes == (64, 12, 10))
    assert torch.load(kept, weights_only=True)["step"] == 3 and window.unsaved.steps() == 0
    assert window.recent.paths() == [str(opened), str(kept)]


def test_a_save_before_opening_that_fails_opens_nothing(qtbot, make_window, answers, monkeypatch, tmp_path):
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: None)
    window, opened, _ = about_to_save_before_opening(qtbot, make_window, answers, monkeypatch, tmp_path, 1)
    fill_the_disk(monkeypatch)
    with qtbot.waitSignal(window.session.command_failed, timeout=WAIT_MS):
        window.open_path(str(opened))
    qtbot.wait(300)
    assert window.session.sizes == (64, 32, 10) and window.unsaved.steps() == 1, "the training kept, nothing opened"


def test_closing_while_a_save_before_opening_is_under_way_closes_once_it_is_written(qtbot, make_window, answers, monkeypatch, tmp_path):
    window, opened, kept = about_to_save_before_opening(qtbot, make_window, answers, monkeypatch, tmp_path, 1)
    with qtbot.waitSignal(window.session.saved, timeout=WAIT_MS):
        window.open_path(str(opened))
        window.close()  # before the save is reported
        assert window.isVisible()
    wait_for(qtbot, lambda: not window.isVisible())
    assert len(answers[1]) == 1 and torch.load(kept, weights_only=True)["step"] == 1


def test_dont_ask_again_is_remembered_and_the_file_menu_asks_again(qtbot, make_window, answers, settings):
    window = asking_window(make_window)
    train_steps(qtbot, window, 1)
    answers[0].append((Button.Cancel, True))
    window.close()
    assert window.unsaved.ask_action.isChecked(), "Cancel decides nothing"
    answers[0].append((Button.Discard, True))
    window.close()
    assert not window.isVisible() and settings.value(ASK_KEY, type=bool) is False
    second = make_window()
    assert not second.unsaved.ask_action.isChecked()
    train_steps(qtbot, second, 1)
    second.unsaved.ask_action.trigger()  # File > Ask to save unsaved training
    assert settings.value(ASK_KEY, type=bool) is True
    answers[0].append(Button.Cancel)
    second.close()
    assert len(answers[1]) == 3 and second.isVisible()


def test_ctrl_c_in_the_terminal_closes_without_asking(qtbot, make_window, answers):
    window = asking_window(make_window)
    train_steps(qtbot, window, 1)
    window.close_without_asking()
    assert answers[1] == [] and not window.isVisible() and not window.session.alive
