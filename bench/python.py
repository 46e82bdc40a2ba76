"""The timing half of bench/python: chunkwise from Python against the binaries, interleaved
rounds, fastest of each kept. Usage: python.py BIN_DIR WORK_DIR (inputs made by bench/python)."""

import os
import subprocess
import sys
import time

import chunkwise

bin_dir, work = sys.argv[1], sys.argv[2]
gz, reference, cloud, image = (os.path.join(work, name) for name in ("reads.fq.gz", "ref.fa", "cloud.laz", "image.tif"))
ROUNDS = 5
fastest = {}


def keep(name, seconds):
    fastest[name] = min(fastest.get(name, float("inf")), seconds)


def binary(name, *args):
    started = time.perf_counter()
    subprocess.run([os.path.join(bin_dir, args[0]), *args[1:]], stdout=subprocess.DEVNULL, check=True)
    keep(name, time.perf_counter() - started)


def python(name, call):
    started = time.perf_counter()
    result = call()
    keep(name, time.perf_counter() - started)
    return result


def unindexed(path, suffix):
    """`path`, its index removed, so that planning builds it again."""
    if os.path.exists(path + suffix):
        os.unlink(path + suffix)
    return path


manifest = os.path.join(work, "chunks.jsonl")
chunkwise.fastq.plan(gz, chunks=4).write(manifest)
chunk = chunkwise.fastq.plan(gz, chunks=4)[1]
size = len(chunkwise.read_chunk(chunk))


def stream():
    with chunkwise.open_chunk(chunk) as reader:
        while reader.read(1 << 20):
            pass


for round_number in range(ROUNDS):
    print(f"round {round_number + 1}", file=sys.stderr)
    binary("cat: fastq-split cat --seq 1", "fastq-split", "cat", "-q", manifest, "--seq", "1")
    python("cat: chunkwise.read_chunk", lambda: chunkwise.read_chunk(chunk))
    python("cat: chunkwise.open_chunk, 1 MiB reads", stream)

    binary("plan fastq: fastq-split plan (index built)", "fastq-split", "plan", "-q", unindexed(gz, ".cwi"), "--chunks", "64")
    python("plan fastq: chunkwise.fastq.plan (index built)", lambda: chunkwise.fastq.plan(unindexed(gz, ".cwi"), chunks=64))
    binary("plan fasta: fasta-split plan (.fai built)", "fasta-split", "plan", "-q", unindexed(reference, ".fai"), "--chunks", "16")
    python("plan fasta: chunkwise.fasta.plan (.fai built)", lambda: chunkwise.fasta.plan(unindexed(reference, ".fai"), chunks=16))
    binary("plan lidar: lidar-tile plan", "lidar-tile", "plan", "-q", cloud, "--max-points", "200000", "--buffer", "5")
    python("plan lidar: chunkwise.lidar.plan", lambda: chunkwise.lidar.plan(cloud, max_points=200000, buffer=5))
    binary("plan cog: cog-windows plan", "cog-windows", "plan", "-q", image, "--window-px", "512x512", "--halo", "8")
    python("plan cog: chunkwise.cog.plan", lambda: chunkwise.cog.plan(image, window_px=(512, 512), halo=8))

print(f"chunk 1 of 4 of {os.path.getsize(gz) / 1e6:.0f} MB gzip: {size / 1e6:.0f} MB of FASTQ; fastest of {ROUNDS} rounds")
groups = {}
for name, seconds in fastest.items():
    groups.setdefault(name.split(":")[0], []).append((name.split(": ", 1)[1], seconds))
for group, entries in groups.items():
    (peer, peer_seconds), *ours = entries
    print(f"  {peer:<48} {peer_seconds * 1000:8.1f} ms")
    for name, seconds in ours:
        print(f"  {name:<48} {seconds * 1000:8.1f} ms   {seconds / peer_seconds:.2f}x the binary's time")
