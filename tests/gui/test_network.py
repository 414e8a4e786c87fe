"""The network graph: nodes, edges and colours against the weights; sampling; hover; click."""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF

from engine.config import PLANE_FEATURES, Config
from engine.numbers import significant
from engine.stats import Snapshot
from gui.app import make_application
from gui.network_layout import EDGE_WIDTHS, EDGES_PER_LAYER, FULL_WIDTH_ROOM_PX, SHOWN_PER_LAYER, edge_styles, frame_rows, layout
from gui.panels.network import NetworkPanel, short_number
from gui.refresh_queue import on_screen
from gui.widgets import FEATURE_LABELS
from tests.gui.conftest import WAIT_MS, digits_config, shown, wait_for


def test_small_net_draws_every_neuron_and_edge_with_sign_colours():
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(4, 2)), rng.normal(size=(3, 4)), rng.normal(size=(2, 3))]
    g = layout(weights)
    assert g.small and len(g.positions) == 2 + 4 + 3 + 2
    assert len(g.edges) == 2 * 4 + 4 * 3 + 3 * 2
    for (source, target), w, layer in zip(g.edges, g.edge_weight, g.edge_layer):
        assert weights[layer][g.node_unit[target], g.node_unit[source]] == w
        assert g.node_column[target] == g.node_column[source] + 1 == layer + 1
    positive, levels = edge_styles(g.edge_weight, g.edge_layer)
    assert np.array_equal(positive, g.edge_weight >= 0)
    for layer in range(3):
        mask = g.edge_layer == layer
        order = np.argsort(np.abs(g.edge_weight[mask]))
        assert np.all(np.diff(levels[mask][order]) >= 0), "wider means heavier"
        assert levels[mask].max() == len(EDGE_WIDTHS) - 1, "each layer's heaviest edge is drawn widest"


def test_panel_draws_each_edge_once_in_its_colour_and_width(qtbot):
    rng = np.random.default_rng(2)
    weights = [rng.normal(size=(5, 3)), rng.normal(size=(2, 5))]
    g = layout(weights)
    panel = NetworkPanel()
    qtbot.addWidget(panel)
    panel._draw_edges(g)
    positive, levels = edge_styles(g.edge_weight, g.edge_layer)
    drawn = 0
    for (sign, level), item in panel.edge_groups.items():
        x, y = item.getData()
        expected = g.positions[g.edges[(positive == sign) & (levels == level)]].reshape(-1, 2)
        assert np.array_equal(np.column_stack([x, y]), expected), "segment ends, source then target"
        assert item.opts["pen"].widthF() == EDGE_WIDTHS[level]
        assert item.opts["pen"].color().blue() == (180 if sign else 14)
        drawn += len(x) // 2
    assert drawn == len(g.edges) == 3 * 5 + 5 * 2


def test_large_net_shows_the_strongest_neurons_and_edges():
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=(256, 784)), rng.normal(size=(10, 256))]
    weights[0][17] *= 10  # one unmistakably strong neuron
    g = layout(weights)
    assert not g.small and g.sizes == (784, 256, 10)
    hidden = g.shown[1]
    assert len(hidden) == SHOWN_PER_LAYER and 17 in hidden
    expected = np.sort(np.argsort(-np.linalg.norm(weights[0], axis=1))[:SHOWN_PER_LAYER])
    assert np.array_equal(hidden, expected)
    assert len(g.shown[2]) == 10, "a small output layer is drawn whole"
    for layer in range(2):
        drawn = np.abs(g.edge_weight[g.edge_layer == layer])
        assert len(drawn) == EDGES_PER_LAYER
        block = np.abs(weights[layer][np.ix_(g.shown[layer + 1], g.shown[layer])])
        assert drawn.min() >= np.sort(block.ravel())[-EDGES_PER_LAYER], "only the strongest edges"


