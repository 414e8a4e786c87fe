import os
import pathlib
import pickle

import numpy as np
import pytest
import torch
from torch import nn

from engine import checkpoint as checkpoint_module
from engine import commands as cmd
from engine.checkpoint import VERSION, read_checkpoint
from engine.config import Config
from engine.errors import CheckpointError, ConfigError, SaveError
from engine.probe_history import PROBES_KEPT
from engine.stats import CommandFailed, EpochReport, Loaded, Snapshot, StepReport
from engine.trainer import Trainer
from tests.idx_files import write_idx_set


def digits(**sections) -> Config:
    base = Config().with_changes(data={"name": "digits"}, model={"hidden": (32,)}, train={"batch_size": 64, "epochs": 2})
    return base.with_changes(**sections) if sections else base


def trained(config: Config | None = None, steps: int = 30) -> Trainer:
    t = Trainer(config or digits())
    for _ in range(steps):
        t.train_step()
    return t


def test_loaded_checkpoint_reproduces_predictions_exactly(tmp_path):
    t = trained()
    path = tmp_path / "run.pt"
    t.save(str(path))
    expected = t.predict(t.data.x_test)
    fresh = Trainer(digits(model={"hidden": (7,)}))  # a different architecture to start from
    assert fresh.load(str(path)) == "mlp-lab"
    assert torch.equal(fresh.predict(fresh.data.x_test), expected)
    assert fresh.model.sizes == [64, 32, 10] and fresh.state.step == 30
    assert fresh.config == t.config


def test_a_checkpoint_brings_its_own_data_into_a_session_on_the_same_set(tmp_path):
    """A circle checkpoint (noise 0.05, seed 0) opened in a circle session of other noise and
    seed: the session's points were kept (same set name), and the predictions differed."""
    saved = trained(Config().with_changes(data={"name": "circle", "noise": 0.05}, model={"hidden": (8,)}, train={"batch_size": 10}))
    path = tmp_path / "circle.pt"
    saved.save(str(path))
    other = Trainer(Config().with_changes(data={"name": "circle", "noise": 0.4}, model={"hidden": (8,)}, train={"seed": 3}))
    other.load(str(path))
    assert other.config == saved.config
    assert torch.equal(other.data.x_train, saved.data.x_train) and torch.equal(other.data.x_test, saved.data.x_test)
    assert torch.equal(other.predict(other.data.x_test), saved.predict(saved.data.x_test))


def test_a_checkpoint_brings_its_plane_features(tmp_path):
    saved = trained(Config().with_changes(data={"name": "xor", "features": ("x1*x2",)}, model={"hidden": ()}, train={"batch_size": 10}))
    path = tmp_path / "xor.pt"
    saved.save(str(path))
    other = Trainer(Config().with_changes(data={"name": "xor"}, model={"hidden": ()}))
    other.load(str(path))
    assert other.config.data.features == ("x1*x2",) and other.data.n_features == 1
    assert torch.equal(other.predict(other.data.x_test), saved.predict(saved.data.x_test))


def test_a_data_folder_of_another_machine_gives_way_to_the_sessions(tmp_path):
    """A file names the folder its data came from; where that folder does not exist here, the
    session's folder serves (it was looked for, and downloaded to, on the other machine's path)."""
    there, here = tmp_path / "there", tmp_path / "here"
    write_idx_set(there, n_train=64, n_test=32)
    fashion = Config().with_changes(model={"hidden": (8,)}, train={"batch_size": 32, "epochs": 1})
    saved = trained(fashion.with_changes(data={"data_dir": str(there)}), steps=2)
    saved.save(str(tmp_path / "fashion.pt"))
    there.rename(here)
    opened = Trainer(fashion.with_changes(data={"data_dir": str(here)}), checkpoint=str(tmp_path / "fashion.pt"))
    assert opened.config.data.data_dir == str(here)
    assert torch.equal(opened.predict(opened.data.x_test), saved.predict(saved.data.x_test))


def test_checkpoint_is_plain_weights_only_dict(tmp_path):
    t = trained()
    path = tmp_path / "run.pt"
    t.save(str(path))
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "mlp-lab" and raw["version"] == VERSION
    assert {"epoch", "model_state_dict", "optimizer_state_dict", "loss", "config", "step", "history", "rng"} <= set(raw)
    assert raw["config"]["model"]["hidden"] == [32]


