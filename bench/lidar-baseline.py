"""The Python baseline for bench/lidar: numpy + laspy (+ lazrs for LAZ), the same algorithm
as lidar-tile (recursive equal-count split on the wider axis, buffer b flagged withheld, one
file per tile). usage: lidar-baseline.py INPUT OUT_DIR MAX_POINTS BUFFER EXT"""

import math
import os
import sys

import laspy
import numpy as np

source, out_dir, max_points, buffer, ext = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
las = laspy.read(source)
x, y = np.asarray(las.x), np.asarray(las.y)
tiles = []


def split(index, box):
    n = len(index)
    if n <= max_points:
        tiles.append(box)
        return
    xs, ys = x[index], y[index]
    axis = 1 if ys.max() - ys.min() > xs.max() - xs.min() else 0
    values = ys if axis else xs
    k = math.ceil(n / max_points)
    target = n * (k // 2) // k
    at = np.partition(values, target)[target]
    low = values < at
    low_box, high_box = list(box), list(box)
    low_box[axis + 2] = at
    high_box[axis] = at
    split(index[low], low_box)
    split(index[~low], high_box)


split(np.arange(len(x)), [x.min(), y.min(), np.nextafter(x.max(), np.inf), np.nextafter(y.max(), np.inf)])
withheld_bit = ("classification_flags", 0x04) if las.header.point_format.id >= 6 else ("raw_classification", 0x80)
for i, (x0, y0, x1, y1) in enumerate(tiles):
    core = (x >= x0) & (x < x1) & (y >= y0) & (y < y1)
    buffered = (x >= x0 - buffer) & (x <= x1 + buffer) & (y >= y0 - buffer) & (y <= y1 + buffer)
    buffer_points = las.points[buffered & ~core].copy()
    buffer_points.array[withheld_bit[0]] |= withheld_bit[1]
    tile = laspy.LasData(las.header)
    tile.points = laspy.ScaleAwarePointRecord(
        np.concatenate([las.points[core].array, buffer_points.array]),
        las.header.point_format, las.header.scales, las.header.offsets)
    tile.write(os.path.join(out_dir, f"tile-{i}{ext}"))
print(len(tiles), "tiles")
