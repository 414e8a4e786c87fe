import math

import numpy as np
import pytest
import torch

from engine import commands as cmd
from engine.config import Config, suited_to_its_dataset
from engine.data import plane_features
from engine.errors import ConfigError
from engine.probes import dead_units, layer_activations
from engine.stats import CommandFailed, Diverged, EpochReport, SettingChange, Snapshot, StateChanged, StepReport
from engine.trainer import DEAD_JUDGED_OVER, Marked, Started, Trainer


def digits(**sections) -> Config:
    base = Config().with_changes(data={"name": "digits"}, train={"batch_size": 64, "epochs": 2})
    return base.with_changes(**sections) if sections else base


def events_until(gen, kind, limit=100_000):
    seen = []
    for event in gen:
        seen.append(event)
        if isinstance(event, kind):
            return seen
        assert len(seen) < limit
    raise AssertionError(f"the run ended before a {kind.__name__}")


def test_digits_reaches_ninety_percent():
    config = digits(model={"hidden": (256,)}, train={"lr": 0.1, "batch_size": 32, "epochs": 20})
    reports = [e for e in Trainer(config).run() if isinstance(e, EpochReport)]
    assert [r.epoch for r in reports] == list(range(1, 21))
    assert reports[-1].test_acc >= 0.90
    assert reports[-1].train_loss < reports[0].train_loss


def test_a_new_dataset_gets_the_training_that_suits_it_but_keeps_what_was_set_by_hand():
    """d2l's batch of 256 is one step an epoch of the circle's 250 training points: ten steps
    learn nothing. Its suited batch and epochs learn it; a batch size set by hand stays."""
    fashion = Config()
    circle = fashion.with_changes(data={"name": "circle"})
    suited = suited_to_its_dataset(circle, fashion)
    assert (suited.train.batch_size, suited.train.epochs, suited.train.lr) == (10, 100, 0.1)
    by_hand = suited_to_its_dataset(circle.with_changes(train={"batch_size": 50}), fashion)
    assert (by_hand.train.batch_size, by_hand.train.epochs) == (50, 100)
    assert suited_to_its_dataset(fashion.with_changes(train={"lr": 0.5}), fashion).train.lr == 0.5, "same dataset: nothing moves"

    def final_accuracy(config: Config) -> float:
        trainer = Trainer(config)
        list(trainer.run(start=True, stop_when_finished=True))
        return trainer.history.epochs[-1].test_acc

    assert final_accuracy(circle) < 0.7, "ten steps"
    assert final_accuracy(suited) > 0.95


def test_an_epoch_trains_every_sample_once_in_batches_as_even_as_can_be():
    """Digits' 1,347 training images in batches of 32 were 42 batches of 32 and a last of 3 samples,
    whose step, as long as any, rested on a tenth of the evidence."""
    trainer = Trainer(digits(train={"batch_size": 32}))
    trainer.train_step()
    sizes = [len(batch) for batch in trainer.state.batches]
    n = len(trainer.data.x_train)
    assert n == 1347 and len(sizes) == trainer.state.batches_per_epoch == 43
    assert set(sizes) == {31, 32} and sum(sizes) == n
    assert torch.equal(torch.cat(trainer.state.batches).sort().values, torch.arange(n)), "each sample once"


def test_same_seed_same_numbers_other_seed_other_numbers():
    def curve(seed):
        config = digits(model={"dropout": 0.3}, train={"seed": seed})
        return [e.loss for e in Trainer(config).run() if isinstance(e, StepReport)]

    assert curve(1) == curve(1)
    assert curve(1) != curve(2)


def test_weight_decay_acts_on_weights_not_biases():
    """With lr 1 and a huge L2 the only difference between two identical steps is decay
    of the weights: lr * wd * w. The biases move the same with or without it."""
    def one_step(wd):
        t = Trainer(digits(train={"weight_decay": wd, "lr": 0.5, "seed": 3}))
        before = [(l.weight.detach().clone(), l.bias.detach().clone()) for l in t.model.layers]
        t.train_step()
        return before, [(l.weight.detach().clone(), l.bias.detach().clone()) for l in t.model.layers]

    before, plain = one_step(0.0)
    _, decayed = one_step(0.1)
    for (w0, _), (w_plain, b_plain), (w_decay, b_decay) in zip(before, plain, decayed):
        torch.testing.assert_close(b_decay, b_plain)
        torch.testing.assert_close(w_plain - w_decay, 0.5 * 0.1 * w0)


