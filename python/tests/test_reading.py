"""Reading chunks: the stream gives read_chunk's bytes in any piece sizes and stops cleanly;
reading releases the GIL, so other Python threads run meanwhile."""

from __future__ import annotations

import gzip
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import chunkwise
from conftest import Tool, copied


def test_stream_pieces_equal_the_whole(tmp_path):
    (reads,) = copied(tmp_path, "fastq/seqkit__reads_1.fq.gz")
    plan = chunkwise.fastq.plan(reads, chunks=2)
    for chunk in plan:
        whole = chunkwise.read_chunk(chunk)
        rng = random.Random(chunk.seq)
        with chunkwise.open_chunk(chunk, buffer_size=3000) as stream:
            pieces = []
            while piece := stream.read(rng.choice([1, 7, 4096, 100_000, 3_000_000])):
                pieces.append(piece)
        assert b"".join(pieces) == whole
        with chunkwise.open_chunk(chunk) as stream:
            assert stream.read() == whole and stream.read() == b""
        lines = list(chunkwise.open_chunk(chunk))
        assert b"".join(lines) == whole and lines[0].startswith(b"@")


def test_a_stream_closed_early_stops(tmp_path):
    (reads,) = copied(tmp_path, "fastq/seqkit__reads_1.fq.gz")
    chunk = chunkwise.fastq.plan(reads, chunks=1)[0]
    for _ in range(20):
        with chunkwise.open_chunk(chunk) as stream:
            assert stream.read(10) == chunkwise.read_chunk(chunk)[:10]
    stream = chunkwise.open_chunk(chunk)
    stream.close()
    try:
        stream.read(1)
    except ValueError as closed:
        assert "closed" in str(closed)
    else:
        raise AssertionError("a closed stream read")


def big_gzip_fastq(tmp_path, reads: int):
    rng = random.Random(5)
    records = []
    for number in range(reads):
        bases = "".join(rng.choice("ACGT") for _ in range(150))
        quals = "".join(rng.choice("#-7<AFJ") for _ in range(150))
        records.append(f"@read{number}\n{bases}\n+\n{quals}\n")
    path = tmp_path / "big.fq.gz"
    path.write_bytes(gzip.compress("".join(records).encode(), compresslevel=1))
    return path


def test_reading_releases_the_gil(tmp_path):
    chunk = chunkwise.fastq.plan(big_gzip_fastq(tmp_path, 60_000), chunks=1)[0]
    counted = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counted[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        time.sleep(0.05)
        before = counted[0]
        started = time.perf_counter()
        data = chunkwise.read_chunk(chunk)
        took = time.perf_counter() - started
        during = counted[0] - before
    finally:
        stop.set()
        counter.join()
    assert took > 0.02, f"the chunk took only {took:.3f} s: too little to tell"
    # Holding the GIL for the whole call, the counter could not have moved at all.
    assert during > 1000, f"the counter moved {during} times in {took:.3f} s"
    assert data.count(b"\n") == 4 * 60_000


def test_threads_read_the_same_bytes_as_one(tmp_path):
    (r1, r2) = copied(tmp_path, "fastq/seqkit__reads_1.fq.gz", "fastq/seqkit__reads_2.fq.gz")
    plan = chunkwise.fastq.plan([r1, r2], chunks=8)
    alone = [chunkwise.read_chunk(chunk) for chunk in plan]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(chunkwise.read_chunk, plan)) == alone
    manifest = tmp_path / "chunks.jsonl"
    plan.write(manifest)
    assert b"".join(alone) == Tool("fastq-split").ok("cat", manifest, "--interleave")


def test_a_planned_size_far_off_still_gives_the_chunk_without_holding_it(tmp_path):
    import json
    import resource

    # A FASTA chunk: its planned size is an estimate the rebuild does not check (a FASTQ
    # chunk's is part of what the rebuild checks, and a wrong one is refused).
    reference = tmp_path / "ref.fa"
    bases = b"ACGTTGCAAGGCTTAACCGT" * 2_000_000
    reference.write_bytes(b">one\n" + b"\n".join(bases[i : i + 60] for i in range(0, len(bases), 60)) + b"\n")
    chunk = chunkwise.fasta.plan(reference, chunks=1)[0]
    expected = chunkwise.read_chunk(chunk)
    assert chunk.est_bytes == len(expected) > 40_000_000
    for est_bytes in (1, len(expected) - 1, len(expected) + 1, 8 << 30):
        line = chunk.to_dict()
        line["est_bytes"] = est_bytes
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert chunkwise.read_chunk(json.dumps(line)) == expected, est_bytes
        grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        # An 8 GiB plan maps no more than the chunk and the pages faulted in ahead of it.
        assert grown_mib < 400, f"est_bytes {est_bytes}: peak memory grew by {grown_mib:.0f} MiB"
