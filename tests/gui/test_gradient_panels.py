"""Presets, the gradient-flow panel, the activation explorer and the random-matrix demo, in the window."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from engine.numbers import significant
from gui.panels.activation import SLIVER
from gui.panels.gradient_flow import GradientFlowPanel
from tests.engine.probe_inputs import frozen_net_probes
from tests.gui.conftest import WAIT_MS, digits_config, drawn_labels, wait_for
from tests.gui.test_drawing_in_parts import gradient_flow_panel, probes


def open_tab(window, key: str) -> None:
    window.docks[key].show()
    window.docks[key].raise_()


def test_vanishing_preset_is_diagnosed_and_drawn(qtbot, make_window):
    window = make_window()
    presets = next(a for a in window.menuBar().actions() if a.text() == "&Presets").menu().actions()
    preset = next(a for a in presets if a.text().startswith("Vanishing"))
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        preset.trigger()
    assert window.session.sizes == (64,) + (128,) * 8 + (10,)
    assert window.controls.activation.currentText() == "sigmoid"
    open_tab(window, "gradient_flow")
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    window.redraw()
    panel = window.gradient_flow
    assert panel.verdict == "vanishing" and "vanishing" in panel.diagnosis.text()
    heights = panel.norm_bars.opts["height"] + panel.norm_bars.opts["y0"]
    expected = np.log10([layer.grad_norm for layer in window.session.snapshot.layers])
    np.testing.assert_allclose(heights, expected)
    assert heights[0] < heights[-1] - 3, "the first layer's bar sits orders of magnitude below the last's"
    assert panel.history_image.image.shape == (9, len(window.session.snapshots))
    np.testing.assert_allclose(panel.history_image.image[:, -1], expected, rtol=1e-6)  # the last column: this probe


def test_the_symmetry_preset_is_diagnosed_in_the_window(qtbot, make_window):
    """The views over time keep lean probes, without the per-unit means that tell copies of one
    unit: the window read "Healthy" over 64 units that were one. It diagnoses the latest whole."""
    window = make_window()
    presets = next(a for a in window.menuBar().actions() if a.text() == "&Presets").menu().actions()
    preset = next(a for a in presets if a.text().startswith("Symmetry"))
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        preset.trigger()
    open_tab(window, "gradient_flow")
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    window.redraw()
    assert window.session.snapshots[-1].layers[0].unit_mean.size == 0, "the kept probe is lean"
    assert window.gradient_flow.verdict == "symmetric" and "computes the same value" in window.gradient_flow.diagnosis.text()


def test_fading_gradients_are_told_as_a_warning(qtbot):
    """The first layer's gradient at 2 % of the last one's: not green "healthy" but the warning's colours."""
    [snapshot] = probes(1)
    layers = [dataclasses.replace(layer, grad_norm=norm) for layer, norm in zip(snapshot.layers, [0.02] + [1.0] * (len(snapshot.layers) - 1))]
    panel = gradient_flow_panel(qtbot, [dataclasses.replace(snapshot, layers=tuple(layers))], "sigmoid")
    assert panel.verdict == "fading" and "2% of the last layer's" in panel.diagnosis.text()
    assert "#fff3cd" in panel.diagnosis.styleSheet(), "the warning's yellow ground"


def test_updates_too_small_to_learn_from_are_told_as_a_warning(qtbot):
    """Healthy gradients, but every layer's weights moved by 2e-5 of their size a step: "slow", in the warning's colours."""
    [snapshot] = probes(1)
    layers = [dataclasses.replace(layer, grad_norm=1.0, update_ratio=2e-5) for layer in snapshot.layers]
    panel = gradient_flow_panel(qtbot, [dataclasses.replace(snapshot, layers=tuple(layers))], "relu")
    assert panel.verdict == "slow" and "at most 2e-5 of their size" in panel.diagnosis.text()
    assert "#fff3cd" in panel.diagnosis.styleSheet(), "the warning's yellow ground"


