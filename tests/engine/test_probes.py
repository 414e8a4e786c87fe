import math
import warnings

import numpy as np
import pytest
import torch

from engine import commands as cmd
from engine.config import Config
from engine.model import ForwardRecord
from engine.probes import Prober, bin_index, bin_slots, bin_slots_together, count_by_scatter, dead_units, fold_top_slot, packed_to_host, saturated_share
from engine.trainer import Trainer
from tests.engine.probe_inputs import snapshot_inputs


def test_histogram_counts_every_value():
    prober = Prober(bins=64)
    values = torch.randn(10_000)
    h = prober.histogram((0, "weight"), values)
    assert len(h.counts) == 64 and h.counts.sum() == 10_000 and h.nonfinite == 0
    assert h.lo <= values.min().item() and h.hi >= values.max().item()
    # Each bin holds exactly the values between its edges.
    edges = h.edges
    inside = ((values >= edges[10]) & (values < edges[11])).sum().item()
    assert h.counts[10] == inside


def bin_counts(values: torch.Tensor, lo: float, hi: float, bins: int) -> np.ndarray:
    return fold_top_slot(bin_slots([values], [(lo, hi)], bins).numpy())[0]


def test_sources_binned_together_get_the_counts_each_gets_alone():
    """The accelerator's way (every source in one pass) gives the CPU's counts (each source on
    its own). Each source's row is offset after its values are whole bin numbers: a value a
    hair below an edge stays in its bin, whichever row it lands in."""
    ranges = [(-4.0, 4.0), (0.0, 1.0), (-2.0**-10, 2.0**-7), (1024.0, 2048.0), (0.0, 2.0**-130), (-1.0, 0.5)]  # 5th: denormals
    sizes = [5_000, 5_000, 5_000, 5_000, 5_000, 50_000]  # the last: large enough for torch to share the arithmetic among threads
    sources = []
    for (lo, hi), size in zip(ranges, sizes):
        edges = torch.linspace(lo, hi, 65)
        below = torch.nextafter(edges[1:], edges[:-1])  # one float32 step under each edge
        sources.append(torch.cat([torch.empty(size).uniform_(lo, hi), edges, below]))
    alone = [torch.bincount(bin_index(values, lo, hi, 64).long(), minlength=65) for values, (lo, hi) in zip(sources, ranges)]
    for slots in (bin_slots_together(sources, ranges, 64), bin_slots(sources, ranges, 64)):
        assert slots.shape == (6, 65)
        for row, expected, values in zip(slots, alone, sources):
            assert row.tolist() == expected.tolist()
            assert row.sum() == len(values)


@pytest.mark.parametrize("bins", [64, 128])  # 128: bin numbers up to 128, past int8, so as int32
@pytest.mark.parametrize("lo, hi", [(-4.0, 4.0), (-0.25, 1.0), (0.0, 8.0), (-2.0**-10, 2.0**-7)])
def test_bin_counts_match_torch_histc(lo, hi, bins):
    """The bincount path puts every value in the bin torch.histc would (ties at an edge aside)."""
    values = torch.empty(50_000).uniform_(lo, hi)
    counts = bin_counts(values, lo, hi, bins)
    assert counts.sum() == 50_000
    assert counts.tolist() == torch.histc(values, bins=bins, min=lo, max=hi).long().tolist()


@pytest.mark.parametrize("lo, hi", [(-4.0, 4.0), (0.0, 1.0), (-2.0**-10, 2.0**-7), (1024.0, 2048.0), (-2.0**100, 2.0**100)])
def test_values_on_the_edges_land_in_the_edge_bins(lo, hi):
    """lo opens the first bin, hi closes the last (not a bin of its own), every inner edge opens
    its bin: sigmoid activations sit at exactly 1.0 once saturated."""
    edges = np.linspace(lo, hi, 65)
    values = torch.tensor(np.concatenate([[lo, hi, hi], edges[1:-1]]), dtype=torch.float32)
    counts = bin_counts(values, lo, hi, 64)
    assert counts.sum() == len(values)
    assert counts[0] == 1 and counts[-1] == 3, "lo alone; the last inner edge and hi twice"
    assert (counts[1:-1] == 1).all(), "each inner edge in the bin it opens"


