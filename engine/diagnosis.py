"""Read a snapshot's gradient numbers and say, in a sentence, what they mean.

The thresholds follow the d2l chapter's story: gradients that shrink by orders of
magnitude from the output back to the input are vanishing (sigmoid saturation,
small init); gradient norms in the thousands that keep growing are exploding
(products of large random matrices); dead ReLUs and saturated units pass no
gradient at all; units that all compute the same value stay copies of each other.
"""

from __future__ import annotations

import math

import numpy as np

from engine.numbers import significant, spoken_list
from engine.stats import LayerProbe, Snapshot

VANISHING_RATIO = 1e-3  # first-layer gradient norm / last layer's
# Under this (and above VANISHING_RATIO) gradients fade toward the input: one sigmoid layer at
# d2l's N(0, 0.01) init (3e-2) or three at Xavier (2e-2) stay at chance on digits for ten
# epochs, which "healthy" hid; ReLU at He, tanh at Xavier and batch norm stay near 1.
FADING_RATIO = 0.1
EXPLODING_NORM = 1e3
UNHEALTHY_FRACTION = 0.5  # dead or saturated share of a layer's units
SYMMETRY_TOLERANCE = 1e-6  # relative spread of a layer's unit means under which its units are copies

# A saturated share from which saturation is named as the cause of fading gradients.
SATURATION_NAMED = 0.1
# Under this spread of its units over the batch the last hidden layer passes the output too faint a
# signal to learn from: at d2l's N(0, 0.01) init two layers of 16 on the spiral (1e-4) or three of
# 256 on digits (1e-4) stay at chance for their whole run, which "healthy" hid; two of 256 on
# digits (1.4e-3) and every single hidden layer on the 2-D sets (2e-3 to 4e-3) learn.
FAINT_SIGNAL = 1e-3
# Under this, a step's largest update / weight ratio is too small to learn in a run's time
# (Karpathy's rule of thumb wants about 1e-3): digits at lr 1e-4 (1e-5 to 6e-5 over its run)
# and the spiral at 1e-3 (2e-5 to 1e-4) stay at chance; every dataset at the learning rate that
# suits it moves 1e-4 to 1e-2 a step, the circle's net still 3e-4 once it has converged.
SLOW_UPDATES = 1e-4


def _order(x: float) -> str:
    """1e-5 style, for ratios the eye reads as orders of magnitude."""
    return f"1e{round(math.log10(x))}" if x > 0 else "0"


def diagnose(snapshot: Snapshot, activation: str, previous: Snapshot | None = None) -> tuple[str, str]:
    """(verdict, sentence): verdict is one of healthy, slow, faint, fading, vanishing, exploding,
    dead, saturated, symmetric, diverged; the sentence gives the numbers and the remedies.
    Fading comes after dead and saturated units, which say more; a faint signal comes before
    them, as their cause, and after a wholly dead layer, which says more still; updates too
    small to learn from (slow) come last, before healthy."""
    norms = [layer.grad_norm for layer in snapshot.layers]
    if not norms:
        return "healthy", ""
    if not all(math.isfinite(n) for n in norms):
        return "diverged", "Gradients are NaN or infinite: training diverged. Lower the learning rate or the init scale, or clip gradients."
    symmetric = next((layer.name for layer in snapshot.layers[:-1] if copies_of_one_unit(layer)), None)
    if symmetric:  # the root cause: it also makes the first layer's gradient vanish beside the last one's
        return "symmetric", (
            f"Every unit of layer {symmetric} computes the same value: their weights started equal, so each gets the same "
            "gradient and they stay copies, one unit in effect. Reset with a random init; dropout also breaks the symmetry as it trains."
        )
    first, last = norms[0], norms[-1]
    remedy = vanishing_cause(snapshot, activation)
    if len(norms) > 1 and last > 0 and first / last < VANISHING_RATIO:
        frozen = unchanged_layers(snapshot)
        stuck = f" The weights of {spoken_list(frozen)} did not change at all: their updates are too small for float32 to add to them." if frozen else ""
        return "vanishing", f"First-layer gradients are {_order(first / last)} of the last layer's: vanishing.{stuck} {remedy}."
    peak = max(norms)
    growing = previous is not None and len(previous.layers) == len(norms) and peak > max(l.grad_norm for l in previous.layers)
    if peak > EXPLODING_NORM and (growing or previous is None):
        return "exploding", (
            f"Gradient norms reach {significant(peak)}, above 1e3{' and growing' if growing else ''}: exploding. "
            "Lower the init scale or clip gradients."
        )
    dead = worst_share(snapshot, "dead_fraction")
    if dead is not None and dead[0] == 1.0:
        return "dead", (
            f"Every unit of layer {dead[1]} is dead: it outputs 0 whatever the input, so the predictions "
            "no longer depend on the input and no gradient reaches its weights or those before it. "
            "Reset with a lower learning rate, leaky ReLU or He init."
        )
    # Before the dead units: a signal this faint lets the biases alone decide which ReLUs are dead.
    faint = faint_signal(snapshot)
    if faint:
        return "faint", faint
    for name, attr, advice in (
        ("dead", "dead_fraction", "they output 0 and pass no gradient. Lower the learning rate, use leaky ReLU or He init"),
        ("saturated", "saturated_fraction", "their derivative is almost 0. Use ReLU, or a smaller init scale"),
    ):
        share_and_layer = worst_share(snapshot, attr)
        if share_and_layer is not None and share_and_layer[0] > UNHEALTHY_FRACTION:
            share, layer = share_and_layer
            return name, f"{share:.0%} of layer {layer}'s units are {name}: {advice}."
    if len(norms) > 1 and last > 0 and first / last < FADING_RATIO:
        return "fading", (
            f"First-layer gradients are {significant(100 * first / last, 2)}% of the last layer's: they fade toward the input, "
            f"so the first layers learn more slowly than the last. {remedy}."
        )
    largest_update = max(layer.update_ratio for layer in snapshot.layers)
    if 0 < largest_update < SLOW_UPDATES:  # 0: no update yet (a new or opened model's own look)
        return "slow", (
            f"Each step changes the weights by at most {significant(largest_update, 2)} of their size, where about 1e-3 learns: "
            "training crawls. Raise the learning rate (a loss already near its lowest moves little, as it should)."
        )
    if min(norms) <= 0:
        return "healthy", "Healthy, though some layer has no gradient yet."
    if len(norms) == 1:  # "within a factor of 1 of each other (first/last 1)" said nothing
        return "healthy", f"Healthy: one layer, so no gradient passes through others to fade or grow (its norm {significant(first)})."
    spread = max(norms) / min(norms)
    return "healthy", f"Healthy: layer gradient norms stay within a factor of {significant(spread)} of each other (first/last {significant(first / last, 2)})."


