"""Panels of several plots redraw one plot per pass of the window's event loop when asked,
so that each paint stays short, and no plot is left behind for long."""

from __future__ import annotations

import numpy as np

from engine.stats import Snapshot
from engine.trainer import Trainer
from gui.app import make_application
from gui.panels.curves import CurvesPanel
from gui.panels.histograms import LIVE_KINDS, HistogramsPanel
from tests.gui.conftest import digits_config

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


def shown_counts(panel: HistogramsPanel, kind: str) -> np.ndarray:
    return panel.curves[kind].getData()[1]


def test_histograms_come_one_plot_per_call_until_all_show_the_newest_probe(qtbot):
    make_application()
    panel = HistogramsPanel()
    qtbot.addWidget(panel)
    snapshots = probes(2)
    panel.set_layers([layer.name for layer in snapshots[0].layers])
    assert [panel.refresh(snapshots[:1], one_plot=True) for _ in range(PLOTS)] == [True] * (PLOTS - 1) + [False]
    newest = snapshots[:2]
    assert panel.refresh(newest, one_plot=True), "the other plots still show the older probe"
    first = LIVE_KINDS[0]
    np.testing.assert_array_equal(shown_counts(panel, first), newest[-1].layers[0].histograms[first].counts)
    older = snapshots[0].layers[0].histograms[LIVE_KINDS[1]].counts
    np.testing.assert_array_equal(shown_counts(panel, LIVE_KINDS[1]), older)
    while panel.refresh(newest, one_plot=True):
        pass
    for kind in LIVE_KINDS:
        np.testing.assert_array_equal(shown_counts(panel, kind), newest[-1].layers[0].histograms[kind].counts)
    assert panel.heatmap.image.shape[1] == 2, "the heatmap has a column per probe"


def test_no_histogram_starves_when_probes_come_faster_than_the_plots_are_drawn(qtbot):
    make_application()
    panel = HistogramsPanel()
    qtbot.addWidget(panel)
    snapshots = probes(PLOTS + 1)
    panel.set_layers([layer.name for layer in snapshots[0].layers])
    drawn_at: dict[str, int] = {}
    for n in range(1, PLOTS + 1):  # a new probe before every call
        panel.refresh(snapshots[:n], one_plot=True)
        for kind in LIVE_KINDS:
            if kind not in drawn_at and np.array_equal(shown_counts(panel, kind), snapshots[n - 1].layers[0].histograms[kind].counts):
                drawn_at[kind] = n
    assert sorted(drawn_at.values()) == list(range(1, len(LIVE_KINDS) + 1)), "each plot in turn, none skipped"
    assert panel.heatmap.image is not None and panel.heatmap.image.shape[1] == PLOTS, "then the heatmap"


def test_a_full_refresh_draws_every_plot_at_once(qtbot):
    make_application()
    panel = HistogramsPanel()
    qtbot.addWidget(panel)
    snapshots = probes(1)
    panel.set_layers([layer.name for layer in snapshots[0].layers])
    assert panel.refresh(snapshots) is False
    for kind in LIVE_KINDS:
        np.testing.assert_array_equal(shown_counts(panel, kind), snapshots[0].layers[0].histograms[kind].counts)


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
