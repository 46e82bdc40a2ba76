"""chunkwise inside the Python runners its users have: a real Lithops run (localhost compute
and storage, no cloud) over a FASTQ.gz and a COG manifest, and Dask over LiDAR tiles."""

from __future__ import annotations

import io
import sys

import dask
import laspy
import lithops
import numpy

import chunkwise
from conftest import Tool, copied, shared


def rebuild_reads(line: str) -> bytes:
    import chunkwise

    return chunkwise.read_chunk(line)


def window_samples(line: str) -> bytes:
    import chunkwise

    return chunkwise.cog.read_window(line).tobytes()


def lithops_executor() -> lithops.FunctionExecutor:
    config = {
        "lithops": {"backend": "localhost", "storage": "localhost", "log_level": "WARNING"},
        # The interpreter running the tests, which has chunkwise installed.
        "localhost": {"runtime": sys.executable, "worker_processes": 2},
        "localhost_storage": {"storage_bucket": "chunkwise-tests"},
    }
    return lithops.FunctionExecutor(config=config)


def test_lithops_maps_over_fastq_gz_and_cog_manifests(tmp_path, cogs):
    r1, r2 = copied(tmp_path, "fastq/seqkit__reads_1.fq.gz", "fastq/seqkit__reads_2.fq.gz")
    reads = chunkwise.fastq.plan([r1, r2], chunks=6)
    windows = chunkwise.cog.plan(cogs / "deflate_pred2.tif", window=(2, 2), halo=4)
    reads.write(tmp_path / "reads.jsonl")
    windows.write(tmp_path / "windows.jsonl")

    executor = lithops_executor()
    try:
        results = executor.get_result(executor.map(rebuild_reads, [chunk.to_json() for chunk in reads]))
        samples = executor.get_result(executor.map(window_samples, [chunk.to_json() for chunk in windows]))
    finally:
        executor.clean()
    fastq_split = Tool("fastq-split")
    assert len(results) == len(reads) == 6
    for chunk, result in zip(reads, results):
        assert result == fastq_split.ok("cat", tmp_path / "reads.jsonl", "--seq", str(chunk.seq), "--interleave")

    cog_windows = Tool("cog-windows")
    assert len(samples) == len(windows) > 4
    for chunk, result in zip(windows, samples):
        assert result == cog_windows.ok("cat", tmp_path / "windows.jsonl", "--seq", str(chunk.seq), "--raw")


def test_dask_over_lidar_tiles(tmp_path):
    cloud = shared("lidar/pdal__las__autzen_trim.las")
    lidar_tile = Tool("lidar-tile")
    source = laspy.read(cloud)

    tiles = chunkwise.lidar.plan(cloud, chunks=6, buffer=0.0)
    rebuilt = dask.compute(*[dask.delayed(chunkwise.read_chunk)(tile) for tile in tiles], scheduler="threads", num_workers=2)
    tiles.write(tmp_path / "tiles.jsonl")
    lidar_tile.ok("cat", tmp_path / "tiles.jsonl", "--out-dir", tmp_path / "tiles")
    points = []
    for tile, data in zip(tiles, rebuilt):
        assert data == (tmp_path / "tiles" / f"{tile.id}.las").read_bytes()
        points.append(laspy.read(io.BytesIO(data)).points.array)
    # laspy reads the tiles back: every point of the source exactly once.
    together = numpy.concatenate(points)
    assert len(together) == len(source.points.array)
    assert sorted(together.tobytes()[i : i + together.itemsize] for i in range(0, together.nbytes, together.itemsize)) == sorted(
        source.points.array.tobytes()[i : i + together.itemsize] for i in range(0, source.points.array.nbytes, together.itemsize)
    )

    buffered = chunkwise.lidar.plan(cloud, max_points=3000, buffer=5.0)
    with dask.config.set(scheduler="processes", num_workers=2):
        rebuilt = dask.compute(*[dask.delayed(chunkwise.read_chunk)(tile.to_json()) for tile in buffered])
    buffered.write(tmp_path / "buffered.jsonl")
    for tile, data in zip(buffered, rebuilt):
        assert data == lidar_tile.ok("cat", tmp_path / "buffered.jsonl", "--seq", str(tile.seq))
