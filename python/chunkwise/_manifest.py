"""Manifest lines as Python objects: ``Chunk`` (one line) and ``Plan`` (what planning gives)."""

from __future__ import annotations

import json
import os
import sys
import warnings
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union, cast, overload

__all__ = ["Chunk", "Plan", "ChunkLike", "PlanWarning"]


class PlanWarning(UserWarning):
    """Something planning noticed that did not stop it (an index rebuilt, an overview missing)."""


class Chunk:
    """One manifest line: everything a worker needs to rebuild one chunk.

    It keeps the line as planned, so ``to_json()`` gives the very line the binary prints;
    the fields are read from it on demand::

        chunk = plan[3]
        chunk.id, chunk.seq, chunk.total, chunk.kind, chunk.est_bytes
        line = chunk.to_json()                    # ship it to a worker
        chunkwise.read_chunk(Chunk.from_json(line))  # there
    """

    __slots__ = ("_line", "_fields")

    def __init__(self, line: str) -> None:
        self._line = line.rstrip("\n")
        self._fields: Optional[Dict[str, Any]] = None

    @classmethod
    def from_json(cls, line: Union[str, bytes]) -> "Chunk":
        """A chunk from one manifest line (checked when the chunk is read)."""
        return cls(line.decode() if isinstance(line, bytes) else line)

    @classmethod
    def from_dict(cls, fields: Mapping[str, Any]) -> "Chunk":
        """A chunk from a manifest line already parsed as JSON."""
        return cls(json.dumps(fields, separators=(",", ":")))

    def to_json(self) -> str:
        """The manifest line, without its newline."""
        return self._line

    def to_dict(self) -> Dict[str, Any]:
        """The manifest line parsed as JSON (a new dict each time)."""
        return cast(Dict[str, Any], json.loads(self._line))

    def _get(self, field: str) -> Any:
        if self._fields is None:
            self._fields = json.loads(self._line)
        return self._fields.get(field)

    @property
    def id(self) -> str:
        """Unique in the manifest and safe as a file name."""
        return cast(str, self._get("id"))

    @property
    def seq(self) -> int:
        """0-based position in the manifest."""
        return cast(int, self._get("seq"))

    @property
    def total(self) -> int:
        """Number of chunks in the manifest."""
        return cast(int, self._get("total"))

    @property
    def kind(self) -> str:
        """``fastq``, ``fastq-gz``, ``fasta``, ``sra``, ``las``, ``cog`` or ``mpileup``."""
        return cast(str, self._get("kind"))

    @property
    def est_bytes(self) -> int:
        """Size of the rebuilt chunk (exact where the kind knows it)."""
        return cast(int, self._get("est_bytes"))

    @property
    def sources(self) -> List[Dict[str, Any]]:
        """Every source the chunk reads: ``url``, ``size`` and byte ``ranges``."""
        return cast(List[Dict[str, Any]], self._get("sources"))

    @property
    def detail(self) -> Any:
        """What the kind needs beyond byte ranges (docs/manifest.md)."""
        return self._get("detail")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Chunk) and other._line == self._line

    def __hash__(self) -> int:
        return hash(self._line)

    def __repr__(self) -> str:
        return f"Chunk(id={self.id!r}, kind={self.kind!r}, seq={self.seq}, total={self.total})"


ChunkLike = Union[Chunk, str, bytes, Mapping[str, Any]]


def line_of(chunk: ChunkLike) -> str:
    """The manifest line of anything that stands for a chunk."""
    if isinstance(chunk, Chunk):
        return chunk.to_json()
    if isinstance(chunk, str):
        return chunk
    if isinstance(chunk, bytes):
        return chunk.decode()
    if isinstance(chunk, Mapping):
        return json.dumps(chunk, separators=(",", ":"))
    raise TypeError(f"a chunk is a Chunk, a manifest line or its dict, not {type(chunk).__name__}")


class Plan(Sequence[Chunk]):
    """The chunks of a plan, in manifest order, with what planning noticed.

    A sequence of ``Chunk``; ``warnings`` (also issued as ``PlanWarning``) and ``summary``
    are what the binary prints on stderr. ``write`` gives the manifest file the binary's
    ``plan`` prints::

        plan = chunkwise.fastq.plan("reads.fq.gz", chunks=64)
        plan.write("chunks.jsonl")
        lines = [chunk.to_json() for chunk in plan]
    """

    def __init__(self, lines: List[str], warnings_: List[str], summary: str, _stacklevel: int = 3) -> None:
        self.chunks: List[Chunk] = [Chunk(line) for line in lines]
        self.warnings: List[str] = warnings_
        self.summary: str = summary
        # Issued where the user called `<format>.plan`.
        for warning in warnings_:
            warnings.warn(warning, PlanWarning, stacklevel=_stacklevel)

    @overload
    def __getitem__(self, index: int) -> Chunk: ...

    @overload
    def __getitem__(self, index: slice) -> List[Chunk]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[Chunk, List[Chunk]]:
        return self.chunks[index]

    def __len__(self) -> int:
        return len(self.chunks)

    def __iter__(self) -> Iterator[Chunk]:
        return iter(self.chunks)

    def to_jsonl(self) -> str:
        """The manifest: one line per chunk, each ending in a newline."""
        return "".join(chunk.to_json() + "\n" for chunk in self.chunks)

    def write(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Writes the manifest to a local file (``-`` for stdout)."""
        if os.fspath(path) == "-":
            sys.stdout.write(self.to_jsonl())
            return
        with open(path, "w") as out:
            out.write(self.to_jsonl())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.chunks)} chunks)"