def test_the_health_plot_is_titled_by_what_the_activation_can_have(qtbot):
    """One title for all, "% dead ReLUs / saturated units", ran past its plot on a 1024-pixel
    screen and named dead ReLUs in a sigmoid net."""
    [snapshot] = probes(1)
    panel = gradient_flow_panel(qtbot, [snapshot], "relu")
    titles = {}
    for activation in ("relu", "sigmoid", "tanh", "gelu"):
        panel.refresh([dataclasses.replace(snapshot)], activation)
        titles[activation] = panel.health_plot.titleLabel.text
    assert titles == {"relu": "% dead ReLUs", "sigmoid": "% saturated units", "tanh": "% saturated units", "gelu": "dead / saturated units: n/a"}


def test_the_output_layer_has_no_health_bar_where_it_has_no_activation(qtbot):
    """The output layer counts no dead ReLUs: its bar's outline at zero read as "0 % dead"."""
    [snapshot] = probes(1)
    panel = gradient_flow_panel(qtbot, [snapshot], "relu")
    shares = [layer.dead_fraction for layer in snapshot.layers]
    assert shares[-1] is None and all(share is not None for share in shares[:-1])
    styles = [pg.mkPen(pen).style() for pen in panel.health_bars.opts["pens"]]
    assert styles[-1] == Qt.PenStyle.NoPen and Qt.PenStyle.NoPen not in styles[:-1]
    np.testing.assert_allclose(panel.health_bars.opts["height"][:-1], [100 * share for share in shares[:-1]])


def test_an_overflowed_gradient_is_drawn_as_a_red_bar_not_an_error(qtbot, make_window):
    window = make_window()
    wait_for(qtbot, lambda: window.session.snapshot is not None)
    snapshot = window.session.snapshot
    blown = dataclasses.replace(snapshot.layers[0], grad_norm=math.inf)
    panel = window.gradient_flow
    panel.refresh([dataclasses.replace(snapshot, layers=(blown, *snapshot.layers[1:]))], "relu")
    heights = panel.norm_bars.opts["height"] + panel.norm_bars.opts["y0"]
    assert heights[0] == panel.norm_plot.viewRange()[1][1], "the overflowed layer reaches the top"
    assert np.isfinite(heights).all()
    colours = [brush.color().name() for brush in panel.norm_bars.opts["brushes"]]
    assert colours[0] == "#d62728" and set(colours[1:]) == {"#1f77b4"}


def test_a_layer_without_gradient_gets_no_bar_and_leaves_the_others_their_scale(qtbot):
    """A wholly dead layer's zero norm was drawn at log10(1e-30): the axis reached -31 and the
    other layers' bars, two decades apart, looked alike. Over time it is left uncoloured."""
    snapshot = probes(1)[0]
    dead = dataclasses.replace(snapshot.layers[0], grad_norm=0.0)
    panel = gradient_flow_panel(qtbot, [dataclasses.replace(snapshot, layers=(dead, *snapshot.layers[1:]))], "relu")
    low, high = panel.norm_plot.viewRange()[1]
    logs = np.log10([layer.grad_norm for layer in snapshot.layers[1:]])
    assert low == np.floor(logs.min()) - 1 and high >= logs.max(), "the scale of the layers with a gradient"
    assert panel.norm_bars.opts["height"][0] == 0, "no bar for no gradient"
    np.testing.assert_allclose(panel.norm_bars.opts["height"][1:] + low, logs, rtol=1e-6)
    column = panel.history_image.image[:, -1]
    assert np.isnan(column[0]), "over time too: no colour (the floor's colour said 'the smallest norm')"
    np.testing.assert_allclose(column[1:], logs, rtol=1e-6)


def test_healthy_preset_reads_healthy(qtbot, make_window):
    window = make_window()
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.apply_preset("Healthy: ReLU + He")
    open_tab(window, "gradient_flow")
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    window.redraw()
    assert window.gradient_flow.verdict == "healthy"


