"""For every format: planning from Python gives the manifest the binary prints, and
read_chunk gives the bytes `<tool> cat` gives, chunk by chunk."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy
import pytest
import rasterio
from rasterio.windows import Window

import chunkwise
from conftest import Tool, copied, require, shared


def same_as_cat(plan: chunkwise.Plan, tool: Tool, tmp_path: Path, *cat_args: str) -> None:
    manifest = tmp_path / "chunks.jsonl"
    plan.write(manifest)
    assert len(plan) > 1, "a test plan must have several chunks"
    for chunk in plan:
        expected = tool.ok("cat", manifest, "--seq", str(chunk.seq), *cat_args)
        assert chunkwise.read_chunk(chunk) == expected, chunk.id
        assert chunkwise.read_chunk(chunk.to_json()) == expected
        assert chunkwise.read_chunk(chunk.to_dict()) == expected


def test_fastq_gzip_single_paired_and_plain(tmp_path):
    fastq_split = Tool("fastq-split")
    r1, r2, plain = copied(
        tmp_path, "fastq/seqkit__reads_1.fq.gz", "fastq/seqkit__reads_2.fq.gz", "fastq/htslib__multiline.fq"
    )
    # Python builds the index of r1 (the binary's plan below builds it again, the same).
    from_python = chunkwise.fastq.plan(r1, chunks=5, span="64KiB")
    index = Path(f"{r1}.cwi")
    python_index = index.read_bytes()
    index.unlink()
    assert from_python.to_jsonl().encode() == fastq_split.ok("plan", r1, "--chunks", "5", "--span", "64KiB")
    assert index.read_bytes() == python_index
    same_as_cat(from_python, fastq_split, tmp_path)

    paired = chunkwise.fastq.plan([r1, r2], records=700)
    assert paired.to_jsonl().encode() == fastq_split.ok("plan", r1, r2, "--records", "700")
    same_as_cat(paired, fastq_split, tmp_path, "--interleave")

    lanes = chunkwise.fastq.plan([str(plain), plain], layout="single", chunk_size=300)
    assert lanes.to_jsonl().encode() == fastq_split.ok("plan", "--single", plain, plain, "--chunk-size", "300")
    assert len({chunk.id for chunk in lanes}) == len(lanes)
    same_as_cat(lanes, fastq_split, tmp_path)


def test_fastq_interleaved(tmp_path):
    fastq_split = Tool("fastq-split")
    (reads,) = copied(tmp_path, "fastq/htslib__interleaved.fq")
    plan = chunkwise.fastq.plan(reads, layout="interleaved", records=2)
    assert plan.to_jsonl().encode() == fastq_split.ok("plan", "--interleaved", reads, "--records", "2")
    same_as_cat(plan, fastq_split, tmp_path)


def test_fasta_parts_and_name_map(tmp_path):
    fasta_split = Tool("fasta-split")
    (reference,) = copied(tmp_path, "fasta/htslib__ce.fa")
    plan = chunkwise.fasta.plan(reference, chunks=4, overlap=300, map=tmp_path / "python.tsv")
    binary = fasta_split.ok("plan", reference, "--chunks", "4", "--overlap", "300", "--map", tmp_path / "binary.tsv")
    assert plan.to_jsonl().encode() == binary
    assert (tmp_path / "python.tsv").read_bytes() == (tmp_path / "binary.tsv").read_bytes()
    same_as_cat(plan, fasta_split, tmp_path)

    names = chunkwise.fasta.NameMap.read(str(tmp_path / "binary.tsv"))
    assert names.parts == plan.name_map.parts and len(names) == len(plan.name_map) > 4
    split = [part for part in names if part.id.endswith("_2")][0]
    first = names.get(split.id.replace("_2", "_1"))
    # The first base of a second part lies in the overlap, owned by the part before it.
    assert names.to_original(split.id, 1) == (split.orig_name, split.start, False)
    assert split.start < first.end and first.own_end + 1 == split.own_start
    assert names.to_original(split.id, split.own_start - split.start + 1) == (split.orig_name, split.own_start, True)
    assert names.to_original("no-such-part", 1) is None and "no-such-part" not in names
    # The default overlap is the binary's.
    default = chunkwise.fasta.plan(reference, chunks=4)
    assert default.to_jsonl().encode() == fasta_split.ok("plan", reference, "--chunks", "4")


def test_sra_spot_ranges(tmp_path):
    require("fastq-dump")
    sra_split = Tool("sra-split")
    run = shared("sra/SRR139146.sra")
    plan = chunkwise.sra.plan(run, chunks=3)
    assert plan.to_jsonl().encode() == sra_split.ok("plan", run, "--chunks", "3")
    same_as_cat(plan, sra_split, tmp_path)
    per_chunk = chunkwise.sra.plan([run, shared("sra/SRR2042184.sra")], spots_per_chunk=1000)
    assert per_chunk.to_jsonl().encode() == sra_split.ok(
        "plan", run, shared("sra/SRR2042184.sra"), "--spots-per-chunk", "1000"
    )


def test_lidar_tiles(tmp_path):
    lidar_tile = Tool("lidar-tile")
    for relative, args in [
        ("lidar/laspy__simple.laz", dict(max_points=300, buffer=2.0)),
        ("lidar/pdal__las__1.2-with-color.las", dict(chunks=4, buffer=0.0)),
        ("lidar/laspy__simple.copc.laz", dict(chunks=3, buffer=1.5)),
    ]:
        cloud = shared(relative)
        plan = chunkwise.lidar.plan(cloud, **args)
        flags = ["--max-points", str(args["max_points"])] if "max_points" in args else ["--chunks", str(args["chunks"])]
        assert plan.to_jsonl().encode() == lidar_tile.ok("plan", cloud, *flags, "--buffer", str(args["buffer"]))
        same_as_cat(plan, lidar_tile, tmp_path)


def test_cog_windows_bytes_and_arrays(tmp_path, cogs):
    cog_windows = Tool("cog-windows")
    for name, args, flags in [
        ("deflate_pred2.tif", dict(window=(2, 2), halo=8), ["--window", "2x2", "--halo", "8"]),
        ("zstd_float_bands.tif", dict(window_px=(100, 70)), ["--window-px", "100x70"]),
        ("sparse.tif", dict(chunks=5), ["--chunks", "5"]),
        ("bigtiff_int16.tif", dict(merge_gap="1KiB"), ["--merge-gap", "1KiB"]),
    ]:
        path = cogs / name
        plan = chunkwise.cog.plan(path, **args)
        assert plan.to_jsonl().encode() == cog_windows.ok("plan", path, *flags), name
        same_as_cat(plan, cog_windows, tmp_path)
        manifest = tmp_path / "chunks.jsonl"
        with rasterio.open(path) as image:
            for chunk in plan:
                pixels = chunkwise.cog.read_window(chunk)
                assert pixels.tobytes() == cog_windows.ok("cat", manifest, "--seq", str(chunk.seq), "--raw")
                column, row, width, height = chunk.detail["read_window"]
                expected = image.read(window=Window(column, row, width, height))
                assert pixels.dtype == expected.dtype and pixels.shape == expected.shape
                assert numpy.array_equal(pixels, expected, equal_nan=True), (name, chunk.id)
                # A view of the decoded buffer, which Rust handed over (rust-numpy's container):
                # no copy was made.
                assert type(pixels.base.base).__name__ == "PySliceContainer"


def test_cog_windows_over_two_inputs_of_two_types_need_read_chunk(cogs):
    plan = chunkwise.cog.plan([cogs / "deflate_pred2.tif", cogs / "same_grid_lzw.tif"], window=(4, 4))
    with pytest.raises(chunkwise.UsageError, match="cannot share one array"):
        chunkwise.cog.read_window(plan[0])


def test_mpileup_reducers(tmp_path):
    require("samtools")
    mpileup_reduce = Tool("mpileup-reduce")
    reference = shared("mpileup/samtools__mpileup.ref.fa")
    fai = tmp_path / "ref.fa.fai"
    fai.write_bytes(subprocess.run(["samtools", "faidx", "-o", "-", reference], check=True, capture_output=True).stdout)
    partials = []
    for number in (1, 2, 3):
        partial = tmp_path / f"partial{number}.pileup"
        bam = shared(f"mpileup/samtools__mpileup.{number}.bam")
        subprocess.run(["samtools", "mpileup", "-f", reference, "-o", partial, bam], check=True, capture_output=True)
        partials.append(partial)
    plan = chunkwise.mpileup.plan(partials, reducers=3, fai=fai)
    assert plan.to_jsonl().encode() == mpileup_reduce.ok("plan", *partials, "--reducers", "3", "--fai", fai)
    same_as_cat(plan, mpileup_reduce, tmp_path)