def test_resume_gives_the_same_curve_as_never_stopping(tmp_path):
    """Stop mid-epoch (dropout on, so the random streams matter), save, reopen in a new
    trainer, finish: every loss equals the uninterrupted run's."""
    config = digits(model={"hidden": (32,), "dropout": 0.3}, train={"epochs": 3, "seed": 4})
    straight = [e.loss for e in Trainer(config).run() if isinstance(e, StepReport)]

    first = Trainer(config)
    half = []
    for event in first.run():
        if isinstance(event, StepReport):
            half.append(event.loss)
            if len(half) == 40:  # mid-way through epoch 2 (22 steps per epoch)
                break
    first.save(str(tmp_path / "mid.pt"))
    second = Trainer(digits())
    second.load(str(tmp_path / "mid.pt"))
    rest = [e.loss for e in second.run() if isinstance(e, StepReport)]
    assert half + rest == straight
    assert [r.epoch for r in second.history.epochs] == [0, 1, 2, 3]


def test_a_checkpoint_from_a_gpu_opens_on_the_cpu(tmp_path):
    """A CUDA generator's state (16 bytes: seed and offset) cannot seed the CPU's dropout
    stream: the file still opens, with the weights it holds and the seed's fresh stream."""
    config = digits(model={"hidden": (32,), "dropout": 0.3}, train={"device": "cpu"})
    t = trained(config)
    path = tmp_path / "gpu.pt"
    t.save(str(path))
    raw = torch.load(path, weights_only=True)
    assert raw["rng"]["dropout_device"] == "cpu"
    raw["rng"]["dropout"], raw["rng"]["dropout_device"] = torch.zeros(16, dtype=torch.uint8), "cuda"
    torch.save(raw, path)
    fresh = Trainer(digits(train={"device": "cpu"}))
    assert fresh.load(str(path)) == "mlp-lab"
    assert torch.equal(fresh.predict(fresh.data.x_test), t.predict(t.data.x_test))
    assert torch.equal(fresh.model.dropout_generator.get_state(), Trainer(config).model.dropout_generator.get_state())


def test_save_is_atomic_when_interrupted(tmp_path, monkeypatch):
    t = trained()
    path = tmp_path / "run.pt"
    t.save(str(path))
    good = path.read_bytes()

    def crash_midway(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half a file")
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(checkpoint_module.torch, "save", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        t.save(str(path))
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["run.pt"]  # no temporary file left behind


def test_a_save_gets_the_permissions_of_any_new_file_or_keeps_those_of_the_one_it_replaces(tmp_path):
    """The atomic save's temporary file came from tempfile.mkstemp, private (0600) whatever the umask."""
    t = trained(steps=1)
    umask = os.umask(0o022)
    try:
        fresh, kept = tmp_path / "fresh.pt", tmp_path / "kept.pt"
        t.save(str(fresh))
        kept.write_bytes(b"")
        kept.chmod(0o640)
        t.save(str(kept))
    finally:
        os.umask(umask)
    assert (fresh.stat().st_mode & 0o777, kept.stat().st_mode & 0o777) == (0o644, 0o640)
    assert read_checkpoint(kept)["step"] == 1 and [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_save_to_unwritable_place_is_a_clear_error(tmp_path):
    t = trained(steps=1)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SaveError, match="cannot save"):
        t.save(str(blocker / "run.pt"))


class _Payload:
    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def test_malicious_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"model_state_dict": _Payload(marker)}, path)
    with pytest.raises(CheckpointError, match="could run code"):
        read_checkpoint(path)
    assert not marker.exists()
    # The same file through plain pickle would have run the code: the test is real.
    torch.load(path, weights_only=False)
    assert marker.exists()


def _refuse(t: Trainer, path, given: dict | None = None, error: type[Exception] = CheckpointError) -> str:
    before = {k: v.clone() for k, v in t.model.state_dict().items()}
    config, step, probes = t.config, t.state.step, list(t.state.probes.snapshots)
    with pytest.raises(error) as err:
        t.load(str(path), given)
    assert t.config == config and t.state.step == step and list(t.state.probes.snapshots) == probes
    assert all(torch.equal(v, t.model.state_dict()[k]) for k, v in before.items())
    message = str(err.value)
    assert "\n" not in message
    return message


