"""Where the network graph puts its neurons and which edges it draws (numpy only).

Small nets (every layer at most SMALL_LIMIT units) show every neuron and edge.
Large ones show, per layer, the strongest neurons by the norm of their incoming
weights, and only the strongest edges between the neurons shown, so a 784-256-10
net stays readable and quick to draw.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

SMALL_LIMIT = 32
SHOWN_PER_LAYER = 12
EDGES_PER_LAYER = 60
COLUMN_SPACING = 3.0
ROW_SPACING = 1.2


@dataclass(frozen=True)
class GraphLayout:
    shown: tuple[np.ndarray, ...]  # per column (input, then each Linear's outputs): unit indices drawn
    sizes: tuple[int, ...]  # units per column
    positions: np.ndarray  # (nodes, 2): x, y of every drawn node, column by column
    node_column: np.ndarray  # (nodes,)
    node_unit: np.ndarray  # (nodes,)
    edges: np.ndarray  # (edges, 2): node indices, from input side to output side
    edge_weight: np.ndarray  # (edges,)
    edge_layer: np.ndarray  # (edges,): the Linear layer the weight belongs to
    pictured: tuple[int, ...] = ()  # columns whose neurons are drawn as pictures

    @property
    def small(self) -> bool:
        return max(self.sizes) <= SMALL_LIMIT


def choose_units(weights: list[np.ndarray], few: tuple[int, ...] = ()) -> list[np.ndarray]:
    """Per column, the units to draw: all when the column is small, else the strongest by
    the norm of their incoming weights (for the input column, by the norm of their outgoing ones).
    The `few` columns are small up to SHOWN_PER_LAYER only: 32 pictures of a unit's 8x8 weights
    had 12 pixels each, too few to read."""
    sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    chosen = []
    for column, size in enumerate(sizes):
        if size <= (SHOWN_PER_LAYER if column in few else SMALL_LIMIT):
            chosen.append(np.arange(size))
            continue
        with np.errstate(over="ignore"):  # an exploding net's weights square past float32: inf still ranks first
            strength = np.linalg.norm(weights[0], axis=0) if column == 0 else np.linalg.norm(weights[column - 1], axis=1)
        chosen.append(np.sort(np.argsort(-strength, kind="stable")[:SHOWN_PER_LAYER]))
    return chosen


def layout(weights: list[np.ndarray], pictured: tuple[int, ...] = (), few: tuple[int, ...] = ()) -> GraphLayout:
    """Nodes and edges for the Linear layers' weights, each (out, in), input to output;
    `pictured`: the columns whose neurons are drawn as pictures; `few`: columns to draw at
    most SHOWN_PER_LAYER units of."""
    shown = choose_units(weights, few)
    sizes = tuple([weights[0].shape[1]] + [w.shape[0] for w in weights])
    small = max(sizes) <= SMALL_LIMIT
    positions, columns, units, first_node = [], [], [], []
    for column, chosen in enumerate(shown):
        first_node.append(len(positions))
        top = (len(chosen) - 1) * ROW_SPACING / 2
        for row, unit in enumerate(chosen):
            positions.append((column * COLUMN_SPACING, top - row * ROW_SPACING))
            columns.append(column)
            units.append(unit)
    edges, edge_weight, edge_layer = [], [], []
    for layer, w in enumerate(weights):
        sources, targets = shown[layer], shown[layer + 1]
        block = w[np.ix_(targets, sources)]  # (targets, sources)
        pairs = np.argwhere(np.ones_like(block, dtype=bool))
        if not small:
            strongest = np.argsort(-np.abs(block).ravel(), kind="stable")[:EDGES_PER_LAYER]
            pairs = pairs[np.sort(strongest)]
        for t, s in pairs:
            edges.append((first_node[layer] + s, first_node[layer + 1] + t))
            edge_weight.append(block[t, s])
            edge_layer.append(layer)
    return GraphLayout(
        shown=tuple(shown),
        sizes=sizes,
        positions=np.array(positions, dtype=float).reshape(-1, 2),
        node_column=np.array(columns, dtype=int),
        node_unit=np.array(units, dtype=int),
        edges=np.array(edges, dtype=int).reshape(-1, 2),
        edge_weight=np.array(edge_weight, dtype=float),
        edge_layer=np.array(edge_layer, dtype=int),
        pictured=pictured,
    )


EDGE_WIDTHS = (0.5, 1.4, 2.3, 3.2, 4.1, 5.0)  # pen widths in pixels, thinnest for the weakest edges
# Edges take EDGE_WIDTHS where columns are this many pixels apart or more (one or two hidden
# layers in the window's dock); closer columns thin them in proportion, down to THINNEST_SCALE:
# eight layers 40 pixels apart, each pair of columns joined by 144 edges up to 5 pixels wide,
# were a solid band of orange in which neither sign nor strength could be told.
FULL_WIDTH_ROOM_PX = 100.0
THINNEST_SCALE = 0.3


def edge_width_scale(column_px: float) -> float:
    """The factor on EDGE_WIDTHS for columns `column_px` pixels apart."""
    return min(1.0, max(THINNEST_SCALE, column_px / FULL_WIDTH_ROOM_PX))


POSITIVE_EDGE = (31, 119, 180, 200)  # blue, as TensorFlow Playground
NEGATIVE_EDGE = (255, 127, 14, 200)  # orange


def edge_styles(weights: np.ndarray, layers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per edge: whether its weight is positive (drawn blue, else orange), and its width as an
    index into EDGE_WIDTHS, by |w| relative to the largest |w| of the same layer. A few widths
    rather than one per edge: each (sign, width) group is drawn as one path, one pen."""
    biggest = np.zeros(len(weights))
    for layer in np.unique(layers):
        mask = layers == layer
        biggest[mask] = np.abs(weights[mask]).max()
    strength = np.abs(weights) / np.where(biggest > 0, biggest, 1.0)
    levels = np.rint(strength * (len(EDGE_WIDTHS) - 1)).astype(int)
    return weights >= 0, levels


# A margin's need: so many of the graph's units, plus so many pixels (a text's height).
Need = tuple[float, float]


def frame_rows(lowest: float, highest: float, height_px: float, below: list[Need], above: list[Need]) -> tuple[float, float]:
    """The view's (bottom, top): the least room around the nodes, from `lowest` to `highest`,
    that meets every need below and above them in `height_px` pixels. A text's pixels take more
    of the graph's units the more units the view spans, so the units per pixel u solve
    u = (span of the nodes + both margins at u) / height_px: the margins, maxima of lines in u,
    make that the largest of the fixed points of each pair of needs that height_px can hold."""
    fixed_points = [
        (highest - lowest + units_below + units_above) / (height_px - px_below - px_above)
        for (units_below, px_below), (units_above, px_above) in itertools.product(below, above)
        if px_below + px_above < height_px
    ]
    per_px = max(fixed_points, default=0.0)
    margin_below = max(units + px * per_px for units, px in below)
    margin_above = max(units + px * per_px for units, px in above)
    return lowest - margin_below, highest + margin_above
