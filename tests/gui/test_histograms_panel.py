"""The histograms panel's own options and warnings: log counts, NaN/Inf counted in red, and a
histogram a probe does not have."""

from __future__ import annotations

import dataclasses

import numpy as np

from engine.stats import Snapshot
from tests.gui.test_drawing_in_parts import histograms_panel, probes


def with_histogram(snapshot: Snapshot, kind: str, **changes) -> Snapshot:
    """`snapshot` with its first layer's `kind` histogram changed (None: removed)."""
    first = snapshot.layers[0]
    histograms = dict(first.histograms)
    if changes.get("remove"):
        del histograms[kind]
    else:
        histograms[kind] = dataclasses.replace(histograms[kind], **changes)
    return dataclasses.replace(snapshot, layers=(dataclasses.replace(first, histograms=histograms), *snapshot.layers[1:]))


def test_log_counts_show_each_bin_plus_one_on_a_log_axis_and_back(qtbot):
    """Plus one: an empty bin has no logarithm."""
    [snapshot] = probes(1)
    panel = histograms_panel(qtbot, [snapshot])
    panel.refresh([snapshot])
    counts = snapshot.layers[0].histograms["act"].counts
    panel.log_counts.setChecked(True)
    assert np.array_equal(panel.curves["act"].yData, counts + 1)
    assert panel.plots["act"].ctrl.logYCheck.isChecked()
    low, high = panel.plots["act"].vb.viewRange()[1]
    assert low <= 0 and np.log10(counts.max() + 1) <= high < np.log10(counts.max() + 1) + 1, "the y range is in decades"
    panel.log_counts.setChecked(False)
    assert np.array_equal(panel.curves["act"].yData, counts) and not panel.plots["act"].ctrl.logYCheck.isChecked()


def test_values_that_are_not_finite_are_counted_in_the_title_and_a_missing_histogram_says_so(qtbot):
    [snapshot] = probes(1)
    panel = histograms_panel(qtbot, [snapshot])
    damaged = with_histogram(with_histogram(snapshot, "weight_grad", nonfinite=3), "act_grad", remove=True)
    panel.refresh([damaged])
    assert "(3 NaN/Inf)" in panel.plots["weight_grad"].titleLabel.text
    assert "(3 NaN/Inf)" not in panel.plots["weight"].titleLabel.text
    assert panel.plots["act_grad"].titleLabel.text.endswith("(none yet)")
    assert panel.curves["act_grad"].xData is None or len(panel.curves["act_grad"].xData) == 0
    panel.refresh([snapshot, with_histogram(snapshot, "weight_grad")])
    assert "NaN/Inf" not in panel.plots["weight_grad"].titleLabel.text, "the warning goes with the values"
