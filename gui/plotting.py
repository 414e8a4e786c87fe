"""Shared pyqtgraph settings for the panels."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem


def cache_axes(plot: pg.PlotItem) -> None:
    """Draw each axis into a pixmap and reuse it until its range changes. Repainting tick
    labels is most of a plot's paint time, and a curve update would otherwise redraw them."""
    for name in ("left", "bottom", "right", "top"):
        plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