def test_l1_pulls_weights_by_their_sign():
    def one_step(l1):
        t = Trainer(digits(train={"l1": l1, "lr": 0.5, "seed": 3}))
        w0 = t.model.layers[0].weight.detach().clone()
        t.train_step()
        return w0, t.model.layers[0].weight.detach().clone()

    w0, plain = one_step(0.0)
    _, shrunk = one_step(0.01)
    torch.testing.assert_close(plain - shrunk, 0.5 * 0.01 * torch.sign(w0))


def test_gradient_clipping_bounds_the_update():
    t = Trainer(digits(model={"init": "normal", "init_scale": 1.0}, train={"clip_grad": 0.01, "lr": 1.0}))
    before = [p.detach().clone() for p in t.model.parameters()]
    t.train_step()
    step = torch.sqrt(sum(((p.detach() - b) ** 2).sum() for p, b in zip(t.model.parameters(), before)))
    assert step.item() == pytest.approx(0.01, rel=1e-3)  # lr 1 * clipped norm 0.01


def test_adam_and_momentum_train():
    for train in ({"optimizer": "adam", "lr": 0.01}, {"optimizer": "sgd", "momentum": 0.9, "lr": 0.05}):
        t = Trainer(digits(train={**train, "epochs": 4}))
        reports = [e for e in t.run() if isinstance(e, EpochReport)]
        assert reports[-1].test_acc > 0.8


def test_divergence_pauses_with_the_layer_and_keeps_the_weights():
    config = digits(model={"hidden": (64, 64), "init": "normal", "init_scale": 1.0}, train={"lr": 1000.0})
    t = Trainer(config)
    gen = t.run()
    seen = events_until(gen, Diverged)
    diverged = seen[-1]
    assert not math.isfinite(diverged.loss) or not all(map(math.isfinite, diverged.grad_norm))
    assert diverged.layer in {"L1 64→64", "L2 64→64", "L3 64→10"}
    assert "learning rate" in diverged.message and f"step {diverged.step}" in diverged.message
    state = next(gen)
    assert isinstance(state, StateChanged) and state.state == "diverged"
    assert t.mode == "diverged"
    assert all(torch.isfinite(p).all() for p in t.model.parameters())  # the bad step was not applied
    # The app stays usable: a reset with a sane rate trains again.
    t.commands.put(cmd.Reset(digits(train={"lr": 0.1})))
    t.commands.put(cmd.Resume())
    assert isinstance(next(gen), Started)
    events_until(gen, EpochReport)


def test_exploding_weights_caught_within_one_step():
    config = digits(model={"hidden": (32,) * 6, "init": "normal", "init_scale": 30.0}, train={"lr": 0.1})
    t = Trainer(config)
    for attempt in range(10):
        events = t.train_step()
        if isinstance(events[0], Diverged):
            break
    assert isinstance(events[0], Diverged), "huge init and a large rate must blow up within a few steps"
    assert t.state.step == attempt  # the non-finite step itself was not counted ...
    assert all(torch.isfinite(p).all() for p in t.model.parameters())  # ... nor applied


def test_live_changes_reach_the_optimizer_and_model():
    t = Trainer(digits(train={"epochs": 50}))
    gen = t.run(start=True)
    events_until(gen, StepReport)
    for change in (cmd.SetLearningRate(0.03), cmd.SetWeightDecay(0.002), cmd.SetDropout(0.4), cmd.SetActivation("tanh"), cmd.SetL1(1e-4)):
        t.commands.put(change)
    seen = events_until(gen, StepReport)
    applied = [e for e in seen if isinstance(e, StateChanged)]
    assert len(applied) == 5 and applied[-1].state == "running"
    said = ["lr 0.1 → 0.03", "weight decay 0 → 0.002", "dropout 0 → 0.4", "activation relu → tanh", "l1 0 → 0.0001"]
    assert [e.reason for e in applied] == said, "the window says a finished run's reason: it said 'applied SetActivation'"
    assert all(g["lr"] == 0.03 for g in t.optimizer.param_groups)
    assert t.optimizer.param_groups[0]["weight_decay"] == 0.002 and t.optimizer.param_groups[1]["weight_decay"] == 0.0
    assert t.model.dropout == 0.4 and isinstance(t.model.activation, torch.nn.Tanh)
    assert t.config.train.l1 == 1e-4 and t.config.model.activation == "tanh"