def test_bad_files_are_refused_and_the_session_is_untouched(tmp_path):
    t = trained(steps=5)
    good = tmp_path / "good.pt"
    t.save(str(good))
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert "truncated, corrupt" in _refuse(t, truncated)
    noise = tmp_path / "noise.pt"
    noise.write_bytes(os.urandom(4096))
    assert "not a readable checkpoint" in _refuse(t, noise)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert "not a readable checkpoint" in _refuse(t, text)
    foreign = tmp_path / "list.pt"
    torch.save([1, 2, 3], foreign)
    assert "not an MLP checkpoint" in _refuse(t, foreign)
    assert "no such file" in _refuse(t, tmp_path / "missing.pt")
    assert "is a folder, not a checkpoint file" in _refuse(t, tmp_path)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)  # it exists: it was said to be no such file (as /dev/null was)
    assert "is not a file that holds a checkpoint (a device or a pipe)" in _refuse(t, pipe)
    evil = tmp_path / "evil.pt"
    torch.save({"x": _Payload(tmp_path / "marker")}, evil)
    assert "could run code" in _refuse(t, evil)
    assert not (tmp_path / "marker").exists()


def test_settings_given_over_a_checkpoint_apply_live_or_are_refused_before_it_opens(tmp_path):
    """The command line's settings over a file's: live ones apply, the epochs count on, and one
    that needs another model leaves the session as it was, the file unopened."""
    path = tmp_path / "run.pt"
    trained(digits(train={"lr": 0.05}), steps=5).save(str(path))
    session = Trainer(digits(model={"hidden": (8,)}))
    assert "--hidden cannot apply" in _refuse(session, path, {"model": {"hidden": (64,)}, "train": {"lr": 0.3}}, ConfigError)
    session.load(str(path), {"model": {"hidden": (32,)}, "train": {"lr": 0.3, "epochs": 4}})  # the file's own width: nothing to refuse
    assert session.config.train.lr == 0.3 and session.optimizer.param_groups[0]["lr"] == 0.3
    assert session.config.train.epochs == 4 and session.state.step == 5, "four more than the file's none"
    assert [(c.step, c.text) for c in session.history.changes] == [(5, "lr 0.05 → 0.3")], "marked where it applies"


def test_newer_format_is_refused(tmp_path):
    t = trained(steps=1)
    payload = checkpoint_module.checkpoint_payload(t)
    payload["version"] = VERSION + 1
    path = tmp_path / "future.pt"
    torch.save(payload, path)
    message = _refuse(t, path)
    assert f"version {VERSION + 1}" in message and "newer" in message


def test_shapes_that_do_not_fit_the_data_are_refused(tmp_path):
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    path = tmp_path / "fashion_weights.pt"
    torch.save(net.state_dict(), path)
    message = _refuse(trained(steps=1), path)
    assert "784 inputs" in message and "64 features" in message


def test_damaged_checkpoint_is_refused(tmp_path):
    t = trained(steps=1)
    payload = checkpoint_module.checkpoint_payload(t)
    del payload["model_state_dict"]["layers.1.bias"]
    path = tmp_path / "damaged.pt"
    torch.save(payload, path)
    assert "damaged checkpoint" in _refuse(t, path)


def _ours(change):
    """Our own format, with `change` made to a real checkpoint's contents."""
    def make() -> dict:
        payload = checkpoint_module.checkpoint_payload(trained(steps=1))
        change(payload)
        return payload
    return make


def _plain(*tensors: tuple[str, object]):
    """A state_dict (or d2l's full checkpoint around one) of the given entries, in order."""
    return lambda: dict(tensors)


