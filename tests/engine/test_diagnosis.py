"""The diagnosis line, the presets and the chapter's demonstrations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine.config import SUITED_TRAINING, Config
from engine.demos import activation_and_derivative, random_matrix_products
from engine.diagnosis import diagnose
from engine.numbers import significant, spoken_list
from engine.presets import PRESETS
from engine.stats import EpochReport, LayerProbe, Snapshot
from engine.trainer import Trainer
from tests.engine.probe_inputs import frozen_net_probes


def snapshot(norms, dead=None, saturated=None, step=1) -> Snapshot:
    """Layers with these gradient norms; `dead` and `saturated` are a share for every layer, or a list of one per layer."""
    per_layer = [share if isinstance(share, list) else [share] * len(norms) for share in (dead, saturated)]
    layers = tuple(
        LayerProbe(f"L{i + 1}", 1.0, n, 1e-3, per_layer[0][i], per_layer[1][i], 0.0, 1.0, {}) for i, n in enumerate(norms)
    )
    return Snapshot(step, 0, 1.0, layers)


def test_vanishing_names_the_ratio_and_the_remedies():
    verdict, text = diagnose(snapshot([1e-6, 1e-3, 0.1], saturated=[0.05, 0.3, 0.0]), "sigmoid")
    assert verdict == "vanishing"
    assert "1e-5 of the last layer's" in text and "Sigmoid saturates (30% of L2's units)" in text and "ReLU" in text


def test_vanishing_without_saturation_names_the_derivative_not_saturation():
    """A sigmoid net whose units are not saturated (the panel reads 0 %) still multiplies its
    gradient by at most 1/4 a layer: "Sigmoid saturates" there contradicted the panel beside it."""
    saturation = [0.05, 0.0, 0.0]
    assert "derivative is at most 0.25" in diagnose(snapshot([1e-6, 1e-3, 0.1], saturated=saturation), "sigmoid")[1]
    assert "saturates" not in diagnose(snapshot([1e-6, 1e-3, 0.1], saturated=saturation), "sigmoid")[1]
    assert "tanh saturates (20% of L1's units)" in diagnose(snapshot([1e-6, 1e-3, 0.1], saturated=[0.2, 0.0, 0.0]), "tanh")[1]
    text = diagnose(snapshot([1e-6, 1e-3, 0.1], saturated=saturation), "tanh")[1]
    assert "saturates" not in text and "0.25" not in text and "ReLU with He init" in text


def test_the_vanishing_preset_blames_the_sigmoid_derivative_where_nothing_saturates():
    """The 8 sigmoid layers at Xavier: gradients shrink by orders of magnitude with almost no
    unit saturated, so the line names the derivative's 1/4, which the chapter's product explains."""
    config = PRESETS["Vanishing: 8 sigmoid layers"](Config())
    probe = Trainer(config).inspect()
    assert max(layer.saturated_fraction for layer in probe.layers[:-1]) < 0.1
    verdict, text = diagnose(probe, "sigmoid")
    assert verdict == "vanishing" and "derivative is at most 0.25" in text, text


def test_gradients_that_fade_toward_the_input_are_told_short_of_vanishing():
    """Between 1e-3 and 1e-1 of the last layer's the first layer's gradient fades: said with its
    share, after dead or saturated units (they say more), and never of a net within a factor 10."""
    verdict, text = diagnose(snapshot([0.02, 0.3, 1.0]), "sigmoid")
    assert verdict == "fading" and "2% of the last layer's" in text and "at most 0.25" in text
    assert "0.14% of the last layer's" in diagnose(snapshot([0.0014, 1.0]), "sigmoid")[1], "two digits: 0.1% read as the line to vanishing"
    assert diagnose(snapshot([0.0009, 1.0]), "sigmoid")[0] == "vanishing"
    assert diagnose(snapshot([0.11, 1.0]), "sigmoid")[0] == "healthy"
    assert diagnose(snapshot([0.02, 1.0], saturated=0.7), "sigmoid")[0] == "saturated"


@pytest.mark.parametrize(
    "hidden, activation, init, verdict",
    [
        ((64, 64, 64), "sigmoid", "xavier", "fading"),  # 2e-2: at chance on digits after ten epochs
        ((256,), "sigmoid", "normal", "fading"),  # d2l's init: 3e-2
        ((256,), "sigmoid", "xavier", "healthy"),  # 0.17: learns
        ((64, 64, 64), "relu", "he", "healthy"),
        ((64, 64), "tanh", "xavier", "healthy"),
    ],
)
def test_sigmoid_nets_that_stay_at_chance_fade_and_learning_ones_do_not(hidden, activation, init, verdict):
    scale = 0.01 if init == "normal" else 1.0
    config = Config().with_changes(data={"name": "digits"}, model={"hidden": hidden, "activation": activation, "init": init, "init_scale": scale})
    assert diagnose(Trainer(config).inspect(), activation)[0] == verdict


@pytest.mark.parametrize(
    "data, hidden, activation, verdict",
    [
        ("spiral", (16, 16), "tanh", "faint"),  # at chance for its 100 epochs
        ("circle", (16, 16), "relu", "faint"),
        ("digits", (256, 256, 256), "relu", "faint"),
        ("digits", (256, 256), "relu", "healthy"),  # learns: 89 % after its 20 epochs
        ("digits", (256,), "relu", "healthy"),
        ("xor", (16,), "relu", "healthy"),
    ],
)
def test_a_signal_too_faint_to_learn_from_is_told_where_gradients_keep_their_ratios(data, hidden, activation, verdict):
    """At d2l's N(0, 0.01) init each hidden layer scales the signal down: after two of 16 units the
    output no longer depends on the input, and the run stays at chance while its gradients,
    all small alike, read "healthy"."""
    config = Config().with_changes(data={"name": data}, model={"hidden": hidden, "activation": activation}, train=SUITED_TRAINING[data])
    assert diagnose(Trainer(config).inspect(), activation)[0] == verdict


def test_the_too_small_preset_stays_at_chance_where_one_layer_learns():
    """The preset's lesson: three ReLU layers at N(0, 0.01) are told "faint" and learn nothing in
    three epochs of digits; one such layer is healthy and learns."""
    def verdict_and_accuracies(config: Config) -> tuple[str, list[float]]:
        trainer = Trainer(config.with_changes(train={"epochs": 3}))
        verdict = diagnose(trainer.inspect(), config.model.activation)[0]
        for _ in trainer.run():
            pass
        return verdict, [report.test_acc for report in trainer.history.epochs]

    too_small = PRESETS["Too small: 3 ReLU layers at N(0, 0.01)"](Config())
    assert (too_small.data.name, too_small.model.hidden, too_small.model.init_scale) == ("digits", (256,) * 3, 0.01)
    verdict, faint = verdict_and_accuracies(too_small)
    assert verdict == "faint" and max(faint) < 0.15, "ten classes: at chance"
    verdict, healthy = verdict_and_accuracies(too_small.with_changes(model={"hidden": (256,)}))
    assert verdict == "healthy" and healthy[-1] > 0.5


def test_the_healthy_preset_learns_steadily():
    """Eight ReLU layers with He's init on digits: its test loss leapt to 8.9 at epoch 2, then 0.46
    at epoch 4, each epoch's last batch of 3 samples taking a whole step just before the test."""
    trainer = Trainer(PRESETS["Healthy: ReLU + He"](Config()).with_changes(train={"epochs": 5}))
    for _ in trainer.run():
        pass
    losses = [report.test_loss for report in trainer.history.epochs]
    assert max(losses[1:]) < math.log(10), f"above chance (ln 10) after training: {losses}"
    assert losses[-1] < 0.5 * losses[1], losses


