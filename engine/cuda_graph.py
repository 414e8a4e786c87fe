"""A training step's forward and backward, captured once as a CUDA graph and replayed.

A small MLP on a fast GPU is bound by Python, not by the device: each of the step's
~30 kernels costs tens of microseconds to launch from Python, and the GPU waits
between them. Replaying a captured graph launches them all in one call (README,
Benchmark). Only the part before the update is captured: the host reads the loss
back before it lets the optimizer step, as it does without a graph.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

from engine.model import ForwardRecord

# Eager passes on the capture's stream before capturing: lazy set-up (cuBLAS workspaces,
# autograd's device threads) must not happen during a capture (torch.cuda.graphs docs).
WARMUP_PASSES = 2


@contextmanager
def buffers_kept(model: nn.Module) -> Iterator[None]:
    """Run a pass that leaves no trace in the model's buffers (batch-norm running statistics)."""
    saved = {name: b.clone() for name, b in model.named_buffers()}
    try:
        yield
    finally:
        with torch.no_grad():
            for name, b in model.named_buffers():
                b.copy_(saved[name])


Compute = Callable[[torch.Tensor, ForwardRecord], torch.Tensor]


def without_autograd(record: ForwardRecord) -> ForwardRecord:
    """The same tensors (the same memory), gradients kept, cut from the captured autograd
    graph: kept alive, its nodes would serve the next eager backward from the capture's
    stream (torch warns that the streams do not match)."""
    detached: dict[int, torch.Tensor] = {}

    def cut(t: torch.Tensor) -> torch.Tensor:
        if id(t) not in detached:  # the output layer records one tensor as both pre and post
            detached[id(t)] = t.detach()
            if t.retains_grad:
                detached[id(t)].grad = t.grad
        return detached[id(t)]

    return ForwardRecord([cut(t) for t in record.pre], [cut(t) for t in record.post])


class GraphedGradients:
    """`compute(batch_indices, record)` -> a tensor, captured with its gradients, for one size of batch.

    `compute` must touch no host value of the device (no .item(), no shapes that depend on
    data) and draw no random numbers. Every replay records the forward pass for the probes
    (a few copies on the device, no launch from Python), so one graph serves probed and plain
    steps alike. The parameters' gradients live in the graph's memory: each replay writes them
    anew and points the parameters back at them, since an eager pass in between gives them
    gradients of its own."""

    def __init__(self, key: Hashable, compute: Compute, indices: torch.Tensor, params: list[nn.Parameter], model: nn.Module) -> None:
        self.key = key  # what the capture depends on: another key, another graph
        self.indices = indices.clone()
        self.params = params
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream), buffers_kept(model):
            for _ in range(WARMUP_PASSES):
                compute(self.indices, ForwardRecord([], []))
        torch.cuda.current_stream().wait_stream(stream)
        self.graph = torch.cuda.CUDAGraph()
        for p in params:  # backward then writes fresh gradients into the graph's memory, not into old ones
            p.grad = None
        record = ForwardRecord([], [])
        # Not torch.cuda.graph(): it synchronizes the whole device and empties the allocator's
        # cache first, which breaks a capture under way in another thread (the experiments'
        # trainers next to the window's); "thread_local" lets other threads launch meanwhile.
        with torch.cuda.stream(stream):
            self.graph.capture_begin(capture_error_mode="thread_local")
            try:
                self.output = compute(self.indices, record)
            finally:
                self.graph.capture_end()
        self.record = without_autograd(record)  # its tensors, gradients included, are rewritten by each replay
        self.grads = [p.grad for p in params]

    def __call__(self, indices: torch.Tensor) -> tuple[torch.Tensor, ForwardRecord]:
        self.indices.copy_(indices)
        for p, g in zip(self.params, self.grads):
            p.grad = g
        self.graph.replay()
        return self.output, self.record