@pytest.mark.parametrize("values", [[0.0, 1e-40, 2e-40], [0.0, 1e-45], [-1e-41, 0.0, 1e-41]])
def test_values_of_denormal_size_are_counted(values):
    """A range a few denormals wide is scaled by more than float32 holds (found by the random
    sessions: a dying net's activations)."""
    tensor = torch.tensor(values)
    h = Prober(bins=64).histogram((0, "act"), tensor)
    assert h.counts.sum() == len(values) and h.nonfinite == 0
    expected, _ = np.histogram(tensor.double().numpy(), bins=h.edges)
    assert h.counts.tolist() == expected.tolist(), "each value in the bin between its edges"


def test_nan_and_inf_are_counted_not_binned():
    prober = Prober()
    values = torch.tensor([0.5, float("nan"), 1.5, float("inf"), -float("inf"), -0.25])
    h = prober.histogram((0, "act"), values)
    assert h.nonfinite == 3 and h.counts.sum() == 3 and h.total == 6


def test_values_near_the_float32_limit_are_still_counted():
    """An exploding net reaches 1e38 in a step; histc's float32 arithmetic would overflow there."""
    values = torch.tensor([-3e38, -1.0, 0.0, 2.0, 3.4e38])
    h = Prober(bins=8).histogram((0, "pre"), values)
    assert h.counts.sum() == 5 and h.nonfinite == 0
    assert math.isfinite(h.lo) and math.isfinite(h.hi) and h.lo <= -1e30 and h.hi >= 1e30
    assert h.counts[0] == 1 and h.counts[-1] == 1, "the extremes land in the edge bins"


def test_ranges_are_powers_of_two_and_never_shrink():
    prober = Prober()
    first = prober.histogram((0, "weight"), torch.tensor([-0.3, 0.7]))
    assert (first.lo, first.hi) == (-0.5, 1.0)
    smaller = prober.histogram((0, "weight"), torch.tensor([0.01, 0.02]))
    assert (smaller.lo, smaller.hi) == (-0.5, 1.0)  # comparable with the step before
    larger = prober.histogram((0, "weight"), torch.tensor([-3.0, 0.0]))
    assert (larger.lo, larger.hi) == (-4.0, 1.0)
    other = prober.histogram((1, "weight"), torch.tensor([0.0, 0.2]))
    assert (other.lo, other.hi) == (0.0, 0.25)  # each layer keeps its own range
    prober.reset()
    assert prober.histogram((0, "weight"), torch.tensor([0.1, 0.2])).hi == 0.25


def test_a_live_activation_change_starts_the_activation_ranges_afresh():
    """ReLU activations reach [0, 4]; sigmoid's then lie within [0, 1] and get that range, not a
    quarter of ReLU's. The pre-activations keep theirs: the same quantity before and after."""
    config = Config().with_changes(data={"name": "digits"}, model={"hidden": (32,), "init": "he", "init_scale": 1.0})
    trainer = Trainer(config)
    for _ in range(3):
        trainer.train_step(probe=True)
    relu = trainer.state.probes.snapshots[-1].layers[0].histograms
    assert relu["act"].hi > 1.0, "ReLU's activations reach past 1"
    trainer.apply_live(cmd.SetActivation("sigmoid"))
    trainer.train_step(probe=True)
    sigmoid = trainer.state.probes.snapshots[-1].layers[0].histograms
    assert sigmoid["act"].hi == 1.0 and sigmoid["act"].lo >= 0.0
    assert sigmoid["pre"].lo <= relu["pre"].lo and sigmoid["pre"].hi >= relu["pre"].hi, "sticky as ever"


def test_dead_relu_units():
    post = torch.tensor([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0]])
    assert dead_units(post).tolist() == [True, False, False, True]  # units 0 and 3 never fire