def test_step_on_a_finished_run_says_so_and_is_not_kept_for_later():
    """Step after the last epoch did nothing, silently, and its step was taken unasked once the
    epochs were raised."""
    t = Trainer(digits(train={"epochs": 1}))
    gen = t.run(start=True, stop_when_finished=False)
    events_until(gen, EpochReport)
    finished = [e for e in events_until(gen, StateChanged) if isinstance(e, StateChanged)]
    assert finished[-1].state == "finished"
    for command in (cmd.Step(), cmd.SetEpochs(2), cmd.Stop()):
        t.commands.put(command)
    told = [e for e in gen]
    assert [(e.state, e.reason) for e in told if isinstance(e, StateChanged)] == [
        ("finished", "the 1 epoch is done: raise the epoch count to go on"), ("paused", "epochs 1 → 2")]
    assert not any(isinstance(e, StepReport) for e in told) and t.state.step == t.state.batches_per_epoch


def test_live_changes_are_marked_in_the_history_where_they_were_made(tmp_path):
    """One mark per step with changes, as from the settings before the first change there (a
    slider dragged while paused: one mark; dragged back: none); the epochs are not marked;
    the marks reach the window as they change and survive a save."""
    t = Trainer(digits(train={"epochs": 50}))
    gen = t.run(start=False)
    events_until(gen, StateChanged)
    for _ in range(3):
        t.train_step()
    for change in (cmd.SetLearningRate(0.5), cmd.SetLearningRate(0.3), cmd.SetEpochs(60)):
        t.commands.put(change)
    t.commands.put(cmd.Step())
    seen = events_until(gen, StepReport)
    assert [e.changes for e in seen if isinstance(e, Marked)][-1] == (SettingChange(3, "lr 0.1 → 0.3"),)
    t.apply_live(cmd.SetActivation("tanh"))
    t.apply_live(cmd.SetDropout(0.2))
    assert t.history.changes == [SettingChange(3, "lr 0.1 → 0.3"), SettingChange(4, "activation relu → tanh, dropout 0 → 0.2")]
    t.apply_live(cmd.SetActivation("relu"))
    t.apply_live(cmd.SetDropout(0.0))
    assert t.history.changes == [SettingChange(3, "lr 0.1 → 0.3")], "changed back at the same step: no mark"
    t.save(str(tmp_path / "marked.pt"))
    opened = Trainer(digits())
    opened.load(str(tmp_path / "marked.pt"))
    assert opened.history.changes == [SettingChange(3, "lr 0.1 → 0.3")]


def test_out_of_range_live_change_is_refused_and_changes_nothing():
    t = Trainer(digits())
    gen = t.run(start=False)
    events_until(gen, StateChanged)
    t.commands.put(cmd.SetDropout(1.0))
    t.commands.put(cmd.Stop())
    failed = [e for e in gen if isinstance(e, CommandFailed)]
    assert len(failed) == 1 and "dropout" in failed[0].reason
    assert t.model.dropout == 0.0
    with pytest.raises(ConfigError):
        t.apply_live(cmd.SetLearningRate(-1))


