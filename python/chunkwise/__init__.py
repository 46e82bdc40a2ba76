"""chunkwise for Python: plan exact chunks of big scientific files and rebuild any chunk from
its manifest line alone, with the same Rust code as the chunkwise tools.

Plan once, where the data is listed::

    import chunkwise
    plan = chunkwise.fastq.plan("s3://lab/run7/reads.fq.gz", chunks=64)
    lines = [chunk.to_json() for chunk in plan]      # what `fastq-split plan` prints

Rebuild in any worker (Lithops, Dask, multiprocessing, a notebook)::

    def work(line):
        reads = chunkwise.read_chunk(line)           # the bytes `fastq-split cat` gives
        ...

    with chunkwise.open_chunk(line) as stream:       # a large chunk, a block at a time
        for block in iter(lambda: stream.read(1 << 20), b""):
            ...

    pixels = chunkwise.cog.read_window(line)         # numpy array (bands, rows, cols)

One module per format: ``fastq``, ``fasta``, ``sra``, ``lidar``, ``cog``, ``mpileup``; each has
``plan``. Paths, ``s3://bucket/key`` and ``https://`` URLs are read alike. Errors are
``chunkwise.errors`` exceptions whose class follows the tools' exit codes. Planning and
reading release the GIL, so threads run them in parallel.
"""

from __future__ import annotations

import io
from typing import Any, Optional

from . import _native, cog, errors, fasta, fastq, lidar, mpileup, sra
from ._manifest import Chunk, ChunkLike, Plan, PlanWarning, line_of
from .errors import (
    BadInputError,
    ChunkwiseError,
    NotFoundError,
    StorageError,
    ToolFailedError,
    ToolMissingError,
    UsageError,
)

__all__ = [
    "Chunk",
    "Plan",
    "PlanWarning",
    "read_chunk",
    "open_chunk",
    "fastq",
    "fasta",
    "sra",
    "lidar",
    "cog",
    "mpileup",
    "errors",
    "ChunkwiseError",
    "ToolFailedError",
    "UsageError",
    "BadInputError",
    "NotFoundError",
    "ToolMissingError",
    "StorageError",
]


def read_chunk(chunk: ChunkLike) -> bytes:
    """The chunk's bytes, exactly as ``<tool> cat`` writes them.

    ``chunk`` is a ``Chunk``, a manifest line (str or bytes) or its parsed dict. FASTQ chunks
    come as FASTQ (paired chunks interleaved, as ``cat --interleave``), FASTA as FASTA, SRA as
    ``fastq-dump``'s FASTQ, LAS tiles as LAS/LAZ files, COG windows as GeoTIFFs, reducer
    chunks as merged pileup text. What the line promised (record counts, CRC32s, sizes) is
    checked; a mismatch raises ``BadInputError``.

    >>> data = chunkwise.read_chunk('{"v":1,"kind":"fastq-gz",...}')
    """
    return _native.read_chunk(line_of(chunk))


class _ChunkReader(io.RawIOBase):
    """The raw stream under ``open_chunk``'s buffered reader."""

    def __init__(self, line: str) -> None:
        self._stream: Optional[_native.ChunkStream] = _native.ChunkStream(line)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._stream is None:
            raise ValueError("I/O operation on closed chunk")
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        if self._stream is None:
            raise ValueError("I/O operation on closed chunk")
        return self._stream.read(-1)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        super().close()


def open_chunk(chunk: ChunkLike, buffer_size: int = 1 << 20) -> io.BufferedReader:
    """The chunk's bytes as a binary file object, rebuilt as they are read (memory stays at a
    few MiB whatever the chunk's size). The same bytes as ``read_chunk``; an error is raised
    by the ``read`` that reaches it, never passed off as the end::

        with chunkwise.open_chunk(line) as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                sink.write(block)
    """
    return io.BufferedReader(_ChunkReader(line_of(chunk)), buffer_size=buffer_size)