def test_activation_explorer_follows_the_live_activation(qtbot, make_window):
    window = make_window()
    open_tab(window, "activation")
    window.redraw()
    x, y = window.activation.function.getData()
    assert np.allclose(y, np.maximum(x, 0)), "ReLU to start with"
    window.activation.derivative_plot.vb.autoRange()
    assert window.activation.derivative_plot.viewRange()[1][1] < 1.5, "f′ (0 to 1) has a scale of its own: f reaches 8"
    window.controls.activation.setCurrentText("sigmoid")
    wait_for(qtbot, lambda: window.session.config.model.activation == "sigmoid")
    window.redraw()
    x, dy = window.activation.derivative.getData()
    assert abs(dy.max() - 0.25) < 1e-3, "sigmoid's derivative peaks at 1/4"
    _, share = window.activation.histogram.getData()
    assert share.max() == dy.max(), "the pre-activation histogram is drawn on f′'s scale, as tall as its peak"


def test_activation_explorer_says_the_output_layer_has_no_activation(qtbot, make_window):
    """Its logits drew as if they went through f, under "Units where f′ is near 0 pass almost no
    gradient back"; the histograms call them "outputs: no activation"."""
    window = make_window()
    open_tab(window, "activation")
    window.histograms.layer.setCurrentIndex(1)  # L2 32→10, the output layer
    window.redraw()
    assert window.activation.caption.text().startswith("L2 32→10 is the output layer, which has no activation")
    assert window.activation.histogram.getData()[1] is None, "no grey histogram"
    window.histograms.layer.setCurrentIndex(0)
    window.redraw()
    assert window.activation.caption.text().startswith("Grey: the pre-activations of L1 64→32")
    assert window.activation.histogram.getData()[1].max() > 0


def test_activation_explorer_gives_the_range_of_pre_activations_too_narrow_to_see(qtbot, make_window):
    """At N(0, 0.01) the pre-activations span a twentieth of a unit: over [-8, 8] a sliver hidden
    under f′'s step at 0, so the grey histogram the caption speaks of looked missing."""
    window = make_window(digits_config().with_changes(model={"init": "normal", "init_scale": 0.01}))
    open_tab(window, "activation")
    window.redraw()
    hist = window.session.snapshot.layers[0].histograms["pre"]
    assert hist.hi - hist.lo < SLIVER
    assert f"all within [{significant(hist.lo)}, {significant(hist.hi)}]" in window.activation.caption.text()
    window = make_window(digits_config())  # He init: pre-activations spread over units
    open_tab(window, "activation")
    window.redraw()
    assert "tallest bin as high as f′'s peak." in window.activation.caption.text()


def test_random_matrix_demo_responds_to_its_scale(qtbot, make_window):
    window = make_window()
    panel = window.random_matrices
    _, unit = panel.curve.getData()  # on a log axis: log10 of the norms
    panel.scale.setValue(0.1)
    panel.scale.valueChanged.emit(0.1)
    _, small = panel.curve.getData()
    assert unit[-1] > 15 and small[-1] < -30
    assert "0.1" in panel.summary.text()


def test_the_update_ratio_plot_shows_its_rule_of_thumb_before_the_first_update(qtbot, make_window):
    window = make_window()
    open_tab(window, "gradient_flow")  # refreshed and fitted as its tab comes forward
    window.redraw()
    qtbot.wait(100)
    low, high = window.gradient_flow.ratio_plot.vb.viewRange()[1]
    assert low < -3 < high and high - low <= 4, f"the dashed 1e-3 in view, a few decades around it: {low:.2f} to {high:.2f}"


def test_the_update_ratio_plot_fits_the_rule_with_the_ratios(qtbot, make_window):
    window = make_window()
    open_tab(window, "gradient_flow")
    for _ in range(3):
        window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 3)
    window.redraw()
    qtbot.wait(100)
    steps, rule = window.gradient_flow.ratio_rule.getData()
    assert list(steps) == [1, 3] and np.allclose(rule, -3), "under the probes' steps, at log10 1e-3"
    low, high = window.gradient_flow.ratio_plot.vb.viewRange()[1]
    ratios = np.log10([layer.update_ratio for s in window.session.snapshots if s.step > 0 for layer in s.layers])
    assert low <= min(ratios.min(), -3) and max(ratios.max(), -3) <= high


