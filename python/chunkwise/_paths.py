"""Inputs as the native module takes them."""

from __future__ import annotations

import os
from typing import List, Sequence, Union

PathLike = Union[str, "os.PathLike[str]"]


def url(path: PathLike) -> str:
    """A path, ``s3://`` or ``https://`` URL as text."""
    return os.fspath(path)


def urls(paths: Union[PathLike, Sequence[PathLike]]) -> List[str]:
    """One input or several, as a list of text."""
    if isinstance(paths, (str, os.PathLike)):
        return [url(paths)]
    return [url(path) for path in paths]


def optional_url(path: Union[PathLike, None]) -> Union[str, None]:
    return None if path is None else url(path)