def test_toy_net_in_the_window_draws_maps_boundary_hover_and_click(qtbot, make_window):
    config = Config().with_changes(
        data={"name": "xor"}, model={"hidden": (4, 3), "init": "xavier", "init_scale": 1.0}, train={"batch_size": 10, "epochs": 5}
    )
    window = make_window(config)
    panel: NetworkPanel = window.network
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    window.redraw()
    snapshot = window.session.snapshot
    assert panel.snapshot is snapshot and panel.boundary_plot in panel.graphics.ci.items
    assert len(panel.layout_.positions) == 2 + 4 + 3 + 2
    shown_maps = [item for item in panel._images if item.isVisible()]
    assert len(shown_maps) == 4 + 3 + 2, "every hidden and output neuron shows its map over the plane"
    np.testing.assert_allclose(panel.boundary_image.image, snapshot.neuron_maps.maps[-1][1])

    g = panel.layout_
    source, target = g.edges[0]
    middle = (g.positions[source] + g.positions[target]) / 2
    text = panel.describe_at(*middle)
    assert text.startswith(f"weight {g.edge_weight[0]:+.4g}")
    node = int(np.flatnonzero(g.node_column == 1)[0])
    probe = snapshot.layers[0]
    described = panel.describe_at(*g.positions[node])
    assert described.startswith(f"{probe.name}, unit 0: mean activation {significant(probe.unit_mean[0])}")
    assert panel.describe_at(*g.positions[0]) == "input 0: x₁ of the point", "2-D points are no pixels"
    assert ("dead" in described) == bool(probe.unit_dead[0])

    window.bring_forward("gradient_flow")  # the histograms behind it, until a neuron is clicked
    wait_for(qtbot, lambda: not on_screen(window.docks["histograms"]))
    with qtbot.waitSignal(panel.layer_selected, timeout=WAIT_MS) as clicked:
        spots = panel.graph.scatter.points()
        panel.graph.scatter.sigClicked.emit(panel.graph.scatter, [spots[g.node_column.tolist().index(2)]], None)
    assert clicked.args == [1]
    assert window.histograms.layer.currentIndex() == 1
    wait_for(qtbot, lambda: on_screen(window.docks["histograms"]))


def test_an_exploded_net_is_laid_out_without_warnings():
    """Weights near float32's limit square to inf: such a unit still ranks first, silently."""
    weights = [np.ones((40, 50), dtype=np.float32), np.ones((3, 40), dtype=np.float32)]
    weights[0][7] = 1e30
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = layout(weights)
    assert 7 in g.shown[1]


def test_image_net_shows_first_layer_weights_as_pictures(qtbot, make_window):
    window = make_window()  # digits: 8x8 images
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    window.redraw()
    panel = window.network
    pictures = [item for item in panel._images if item.isVisible()]
    assert len(pictures) == len(panel.layout_.shown[1]) > 0
    unit = panel.layout_.shown[1][0]
    weights = window.session.snapshot.weights[0][unit].reshape(8, 8)[::-1]
    np.testing.assert_allclose(pictures[0].image, weights / np.abs(weights).max())
    assert pictures[0].levels.tolist() == [-1.0, 1.0]
    g = panel.layout_
    pixel = int(np.flatnonzero(g.node_column == 0)[-1])
    unit = int(g.node_unit[pixel])
    assert panel.describe_at(*g.positions[pixel]) == f"input {unit}: the pixel in row {unit // 8}, column {unit % 8}"


