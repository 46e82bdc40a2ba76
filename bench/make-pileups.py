#!/usr/bin/env python3
"""Writes synthetic partial pileups: CHUNKS read chunks x PARTS reference parts, one file per
(chunk, part), each in position order, about TOTAL_MB megabytes in all.
Usage: make-pileups.py DIR TOTAL_MB [CHUNKS PARTS]"""
import os
import random
import sys

out_dir, total_mb = sys.argv[1], float(sys.argv[2])
chunks = int(sys.argv[3]) if len(sys.argv) > 3 else 16
parts = int(sys.argv[4]) if len(sys.argv) > 4 else 4
rng = random.Random(17)
bases = [''.join(rng.choice('..,,,.ACGTacgt') for _ in range(12)) for _ in range(512)]
quals = [''.join(rng.choice('ABCDEFGHIJ') for _ in range(12)) for _ in range(512)]
line_bytes = 40
positions = int(total_mb * 1e6 / (chunks * parts * line_bytes))
with open(os.path.join(out_dir, 'ref.fa.fai'), 'w') as fai:
    for p in range(parts):
        fai.write(f'chr{p + 1}\t{positions + 10}\t{7 + p}\t60\t61\n')
for c in range(chunks):
    for p in range(parts):
        lines = []
        for pos in range(1, positions + 1):
            if rng.random() < 0.05:
                continue
            k = rng.randrange(512)
            depth = 6 + (pos + c) % 7
            lines.append(f'chr{p + 1}\t{pos}\tA\t{depth}\t{bases[k][:depth]}\t{quals[k][:depth]}\n')
        with open(os.path.join(out_dir, f'c{c:02d}.p{p}.pileup'), 'w') as out:
            out.write(''.join(lines))
