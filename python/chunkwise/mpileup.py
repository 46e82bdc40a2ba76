"""Partial ``samtools mpileup`` outputs: reducers of about equal work, as ``mpileup-reduce plan``."""

from __future__ import annotations

from typing import Optional, Sequence, Union

from . import _native
from ._manifest import Plan
from ._paths import PathLike, optional_url, urls

__all__ = ["plan"]


def plan(
    partials: Union[PathLike, Sequence[PathLike]],
    *,
    reducers: int,
    map: Optional[PathLike] = None,
    fai: Optional[PathLike] = None,
    output_mq: bool = False,
    output_bp: bool = False,
    output_qname: bool = False,
) -> Plan:
    """Position ranges of about equal work for ``reducers`` reducers over partial pileups
    (sorted, one per read chunk and reference part). The order of positions comes from a
    name map (``map``: part coordinates become original ones) or a ``.fai``. The ``output_*``
    flags say which optional samtools columns the partials have. A chunk reads back as the
    merged pileup of its range.

    >>> plan = chunkwise.mpileup.plan(partials, reducers=8, fai="ref.fa.fai")
    """
    return Plan(
        *_native.mpileup_plan(
            urls(partials),
            reducers=reducers,
            map=optional_url(map),
            fai=optional_url(fai),
            output_mq=output_mq,
            output_bp=output_bp,
            output_qname=output_qname,
        )
    )