def test_dead_units_are_judged_over_the_inputs_given_not_the_batch():
    """A unit that answers one input in many is silent over a small batch without being dead."""
    model, record, before = snapshot_inputs("relu")
    with torch.no_grad():
        model.layers[0].weight.zero_()
        model.layers[0].bias.copy_(torch.tensor([-1.0, -1.0, -1.0, 1.0, 1.0]))
        model.layers[0].weight[0, 0] = 10.0  # unit 0 fires where the first input is over 0.1
    batch, rare = torch.full((32, 6), -1.0), torch.zeros(256, 6)
    rare[100, 0] = 1.0  # the one example unit 0 answers
    record = ForwardRecord([], [])
    torch.nn.functional.cross_entropy(model(batch, record), torch.zeros(32, dtype=torch.long)).backward()
    over_batch = Prober().capture(model, record, before, step=1, epoch=0, loss=1.0).layers[0]
    assert over_batch.unit_dead.tolist() == [True, True, True, False, False] and over_batch.dead_fraction == 0.6
    judged = Prober().capture(model, record, before, step=1, epoch=0, loss=1.0, dead_judged_on=rare).layers[0]
    assert judged.unit_dead.tolist() == [False, True, True, False, False] and judged.dead_fraction == pytest.approx(0.4)
    assert judged.histograms["act"].total == over_batch.histograms["act"].total == 32 * 5, "the histograms stay the batch's"


def test_saturated_share_per_unit():
    # two samples, two units: unit 0 sits in the tails once, unit 1 twice
    assert saturated_share(torch.tensor([[0.001, 0.999], [0.5, 0.0005]]), "sigmoid").tolist() == [0.5, 1.0]
    assert saturated_share(torch.tensor([[-0.99, 0.0], [0.98, 0.5]]), "tanh").tolist() == [1.0, 0.0]


def test_snapshot_describes_every_layer():
    model, record, before = snapshot_inputs("relu")
    with torch.no_grad():
        model.layers[0].weight.mul_(1.1)  # a known update: 10 % of the weight norm
    snap = Prober().capture(model, record, before, step=7, epoch=1, loss=0.5, include_weights=True)
    assert (snap.step, snap.epoch, snap.loss) == (7, 1, 0.5)
    assert [layer.name for layer in snap.layers] == ["L1 6→5", "L2 5→4", "L3 4→3"]
    first = snap.layers[0]
    assert first.update_ratio == pytest.approx(0.1, rel=1e-4)
    assert snap.layers[1].update_ratio == 0.0
    assert first.weight_norm == pytest.approx(model.layers[0].weight.norm().item())
    assert first.grad_norm == pytest.approx(model.layers[0].weight.grad.norm().item())
    assert first.histograms["pre"].counts.sum() == 32 * 5
    assert first.histograms["weight"].counts.sum() == 30
    assert first.histograms["act_grad"].counts.sum() == 32 * 5
    assert snap.layers[-1].dead_fraction is None and first.dead_fraction is not None
    post = record.post[0].detach().double()
    assert first.act_mean == pytest.approx(post.mean().item(), rel=1e-6)
    assert first.act_std == pytest.approx(post.std().item(), rel=1e-5)
    assert first.unit_std == pytest.approx(post.var(0).mean().sqrt().item(), rel=1e-5), "each unit's spread over the batch"
    assert first.unit_std < first.act_std, "without the spread between the units' means"
    assert first.unit_mean.tolist() == pytest.approx(post.mean(0).tolist(), rel=1e-6)
    assert snap.weights[0].shape == (5, 6)
    # Copies, not views: changing the model leaves the snapshot as it was.
    kept = snap.weights[0].copy()
    with torch.no_grad():
        model.layers[0].weight.zero_()
    assert (snap.weights[0] == kept).all()


