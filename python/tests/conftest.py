"""What every test of the Python package needs: the workspace's binaries (the peers the
package must agree with), the shared sample data, and generated COGs.

The binaries are taken from CHUNKWISE_BIN_DIR, else from the cargo target directory's debug
build (`cargo build` first); `.ci/run` builds them before it runs pytest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, List, Optional, Union

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"


def bin_dir() -> Path:
    if "CHUNKWISE_BIN_DIR" in os.environ:
        return Path(os.environ["CHUNKWISE_BIN_DIR"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug"


class Tool:
    """Runs a workspace binary."""

    def __init__(self, name: str) -> None:
        self.path = bin_dir() / name
        if not self.path.exists():
            pytest.fail(f"{self.path} is missing: build the workspace first (cargo build)")

    def run(self, *args: Union[str, Path], stdin: Optional[bytes] = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.path), *map(str, args)], input=stdin, capture_output=True)

    def ok(self, *args: Union[str, Path], stdin: Optional[bytes] = None) -> bytes:
        done = self.run(*args, stdin=stdin)
        assert done.returncode == 0, f"{self.path.name} {args} failed: {done.stderr.decode()}"
        return done.stdout


@pytest.fixture
def tool() -> Callable[[str], Tool]:
    return Tool


def shared(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.fail(f"{path} is missing: the shared sample data sits beside the repository")
    return path


def require(program: str) -> None:
    if shutil.which(program) is None:
        pytest.fail(f"{program} is not installed (.ci/run installs the peer tools)")


def copied(tmp_path: Path, *relatives: str) -> List[Path]:
    """Shared files copied into the test's directory (planning writes indexes beside them)."""
    copies = []
    for relative in relatives:
        copy = tmp_path / Path(relative).name
        shutil.copyfile(shared(relative), copy)
        copies.append(copy)
    return copies


@pytest.fixture(scope="session")
def cogs(tmp_path_factory) -> Path:
    """The COGs the Rust interop tests use (tests/peers/make_cogs.py: rasterio + gdal_translate)."""
    require("gdal_translate")
    out = tmp_path_factory.mktemp("cogs")
    subprocess.run([sys.executable, str(ROOT / "tests/peers/make_cogs.py"), str(out)], check=True)
    return out
