#!/usr/bin/env python3
"""Regenerates demo/reads.fq: 400 Illumina-like 150 bp reads, deterministic.

Quality strings use Illumina 1.8 binned scores; about one record in five has a quality line
starting with '@', the case that breaks chunkers which look for '@' at chunk edges.
"""
import random

rng = random.Random(20261128)
bins = "#,:F"  # Q2, Q11, Q25, Q37
with open("reads.fq", "w") as out:
    for i in range(400):
        seq = "".join(rng.choice("ACGT") for _ in range(150))
        qual = "".join(rng.choice(bins) if rng.random() < 0.3 else "F" for _ in range(150))
        if i % 5 == 0:
            qual = "@" + qual[1:]
        out.write(f"@DEMO:1:FC01:1:{1101 + i // 100}:{1000 + i}:{2000 + 7 * i} 1:N:0:ACGTAC\n{seq}\n+\n{qual}\n")