@pytest.mark.parametrize(
    "contents, reason",
    [
        (_ours(lambda p: p["config"]["model"].update(hidden="wide")), "the checkpoint's configuration is invalid"),
        (_ours(lambda p: p["config"]["train"].update(lr=-1.0)), "the checkpoint's configuration is invalid"),
        (_ours(lambda p: p.__delitem__("config")), "the checkpoint's configuration is invalid"),
        (_ours(lambda p: p.update(config=["digits"])), "the checkpoint's configuration is invalid"),
        (_ours(lambda p: p["config"].update(model=5)), "the checkpoint's configuration is invalid"),
        (_ours(lambda p: p["config"]["train"].update(lr="fast")), "the checkpoint's configuration is invalid"),
        (_ours(lambda p: p["config"]["data"].update(name="fashion-mnist")), "the checkpoint trains on fashion-mnist, which cannot be loaded"),
        (_ours(lambda p: p.update(model_state_dict=[1, 2])), "model_state_dict is not a dict of tensors"),
        (_ours(lambda p: p.update(model_state_dict={})), "the checkpoint holds no Linear weights"),
        (_ours(lambda p: p.update(epoch="three")), "damaged checkpoint"),
        (_ours(lambda p: p.update(history=[1, 2])), "damaged checkpoint"),
        (_ours(lambda p: p.update(history={"epochs": [5]})), "damaged checkpoint"),
        (_ours(lambda p: p.update(history={"changes": [3]})), "damaged checkpoint"),
        (_ours(lambda p: p.update(rng=["seed"])), "damaged checkpoint"),
        (_ours(lambda p: p.update(epoch_progress="half")), "damaged checkpoint"),
        (_ours(lambda p: p.update(optimizer_state_dict={"state": {}})), "damaged checkpoint"),
        (lambda: {"model_state_dict": "weights", "epoch": 3}, "model_state_dict is not a dict of tensors"),
        (lambda: {"model_state_dict": {"w": torch.zeros(32, 64), "note": "hi"}}, "not a state_dict: 'note' is a str, not a tensor"),
        (_plain(("w", torch.zeros(32, 64)), ("b", torch.zeros(7))), "unexpected tensor 'b' of shape (7,)"),
        (_plain(("scale", torch.zeros(()))), "unexpected tensor 'scale' of shape ()"),
        (_plain(("w1", torch.zeros(32, 64)), ("w2", torch.zeros(10, 16))), "layer 2 takes 16 inputs but layer 1 gives 32"),
        (_plain(("w1", torch.zeros(32, 64)), ("w2", torch.zeros(3, 32))), "last layer has 3 outputs, but digits needs 10"),
        (_plain(*((f"w{i}", torch.zeros(4, 4 if i else 64)) for i in range(40)), ("out", torch.zeros(10, 4))), "the checkpoint's settings are out of range"),
    ],
)
def test_foreign_and_damaged_contents_are_refused_with_their_reason(tmp_path, contents, reason):
    """Each way a file that torch reads can still be wrong for this session: a readable reason,
    and the session as it was."""
    path = tmp_path / "odd.pt"
    torch.save(contents(), path)
    assert reason in _refuse(trained(steps=3), path)


def test_d2l_state_dict_is_opened_with_its_architecture(tmp_path):
    """d2l 5.6: torch.save(net.state_dict(), 'mlp.params') for an nn.Sequential MLP."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 24), nn.ReLU(), nn.Linear(24, 10))
    path = tmp_path / "mlp.params"
    torch.save(net.state_dict(), path)
    t = trained(steps=1)
    assert t.load(str(path)) == "state_dict"
    assert t.model.sizes == [64, 48, 24, 10]
    x = t.data.x_test[:50]
    torch.testing.assert_close(t.predict(x).cpu(), net(x.cpu()), rtol=0, atol=1e-6)
    assert t.history.epochs[-1].epoch == 0


def test_d2l_full_checkpoint_dict(tmp_path):
    net = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
    path = tmp_path / "d2l.pt"
    torch.save({"epoch": 7, "model_state_dict": net.state_dict(), "optimizer_state_dict": optimizer.state_dict(), "loss": 0.42}, path)
    t = trained(steps=1)
    assert t.load(str(path)) == "d2l-checkpoint"
    assert t.state.epoch == 7 and t.config.train.lr == 0.05 and t.model.sizes == [64, 16, 10]
    x = t.data.x_test[:10]
    torch.testing.assert_close(t.predict(x).cpu(), net(x.cpu()), rtol=0, atol=1e-6)


def test_commands_report_save_and_load_failures(tmp_path):
    t = Trainer(digits())
    gen = t.run(start=False)
    next(gen), next(gen)
    t.commands.put(cmd.Save(str(tmp_path / "a.pt")))
    t.commands.put(cmd.Load(str(tmp_path / "nothing.pt")))
    t.commands.put(cmd.Load(str(tmp_path / "a.pt")))
    t.commands.put(cmd.Stop())
    events = list(gen)
    names = [type(e).__name__ for e in events]
    assert names[:2] == ["Saved", "CommandFailed"] and "Loaded" in names
    failed = next(e for e in events if isinstance(e, CommandFailed))
    assert failed.command == "Load" and "no such file" in failed.reason
    loaded = next(e for e in events if isinstance(e, Loaded))
    assert loaded.kind == "mlp-lab" and isinstance(loaded.history.epochs[0], EpochReport)


def test_a_pickle_that_is_not_torch_is_refused(tmp_path):
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps({"a": 1}))
    assert "not a readable checkpoint" in _refuse(trained(steps=1), path)


# ----------------------------------------------------------------------------- the last probes
def probed(steps: int, every: int = 3) -> Trainer:
    t = Trainer(digits(probes={"every": every}, train={"epochs": 5}))
    t.snapshot_weights = True  # as the window asks: the snapshots it is sent carry every weight
    for _ in range(steps):
        advance(t)
    return t


def advance(t: Trainer) -> list:
    """One step as the run loop takes it: probed where the interval says."""
    return list(t._advance())


def test_a_checkpoint_carries_its_last_probes_and_the_run_bins_on_as_before(tmp_path):
    """The views over time showed one column after an open. The reopened run's next probe
    equals the uninterrupted run's bin for bin: its histograms go on over the same ranges."""
    saved, straight = probed(60), probed(60)
    path = tmp_path / "probed.pt"
    saved.save(str(path))
    opened = Trainer(digits(model={"hidden": (7,)}, probes={"every": 3}))  # a session's own interval applies
    opened.load(str(path))
    kept, back = list(saved.state.probes.snapshots), list(opened.state.probes.snapshots)
    assert [s.step for s in back] == [s.step for s in kept] == list(range(1, 60, 3))
    for mine, theirs in zip(back, kept):
        for a, b in zip(mine.layers, theirs.layers):
            assert (a.name, a.weight_norm, a.update_ratio, a.dead_fraction, a.saturated_fraction) == (
                b.name, b.weight_norm, b.update_ratio, b.dead_fraction, b.saturated_fraction)
            assert a.histograms.keys() == b.histograms.keys()
            for kind, h in a.histograms.items():
                assert np.array_equal(h.counts, b.histograms[kind].counts) and (h.lo, h.hi, h.nonfinite) == (
                    b.histograms[kind].lo, b.histograms[kind].hi, b.histograms[kind].nonfinite)
    assert back[-1].layers[0].saturated_fraction is None and back[-1].layers[0].dead_fraction is not None
    opened.snapshot_weights = True
    after, uninterrupted = [next(e for e in advance(t) if isinstance(e, Snapshot)) for t in (opened, straight)]
    for a, b in zip(after.layers, uninterrupted.layers):
        for kind, h in a.histograms.items():
            assert np.array_equal(h.counts, b.histograms[kind].counts) and (h.lo, h.hi) == (b.histograms[kind].lo, b.histograms[kind].hi)