def test_a_faint_signal_names_the_last_hidden_layer_and_the_first_ones_spread():
    def layer(name: str, unit_std: float | None, dead: float | None = None, saturated: float | None = None) -> LayerProbe:
        return LayerProbe(name, 1.0, 1e-4, 1e-3, dead, saturated, 0.0, 1.0, {}, unit_std=unit_std)

    def probe(*layers: LayerProbe) -> Snapshot:
        return Snapshot(1, 0, 0.69, (*layers, layer("L9 16→2", 2e-5)))

    verdict, text = diagnose(probe(layer("L1 2→16", 4e-3), layer("L2 16→16", 1.5e-4)), "tanh")
    assert verdict == "faint" and "L2's units vary by only 0.00015 over the batch, L1's by 0.004, so" in text, text
    assert "Xavier or He init" in text
    assert "vary by only 0.0004 over the batch, so" in diagnose(probe(layer("L1 2→16", 4e-4)), "relu")[1], "one hidden layer: nothing before it"
    assert diagnose(probe(layer("L1 2→16", 2e-3)), "relu")[0] == "healthy"
    assert diagnose(probe(layer("L1 2→16", None)), "relu")[0] == "healthy", "a probe kept lean"
    # A stuck net's ReLUs die as their biases drift: its dead units vary by nothing and are left out.
    verdict, text = diagnose(probe(layer("L1 2→16", 3e-4, dead=0.75)), "relu")
    assert verdict == "faint" and "L1's live units (75% are dead) vary by only 0.0006 over the batch" in text, text
    assert diagnose(probe(layer("L1 2→16", 6e-4, dead=0.75)), "relu")[0] == "dead", "the live units vary by 0.0012"
    assert diagnose(probe(layer("L1 2→16", 0.0, dead=1.0)), "relu")[1].startswith("Every unit of layer L1 2→16 is dead")
    assert diagnose(probe(layer("L1 2→16", 1e-4, saturated=0.9)), "sigmoid")[0] == "saturated", "stuck at 1, not short of weight"


