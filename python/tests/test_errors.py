"""Errors: the exception class follows the binary's exit code, the message is the one the
binary prints after `<tool>: `, and nothing partial passes for a chunk."""

from __future__ import annotations

import gzip
import json

import pytest

import chunkwise
from conftest import Tool, copied


def binary_error(tool: Tool, *args) -> tuple:
    done = tool.run(*args)
    assert done.returncode != 0
    prefix = f"{tool.path.name}: "
    message = done.stderr.decode().strip().splitlines()[-1]
    assert message.startswith(prefix), message
    return done.returncode, message[len(prefix):]


def test_missing_input_is_not_found_with_the_binarys_message(tmp_path):
    code, message = binary_error(Tool("fastq-split"), "plan", tmp_path / "missing.fq.gz", "--chunks", "2")
    with pytest.raises(FileNotFoundError) as caught:
        chunkwise.fastq.plan(tmp_path / "missing.fq.gz", chunks=2)
    assert isinstance(caught.value, chunkwise.NotFoundError)
    assert (caught.value.exit_code, str(caught.value)) == (code, message) == (66, f"{tmp_path}/missing.fq.gz: not found")


def test_malformed_input_is_bad_input_with_the_binarys_message(tmp_path):
    bad = tmp_path / "bad.fq"
    bad.write_bytes(b"@r1\nACGT\n+\nIIII\n@r2\nACGT\n+\nIII\n")
    code, message = binary_error(Tool("fastq-split"), "plan", bad, "--records", "1")
    with pytest.raises(chunkwise.BadInputError) as caught:
        chunkwise.fastq.plan(bad, records=1)
    assert isinstance(caught.value, ValueError)
    assert (caught.value.exit_code, str(caught.value)) == (code, message)
    assert "byte 31" in message and "quality shorter than the sequence" in message


def test_a_source_changed_since_planning_is_refused_by_read_chunk_and_cat_alike(tmp_path):
    (reads,) = copied(tmp_path, "fastq/seqkit__reads_1.fq.gz")
    plan = chunkwise.fastq.plan(reads, chunks=3)
    plan.write(tmp_path / "chunks.jsonl")
    # Same size, other reads: only the chunk's checks can tell.
    text = bytearray(gzip.decompress(reads.read_bytes()))
    text[text.index(b"\n") + 1] ^= ord("A") ^ ord("C")
    reads.write_bytes(gzip.compress(bytes(text)))
    for chunk in plan:
        code, message = binary_error(Tool("fastq-split"), "cat", tmp_path / "chunks.jsonl", "--seq", str(chunk.seq))
        with pytest.raises(chunkwise.ChunkwiseError) as caught:
            chunkwise.read_chunk(chunk)
        assert (caught.value.exit_code, str(caught.value)) == (code, message)
        with pytest.raises(chunkwise.ChunkwiseError) as streamed, chunkwise.open_chunk(chunk) as stream:
            while stream.read(4096):
                pass
        assert str(streamed.value) == message


def test_bad_lines_and_arguments():
    with pytest.raises(chunkwise.BadInputError, match="manifest line: not valid JSON"):
        chunkwise.read_chunk("{")
    line = {"v": 1, "kind": "fastq", "id": "../x", "seq": 0, "total": 1, "sources": [], "est_bytes": 0}
    with pytest.raises(chunkwise.BadInputError, match="not safe as a file name"):
        chunkwise.read_chunk(json.dumps(line))
    with pytest.raises(chunkwise.UsageError, match="give exactly one of chunks, chunk_size, records"):
        chunkwise.fastq.plan("reads.fq", chunks=2, records=10)
    with pytest.raises(chunkwise.UsageError, match="chunk_size=\"lots\""):
        chunkwise.fastq.plan("reads.fq", chunk_size="lots")
    with pytest.raises(chunkwise.UsageError, match="layout=\"pairs\""):
        chunkwise.fastq.plan("reads.fq", chunks=2, layout="pairs")
    with pytest.raises(ValueError, match="chunks must be above 0"):
        chunkwise.lidar.plan("cloud.laz", chunks=0)
    with pytest.raises(TypeError):
        chunkwise.read_chunk(42)


def test_plan_warnings_are_python_warnings_at_the_callers_line(tmp_path):
    (reference,) = copied(tmp_path, "fasta/htslib__faidx.fa")
    stale = tmp_path / "stale.fai"
    stale.write_text("nothing\t5\t10\t60\t61\n")
    with pytest.warns(chunkwise.PlanWarning, match="does not match .* indexing again") as caught:
        plan = chunkwise.fasta.plan(reference, chunks=2, fai=stale)
    assert caught[0].filename == __file__
    assert plan.warnings and "indexing again" in plan.warnings[0]
    binary = Tool("fasta-split").run("plan", reference, "--chunks", "2", "--fai", stale)
    assert f"fasta-split: warning: {plan.warnings[0]}" in binary.stderr.decode()
