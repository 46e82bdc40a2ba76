#!/usr/bin/env python3
"""Writes a deterministic Illumina-like FASTQ: 150 bp reads, Illumina 1.8 binned qualities
(#,:F), Casava names; about one quality line in five starts with '@'.
Usage: make-fastq.py OUT.fq MB"""
import random
import sys

out_path, megabytes = sys.argv[1], float(sys.argv[2])
rng = random.Random(11)
sequences = ["".join(rng.choice("ACGT") for _ in range(150)) for _ in range(4096)]
qualities = []
for _ in range(4096):
    q = "".join(rng.choice("#,:F") if rng.random() < 0.15 else "F" for _ in range(150))
    qualities.append(("@" + q[1:]) if rng.random() < 0.2 else q)
target = int(megabytes * 1_000_000)
written = 0
read = 0
with open(out_path, "w") as out:
    while written < target:
        batch = []
        for _ in range(10_000):
            tile, x, y = 1101 + read // 2_000_000, rng.randrange(1000, 30000), rng.randrange(1000, 30000)
            batch.append(f"@BENCH:1:HFLOWCELL:1:{tile}:{x}:{y} 1:N:0:ACGTAC\n{sequences[rng.randrange(4096)]}\n+\n{qualities[rng.randrange(4096)]}\n")
            read += 1
        text = "".join(batch)
        out.write(text)
        written += len(text)