def test_a_layer_with_units_at_both_infinities_has_no_mean_and_no_warning():
    """A diverged layer, one unit at +inf and another at -inf: their mean is NaN (the readouts
    say so), and numpy's "invalid value" warning went out to the console at every probe."""
    model, record, before = snapshot_inputs("relu")
    with torch.no_grad():
        record.post[-1][:, 0] = math.inf
        record.post[-1][:, 1] = -math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        snap = Prober().capture(model, record, before, step=1, epoch=0, loss=math.inf)
    logits = snap.layers[-1]
    assert math.isnan(logits.act_mean) and logits.unit_mean[:2].tolist() == [math.inf, -math.inf]
    assert logits.histograms["act"].nonfinite == 2 * 32
    assert math.isfinite(snap.layers[0].act_mean), "the layers below are untouched"


def _grad_ratio(activation: str, init: str) -> float:
    config = Config().with_changes(
        data={"name": "digits"}, model={"hidden": (128,) * 8, "activation": activation, "init": init, "init_scale": 1.0}
    )
    report = Trainer(config).history.epochs[0]
    return report.grad_norm[0] / report.grad_norm[-1]


def test_sigmoid_stack_vanishes_and_relu_he_does_not():
    """d2l 5.4: eight sigmoid layers shrink the first layer's gradient by orders of magnitude."""
    vanishing = _grad_ratio("sigmoid", "xavier")
    healthy = _grad_ratio("relu", "he")
    assert vanishing < 1e-3
    assert healthy > 5e-2
    assert math.log10(healthy / vanishing) > 3


def test_counting_by_scatter_matches_bincount():
    """The accelerator's way to count (torch.bincount would wait on the device) gives the CPU's counts."""
    index = torch.randint(0, 65, (10_000,), dtype=torch.int32)
    index[:500] = 64  # a long run into one slot: the values at exactly `hi`
    counts = count_by_scatter(index, 65)
    assert counts.tolist() == torch.bincount(index, minlength=65).tolist() and counts.sum() == 10_000


def test_one_copy_brings_every_part_back_exactly():
    parts = {
        "counts": torch.tensor([[0, 2**40, 3], [7, 0, 1]]),
        (0, "dead"): torch.tensor([True, False, True]),
        (0, "mean"): torch.randn(5, 4),
        (1, "empty"): torch.zeros(0),
    }
    host = packed_to_host(parts)
    for key, tensor in parts.items():
        assert host[key].dtype == tensor.numpy().dtype and host[key].shape == tuple(tensor.shape)
        assert (host[key] == tensor.numpy()).all()


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_a_snapshot_waits_on_the_device_twice(monkeypatch, activation):
    """Off the CPU every .item(), .tolist() or .cpu() makes the host wait for the device: a
    snapshot asks twice in all (the bins' ranges, then the results), and says what the
    CPU's path says."""
    model, record, before = snapshot_inputs(activation)
    on_cpu = Prober().capture(model, record, before, step=1, epoch=0, loss=1.0, include_weights=True)
    waits = []
    for method in ("item", "tolist", "cpu"):
        original = getattr(torch.Tensor, method)
        monkeypatch.setattr(torch.Tensor, method, lambda self, *a, _f=original, _m=method, **k: waits.append(_m) or _f(self, *a, **k))
    monkeypatch.setattr("engine.probes.to_host", packed_to_host)  # the accelerator's path
    packed = Prober().capture(model, record, before, step=1, epoch=0, loss=1.0, include_weights=True)
    monkeypatch.undo()
    assert sorted(waits) == ["cpu", "tolist"]
    for ours, theirs in zip(packed.layers, on_cpu.layers):
        assert ours.histograms.keys() == theirs.histograms.keys()
        for kind, h in ours.histograms.items():
            assert h.counts.tolist() == theirs.histograms[kind].counts.tolist() and (h.lo, h.hi) == (theirs.histograms[kind].lo, theirs.histograms[kind].hi)
        assert (ours.act_mean, ours.act_std, ours.dead_fraction, ours.saturated_fraction) == (theirs.act_mean, theirs.act_std, theirs.dead_fraction, theirs.saturated_fraction)
        assert ours.unit_mean.tolist() == theirs.unit_mean.tolist()
    assert all((a == b).all() for a, b in zip(packed.weights + packed.biases, on_cpu.weights + on_cpu.biases))
