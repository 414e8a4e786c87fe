"""The engine on a CUDA GPU: the same numbers as on the CPU, and the host waits on the device
only where it must. Skipped on machines without one (CI has none)."""

import copy
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from engine import commands as cmd
from engine.config import Config
from engine.model import ForwardRecord
from engine.probes import Prober
from engine.stats import Diverged, Snapshot, StepReport
from engine.trainer import Trainer
from tests.engine.probe_inputs import snapshot_inputs

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def digits(device: str, **sections) -> Config:
    base = Config().with_changes(data={"name": "digits"}, model={"hidden": (32,)}, train={"batch_size": 64, "device": device})
    return base.with_changes(**sections) if sections else base


def _moved(model, record: ForwardRecord, before: list[torch.Tensor], device: str):
    """The same tensors, gradients included, on `device`: the probe then bins identical
    values on both, so its counts must agree exactly."""
    moved = copy.deepcopy(model).to(device)
    for mine, theirs in zip(moved.parameters(), model.parameters()):
        mine.grad = theirs.grad.to(device)
    copies: dict[int, torch.Tensor] = {}

    def on_device(t: torch.Tensor) -> torch.Tensor:
        if id(t) not in copies:  # the output layer records one tensor as both pre and post
            copies[id(t)] = t.detach().to(device)
            if t.retains_grad:
                copies[id(t)].grad = t.grad.to(device)
        return copies[id(t)]

    return moved, ForwardRecord([on_device(t) for t in record.pre], [on_device(t) for t in record.post]), [w.to(device) for w in before]


def synchronizations(run) -> int:
    """How often `run` makes the host wait on the GPU, as CUDA's sync debug mode reports it."""
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            run()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("called a synchronizing CUDA operation" in str(w.message) for w in caught)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_a_snapshot_on_the_gpu_equals_the_cpus(activation):
    model, record, before = snapshot_inputs(activation)
    on_cpu = Prober().capture(model, record, before, step=1, epoch=0, loss=1.0, include_weights=True)
    on_gpu = Prober().capture(*_moved(model, record, before, "cuda"), step=1, epoch=0, loss=1.0, include_weights=True)
    for ours, theirs in zip(on_gpu.layers, on_cpu.layers):
        for kind, h in ours.histograms.items():
            assert h.counts.tolist() == theirs.histograms[kind].counts.tolist() and (h.lo, h.hi) == (theirs.histograms[kind].lo, theirs.histograms[kind].hi)
            assert h.counts.sum() > 0
        assert (ours.dead_fraction, ours.saturated_fraction) == (theirs.dead_fraction, theirs.saturated_fraction)
        assert ours.act_mean == pytest.approx(theirs.act_mean, rel=1e-5, abs=1e-7)
        assert ours.act_std == pytest.approx(theirs.act_std, rel=1e-5)
        assert ours.weight_norm == pytest.approx(theirs.weight_norm, rel=1e-5)
        assert ours.grad_norm == pytest.approx(theirs.grad_norm, rel=1e-5)
    assert all((a == b).all() for a, b in zip(on_gpu.weights + on_gpu.biases, on_cpu.weights + on_cpu.biases))


def test_the_host_waits_once_a_step_and_twice_more_for_a_snapshot():
    trainer = Trainer(digits("cuda"))
    trainer.train_step()  # the first step also sends the epoch's shuffle to the device: count from the second
    assert synchronizations(trainer.train_step) == 1  # the loss, the hits and the gradient norms, in one copy
    assert synchronizations(lambda: trainer.train_step(probe=True)) == 3


def test_training_on_the_gpu_learns_and_follows_the_cpu():
    model, lr = {"hidden": (32,), "init": "he", "init_scale": 1.0}, {"lr": 0.5}
    on_gpu, on_cpu = Trainer(digits("cuda", model=model, train=lr)), Trainer(digits("cpu", model=model, train=lr))
    gpu_losses = [e.loss for _ in range(20) for e in on_gpu.train_step() if isinstance(e, StepReport)]
    cpu_losses = [e.loss for _ in range(20) for e in on_cpu.train_step() if isinstance(e, StepReport)]
    assert on_gpu.model.layers[0].weight.is_cuda
    assert gpu_losses[-1] < gpu_losses[0] / 2
    assert gpu_losses == pytest.approx(cpu_losses, rel=1e-3)  # same seed and batches; only rounding differs


