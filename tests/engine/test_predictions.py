"""Test-set predictions: the confusion matrix and the gallery, mistakes first; a regression's fit."""

import math

import numpy as np
import pytest
import torch

from engine.config import Config
from engine.predictions import CURVE_POINTS, Fit, Predictions, summarize
from engine.trainer import Trainer


def test_confusion_matrix_and_gallery_order():
    labels = torch.tensor([0, 1, 2, 2, 1, 0])
    # Predictions: 0 right (0.9), 1 -> 2 wrong (sure), 2 right, 2 -> 0 wrong (less sure), 1 right, 0 right (unsure).
    probabilities = torch.tensor(
        [[0.9, 0.05, 0.05], [0.02, 0.03, 0.95], [0.1, 0.1, 0.8], [0.6, 0.1, 0.3], [0.2, 0.7, 0.1], [0.4, 0.3, 0.3]]
    )
    inputs = torch.arange(6 * 4, dtype=torch.float32).reshape(6, 4)
    p = summarize(probabilities.log(), labels, inputs, ("a", "b", "c"), (2, 2), epoch=3, step=30, shown=4)
    expected = np.zeros((3, 3), dtype=np.int64)
    for true, predicted in [(0, 0), (1, 2), (2, 2), (2, 0), (1, 1), (0, 0)]:
        expected[true, predicted] += 1
    np.testing.assert_array_equal(p.confusion, expected)
    assert p.total == 6 and p.wrong == 2
    assert list(p.indices) == [1, 3, 5, 4], "confident mistakes, then the least sure correct answers"
    np.testing.assert_array_equal(p.predicted, [2, 0, 0, 1])
    np.testing.assert_allclose(p.confidence, [0.95, 0.6, 0.4, 0.7], rtol=1e-6)
    np.testing.assert_array_equal(p.images, inputs[[1, 3, 5, 4]].reshape(4, 2, 2).numpy())


def test_trainer_reports_predictions_after_each_epoch_matching_its_accuracy():
    trainer = Trainer(Config().with_changes(data={"name": "digits"}, model={"hidden": (32,)}, train={"epochs": 2, "lr": 0.5, "batch_size": 32}))
    trainer.report_predictions = True
    events = list(trainer.run())
    predictions = [e for e in events if isinstance(e, Predictions)]
    assert [p.epoch for p in predictions] == [0, 1, 2]
    for p, report in zip(predictions, trainer.history.epochs):
        assert p.total == len(trainer.data.x_test) == p.confusion.sum()
        assert p.total - p.wrong == round(report.test_acc * p.total)
        np.testing.assert_array_equal(p.confusion.sum(1), np.bincount(trainer.data.y_test.cpu().numpy(), minlength=10))
    last = predictions[-1]
    assert last.images.shape == (24, 8, 8)
    shown = trainer.data.x_test.cpu()[last.indices].reshape(-1, 8, 8).numpy()
    np.testing.assert_array_equal(last.images, shown)
    wrong = last.true != last.predicted
    assert wrong[: last.wrong].all(), "the gallery leads with mistakes"


def test_an_epoch_end_forwards_the_test_set_once_for_its_scores_and_predictions():
    trainer = Trainer(Config().with_changes(data={"name": "digits"}, model={"hidden": (32,)}, train={"epochs": 1, "batch_size": 32}))
    trainer.report_predictions = True
    test_rows = len(trainer.data.x_test)  # under EVAL_CHUNK: one forward call per pass over the test set
    passes = []
    trainer.model.register_forward_hook(lambda module, args, out: passes.append(len(args[0])) if len(args[0]) == test_rows else None)
    while not trainer.history.epochs[1:]:
        events = trainer.train_step()
    assert passes == [test_rows]
    predictions = next(e for e in events if isinstance(e, Predictions))
    report = trainer.history.epochs[-1]
    assert predictions.total - predictions.wrong == round(report.test_acc * predictions.total)
    assert (report.test_loss, report.test_acc) == trainer.evaluate("test")
    np.testing.assert_array_equal(trainer.predictions().confusion, predictions.confusion)


def test_a_regression_gets_its_test_targets_beside_its_predictions():
    """d2l's polynomial with the 4 features that fit: every test point, and their mean squared
    error is the curves' test loss."""
    config = Config().with_changes(data={"name": "polynomial", "poly_degree": 4}, model={"hidden": ()}, train={"lr": 0.01, "batch_size": 10, "epochs": 50})
    trainer = Trainer(config)
    trainer.report_predictions = True
    fits = [e for e in trainer.run() if isinstance(e, Fit)]
    assert [f.epoch for f in fits] == list(range(51)), "one for the model as it starts, then one an epoch"
    last = fits[-1]
    assert len(last.true) == len(trainer.data.y_test) == len(last.predicted)
    np.testing.assert_array_equal(last.true, trainer.data.y_test.reshape(-1).numpy())
    assert last.mse == pytest.approx(trainer.history.epochs[-1].test_loss, rel=1e-5)
    assert last.mse < 0.05 * float(np.var(last.true)), "a fit: predictions close to the targets"


def test_no_predictions_when_not_asked():
    quiet = Trainer(Config().with_changes(data={"name": "digits"}, train={"epochs": 1}))
    assert not any(isinstance(e, (Predictions, Fit)) for e in quiet.run())


def test_a_model_of_one_input_comes_with_its_curve_over_it_and_its_points():
    line = Trainer(Config().with_changes(data={"name": "line"}, model={"hidden": (8,)}))
    f = line.predictions()
    x, y = line.data.x_train.squeeze(1).numpy(), line.data.y_train.squeeze(1).numpy()
    assert (f.train[0] == x).all() and (f.train[1] == y).all() and len(f.test_x) == len(f.true)
    curve_x, curve_y = f.curve
    every_x = np.concatenate([x, f.test_x])
    assert curve_x[0] == every_x.min() and curve_x[-1] == every_x.max() and len(curve_y) == CURVE_POINTS, "over train and test"
    expected = line.predict(torch.tensor(curve_x, dtype=torch.float32).unsqueeze(1)).squeeze(1).numpy()
    np.testing.assert_allclose(curve_y, expected, rtol=1e-6)
    polynomial = Trainer(Config().with_changes(data={"name": "polynomial", "poly_degree": 4}))
    f = polynomial.predictions()
    x = polynomial.data.one_input[0]
    assert (f.train[0] == x.squeeze(1).numpy()).all(), "over x itself, not over its four powers"
    grid = torch.tensor(f.curve[0], dtype=torch.float32).unsqueeze(1)
    powers = torch.cat([grid**i / math.factorial(i) for i in range(4)], 1)
    np.testing.assert_allclose(f.curve[1], polynomial.predict(powers).squeeze(1).numpy(), rtol=1e-5)
    many = Trainer(Config().with_changes(data={"name": "highdim"})).predictions()
    assert many.curve[0].size == 0 and many.test_x.size == 0, "200 inputs: no curve over one"