def test_pictures_keep_square_pixels_and_an_images_first_layer_shows_twelve_whatever_its_size(qtbot, make_window):
    """Stretched to a unit of the graph each way, 32 pictures of 8x8 weights were drawn 50
    pixels wide and 12 high, a column of stripes; a plane's square maps became wide bands."""
    window = make_window(digits_config().with_changes(model={"hidden": (32,)}))
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    panel = NetworkPanel()
    panel.image_shape = window.session.image_shape  # digits' 8x8
    shown(qtbot, panel, 430, 600)
    qtbot.wait(50)
    panel.refresh(window.session.snapshot, window.session.layer_names, force=True)
    pictures = [item for item in panel._images if item.isVisible()]
    assert len(pictures) == SHOWN_PER_LAYER and "hidden 1: 32\n+20 more" in [t.textItem.toPlainText() for t in panel._texts]
    for width, height in ((430, 600), (300, 900), (700, 350)):
        panel.resize(width, height)
        qtbot.wait(50)
        for picture in pictures:
            drawn = picture.sceneBoundingRect()
            assert drawn.width() == pytest.approx(drawn.height(), rel=0.02) and drawn.height() > 8, (width, height, drawn)

    deep = make_window(digits_config().with_changes(model={"hidden": (128,) * 8}))  # 9 columns in 430 pixels: bound by the width
    deep.step_action.trigger()
    wait_for(qtbot, lambda: deep.session.step == 1)
    panel.resize(430, 600)
    panel.refresh(deep.session.snapshot, deep.session.layer_names, force=True)
    qtbot.wait(50)
    pitch = panel._column_px()
    for picture in [item for item in panel._images if item.isVisible()]:
        drawn = picture.sceneBoundingRect()
        assert drawn.width() == pytest.approx(drawn.height(), rel=0.02) and drawn.width() > 0.45 * pitch, (drawn, pitch)

    plane = make_window(Config().with_changes(data={"name": "xor"}, model={"hidden": (16,)}, train={"batch_size": 10}))
    plane.step_action.trigger()
    wait_for(qtbot, lambda: plane.session.step == 1)
    plane.redraw()
    maps = [item for item in plane.network._images if item.isVisible()]
    assert len(maps) == 16 + 2, "a small plane net shows every neuron's map, as Playground does"
    assert all(m.sceneBoundingRect().width() == pytest.approx(m.sceneBoundingRect().height(), rel=0.02) for m in maps)


def test_weight_pictures_near_float32s_limits_draw_as_at_a_plain_scale(qtbot, make_window):
    """Weights decayed to 1e-40 or grown to 1e38: drawn with levels (-bound, bound),
    pyqtgraph's float32 scaling overflowed (warnings, and pictures of inf and NaN). Twelve
    units, each drawn (of more, the strongest: denormal weights rank otherwise)."""
    window = make_window(digits_config().with_changes(model={"hidden": (SHOWN_PER_LAYER,)}))
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    snapshot = window.session.snapshot
    panel = NetworkPanel()
    panel.image_shape = window.session.image_shape  # digits' 8x8
    shown(qtbot, panel, 300, 500)

    def drawn_pictures(scale: float) -> list[np.ndarray]:
        weights = ((snapshot.weights[0].astype(np.float64) * scale).astype(np.float32), *snapshot.weights[1:])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            panel.refresh(dataclasses.replace(snapshot, weights=weights), window.session.layer_names, force=True)
            panel.graphics.grab()  # renders the images: where pyqtgraph scales them
        return [item.image for item in panel._images if item.isVisible()]

    plain = drawn_pictures(1.0)
    assert plain
    largest = float(np.abs(snapshot.weights[0]).max())
    for scale in (1e-40 / largest, 3e38 / largest):
        for picture, expected in zip(drawn_pictures(scale), plain, strict=True):
            np.testing.assert_allclose(picture, expected, rtol=1e-3, atol=1e-3)  # denormals keep ~3 digits


def test_the_boundary_plot_is_laid_out_for_2d_sets_only(qtbot):
    """Out of the layout otherwise: even hidden, its title held the graph wider than a narrow dock."""
    make_application()
    panel = NetworkPanel()
    qtbot.addWidget(panel)
    plane = np.zeros((4, 2)), np.array([0, 1, 0, 1]), np.zeros((2, 2)), np.array([0, 1])
    panel.set_points(plane)
    panel.set_points(plane)
    assert list(panel.graphics.ci.items).count(panel.boundary_plot) == 1
    panel.set_points(())
    assert panel.boundary_plot not in panel.graphics.ci.items
    panel.resize(240, 500)
    panel.show()
    qtbot.wait(50)
    assert panel.graphics.ci.geometry().width() <= panel.graphics.viewport().width(), "the graph within its view"


