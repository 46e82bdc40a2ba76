#!/usr/bin/env python3
"""Writes a deterministic synthetic reference shaped like a human assembly: 25 sequences with
GRCh38's relative lengths (chr1..22, X, Y, M), line widths 60/70/80, N runs and soft-masked
(lowercase) stretches. Usage: make-reference.py OUT.fa TOTAL_MBP"""
import random
import sys

out_path, total_mbp = sys.argv[1], float(sys.argv[2])
relative = [248956, 242193, 198295, 190214, 181538, 170805, 159345, 145138, 138394, 133797,
            135086, 133275, 114364, 107043, 101991, 90338, 83257, 80373, 58617, 64444, 46709,
            50818, 156040, 57227, 17]
names = [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY", "chrM"]
scale = total_mbp * 1_000_000 / sum(relative)
rng = random.Random(7)
block = bytes(rng.choice(b"ACGT") for _ in range(1 << 20))
lower = block.lower()
with open(out_path, "wb") as out:
    for index, (name, size) in enumerate(zip(names, relative)):
        length = max(1, int(size * scale))
        width = (60, 70, 80)[index % 3]
        out.write(f">{name} synthetic AC:CM0006{index:02d}.2 LN:{length}\n".encode())
        seq = bytearray()
        while len(seq) < length:
            start = rng.randrange(len(block) // 2)
            run = rng.randrange(1_000, 200_000)
            kind = rng.random()
            if kind < 0.03:
                seq += b"N" * run
            elif kind < 0.4:
                seq += lower[start:start + run]
            else:
                seq += block[start:start + run]
        del seq[length:]
        view = memoryview(seq)
        out.write(b"".join(bytes(view[i:i + width]) + b"\n" for i in range(0, length, width)))