def test_a_gpu_checkpoint_opens_on_the_cpu_and_predicts_the_same(tmp_path):
    config = digits("cuda", model={"hidden": (32,), "dropout": 0.3})
    trained = Trainer(config)
    for _ in range(10):
        trained.train_step()
    trained.save(str(tmp_path / "gpu.pt"))
    on_cpu = Trainer(digits("cpu"))
    assert on_cpu.load(str(tmp_path / "gpu.pt")) == "mlp-lab"
    assert on_cpu.model.layers[0].weight.device.type == "cpu"
    expected = trained.predict(trained.data.x_test).cpu()
    assert torch.allclose(on_cpu.predict(on_cpu.data.x_test), expected, rtol=1e-4, atol=1e-5)
    back = Trainer(config)  # and back onto the GPU, dropout stream and all
    back.load(str(tmp_path / "gpu.pt"))
    assert torch.equal(back.model.dropout_generator.get_state(), trained.model.dropout_generator.get_state())


def test_divergence_on_the_gpu_pauses_before_the_update():
    trainer = Trainer(digits("cuda", model={"hidden": (64, 64), "init": "normal", "init_scale": 1.0}, train={"lr": 1000.0}))
    for _ in range(30):
        weights = [p.detach().clone() for p in trainer.model.parameters()]
        if any(isinstance(e, Diverged) for e in trainer.train_step()):
            break
    assert trainer.mode == "diverged"
    assert trainer.state.graphs  # the step that diverged was a replayed one
    assert all(torch.equal(p, w) for p, w in zip(trainer.model.parameters(), weights))  # the bad step was not applied


def _through_a_session(trainer: Trainer, tmp_path) -> list:
    """Two epochs, with every kind of step a session mixes: probed ones, a live
    learning rate, activation and clipping, dropout on and off, a save and an open. Returns
    each step's loss and each snapshot's histograms and gradient norms."""
    script = {
        7: cmd.SetLearningRate(0.3),
        15: cmd.SetActivation("tanh"),
        22: cmd.SetDropout(0.2),
        30: cmd.SetDropout(0.0),
        35: cmd.SetGradClip(1.0),
    }
    seen: list = []
    for step in range(90):
        if step in script:
            trainer.apply_live(script[step])
        if step == 45:
            trainer.save(str(tmp_path / "mid.pt"))
            trainer.load(str(tmp_path / "mid.pt"))
        for e in trainer.train_step(probe=step % 7 == 0):
            if isinstance(e, StepReport):
                seen.append(e.loss)
            elif isinstance(e, Snapshot):
                seen += [(layer.grad_norm, kind, h.counts.tolist()) for layer in e.layers for kind, h in sorted(layer.histograms.items())]
    return seen


@pytest.mark.filterwarnings("error:The AccumulateGrad node's stream")  # the captured graph must not outlive its capture
@pytest.mark.parametrize("sections", [{}, {"model": {"hidden": (32, 16), "batch_norm": True}, "train": {"momentum": 0.9}}])
def test_a_replayed_step_trains_exactly_as_launching_each_kernel(tmp_path, sections):
    config = digits("cuda", **sections).with_changes(train={"batch_size": 32})  # 43 batches an epoch, of 32 and 31 samples
    graphed, launched = Trainer(config), Trainer(config)
    launched.cuda_graphs = False
    assert _through_a_session(graphed, tmp_path) == _through_a_session(launched, tmp_path)
    assert len(graphed.state.graphs) == 2 and not launched.state.graphs  # a graph for each batch size
    for mine, theirs in zip(graphed.model.parameters(), launched.model.parameters()):
        assert torch.equal(mine, theirs)


def test_a_replayed_step_launches_one_graph_not_each_kernel():
    trainer = Trainer(digits("cuda"))
    trainer.train_step()  # captures
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        trainer.train_step()
    launched = {e.key for e in prof.key_averages()}
    assert "aten::addmm" not in launched and "aten::mm" not in launched  # forward and backward ran inside the graph
    (graph,) = trainer.state.graphs.values()  # two batches of 62 (digits' 1,347 samples in 22 batches of 62 and 61)
    assert graph.key == ("relu", 0.0, 0.0)


def test_two_threads_capture_and_replay_at_once():
    """The window's worker and the experiments' thread may train on the GPU together: a capture
    in one thread must not break the other's launches, nor its own."""
    configs = [digits("cuda", train={"seed": seed}) for seed in (1, 2)]

    def losses(trainer: Trainer, start: threading.Barrier | None = None) -> list[float]:
        if start is not None:
            start.wait()
        return [e.loss for _ in range(40) for e in trainer.train_step(probe=False) if isinstance(e, StepReport)]

    expected = []
    for config in configs:
        launched = Trainer(config)
        launched.cuda_graphs = False
        expected.append(losses(launched))
    trainers = [Trainer(config) for config in configs]
    start = threading.Barrier(len(trainers))
    with ThreadPoolExecutor(len(trainers)) as pool:
        results = list(pool.map(losses, trainers, [start] * len(trainers)))
    assert results == expected
    assert all(t.state.graphs and t.cuda_graphs for t in trainers)