def test_a_layer_whose_weights_did_not_change_at_all_is_named():
    """In float32 w + u == w when |u| is under half the spacing around w (6e-8 of w): a layer
    with a gradient can learn nothing at all. Not said of a probe without an update."""
    first, *updated = frozen_net_probes(2)
    for probe in updated:
        frozen = [layer for layer in probe.layers if layer.update_ratio == 0]
        assert frozen and all(layer.grad_norm > 0 for layer in frozen), "a gradient, and no change"
        assert any(layer.update_ratio > 0 for layer in probe.layers)
        verdict, text = diagnose(probe, "sigmoid")
        names = [layer.name.split()[0] for layer in frozen]
        assert verdict == "vanishing" and f"The weights of {spoken_list(names)} did not change at all" in text, text
    assert all(layer.update_ratio == 0 for layer in first.layers) and "did not change" not in diagnose(first, "sigmoid")[1]
    assert (spoken_list(["L1"]), spoken_list(["L1", "L2", "L3"])) == ("L1", "L1, L2 and L3")


def test_exploding_needs_big_and_growing_norms():
    verdict, text = diagnose(snapshot([2e3, 5e3]), "relu", previous=snapshot([1e3, 2e3]))
    assert verdict == "exploding" and "reach 5e3, above 1e3 and growing" in text and "clip gradients" in text
    assert diagnose(snapshot([2e3, 5e3]), "relu", previous=snapshot([3e3, 9e3]))[0] == "healthy", "big but shrinking"


def test_dead_and_saturated_units_and_nan():
    assert diagnose(snapshot([1.0, 1.0], dead=0.8), "relu")[0] == "dead"
    verdict, text = diagnose(snapshot([1.0, 1.0], saturated=0.7), "tanh")
    assert verdict == "saturated" and "70%" in text
    assert diagnose(snapshot([math.nan, 1.0]), "relu")[0] == "diverged"


def test_units_alike_for_want_of_signal_are_not_called_copies():
    def layer(unit_mean, saturated=None, name="L1"):
        return LayerProbe(name, 1.0, 1.0, 1e-3, None, saturated, 0.0, 1.0, {}, np.asarray(unit_mean, dtype=np.float32))

    def verdict(hidden):
        return diagnose(Snapshot(1, 0, 1.0, (hidden, layer([0.3, -0.2], name="L2"))), "sigmoid")[0]

    assert verdict(layer([0.25] * 4)) == "symmetric"
    assert verdict(layer([0.25, 0.25, 0.25, 0.2501])) == "healthy", "a spread of 4e-4: units of their own"
    assert verdict(layer([1.0] * 4, saturated=1.0)) == "saturated", "every sigmoid stuck at 1"
    assert verdict(layer([0.0] * 4)) == "healthy", "nothing to copy: zero everywhere"


