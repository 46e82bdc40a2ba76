"""LAS/LAZ/COPC point clouds: tiles of equal point counts with buffers, as ``lidar-tile plan``."""

from __future__ import annotations

from typing import Optional, Sequence, Union

from . import _native
from ._manifest import Plan
from ._paths import PathLike, urls

__all__ = ["plan"]


def plan(
    inputs: Union[PathLike, Sequence[PathLike]],
    *,
    max_points: Optional[int] = None,
    chunks: Optional[int] = None,
    buffer: float = 0.0,
) -> Plan:
    """Tiles one file, or many taken as one cloud. Give exactly one of ``max_points`` (most
    points in a tile's core; as few tiles as that allows) or ``chunks`` (exactly N tiles).
    ``buffer`` adds, flagged withheld, the points less than this distance beyond a tile's core.
    A chunk reads back as a LAS/LAZ file (``read_chunk``).

    >>> plan = chunkwise.lidar.plan("autzen.laz", max_points=500_000, buffer=5)
    """
    return Plan(*_native.lidar_plan(urls(inputs), max_points=max_points, chunks=chunks, buffer=buffer))
