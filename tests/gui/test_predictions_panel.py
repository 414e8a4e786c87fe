"""The predictions panel: gallery with mistakes first, confusion matrix, regression note."""

from __future__ import annotations

from engine.config import Config
from tests.gui.conftest import wait_for


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
    assert f"{p.wrong:,} of {p.total:,}" in panel.summary.text()


def test_regression_says_why_there_are_no_predictions(qtbot, make_window):
    config = Config().with_changes(data={"name": "line"}, model={"hidden": (8,)}, train={"epochs": 2})
    window = make_window(config)
    wait_for(qtbot, lambda: window.session.config is not None)
    show_predictions(qtbot, window)
    assert window.session.predictions is None
    assert "Regression" in window.predictions.summary.text() and window.predictions.body.isHidden()
