"""The Help menu: the chapter guide's links set each idea up; the About box names the versions."""

from __future__ import annotations

import torch
from PySide6.QtCore import Qt, QUrl, qVersion

from engine.experiments import EXPERIMENTS
from engine.presets import PRESETS
from gui.help import IDEAS, about_html
from gui.refresh_queue import on_screen
from tests.gui.conftest import press_shortcut, wait_for


def test_the_guide_links_every_preset_and_experiment_to_a_panel_that_exists():
    linked = {kind: {name for idea in IDEAS for k, name in idea.links if k == kind} for kind in ("preset", "experiment", "panel")}
    assert linked["preset"] == set(PRESETS), "a preset added to the menu belongs in the guide too"
    assert linked["experiment"] == set(EXPERIMENTS)
    assert linked["panel"] <= {"controls", "network", "activation", "random_matrices", "histograms", "gradient_flow", "predictions", "comparison"}


def follow(guide, kind: str, name: str) -> None:
    guide.browser.anchorClicked.emit(QUrl(f"#{guide.targets.index((kind, name))}"))


def test_f1_opens_the_guide_and_its_links_set_up_a_preset_a_panel_and_an_experiment(qtbot, make_window):
    window = make_window()
    press_shortcut(qtbot, window, Qt.Key.Key_F1)
    guide = window.guide
    assert guide is not None and guide.isVisible()
    text = guide.browser.toPlainText()
    assert "Numerical stability: vanishing and exploding gradients" in text and "Show Products of random matrices" in text

    follow(guide, "preset", "Vanishing: 8 sigmoid layers")
    wait_for(qtbot, lambda: window.session.config.model.hidden == (128,) * 8)
    assert window.session.config.model.activation == "sigmoid" and window.controls.config() == window.session.config

    def in_front(key: str) -> bool:
        return on_screen(window.docks[key])

    assert in_front("network") and not in_front("random_matrices")
    follow(guide, "panel", "random_matrices")
    wait_for(qtbot, lambda: in_front("random_matrices"))
    assert not in_front("network")

    follow(guide, "experiment", "Weight decay: lambda 0 vs 3 (200-d, 20 points)")
    assert window.comparison.running and in_front("comparison")
    window.comparison.stop()
    press_shortcut(qtbot, window, Qt.Key.Key_F1)
    assert window.guide is guide, "made once: it keeps its place"


def test_about_names_the_versions_in_use_and_the_device():
    text = about_html("cuda (NVIDIA H100)")
    assert torch.__version__.split("+")[0] in text and f"Qt {qVersion()}" in text
    assert "Training on: cuda (NVIDIA H100)" in text