def test_the_worst_layer_is_named_and_a_wholly_dead_one_cuts_the_input_off():
    """Five ReLU layers of 64 on digits at lr 0.1: layer 5 died whole and every gradient became 0,
    yet the line named layer 4's 61 %, the first layer over half."""
    verdict, text = diagnose(snapshot([0.0] * 6, dead=[0.05, 0.1, 0.1, 0.61, 1.0, None]), "relu")
    assert verdict == "dead" and text.startswith("Every unit of layer L5 is dead") and "no longer depend on the input" in text
    verdict, text = diagnose(snapshot([1.0] * 3, saturated=[0.6, 0.9, None]), "tanh")
    assert verdict == "saturated" and text.startswith("90% of layer L2's")


def test_healthy_gives_the_spread():
    verdict, text = diagnose(snapshot([0.5, 1.0, 2.0]), "relu")
    assert verdict == "healthy" and "factor of 4" in text


def test_a_single_layer_is_healthy_without_a_spread_to_give():
    verdict, text = diagnose(snapshot([0.25]), "relu")
    assert verdict == "healthy" and "one layer" in text and "0.25" in text and "factor" not in text


@pytest.mark.parametrize(
    "preset,verdict",
    [
        ("Vanishing: 8 sigmoid layers", "vanishing"),
        ("Exploding: ReLU depth 8 with init scale 1 (normal)", "exploding"),
        ("Healthy: ReLU + He", "healthy"),
    ],
)
def test_each_preset_shows_its_lesson_before_training(preset, verdict):
    config = PRESETS[preset](Config())
    assert len(config.model.hidden) == 8 and config.data.name == "digits"
    trainer = Trainer(config)
    assert diagnose(trainer.inspect(), config.model.activation)[0] == verdict


def test_the_xor_presets_show_what_a_hidden_layer_adds():
    """d2l's limits of linear models: with no hidden layer the model stays at chance on XOR (its
    loss at ln 2, the loss of answering 1/2 everywhere); one hidden layer of 16 ReLUs solves it,
    and so does the linear model given the product x1*x2 (a feature chosen by hand)."""
    start = Config().with_changes(train={"optimizer": "adam", "lr": 0.5})  # what the user had is replaced
    reports, confidence = {}, {}
    start = start.with_changes(data={"name": "circle", "features": ("x1^2",)})  # a plane set's features from before are replaced too
    for name in ("Linear on XOR: no hidden layer", "MLP on XOR: one hidden layer of 16", "Linear on XOR given x1*x2: no hidden layer"):
        trainer = Trainer(PRESETS[name](start))
        reports[name] = [e for e in trainer.run() if isinstance(e, EpochReport)][-1]
        chance_of_one = torch.softmax(trainer.outputs("test"), 1)[:, 1]
        confidence[name] = float((chance_of_one - 0.5).abs().mean())  # 0: a coin toss everywhere; 0.5: sure everywhere
    linear, mlp, given_the_product = reports.values()
    assert linear.test_loss > 0.95 * math.log(2) and linear.test_acc < 0.7
    assert confidence["Linear on XOR: no hidden layer"] < 0.1, "its outputs stay near 1/2: its accuracy is chance"
    assert mlp.test_loss < 0.2 and mlp.test_acc > 0.95
    assert confidence["MLP on XOR: one hidden layer of 16"] > 0.35
    assert given_the_product.test_acc > 0.95, "one weight on x1*x2 does what the hidden layer did"


def test_the_spiral_preset_learns_what_one_layer_or_a_small_init_does_not():
    """Its lesson, as the menu and the guide tell it: on the spiral one hidden layer, even of 256 with
    He's init, stays near chance after the set's 100 epochs; the preset's two layers of 64 with He
    learn it; the same two at d2l's N(0, 0.01) stay at chance."""
    preset = PRESETS["Spiral: two ReLU layers of 64 + He"](Config().with_changes(model={"dropout": 0.5}))
    assert (preset.data.name, preset.model.hidden, preset.model.dropout, preset.train.epochs) == ("spiral", (64, 64), 0.0, 100)
    accuracy = {}
    for name, model in (("preset", {}), ("one wide layer", {"hidden": (256,)}), ("small init", {"init": "normal", "init_scale": 0.01})):
        trainer = Trainer(preset.with_changes(model=model, probes={"every": 1000}))
        accuracy[name] = [e for e in trainer.run() if isinstance(e, EpochReport)][-1].test_acc
    assert accuracy["preset"] > 0.9 and accuracy["one wide layer"] < 0.7 and accuracy["small init"] < 0.6, accuracy