def worst_share(snapshot: Snapshot, attr: str) -> tuple[float, str] | None:
    """The largest share `attr` (dead or saturated units) of a layer and that layer's name, None
    where no layer has one: the first layer over a line may be a lesser matter than a later one."""
    shares = [(getattr(layer, attr), layer.name) for layer in snapshot.layers if getattr(layer, attr) is not None]
    return max(shares, key=lambda pair: pair[0]) if shares else None


def faint_signal(snapshot: Snapshot) -> str:
    """The sentence for a last hidden layer whose live units hardly respond to the input, or "".
    Each layer of small weights scales the signal down on its way forward (the products of random
    matrices, forward), so the output barely depends on the input and every gradient stays small:
    the gradients keep their ratios, and nothing else looks wrong. Dead units vary by nothing and
    are left out; a mostly saturated layer is not faint for want of weight (sigmoids stuck at 1)."""
    hidden = snapshot.layers[:-1]
    last = hidden[-1] if hidden else None
    if last is None or last.unit_std is None or (last.saturated_fraction or 0.0) > UNHEALTHY_FRACTION:
        return ""
    dead = last.dead_fraction or 0.0
    live_std = last.unit_std / math.sqrt(1.0 - dead) if dead < 1.0 else 0.0  # dead units add 0 to the mean square
    if dead >= 1.0 or live_std >= FAINT_SIGNAL:
        return ""
    first, name = hidden[0], last.name.split()[0]
    units = f"{name}'s live units ({dead:.0%} are dead)" if dead else f"{name}'s units"
    against = f", {first.name.split()[0]}'s by {significant(first.unit_std, 2)}" if first is not last and first.unit_std is not None else ""
    return (
        f"The signal fades on its way forward: {units} vary by only {significant(live_std, 2)} over the batch{against}, "
        "so the output hardly depends on the input and every gradient is small. "
        "The weights are too small: Reset with Xavier or He init, or batch norm."
    )


def vanishing_cause(snapshot: Snapshot, activation: str) -> str:
    """Why gradients shrink toward the input, and what to try. Saturation is named only where the
    probe counts saturated units ("Sigmoid saturates" over a panel reading 0 % saturated misled):
    unsaturated, each sigmoid layer multiplies the gradient by its derivative, at most 1/4."""
    shares = [(layer.saturated_fraction, layer.name.split()[0]) for layer in snapshot.layers if layer.saturated_fraction is not None]
    share, worst = max(shares, default=(0.0, ""))
    if share >= SATURATION_NAMED:
        name = "Sigmoid" if activation == "sigmoid" else activation
        return f"{name} saturates ({share:.0%} of {worst}'s units); try ReLU, Xavier/He init, batch norm"
    if activation == "sigmoid":
        return "Sigmoid's derivative is at most 0.25, and each sigmoid layer multiplies the gradient by it; try ReLU with He init, or batch norm"
    return "try ReLU with He init, or batch norm"


def unchanged_layers(snapshot: Snapshot) -> list[str]:
    """The layers ("L1", ...) whose weights the probed step left exactly as they were though they
    had a gradient, while other layers' changed: each weight's update was under half the float32
    spacing around it (6e-8 of its size), so adding it changed nothing. A deep sigmoid net's first
    layers stop learning outright there. None in a step without any update (the first probe)."""
    if not any(layer.update_ratio > 0 for layer in snapshot.layers):
        return []
    return [layer.name.split()[0] for layer in snapshot.layers if layer.grad_norm > 0 and layer.update_ratio == 0]


def copies_of_one_unit(layer: LayerProbe) -> bool:
    """A hidden layer whose units all average the same value over the batch. Not when they are
    alike for want of any signal: all zero (a dead layer) or mostly saturated (sigmoids at 1)."""
    means = layer.unit_mean
    peak = np.abs(means).max(initial=0.0)
    saturated = layer.saturated_fraction is not None and layer.saturated_fraction > UNHEALTHY_FRACTION
    return means.size > 1 and peak > 0 and not saturated and np.ptp(means) <= SYMMETRY_TOLERANCE * peak
