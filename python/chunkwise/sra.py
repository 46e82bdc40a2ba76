"""SRA runs: spot ranges dumped with ``fastq-dump``, as ``sra-split plan``."""

from __future__ import annotations

from typing import Optional, Sequence, Union

from . import _native
from ._manifest import Plan
from ._paths import PathLike, optional_url, urls

__all__ = ["plan"]


def plan(
    runs: Union[PathLike, Sequence[PathLike]],
    *,
    chunks: Optional[int] = None,
    spots_per_chunk: Optional[int] = None,
    spots: Optional[int] = None,
    runinfo: Optional[PathLike] = None,
    paired: bool = False,
) -> Plan:
    """Spot ranges of runs (``.sra`` files, folders holding one, or accessions), all in one
    manifest. Give exactly one of ``chunks`` (per run) or ``spots_per_chunk``. Local runs are
    counted with ``vdb-dump``; for an accession give ``spots`` or a ``runinfo`` CSV. ``paired``
    dumps both mates of each spot, interleaved. Reading a chunk runs ``fastq-dump``.

    >>> plan = chunkwise.sra.plan("SRR139146.sra", chunks=4)
    """
    return Plan(
        *_native.sra_plan(
            urls(runs),
            chunks=chunks,
            spots_per_chunk=spots_per_chunk,
            spots=spots,
            runinfo=optional_url(runinfo),
            paired=paired,
        )
    )
