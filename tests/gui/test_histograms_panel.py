"""The histograms panel's own options and warnings: log counts, NaN/Inf counted in red, a
histogram a probe does not have, and value axes that stay readable in a narrow dock."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.stats import Snapshot
from tests.gui.conftest import cut_labels, drawn_labels, touching_labels
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


def test_the_output_layers_activations_say_they_are_its_pre_activations(qtbot):
    """The output layer has no activation: its "activations" plot drew the pre-activations
    again under a title that promised something else, and so did its view over time."""
    [snapshot] = probes(1)
    panel = histograms_panel(qtbot, [snapshot])
    panel.refresh([snapshot])
    assert panel.plots["act"].titleLabel.text == "activations"
    panel.layer.setCurrentIndex(len(snapshot.layers) - 1)
    panel.refresh([snapshot])
    assert panel.plots["act"].titleLabel.text == "outputs: no activation"
    assert np.array_equal(panel.curves["act"].yData, panel.curves["pre"].yData), "the same values"
    assert panel.plots["pre"].titleLabel.text == "pre-activations"
    assert panel.heatmap_plot.titleLabel.text == "outputs over time"


@pytest.mark.parametrize("width", [400, 560])
def test_value_axes_keep_their_labels_apart_in_a_narrow_dock(qtbot, width):
    """Under plots 90 to 120 pixels wide (the histograms dock on a 1024-pixel screen) pyqtgraph
    put a label every 0.2 on weights from -0.5 to 0.5 and drew "-0.20 0.20.4"; spaced apart,
    the labels at the range's round ends were hidden, leaving a lone "0", as steps of 5 did
    from -4 to 4. The heatmap of the first step labelled its steps "0.25 0.50 0.75"."""
    [snapshot] = probes(1)
    panel = histograms_panel(qtbot, [snapshot])
    panel.resize(width, 300)
    panel.show()
    panel.refresh([dataclasses.replace(snapshot, step=0), dataclasses.replace(snapshot, step=1)])  # a run's first step
    qtbot.wait(10)
    steps = [text for _, text in drawn_labels(panel.heatmap_plot.getAxis("bottom"))]
    assert steps and all(text.isdigit() for text in steps), f"the first step's heatmap, over steps {steps}"
    first = snapshot.layers[0]
    for lo in (0.0, -(2.0**-17), -0.125, -0.5, -1.0, -4.0, -64.0):  # sticky ranges: signed powers of two
        for hi in (2.0**-17, 2.0**-6, 0.5, 2.0, 4.0, 1024.0):
            ranged = {kind: dataclasses.replace(histogram, lo=lo, hi=hi) for kind, histogram in first.histograms.items()}
            panel.refresh([dataclasses.replace(snapshot, layers=(dataclasses.replace(first, histograms=ranged), *snapshot.layers[1:]))])
            qtbot.wait(10)
            assert touching_labels(panel) == [], f"range {lo} to {hi}"
            assert cut_labels(panel) == [], f"range {lo} to {hi}: a label at the panel's edge is cut"
            labels = {kind: [text for _, text in drawn_labels(plot.getAxis("bottom"))] for kind, plot in panel.plots.items()}
            assert all(labels.values()), f"every plot has a value to read, range {lo} to {hi}"
            assert all(shown != ["0"] for shown in labels.values()), f"a lone 0 gives no scale, range {lo} to {hi}: {labels}"
            for ends in ((-0.5, 0.5), (-4.0, 4.0)):  # steps of 0.2 or 0.25, 2 or 2.5 do not fit; 5 left a lone 0
                if (lo, hi) == ends:
                    assert all({lo, 0.0, hi} <= {float(text) for text in shown} for shown in labels.values()), labels