def drawn_after_a_step(qtbot, window, width: int) -> tuple[NetworkPanel, Snapshot]:
    """A network panel `width` pixels wide drawing the window's model after one step."""
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    panel = NetworkPanel()
    shown(qtbot, panel, width, 600)
    qtbot.wait(50)
    snapshot = window.session.snapshot
    panel.refresh(snapshot, window.session.layer_names, force=True)
    qtbot.wait(50)
    return panel, snapshot


def edge_widths(panel: NetworkPanel) -> list[float]:
    """The pens' widths of the edges' groups, the weakest first, for each sign."""
    return [item.opts["pen"].widthF() for item in panel.edge_groups.values()]


def test_the_edges_of_a_deep_net_are_drawn_thinner_until_zoomed_in(qtbot, make_window):
    """Eight hidden layers 40 pixels apart, each pair of columns joined by 144 edges up to 5 pixels
    wide, were a solid band of orange: close columns thin the edges, a zoom gives the width back."""
    window = make_window(digits_config().with_changes(model={"hidden": (16,) * 8}))
    panel, _ = drawn_after_a_step(qtbot, window, width=430)
    pitch = panel._column_px()
    assert 30 < pitch < 60
    scale = pitch / FULL_WIDTH_ROOM_PX
    assert edge_widths(panel) == pytest.approx([width * scale for width in EDGE_WIDTHS] * 2)
    (left, right), _ = panel.graph_plot.vb.viewRange()
    panel.graph_plot.setXRange(left, left + (right - left) / 4, padding=0)
    assert edge_widths(panel) == pytest.approx(list(EDGE_WIDTHS) * 2), "zoomed in: columns 160 pixels apart"


def test_one_hidden_layers_edges_keep_their_widths(qtbot, make_window):
    window = make_window()
    panel, _ = drawn_after_a_step(qtbot, window, width=430)
    assert panel._column_px() > FULL_WIDTH_ROOM_PX
    assert edge_widths(panel) == list(EDGE_WIDTHS) * 2


def badge_items(panel: NetworkPanel) -> list[pg.TextItem]:
    """The layers' badges, left to right: the texts hung over the graph (anchored at their
    bottom, or a badge or two higher), not the size notes under it nor the features beside it."""
    return [item for item in panel._texts if item.anchor.y() >= 1.0 and item.textItem.toPlainText()]


def test_a_deep_nets_short_badges_keep_apart(qtbot, make_window):
    """Nine layers in the network's 430-pixel column get short badges, the layer and its
    gradient norm: written as "1e+00" they ran together into "1e+002e+00...". Over the
    inputs, the rows' names: the bare numbers said nothing of what they were."""
    window = make_window(digits_config().with_changes(model={"hidden": (16,) * 8}))
    panel, snapshot = drawn_after_a_step(qtbot, window, width=430)
    rows, *badges = badge_items(panel)
    assert rows.textItem.toPlainText().split("\n") == ["layer", "‖∇W‖"]
    assert rows.pos().x() == panel.layout_.positions[0, 0]  # over the inputs' column
    assert len(badges) == len(snapshot.layers) == 9
    for badge, probe in zip(badges, snapshot.layers):
        assert badge.textItem.toPlainText().split("\n") == [probe.name.split(" ")[0], short_number(probe.grad_norm)]
    badges = [rows, *badges]
    assert {badge.pos().y() for badge in badges} == {rows.pos().y()}, "the output's badge on the line its row names name"
    rects = [badge.sceneBoundingRect() for badge in badges]
    for left, right in zip(rects, rects[1:]):
        assert left.right() < right.left(), "neighbouring badges do not touch"


def text_rect(item: pg.TextItem) -> QRectF:
    """Where `item`'s text is drawn in the scene: its bounding rectangle less the text's margins."""
    margin = item.textItem.document().documentMargin()
    return item.sceneBoundingRect().adjusted(margin, margin, -margin, -margin)


