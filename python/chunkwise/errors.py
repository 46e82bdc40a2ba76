"""Exceptions, one class per exit code of the chunkwise tools (docs/cli.md).

The message is the one the binary prints after ``<tool>: ``: it names the input and, for bad
data, the position in it. Each class also derives from the builtin a Python program would
catch for that problem::

    try:
        data = chunkwise.read_chunk(line)
    except FileNotFoundError as e:      # chunkwise.NotFoundError, exit code 66
        ...
    except chunkwise.BadInputError as e:  # malformed input, exit code 65
        print(e.exit_code, e)
"""

from __future__ import annotations

__all__ = [
    "ChunkwiseError",
    "ToolFailedError",
    "UsageError",
    "BadInputError",
    "NotFoundError",
    "ToolMissingError",
    "StorageError",
]


class ChunkwiseError(Exception):
    """Any chunkwise failure; ``exit_code`` is what the binary would exit with."""

    exit_code: int = 1


class ToolFailedError(ChunkwiseError):
    """An external program the chunk needs failed (``fastq-dump`` for SRA chunks). Exit 1."""

    exit_code = 1


class UsageError(ChunkwiseError, ValueError):
    """The arguments do not make sense together. Exit 2."""

    exit_code = 2


class BadInputError(ChunkwiseError, ValueError):
    """Malformed input: a bad record, a bad manifest line, a file changed since planning. Exit 65."""

    exit_code = 65


class NotFoundError(ChunkwiseError, FileNotFoundError):
    """An input does not exist (a path, an ``s3://`` object, an ``https://`` URL). Exit 66."""

    exit_code = 66


class ToolMissingError(ChunkwiseError, OSError):
    """An external program the chunk needs is not installed. Exit 69."""

    exit_code = 69


class StorageError(ChunkwiseError, OSError):
    """Reading or writing failed: local I/O, S3 or HTTP refused or broke off. Exit 74."""

    exit_code = 74


_BY_EXIT_CODE = {
    cls.exit_code: cls
    for cls in (ToolFailedError, UsageError, BadInputError, NotFoundError, ToolMissingError, StorageError)
}


def _from_exit_code(exit_code: int, message: str) -> ChunkwiseError:
    """The exception for an error of the native module (called from Rust)."""
    cls = _BY_EXIT_CODE.get(exit_code)
    if cls is None:
        error = ChunkwiseError(message)
        error.exit_code = exit_code
        return error
    return cls(message)