def test_pause_step_resume():
    t = Trainer(digits())
    gen = t.run(start=False)
    assert isinstance(next(gen), Started)
    assert next(gen).state == "paused"
    t.commands.put(cmd.Step(3))
    seen = [next(gen) for _ in range(6)]
    steps = [e.step for e in seen if isinstance(e, StepReport)]
    assert steps == [1, 2, 3]
    assert sum(isinstance(e, Snapshot) for e in seen) == 3  # a single step always shows its probe
    assert t.state.step == 3 and t.mode == "paused"
    t.commands.put(cmd.Resume())
    events_until(gen, EpochReport)
    t.commands.put(cmd.Pause())
    seen = events_until(gen, StateChanged)
    assert seen[-1].state == "paused"
    step = t.state.step
    t.commands.put(cmd.Stop())
    assert list(gen) == [] and t.state.step == step


def test_finished_run_continues_when_epochs_are_raised():
    t = Trainer(digits(train={"epochs": 1}))
    gen = t.run(start=True, stop_when_finished=False)
    seen = events_until(gen, StateChanged)  # ready
    seen = events_until(gen, StateChanged)
    assert seen[-1].state == "finished" and t.state.epoch == 1
    t.commands.put(cmd.Resume())
    assert next(gen).state == "finished"  # nothing more to do
    t.commands.put(cmd.SetEpochs(2))
    t.commands.put(cmd.Resume())
    events_until(gen, EpochReport)
    assert t.state.epoch == 2


def test_reset_rebuilds_from_the_new_config():
    t = Trainer(digits())
    t.train_step()
    t.reset(digits(model={"hidden": (16, 8)}))
    assert t.model.sizes == [64, 16, 8, 10] and t.state.step == 0
    assert len(t.history.epochs) == 1 and t.history.epochs[0].epoch == 0


def test_reset_keeps_the_data_unless_its_settings_or_seed_change():
    """The toy sets draw their points from the run's seed: a new seed is new points (as a fresh
    start on that seed has), the same settings the very same tensors; digits' split is fixed."""
    circle = Config().with_changes(data={"name": "circle"}, model={"hidden": (4,)}, train={"epochs": 1})
    t = Trainer(circle)
    first = t.data
    t.reset(circle.with_changes(model={"hidden": (8,)}))
    assert t.data.x_train is first.x_train
    t.reset(circle.with_changes(train={"seed": 5}))
    assert not torch.equal(t.data.x_train, first.x_train)
    assert torch.equal(t.data.x_train, Trainer(circle.with_changes(train={"seed": 5})).data.x_train)
    t.reset(circle.with_changes(data={"noise": 0.3}, train={"seed": 5}))
    assert torch.equal(t.data.x_train, Trainer(circle.with_changes(data={"noise": 0.3}, train={"seed": 5})).data.x_train)
    d = Trainer(digits())
    before = d.data
    d.reset(digits(train={"seed": 9}))
    assert d.data.x_train is before.x_train


def test_regression_has_no_accuracy():
    t = Trainer(Config().with_changes(data={"name": "polynomial", "poly_degree": 4}, model={"hidden": ()}, train={"batch_size": 10, "epochs": 2, "lr": 0.01}))
    reports = [e for e in t.run() if isinstance(e, EpochReport)]
    assert all(r.train_acc is None and r.test_acc is None for r in reports)
    assert reports[-1].test_loss < t.history.epochs[0].test_loss


def test_probes_every_k_steps():
    t = Trainer(digits(), )
    t.state.config = t.config.with_changes(probes={"every": 5})
    snaps = [e for e in t.run() if isinstance(e, Snapshot)]
    steps_per_run = 2 * t.state.batches_per_epoch
    assert (steps_per_run - 1) % 5 != 0, "the last step falls between two probes"
    every_fifth = [s for s in range(1, steps_per_run + 1) if (s - 1) % 5 == 0]
    assert [s.step for s in snaps] == [*every_fifth, steps_per_run], "and is probed all the same: the views show where the run ended"