def test_a_deep_nets_badges_in_a_narrow_column_are_staggered_and_keep_apart(qtbot, make_window):
    """Nine layers in the 190 pixels a 1024-pixel screen leaves the network: side by side the
    short badges ran "7e-66e-55e-4" together and the row names were cut at the left edge. Every
    other badge stands a badge higher, the rows' names over them all, and the hidden layers'
    sizes ("64128128...") give way to the input's and the output's. Widened, the column goes
    back to badges side by side at once, without waiting for a snapshot."""
    window = make_window(digits_config().with_changes(model={"hidden": (128,) * 8}))
    panel, snapshot = drawn_after_a_step(qtbot, window, width=190)
    rows, *badges = badge_items(panel)
    assert rows.textItem.toPlainText() == "layer\n‖∇W‖"
    assert [badge.textItem.toPlainText() for badge in badges] == [f"{p.name.split()[0]}\n{short_number(p.grad_norm)}" for p in snapshot.layers]
    assert [badge.anchor.y() for badge in badges] == [2.0, 1.0] * 4 + [2.0], "L1, L3... a badge higher"
    rects = [text_rect(item) for item in (rows, *badges)]
    assert not any(a.intersects(b) for a, b in itertools.combinations(rects, 2)), "no two badges touch"
    view = panel.graph_plot.vb.sceneBoundingRect()
    assert all(view.contains(rect) for rect in rects), "none is cut at the graph's edges"
    notes = [item for item in panel._texts if item.anchor == pg.Point(0.5, 0.0) and item.textItem.toPlainText()]
    assert [note.textItem.toPlainText() for note in notes] == ["64", "10"]
    assert all(view.contains(text_rect(note)) for note in notes)
    panel.resize(500, 600)
    qtbot.wait(50)
    rows, *badges = badge_items(panel)
    assert rows.pos().x() == panel.layout_.positions[0, 0] and {badge.anchor.y() for badge in badges} == {1.0}, "side by side"


def test_a_single_outputs_badge_stands_over_the_graph_not_among_its_edges(qtbot, make_window):
    """A regression without a hidden layer: its one output node sits halfway down, and the badge
    hung over it sat where all twenty inputs' edges converge."""
    window = make_window(Config().with_changes(data={"name": "polynomial"}, model={"hidden": ()}))
    panel, _ = drawn_after_a_step(qtbot, window, width=220)
    [badge] = badge_items(panel)
    ends = panel.layout_.positions[panel.layout_.edges]  # (edges, 2 ends, x/y)
    assert badge.pos().y() > ends[..., 1].max(), "above every edge"


def test_a_single_outputs_size_note_stands_under_the_graph_not_among_its_edges(qtbot, make_window):
    """A regression's one output node sits halfway down: the "output: 1" hung under it sat where
    the hidden layer's edges converge. Every size note stands on one line under the graph."""
    window = make_window(Config().with_changes(data={"name": "polynomial"}, model={"hidden": (256,)}))
    panel, _ = drawn_after_a_step(qtbot, window, width=430)
    notes = [item for item in panel._texts if item.anchor == pg.Point(0.5, 0.0) and item.textItem.toPlainText()]
    assert [note.textItem.toPlainText().split("\n")[0] for note in notes] == ["input: 20", "hidden 1: 256", "output: 1"]
    ends = panel.layout_.positions[panel.layout_.edges]  # (edges, 2 ends, x/y)
    assert {note.pos().y() for note in notes} == {notes[0].pos().y()} and notes[0].pos().y() < ends[..., 1].min(), "under every edge"


@pytest.mark.parametrize("height_px", [100.0, 300.0, 2000.0])
def test_the_frame_leaves_each_margin_its_units_and_its_pixels_and_no_more(height_px):
    below, above = [(2.6, 0.0), (0.7, 30.0)], [(5.5, 0.0), (0.8, 60.0)]
    bottom, top = frame_rows(-40.0, 0.0, height_px, below, above)
    per_px = (top - bottom) / height_px
    margins = {"below": (-40.0 - bottom, below), "above": (top - 0.0, above)}
    for side, (margin, needs) in margins.items():
        room = max(units + px * per_px for units, px in needs)
        assert margin == pytest.approx(room), f"{side}: {margin} for a need of {room}"


