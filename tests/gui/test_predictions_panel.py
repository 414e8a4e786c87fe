"""The predictions panel: gallery with mistakes first, confusion matrix, a regression's fit."""

from __future__ import annotations

import numpy as np
import pytest

from engine.config import Config
from engine.numbers import significant
from engine.predictions import Fit
from gui.app import make_application
from gui.panels.predictions import PredictionsPanel
from tests.gui.conftest import drawn_labels, shown, wait_for


def show_predictions(qtbot, window) -> None:
    window.docks["predictions"].show()
    window.docks["predictions"].raise_()
    wait_for(qtbot, window.predictions.isVisible)
    window.redraw()


def test_gallery_and_confusion_matrix_follow_the_epochs(qtbot, make_window):
    window = make_window(start=True)
    wait_for(qtbot, lambda: window.session.predictions is not None and window.session.predictions.epoch >= 1)
    show_predictions(qtbot, window)
    panel, p = window.predictions, window.session.predictions
    shown = [tile for tile in panel.tiles if not tile.isHidden()]
    assert len(shown) == len(p.images) == 24
    for tile, true, predicted in zip(shown, p.true, p.predicted):
        colour = "#2ca02c" if true == predicted else "#d62728"
        assert colour in tile.caption.text() and p.class_names[true] in tile.caption.text()
        assert tile.image.pixmap().width() == 56
    cells = [text.textItem.toPlainText() for text in panel.cell_texts]
    assert cells == [str(n) if n else "" for n in p.confusion.ravel()]
    assert f"{p.wrong:,} of {p.total:,}" in panel.summary.text() and "most confident mistakes come first" in panel.summary.text()


def test_a_regression_shows_its_test_targets_against_its_predictions(qtbot, make_window):
    """The tab said only that a regression has no classes: it now plots the fit, epoch by epoch."""
    config = Config().with_changes(data={"name": "polynomial", "poly_degree": 4}, model={"hidden": ()}, train={"lr": 0.01, "batch_size": 10, "epochs": 30})
    window = make_window(config)
    show_predictions(qtbot, window)
    panel = window.predictions
    wait_for(qtbot, lambda: window.session.predictions is not None)
    assert panel.fit_graphics.isVisible() and panel.body.isHidden()
    before = window.session.predictions
    window.start_action.trigger()
    wait_for(qtbot, lambda: window.session.mode == "finished")
    window.redraw()
    fit = window.session.predictions
    true, predicted = panel.fit_points.getData()
    assert fit.epoch == 30 and len(true) == len(window.session.predictions.true) == 100
    assert (true == fit.true).all() and (predicted == fit.predicted).all()
    assert fit.mse == pytest.approx(window.session.history.epochs[-1].test_loss, rel=1e-5)
    assert fit.mse < before.mse / 10, "training brought the points onto the diagonal"
    assert "Epoch 30" in panel.summary.text() and f"{significant(fit.mse, 4)}, the test loss" in panel.summary.text()
    assert panel.curve_plot.isVisible() and len(panel.train_points.getData()[0]) == 100, "over x, whose four powers it sees"


def test_the_confusion_matrix_names_the_classes_on_both_axes_where_they_fit(qtbot, make_window):
    """A toy set's matrix read blue/orange down the side but 0/1 along the bottom; Fashion-MNIST's
    ten names side by side would overlap: its columns are numbered and its rows say each number."""
    from engine.data import FASHION_CLASSES
    from gui.panels.predictions import matrix_ticks

    config = Config().with_changes(data={"name": "circle"}, model={"hidden": (8,)}, train={"batch_size": 25, "epochs": 1})
    window = make_window(config)
    window.start_action.trigger()
    wait_for(qtbot, lambda: window.session.predictions is not None)
    show_predictions(qtbot, window)
    names = list(window.session.predictions.class_names)
    assert len(names) == 2
    summary = window.predictions.summary.text()
    assert window.predictions.gallery.isHidden() and "confident mistakes" not in summary, "no gallery to speak of"
    assert "off the diagonal, the mistakes" in summary
    for side in ("left", "bottom"):
        assert sorted(text for _, text in drawn_labels(window.predictions.matrix_plot.getAxis(side))) == sorted(names)
    left, bottom = matrix_ticks(FASHION_CLASSES)
    assert left[0] == (0, "0 T-shirt") and left[9] == (9, "9 Ankle boot") and bottom[9] == (9, "9")
    assert matrix_ticks([str(i) for i in range(10)])[1][3] == (3, "3"), "digits: the names are the numbers"


