"""Types of the native module (python/src); use the ``chunkwise`` package, not this module."""

from typing import Iterator, List, Optional, Tuple, Union

import numpy

# Manifest lines, warnings, summary line.
_Planned = Tuple[List[str], List[str], str]

FASTA_DEFAULT_OVERLAP: int

def fastq_plan(
    inputs: List[str],
    *,
    chunks: Optional[int] = None,
    chunk_size: Union[int, str, None] = None,
    records: Optional[int] = None,
    layout: Optional[str] = None,
    index: Optional[str] = None,
    span: Union[int, str, None] = None,
    threads: int = 1,
) -> _Planned: ...
def fasta_plan(
    input: str,
    *,
    chunks: int,
    overlap: int = ...,
    fai: Optional[str] = None,
    map: Optional[str] = None,
) -> Tuple[List[str], List[str], str, NameMap]: ...
def sra_plan(
    runs: List[str],
    *,
    chunks: Optional[int] = None,
    spots_per_chunk: Optional[int] = None,
    spots: Optional[int] = None,
    runinfo: Optional[str] = None,
    paired: bool = False,
) -> _Planned: ...
def lidar_plan(
    inputs: List[str],
    *,
    max_points: Optional[int] = None,
    chunks: Optional[int] = None,
    buffer: float = 0.0,
) -> _Planned: ...
def cog_plan(
    inputs: List[str],
    *,
    window: Optional[Tuple[int, int]] = None,
    window_px: Optional[Tuple[int, int]] = None,
    chunks: Optional[int] = None,
    halo: int = 0,
    overview: int = 0,
    merge_gap: Union[int, str] = 0,
) -> _Planned: ...
def mpileup_plan(
    partials: List[str],
    *,
    reducers: int,
    map: Optional[str] = None,
    fai: Optional[str] = None,
    output_mq: bool = False,
    output_bp: bool = False,
    output_qname: bool = False,
) -> _Planned: ...
def read_chunk(line: str) -> bytes: ...
def read_window(line: str) -> Tuple[numpy.ndarray, str, Tuple[int, int, int]]: ...

class ChunkStream:
    def __init__(self, line: str) -> None: ...
    def read(self, size: int = -1) -> bytes: ...
    def close(self) -> None: ...

class Part:
    """One part of the reference (1-based, inclusive coordinates)."""

    @property
    def id(self) -> str: ...
    @property
    def orig_name(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def own_start(self) -> int: ...
    @property
    def own_end(self) -> int: ...

class NameMap:
    """The parts of a planned reference, by id (``fasta-split plan --map``)."""

    @staticmethod
    def read(url: str) -> NameMap: ...
    def write(self, url: str) -> None: ...
    @property
    def parts(self) -> List[Part]: ...
    def get(self, id: str) -> Optional[Part]: ...
    def to_original(self, id: str, position: int) -> Optional[Tuple[str, int, bool]]: ...
    def __len__(self) -> int: ...
    def __contains__(self, id: str) -> bool: ...
    def __iter__(self) -> Iterator[Part]: ...