@pytest.mark.parametrize("height", [600, 420])
def test_badges_and_size_notes_stand_whole_around_a_column_of_32_units(qtbot, make_window, height):
    """32 hidden units drawn whole make a tall graph, with few pixels to a unit of its height:
    the room kept around it in those units left the inputs' "+52 more" and the badges' first
    lines cut off."""
    window = make_window(digits_config().with_changes(model={"hidden": (32,)}))
    panel, _ = drawn_after_a_step(qtbot, window, width=430)
    panel.resize(430, height)
    qtbot.wait(50)
    notes = [item for item in panel._texts if item.anchor == pg.Point(0.5, 0.0) and item.textItem.toPlainText()]
    assert [note.textItem.toPlainText() for note in notes] == ["input: 64\n+52 more", "hidden 1: 32", "output: 10"]
    view = panel.graph_plot.vb.sceneBoundingRect()
    assert all(view.contains(text_rect(note)) for note in notes), [text_rect(note) for note in notes]
    assert all(view.contains(text_rect(badge)) for badge in badge_items(panel)), [text_rect(b) for b in badge_items(panel)]


def test_a_badge_turns_red_when_its_layer_is_unhealthy(qtbot, make_window):
    """Red: over half the units dead or saturated, a gradient under 1e-3 of the largest
    layer's, above 1e3, or not a number; the other layers' badges stay grey."""
    window = make_window(digits_config().with_changes(model={"hidden": (16,)}))
    panel, snapshot = drawn_after_a_step(qtbot, window, width=600)
    red, grey = "#c0392b", "#333333"
    hidden, output = snapshot.layers
    hidden = dataclasses.replace(hidden, grad_norm=1.0, dead_fraction=0.1)
    output = dataclasses.replace(output, grad_norm=10.0)

    def colours(**changes: object) -> list[str]:
        layers = (dataclasses.replace(hidden, **changes), output)
        panel.refresh(dataclasses.replace(snapshot, layers=layers), window.session.layer_names, force=True)
        return [item.color.name() for item in badge_items(panel)]

    assert colours() == [grey, grey]
    assert colours(dead_fraction=0.6) == [red, grey]
    assert colours(dead_fraction=None, saturated_fraction=0.6) == [red, grey]
    assert colours(dead_fraction=None, saturated_fraction=0.4) == [grey, grey]
    assert colours(grad_norm=0.009) == [red, grey], "under 1e-3 of the output layer's 10"
    assert colours(grad_norm=0.011) == [grey, grey]
    assert colours(grad_norm=1.5e3) == [red, grey], "above 1e3 (and the output's 10 is above 1e-3 of it)"
    assert colours(grad_norm=math.nan) == [red, grey]


def test_short_numbers_read_plainly_between_a_hundredth_and_a_thousand():
    assert [short_number(x) for x in (1.0, 0.3, 0.042, 20.0, 999.0)] == ["1", "0.3", "0.04", "20", "1e3"]
    assert [short_number(x) for x in (7e-6, 2.4e-4, 5.6e7, 0.0)] == ["7e-6", "2e-4", "6e7", "0"]
    assert [short_number(x) for x in (math.inf, math.nan)] == ["inf", "nan"]