def test_the_last_probes_are_kept_lean_and_bounded():
    """Each probe's snapshot holds a copy of every weight for the network graph; kept whole,
    300 of them held 240 MB on Fashion-MNIST's 784-256-10."""
    t = probed(PROBES_KEPT + 20, every=1)
    kept = t.state.probes.snapshots
    assert len(kept) == PROBES_KEPT and kept[0].step == 21 and kept[-1].step == PROBES_KEPT + 20
    assert all(not s.weights and not len(s.layers[0].unit_mean) and s.layers[0].unit_dead is None for s in kept)
    whole = next(e for e in advance(t) if isinstance(e, Snapshot))
    assert whole.weights and len(whole.layers[0].unit_mean) == 32, "what is sent stays whole"


def test_a_file_from_before_probe_histories_opens_with_none(tmp_path):
    payload = checkpoint_module.checkpoint_payload(probed(10))
    del payload["probes"]
    path = tmp_path / "older.pt"
    torch.save(payload, path)
    opened = Trainer(digits())
    opened.load(str(path))
    assert not opened.state.probes.snapshots and opened.state.step == 10


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda p: p["layers"][0]["histograms"]["pre"].update(counts=p["layers"][0]["histograms"]["pre"]["counts"][:-1]), "pre-activations histograms of L1 64→32 are not 4 rows of two bins or more"),
        (lambda p: p["layers"][1]["histograms"]["weight"]["counts"].neg_(), "weights histograms of L2 32→10 hold negative counts"),
        (lambda p: p["layers"][1]["histograms"]["act_grad"].update(counts=torch.ones(4, 64) / 2), "pre-activation gradients histograms of L2 32→10 are not whole numbers"),
        (lambda p: p["steps"].__setitem__(0, "one"), "steps are not all whole numbers"),
        (lambda p: p["layers"][0]["histograms"]["act"]["hi"].__setitem__(2, -5.0), "activations histograms of L1 64→32 have ranges that are not finite"),
        (lambda p: p["layers"][0]["histograms"].update(mystery=p["layers"][0]["histograms"]["pre"]), "unknown histogram 'mystery'"),
        (lambda p: p["layers"].pop(), "layers do not match the model's 2"),
        (lambda p: p["layers"][1].update(grad_norm=None), "L2 32→10 grad_norm are not 4 numbers"),
    ],
)
def test_a_damaged_probe_history_is_refused_and_the_session_is_untouched(tmp_path, damage, reason):
    payload = checkpoint_module.checkpoint_payload(probed(10))
    damage(payload["probes"])
    path = tmp_path / "damaged.pt"
    torch.save(payload, path)
    message = _refuse(probed(4), path)
    assert message.startswith("damaged checkpoint:") and reason in message