def test_the_confusion_matrixs_cells_show_counts_or_shares_that_fit_never_cut_ones(qtbot):
    """Fashion-MNIST's counts in a 15-pixel cell were cut to "04" for 1040: a cell shows its count
    where the largest fits, else its share of the true class in percent, else the shading alone."""
    import numpy as np

    from engine.data import FASHION_CLASSES
    from engine.predictions import Predictions
    from gui.panels.predictions import PredictionsPanel

    confusion = np.full((10, 10), 7) + np.diag(np.full(10, 1033))  # rows of 1,040 + 9 x 7 = 1,103
    empty = np.zeros((0,), dtype=np.int64)
    p = Predictions(10, 2350, FASHION_CLASSES, confusion, empty, np.zeros((0,)), empty, empty, np.zeros((0,)))
    panel = PredictionsPanel()
    qtbot.addWidget(panel)
    panel.show()

    def cells() -> list[str]:
        return [text.textItem.toPlainText() for text in panel.cell_texts[:100]]

    panel.resize(1400, 500)
    panel.refresh(p)
    wait_for(qtbot, lambda: cells()[:2] == ["1040", "7"])
    assert panel.matrix_plot.titleLabel.text == "confusion matrix"
    panel.resize(300, 500)  # the cells follow the plot's size
    wait_for(qtbot, lambda: cells()[:2] == ["94", "1"])  # shares of 1,103: 94.3 % and 0.6 %
    assert panel.matrix_plot.titleLabel.text == "confusion matrix (% of row)"
    panel.resize(120, 500)
    wait_for(qtbot, lambda: set(cells()) == {""})  # no room even for a share


def test_a_model_of_one_input_is_drawn_as_a_curve_through_its_points(qtbot, make_window):
    """A fit of the noisy line showed only targets against predictions: the curve over x shows
    how the model bends towards the points it learns from."""
    config = Config().with_changes(data={"name": "line"}, model={"hidden": (32,)}, train={"lr": 0.05, "batch_size": 5, "epochs": 20})
    window = make_window(config)
    show_predictions(qtbot, window)
    panel = window.predictions
    wait_for(qtbot, lambda: window.session.predictions is not None)
    window.redraw()
    assert panel.curve_plot.isVisible()
    window.start_action.trigger()
    wait_for(qtbot, lambda: window.session.mode == "finished")
    window.redraw()
    fit = window.session.predictions
    train_x, train_y = panel.train_points.getData()
    curve_x, curve_y = panel.model_curve.getData()
    assert len(train_x) == len(train_y) > 10 and train_x.min() < 0 < train_x.max()
    test_x, test_y = panel.test_points.getData()
    every_x = np.concatenate([train_x, test_x])
    assert curve_x[0] == pytest.approx(every_x.min()) and curve_x[-1] == pytest.approx(every_x.max()), "over every input's range"
    assert (test_y == fit.true).all() and len(test_x) == len(fit.true)
    on_curve = np.interp(test_x, curve_x, curve_y)
    assert np.mean((on_curve - test_y) ** 2) == pytest.approx(fit.mse, rel=0.05), "the curve is the model the test loss measures"
    assert "the model over x (red) through the" in panel.summary.text()


def test_beside_the_curve_the_scatters_title_stays_inside_the_panel(qtbot):
    """At 1024 pixels the panel is ~480 wide: "test set: predicted against true" ran past its edge."""
    make_application()
    panel = PredictionsPanel()
    shown(qtbot, panel, 480, 300)
    points = np.linspace(-1, 1, 5)
    panel.refresh(Fit(1, 4, points, points, points, (points, points), (points, points)))
    for _ in range(3):
        qtbot.wait(30)
    right = panel.fit_graphics.viewport().width()
    for plot in (panel.curve_plot, panel.fit_plot):
        title = plot.titleLabel.item.sceneBoundingRect()
        assert 0 <= title.left() and title.right() <= right + 0.5, (plot.titleLabel.text, title, right)
