"""FASTA references: parts with overlap and a name map, as ``fasta-split plan``."""

from __future__ import annotations

from typing import List, Optional

from . import _native
from ._manifest import Plan
from ._paths import PathLike, optional_url, url

__all__ = ["plan", "FastaPlan", "NameMap", "Part", "DEFAULT_OVERLAP"]

NameMap = _native.NameMap
Part = _native.Part

#: Bases shared by consecutive parts of a split sequence, as ``fasta-split plan`` defaults.
DEFAULT_OVERLAP: int = _native.FASTA_DEFAULT_OVERLAP


class FastaPlan(Plan):
    """A FASTA plan: its chunks and the name map of their parts."""

    def __init__(self, lines: List[str], warnings_: List[str], summary: str, name_map: NameMap) -> None:
        super().__init__(lines, warnings_, summary, _stacklevel=4)
        self.name_map: NameMap = name_map


def plan(
    input: PathLike,
    *,
    chunks: int,
    overlap: int = DEFAULT_OVERLAP,
    fai: Optional[PathLike] = None,
    map: Optional[PathLike] = None,
) -> FastaPlan:
    """Cuts a reference into ``chunks`` chunks of about equal bases; a sequence crossing a chunk
    edge is split into parts sharing ``overlap`` bases, renamed ``<ordinal>_<part>``. The
    ``.fai`` is ``INPUT.fai`` when present and consistent (else built) unless ``fai`` names one;
    ``map`` also writes the name map there (it is ``plan.name_map`` either way).

    >>> plan = chunkwise.fasta.plan("GRCh38.fa", chunks=16, overlap=500)
    >>> plan.name_map.to_original("1_2", 1)   # ('chr1', 15500001, False)
    """
    return FastaPlan(
        *_native.fasta_plan(
            url(input),
            chunks=chunks,
            overlap=overlap,
            fai=optional_url(fai),
            map=optional_url(map),
        )
    )
