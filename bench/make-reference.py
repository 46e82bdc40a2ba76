#!/usr/bin/env python3
"""Writes a deterministic synthetic reference: N chromosomes, 60/70/80 columns, N runs,
soft-masked stretches. Usage: make-reference.py OUT.fa TOTAL_MBP"""
import random
import sys

out_path, total_mbp = sys.argv[1], float(sys.argv[2])
rng = random.Random(7)
total = int(total_mbp * 1_000_000)
chromosomes = 25
block = bytes(rng.choice(b"ACGT") for _ in range(1 << 16))
with open(out_path, "wb") as out:
    for c in range(chromosomes):
        length = total // chromosomes + rng.randrange(1000)
        width = (60, 70, 80)[c % 3]
        out.write(f">chr{c + 1} synthetic chromosome {c + 1}\n".encode())
        seq = bytearray()
        while len(seq) < length:
            piece = block[rng.randrange(len(block) // 2):][: rng.randrange(1000, 30000)]
            kind = rng.random()
            if kind < 0.05:
                piece = b"N" * len(piece)
            elif kind < 0.3:
                piece = piece.lower()
            seq += piece
        del seq[length:]
        for i in range(0, length, width):
            out.write(seq[i : i + width])
            out.write(b"\n")
