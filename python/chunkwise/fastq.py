"""FASTQ (plain, gzip, BGZF): record-aligned chunks, as ``fastq-split plan``."""

from __future__ import annotations

from typing import Literal, Optional, Sequence, Union

from . import _native
from ._manifest import Plan
from ._paths import PathLike, optional_url, urls

__all__ = ["plan"]

Size = Union[int, str]


def plan(
    inputs: Union[PathLike, Sequence[PathLike]],
    *,
    chunks: Optional[int] = None,
    chunk_size: Optional[Size] = None,
    records: Optional[int] = None,
    layout: Optional[Literal["single", "paired", "interleaved"]] = None,
    index: Optional[PathLike] = None,
    span: Optional[Size] = None,
    threads: int = 1,
) -> Plan:
    """Cuts FASTQ files into record-aligned chunks; the manifest ``fastq-split plan`` prints.

    Give exactly one of ``chunks`` (about N chunks of equal size), ``chunk_size`` (bytes of
    FASTQ per chunk: an int or ``"64MiB"``) or ``records`` (records per chunk). One input is
    single-end and two are R1 and R2 of a pair, unless ``layout`` says ``"single"`` (every input
    single-end), ``"paired"`` (inputs two by two are R1 and R2) or ``"interleaved"`` (pairs in
    one file; chunks never separate mates). A gzip input is indexed once (``INPUT.cwi`` beside
    it unless ``index`` says where; ``span`` is the output between checkpoints; ``threads``
    above 1 build the index in as many parts at once).

    >>> plan = chunkwise.fastq.plan("reads.fq.gz", chunks=64)
    >>> plan = chunkwise.fastq.plan(["R1.fq.gz", "R2.fq.gz"], records=1_000_000)
    >>> plan = chunkwise.fastq.plan("s3://lab/run7/sample.fq.gz", layout="interleaved", chunk_size="256MiB")
    """
    return Plan(
        *_native.fastq_plan(
            urls(inputs),
            chunks=chunks,
            chunk_size=chunk_size,
            records=records,
            layout=layout,
            index=optional_url(index),
            span=span,
            threads=threads,
        )
    )
