"""Cloud-Optimized GeoTIFFs: tile-aligned windows with halos, as ``cog-windows plan``."""

from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

import numpy

from . import _native
from ._manifest import ChunkLike, Plan, line_of
from ._paths import PathLike, urls

__all__ = ["plan", "read_window"]


def plan(
    inputs: Union[PathLike, Sequence[PathLike]],
    *,
    window: Optional[Tuple[int, int]] = None,
    window_px: Optional[Tuple[int, int]] = None,
    chunks: Optional[int] = None,
    halo: int = 0,
    overview: int = 0,
    merge_gap: Union[int, str] = 0,
) -> Plan:
    """Windows over COGs on one grid (each window lists the tiles of every input); reads only
    headers and directories. Windows are ``window`` tiles across and down (default (4, 4)),
    or ``window_px`` pixels, or about ``chunks`` windows as square as the tiles allow. ``halo``
    adds pixels of context around each; ``overview`` picks the k-th overview; tile ranges at
    most ``merge_gap`` bytes apart are read as one.

    >>> plan = chunkwise.cog.plan("s3://bucket/B04.tif", window_px=(1024, 1024), halo=16)
    """
    return Plan(
        *_native.cog_plan(
            urls(inputs),
            window=window,
            window_px=window_px,
            chunks=chunks,
            halo=halo,
            overview=overview,
            merge_gap=merge_gap,
        )
    )


def read_window(chunk: ChunkLike) -> numpy.ndarray:
    """The window's samples (halo included) as an array of shape (bands, rows, cols), as
    rasterio reads them; the bands of each input follow those of the one before. The same
    samples as ``cog-windows cat --raw``; sparse tiles read as nodata (or 0). The array owns
    the decoded buffer: nothing is copied. Inputs of different sample types raise
    ``UsageError``.

    >>> pixels = chunkwise.cog.read_window(line)   # e.g. uint16, (1, 1040, 1040)
    """
    samples, dtype, shape = _native.read_window(line_of(chunk))
    return samples.view(numpy.dtype(dtype).newbyteorder("<")).reshape(shape)