def test_constant_init_keeps_the_units_copies_until_dropout_breaks_the_symmetry():
    """d2l's "breaking the symmetry": units that start equal get equal gradients and stay equal."""
    config = PRESETS["Symmetry: every weight 0.01 (constant init)"](Config())
    outcomes = {}
    for dropout in (0.0, 0.5):
        trainer = Trainer(config.with_changes(model={"dropout": dropout}))
        verdict_before = diagnose(trainer.inspect(), "relu")[0]
        report = [e for e in trainer.run() if isinstance(e, EpochReport)][-1]
        rows = trainer.model.layers[0].weight.detach()
        spread = (rows - rows[0]).abs().max().item() / rows.abs().max().item()
        outcomes[dropout] = verdict_before, spread, report.test_acc, diagnose(trainer.inspect(), "relu")
    (before, spread, accuracy, (verdict, text)) = outcomes[0.0]
    assert before == verdict == "symmetric" and "layer L1 64→64 computes the same value" in text
    assert spread < 1e-6 and accuracy < 0.5, "64 copies of one unit after 20 epochs"
    (before, spread, accuracy, (verdict, _)) = outcomes[0.5]
    assert before == "symmetric" and verdict != "symmetric"
    assert spread > 0.1 and accuracy > 0.9, "dropout's random masks set the units apart"


def test_d2l_preset_is_the_books_network():
    config = PRESETS["d2l default: 784-256-10"](Config().with_changes(data={"name": "xor"}, model={"hidden": (3,)}))
    assert (config.data.name, config.model.hidden, config.train.lr, config.train.batch_size, config.train.epochs) == (
        "fashion-mnist", (256,), 0.1, 256, 10)  # fmt: skip
    assert (config.model.init, config.model.init_scale) == ("normal", 0.01)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activation_derivatives_match_the_formulas(name):
    x = np.linspace(-8, 8, 161)
    y, dy = activation_and_derivative(name, x)
    expected = {
        "relu": (np.maximum(x, 0), (x > 0).astype(float)),
        "sigmoid": (1 / (1 + np.exp(-x)), np.exp(-x) / (1 + np.exp(-x)) ** 2),
        "tanh": (np.tanh(x), 1 - np.tanh(x) ** 2),
    }[name]
    np.testing.assert_allclose(y, expected[0], atol=1e-12)
    np.testing.assert_allclose(dy, expected[1], atol=1e-12)


def test_products_of_random_matrices_explode_or_vanish_with_the_scale():
    unit = random_matrix_products(100, 4, 1.0, seed=0)
    small = random_matrix_products(100, 4, 0.1, seed=0)
    assert len(unit) == 100 and unit[-1] > 1e15 > unit[0], "d2l: with N(0, 1) entries the product explodes"
    assert small[-1] < 1e-30, "a small scale makes it vanish"
    np.testing.assert_array_equal(unit, random_matrix_products(100, 4, 1.0, seed=0))


@pytest.mark.parametrize("data, lr, verdict", [("digits", 1e-4, "slow"), ("spiral", 1e-3, "slow"), ("digits", 0.1, "healthy"), ("spiral", 0.1, "healthy")])
def test_updates_too_small_to_learn_from_are_told_slow(data, lr, verdict):
    """Digits at lr 1e-4 and the spiral at 1e-3 stay at chance for their runs with gradients that
    read healthy: each step moves the weights by 1e-5 of their size, where about 1e-3 learns. The
    first look at a model, before any update, is never slow."""
    config = Config().with_changes(data={"name": data}, train={**SUITED_TRAINING[data], "lr": lr}, probes={"every": 1})
    trainer = Trainer(config)
    assert diagnose(trainer.inspect(), "relu")[0] != "slow"
    probes = [e for _ in range(30) for e in trainer.train_step(probe=True) if isinstance(e, Snapshot)]
    found, text = diagnose(probes[-1], "relu", probes[-2])
    assert found == verdict, text
    if verdict == "slow":
        largest = max(layer.update_ratio for layer in probes[-1].layers)
        assert largest < 1e-4 and f"at most {significant(largest, 2)} of their size" in text
