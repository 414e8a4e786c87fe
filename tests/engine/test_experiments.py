"""The d2l experiments reproduce the chapter's outcomes."""

from __future__ import annotations

import numpy as np
import pytest

from engine.config import Config, describe_differences
from engine.experiments import (
    EXPERIMENTS,
    Variant,
    compare,
    dropout_on_fashion_mnist,
    dropout_on_the_line,
    on_data_folder,
    polynomial_degrees,
    run,
    weight_decay_lambdas,
)
from engine.trainer import Trainer


@pytest.fixture(scope="module")
def polynomial():
    return {o.label.split(" (")[0]: o for o in run(polynomial_degrees())}


def test_degree_3_fits_better_than_degree_1(polynomial):
    assert polynomial["degree 3"].test_loss < polynomial["degree 1"].test_loss / 100
    learned = polynomial["degree 3"].learned.first_weights[0].copy()
    learned[0] += polynomial["degree 3"].learned.first_bias[0]
    np.testing.assert_allclose(learned, [5, 1.2, -3.4, 5.6], atol=0.15)


def test_degree_19_generalises_worse_than_degree_3(polynomial):
    """Its test/train ratio is the higher: the extra features fit noise (see the README on
    how much, which depends on the data drawn)."""
    ratio = {k: o.test_loss / o.train_loss for k, o in polynomial.items()}
    assert ratio["degree 19"] > ratio["degree 3"]
    assert polynomial["degree 1"].test_loss > polynomial["degree 1"].train_loss, "underfit and unlucky alike"


def test_weight_decay_lowers_test_loss_and_the_weight_norm():
    none, decay = run(weight_decay_lambdas())
    assert none.train_loss < 1e-6, "lambda 0 memorises the 20 points"
    assert decay.test_loss < none.test_loss
    assert decay.learned.weight_norm < none.learned.weight_norm / 2


def test_dropout_narrows_the_gap_and_draws_its_fit():
    plain, dropped = run(dropout_on_the_line())
    assert dropped.test_loss - dropped.train_loss < plain.test_loss - plain.train_loss
    assert len(plain.learned.fit_x) == len(plain.learned.fit_y) == 200 and len(plain.learned.train_x) == 20


def test_variants_train_side_by_side():
    variants = weight_decay_lambdas()
    variants = [type(v)(v.label, v.config.with_changes(train={"epochs": 3})) for v in variants]
    order = [(item.index, item.report.epoch) for item in compare(variants) if not isinstance(item, list)]
    assert order == [(0, 1), (1, 1), (0, 2), (1, 2), (0, 3), (1, 3)], "an epoch of each in turn"


def test_each_epoch_carries_what_its_variant_has_learned_and_leaves_training_alone():
    """The panel draws it while the runs go on. The fit is predicted in eval mode: with dropout,
    a prediction in training mode would draw random numbers and change the run that follows."""
    variants = [Variant(v.label, v.config.with_changes(train={"epochs": 3})) for v in dropout_on_the_line()]
    *epochs, outcomes = compare(variants)
    dropped = [item.learned for item in epochs if item.index == 1]
    assert len(dropped) == 3 and not np.array_equal(dropped[0].fit_y, dropped[2].fit_y), "a fit per epoch, as it moves"
    np.testing.assert_array_equal(dropped[2].first_weights, outcomes[1].learned.first_weights)
    np.testing.assert_array_equal(dropped[2].fit_y, outcomes[1].learned.fit_y)
    alone = Trainer(variants[1].config)
    for _ in range(3 * alone.state.batches_per_epoch):
        alone.train_step()
    np.testing.assert_array_equal(alone.model.layers[0].weight.detach().numpy(), outcomes[1].learned.first_weights)


def test_a_plane_set_given_one_feature_is_no_curve_to_draw():
    """Side by side on XOR given x1*x2 alone: one input, like the line's, but classes, not a curve
    (its labels have no second dimension to squeeze: the run failed)."""
    config = Config().with_changes(data={"name": "xor", "features": ("x1*x2",)}, model={"hidden": ()}, train={"batch_size": 10, "epochs": 2})
    (outcome,) = run([Variant("given x1*x2", config)])
    assert outcome.learned.weight_norm > 0 and len(outcome.learned.fit_x) == 0


def test_every_experiment_builds_valid_configs():
    for make in EXPERIMENTS.values():
        variants = make()
        assert len(variants) >= 2
        for v in variants:
            v.config.validate()


def test_differences_name_what_changed():
    base = Config()
    assert describe_differences(base, base) == "same settings"
    assert describe_differences(base, base.with_changes(model={"dropout": 0.5})) == "dropout 0 vs 0.5"


def test_image_set_variants_read_the_sessions_folder_only_for_the_same_set():
    """MNIST's files bear Fashion-MNIST's names: a folder of one must not serve the other."""
    variants = dropout_on_fashion_mnist() + weight_decay_lambdas()
    fashion = Config().with_changes(data={"data_dir": "/data/fashion"}).data
    mnist = Config().with_changes(data={"name": "mnist", "data_dir": "/data/mnist"}).data
    assert [v.config.data.data_dir for v in on_data_folder(variants, fashion)] == ["/data/fashion"] * 3 + [None] * 2
    assert [v.config.data.data_dir for v in on_data_folder(variants, mnist)] == [None] * 5


def test_a_comparison_stops_between_two_steps_not_at_the_end_of_an_epoch():
    """A window closing mid-experiment waited for an epoch of each variant: seconds on
    Fashion-MNIST, longer than it waits for a thread before quitting."""
    asked = []

    def stop_at_the_fifth_question() -> bool:
        asked.append(True)
        return len(asked) >= 5

    variants = [Variant("digits", Config().with_changes(data={"name": "digits"}, train={"batch_size": 32, "epochs": 3}))]
    assert list(compare(variants, stop_at_the_fifth_question)) == [], "no epoch finished: 4 of its 42 steps ran"
    assert len(asked) == 5
