"""Panels of several plots redraw one plot per pass of the window's event loop when asked,
so that each paint stays short, and no plot is left behind for long."""

from __future__ import annotations

import numpy as np

from engine.stats import Snapshot
from engine.trainer import Trainer
from gui.app import make_application
from gui.panels.curves import CurvesPanel
from gui.panels.gradient_flow import GradientFlowPanel
from gui.panels.histograms import LIVE_KINDS, HistogramsPanel
from tests.gui.conftest import digits_config, shown

PLOTS = len(LIVE_KINDS) + 1  # and the heatmap over time


def probes(count: int) -> list[Snapshot]:
    """Real snapshots of a short digits run, one per step."""
    trainer = Trainer(digits_config(epochs=1).with_changes(probes={"every": 1}))
    snapshots: list[Snapshot] = []
    for event in trainer.run(start=True):
        if isinstance(event, Snapshot):
            snapshots.append(event)
        if len(snapshots) == count:
            return snapshots
    raise AssertionError("the run ended before enough snapshots came")


def histograms_panel(qtbot, snapshots: list[Snapshot]) -> HistogramsPanel:
    make_application()
    panel = HistogramsPanel()
    qtbot.addWidget(panel)
    panel.set_layers([layer.name for layer in snapshots[0].layers])
    return panel


def gradient_flow_panel(qtbot, snapshots: list[Snapshot], activation: str) -> GradientFlowPanel:
    """A gradient-flow panel wide enough for its four plots in a row, showing `snapshots`, laid out."""
    make_application()
    panel = GradientFlowPanel()
    shown(qtbot, panel, 900, 300)
    panel.refresh(snapshots, activation)
    qtbot.wait(50)  # laid out: the plots have their places in the scene
    return panel


def shows(panel: HistogramsPanel, kind: str, snapshot: Snapshot) -> bool:
    """Whether the plot of `kind` draws the first layer's counts in `snapshot`."""
    return np.array_equal(panel.curves[kind].getData()[1], snapshot.layers[0].histograms[kind].counts)


def test_histograms_come_one_plot_per_call_until_all_show_the_newest_probe(qtbot):
    older, newest = probes(2)
    panel = histograms_panel(qtbot, [older])
    assert [panel.refresh([older], one_plot=True) for _ in range(PLOTS)] == [True] * (PLOTS - 1) + [False]
    assert panel.refresh([older, newest], one_plot=True), "the other plots still show the older probe"
    assert shows(panel, LIVE_KINDS[0], newest) and shows(panel, LIVE_KINDS[1], older)
    while panel.refresh([older, newest], one_plot=True):
        pass
    assert all(shows(panel, kind, newest) for kind in LIVE_KINDS)
    assert panel.heatmap.image.shape[1] == 2, "the heatmap has a column per probe"


def test_no_histogram_starves_when_probes_come_faster_than_the_plots_are_drawn(qtbot):
    snapshots = probes(PLOTS + 1)
    panel = histograms_panel(qtbot, snapshots)
    drawn_at: dict[str, int] = {}
    for n in range(1, PLOTS + 1):  # a new probe before every call
        panel.refresh(snapshots[:n], one_plot=True)
        for kind in LIVE_KINDS:
            if kind not in drawn_at and shows(panel, kind, snapshots[n - 1]):
                drawn_at[kind] = n
    assert sorted(drawn_at.values()) == list(range(1, len(LIVE_KINDS) + 1)), "each plot in turn, none skipped"
    assert panel.heatmap.image is not None and panel.heatmap.image.shape[1] == PLOTS, "then the heatmap"


def test_a_full_refresh_draws_every_plot_at_once(qtbot):
    snapshots = probes(1)
    panel = histograms_panel(qtbot, snapshots)
    assert panel.refresh(snapshots) is False
    assert all(shows(panel, kind, snapshots[0]) for kind in LIVE_KINDS)


def test_curves_come_loss_first_then_accuracy(qtbot):
    make_application()
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    trainer = Trainer(digits_config(epochs=1))
    for _ in range(12):
        trainer.train_step()
    history = trainer.history
    assert panel.refresh(history, one_plot=True) is True
    assert len(panel.items["step_loss"].getData()[0]) == 12
    assert panel.items["step_acc"].getData()[0] is None or len(panel.items["step_acc"].getData()[0]) == 0
    assert panel.refresh(history, one_plot=True) is False
    assert len(panel.items["step_acc"].getData()[0]) == 12
    assert panel.refresh(history, one_plot=True) is False, "nothing new: nothing to draw"