def test_dead_relus_are_judged_over_256_training_examples_where_a_batch_holds_fewer():
    """Over a batch of 32 the default digits model read 12 % of its ReLUs dead at the start, a
    unit that answers few digits being silent over a batch by chance; over 256 examples, 5 %."""
    t = Trainer(digits(train={"batch_size": 32}))
    probe = t.inspect().layers[0]
    model, x = t.model, t.data.x_train
    with torch.no_grad():
        over_batch = (model.layers[0](x[:32]).relu().amax(0) <= 0).float().mean().item()
        judged = x[:: len(x) // DEAD_JUDGED_OVER][:DEAD_JUDGED_OVER]
        over_examples = (model.layers[0](judged).relu().amax(0) <= 0).float().mean().item()
    assert probe.dead_fraction == pytest.approx(over_examples) and over_examples < over_batch / 2
    assert len(judged) == DEAD_JUDGED_OVER
    wide = Trainer(digits(train={"batch_size": 256}))  # even batches: 225 and 224 examples
    w, b = (p.detach().clone() for p in (wide.model.layers[0].weight, wide.model.layers[0].bias))
    probe = next(e for e in wide.train_step(probe=True) if isinstance(e, Snapshot)).layers[0]
    batch = wide.data.x_train[wide.state.batches[0]]
    over_its_batch = ((batch @ w.T + b).relu().amax(0) <= 0).float().mean().item()
    assert len(batch) == 225 and probe.dead_fraction == pytest.approx(over_its_batch), "batch size 256: judged over its batch"


def test_dead_units_are_judged_as_training_computes_them_and_leave_no_trace():
    """Batch norm on the judged examples' own statistics: on its running ones, still near their
    start, a tenth of L2 read dead where none is. Dropout's stream and batch norm's running
    statistics are left as they were (the run stays reproducible)."""
    t = Trainer(digits(model={"hidden": (64, 64), "batch_norm": True, "dropout": 0.5}, train={"batch_size": 32}))
    model, examples = t.model, t._dead_judged_on()
    buffers = {name: b.clone() for name, b in model.named_buffers()}
    stream = model.dropout_generator.get_state()
    with torch.no_grad():
        as_trained = layer_activations(model, examples)
        model.eval()
        on_running_statistics = layer_activations(model, examples)
        model.train()
    assert [int(dead_units(post).sum()) for post in as_trained[:-1]] == [0, 0], "batch norm centres every unit on them"
    assert dead_units(on_running_statistics[1]).float().mean() > 0.05
    assert all(torch.equal(b, buffers[name]) for name, b in model.named_buffers())
    assert torch.equal(model.dropout_generator.get_state(), stream) and model.dropout == 0.5


def test_history_stays_bounded():
    from engine.stats import History

    h = History(max_points=100)
    for step in range(1, 100_001):
        h.add_step(step, 1.0 / step, None)
    assert len(h.step_index) < 100 and h.step_index[-1] > 99_000
    assert h.step_index == sorted(h.step_index)


def test_chosen_features_let_a_linear_model_separate_the_circle_and_the_plane_stays_the_points():
    """d2l's limits of linear models, as TensorFlow Playground shows them: no hidden layer stays
    near chance on the circle with x1 and x2, and separates it with their squares."""
    def linear_on_circle(features: tuple[str, ...]) -> Trainer:
        config = Config().with_changes(
            data={"name": "circle", "features": features}, model={"hidden": ()}, train={"batch_size": 10, "epochs": 100}
        )
        trainer = Trainer(config)
        trainer.snapshot_weights = True  # as the window asks: each snapshot brings the plane's maps
        for _ in trainer.run():
            pass
        return trainer

    plain, squares = linear_on_circle(("x1", "x2")), linear_on_circle(("x1^2", "x2^2"))
    assert plain.history.epochs[-1].test_acc < 0.7 < 0.95 < squares.history.epochs[-1].test_acc
    started = squares._started()
    assert started.features == ("x1^2", "x2^2") and plain._started().features == ("x1", "x2")
    x_train, _, x_test, _ = started.points
    assert x_train.shape[1] == 2 and np.array_equal(x_train, squares.data.plane[0].numpy()), "the points, not the features"
    maps = squares.neuron_maps(resolution=5)
    x0, _, y0, _ = maps.extent
    corner = plane_features(torch.tensor([[x0, y0]]), ("x1^2", "x2^2"))
    expected = torch.softmax(squares.predict(corner), 1)[0]
    np.testing.assert_allclose(maps.maps[-1][:, 0, 0], expected.numpy(), rtol=1e-5)
    assert Trainer(digits())._started().features == (), "only a plane set's inputs are features"