def test_a_plane_sets_features_are_chosen_in_the_controls_and_the_plane_still_shows_the_points(qtbot, make_window):
    """TensorFlow Playground's inputs: a linear model given x1^2 and x2^2 separates the circle."""
    config = Config().with_changes(data={"name": "circle"}, model={"hidden": ()}, train={"batch_size": 10, "epochs": 5})
    window = make_window(config)
    wait_for(qtbot, lambda: window.session.config is not None)
    controls, picker = window.controls, window.controls.features
    assert controls._data_form.isRowVisible(picker) and picker.features() == ("x1", "x2")
    assert controls.pending_reset() == [], "the boxes give the features in the configuration's order"
    picker.boxes["x1"].setChecked(False)
    picker.boxes["x2"].setChecked(False)
    assert picker.features() == ("x2",), "the last input stays"
    for name, on in (("x1^2", True), ("x2^2", True), ("x2", False)):
        picker.boxes[name].setChecked(on)
    assert picker.features() == ("x1^2", "x2^2") and "features" in controls.hint.text()
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.reset_action.trigger()
    session = window.session
    assert session.config.data.features == ("x1^2", "x2^2") and session.sizes == (2, 2)
    x_train = session.points[0]
    assert np.array_equal(window.network.train_points.data["x"], x_train[:, 0]), "the plane draws the points, not their squares"
    window.redraw()
    g = window.network.layout_
    assert window.network.describe_at(*g.positions[1]) == "input 1: x₂² of the point"
    shown = [item.textItem.toPlainText() for item in window.network._texts]
    assert "x₁²" in shown and "x₂²" in shown, "each input's feature beside it"
    controls.dataset.setCurrentIndex(controls.dataset.findData("digits"))
    assert not controls._data_form.isRowVisible(picker), "only a plane set has features to choose"


@pytest.mark.parametrize("width", [190, 400])
def test_a_plane_sets_input_names_stand_whole_beside_their_inputs(qtbot, make_window, width):
    """In the 190 pixels a 1024-pixel screen leaves the network, "x₁" was cut to "‹₁" at the
    graph's left edge: the graph keeps room for the widest name, and finds it again when resized."""
    config = Config().with_changes(data={"name": "spiral", "features": PLANE_FEATURES}, model={"hidden": (16, 16, 16)})
    window = make_window(config)
    wait_for(qtbot, lambda: window.session.features == PLANE_FEATURES)
    panel = NetworkPanel()
    panel.features = window.session.features
    shown(qtbot, panel, 600, 600)
    qtbot.wait(50)
    panel.refresh(window.session.snapshot, window.session.layer_names, force=True)
    panel.resize(width, 600)
    qtbot.wait(50)
    names = {item.textItem.toPlainText(): item for item in panel._texts if item.anchor == pg.Point(1.0, 0.5)}
    assert set(names) == {FEATURE_LABELS[feature] for feature in PLANE_FEATURES}
    view = panel.graph_plot.vb.sceneBoundingRect()
    inputs = panel.graph_plot.vb.mapViewToScene(pg.Point(0.0, 0.0)).x()
    for name, item in names.items():
        assert view.left() <= text_rect(item).left() and text_rect(item).right() < inputs, f"{name} whole, left of its input"


def test_a_wide_columns_badges_give_each_layers_norms_and_dead_or_saturated_share(qtbot, make_window):
    """Where a layer's column has room, its badge reads its weight and gradient norms and, for
    ReLU, its dead share (sigmoid and tanh: the saturated share)."""
    window = make_window(digits_config().with_changes(model={"hidden": (16,)}))
    panel, snapshot = drawn_after_a_step(qtbot, window, width=600)
    badges = [item.textItem.toPlainText() for item in badge_items(panel)]
    hidden, output = snapshot.layers
    assert badges == [
        f"L1\n‖W‖ {significant(hidden.weight_norm, 2)}\n‖∇W‖ {significant(hidden.grad_norm, 2)}\ndead {hidden.dead_fraction:.0%}",
        f"L2\n‖W‖ {significant(output.weight_norm, 2)}\n‖∇W‖ {significant(output.grad_norm, 2)}",
    ]
    saturating = dataclasses.replace(snapshot, layers=(dataclasses.replace(hidden, dead_fraction=None, saturated_fraction=0.25), output))
    panel.refresh(saturating, window.session.layer_names, force=True)
    badges = [item.textItem.toPlainText() for item in badge_items(panel)]
    assert badges[0].endswith("\nsat. 25%")