def test_layers_whose_weights_did_not_change_leave_gaps_and_the_others_are_drawn(qtbot):
    """A deep sigmoid net's first layers can learn nothing at all (their updates too small for
    float32): the plot kept only probes whose first layer changed, and stayed blank."""
    snapshots = frozen_net_probes(4)
    panel = gradient_flow_panel(qtbot, snapshots, "sigmoid")
    steps, _ = panel.ratio_rule.getData()
    assert list(steps) == [1, 4], "the dashed 1e-3 under the steps after an update"
    updated = snapshots[1:]
    for i, curve in enumerate(panel.ratio_curves):
        ratios = np.array([s.layers[i].update_ratio for s in updated])
        drawn = curve.getData()[1]  # log10, as the plot is
        assert np.array_equal(np.isnan(drawn), ratios == 0), f"L{i + 1}: a gap where nothing changed"
        assert np.allclose(drawn[ratios > 0], np.log10(ratios[ratios > 0]))
    assert any(np.isnan(curve.getData()[1]).all() for curve in panel.ratio_curves), "a layer that never changed"
    low, high = panel.ratio_plot.vb.viewRange()[1]
    changed = np.log10([layer.update_ratio for s in updated for layer in s.layers if layer.update_ratio > 0])
    assert low <= changed.min() and max(changed.max(), -3) <= high and low > -20, "the curves in view, not 1e-30"
    assert "did not change at all" in panel.diagnosis.text()


def test_the_update_ratio_plots_title_keys_each_curve_to_its_layer(qtbot, make_window):
    """Its curves, one per layer, had no key: which was the first layer's could not be told."""
    window = make_window(digits_config().with_changes(model={"hidden": (16, 16)}))
    open_tab(window, "gradient_flow")
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    window.redraw()
    panel = window.gradient_flow
    title = panel.ratio_plot.titleLabel.text
    for i, curve in enumerate(panel.ratio_curves):
        colour = curve.opts["pen"].color().name()
        assert f"<span style='color:{colour}'><b>L{i + 1}</b></span>" in title
    assert len({curve.opts["pen"].color().name() for curve in panel.ratio_curves}) == 3


def test_the_first_update_ratios_show_as_dots_until_a_line_joins_them(qtbot, make_window):
    """One probe after an update is a line of one point, which pyqtgraph does not draw: after a
    first step, or a divergence at the second, the plot stayed blank."""
    window = make_window(digits_config().with_changes(model={"hidden": (16, 16)}))
    open_tab(window, "gradient_flow")
    panel = window.gradient_flow
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    window.redraw()
    for i, curve in enumerate(panel.ratio_curves):
        dots = curve.scatter.getData()
        assert curve.opts["symbol"] == "o" and len(dots[0]) == 1, f"L{i + 1}: its one ratio as a dot"
        assert np.isclose(dots[1][0], math.log10(window.session.snapshot.layers[i].update_ratio))
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 2)
    window.redraw()
    assert all(curve.opts["symbol"] is None and len(curve.curve.getData()[0]) == 2 for curve in panel.ratio_curves), "lines, as before"


def test_a_deep_nets_layer_labels_do_not_overlap_on_a_short_heatmap(qtbot, make_window):
    """Nine layers on the heatmap's 35-pixel-high axis (a 768-pixel screen) ran L1 to L9
    into one smudge: the first and last layer are always labelled, the others where they fit."""
    window = make_window(digits_config().with_changes(model={"hidden": (16,) * 8}))
    open_tab(window, "gradient_flow")
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    panel = GradientFlowPanel()
    qtbot.addWidget(panel)
    panel.show()
    for height, all_fit in ((250, False), (900, True)):
        panel.resize(460, height)
        panel.refresh(window.session.snapshots, "relu")
        pg.QtWidgets.QApplication.processEvents()
        axis = panel.history_plot.getAxis("left")
        labels = drawn_labels(axis)
        texts = [text for _, text in labels]
        assert {"L1", "L9"} <= set(texts) and (len(texts) == 9) == all_fit, (axis.height(), texts)
        rects = sorted((rect for rect, _ in labels), key=lambda r: r.top())
        assert all(a.bottom() <= b.top() for a, b in zip(rects, rects[1:])), f"labels overlap at {height} px"
