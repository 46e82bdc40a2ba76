"""The Python baseline for bench/lidar: numpy + laspy (+ lazrs for LAZ), the algorithm the
issue and ../shared/notes/lidar.md name, that of PDAL filters.chipper and the CloudButton
partitioner: sort x and y, split recursively on the wider axis into equal counts, buffer b
flagged withheld, one file per tile. With --select, each cut finds its value with
np.partition instead of reading it off the sorted orders: a faster baseline than the one
asked for, run beside it so that the figures show both.
usage: lidar-baseline.py [--select] INPUT OUT_DIR MAX_POINTS BUFFER EXT"""

import math
import os
import sys

import laspy
import numpy as np

args = sys.argv[1:]
select = args[0] == "--select"
if select:
    args = args[1:]
source, out_dir, max_points, buffer, ext = args[0], args[1], int(args[2]), float(args[3]), args[4]
las = laspy.read(source)
x, y = np.asarray(las.x), np.asarray(las.y)
coordinates = (x, y)
tiles = []


def shares(n):
    """The low side's point count: its share of the tiles."""
    k = math.ceil(n / max_points)
    return n * (k // 2) // k


def boxes(box, axis, at):
    low, high = list(box), list(box)
    low[axis + 2] = at
    high[axis] = at
    return low, high


def split_sorted(by_x, by_y, box):
    """A cell given as its points in x order and in y order."""
    n = len(by_x)
    if n <= max_points:
        tiles.append(box)
        return
    axis = 1 if y[by_y[-1]] - y[by_y[0]] > x[by_x[-1]] - x[by_x[0]] else 0
    order, other = (by_y, by_x) if axis else (by_x, by_y)
    values = coordinates[axis][order]
    at = values[shares(n)]
    low = np.searchsorted(values, at, side="left")
    # The other order keeps its sorting: filter it by side.
    in_low[order[:low]] = True
    other_low = in_low[other]
    in_low[order[:low]] = False
    low_box, high_box = boxes(box, axis, at)
    sides = ((order[:low], other[other_low]), (order[low:], other[~other_low]))
    for (mine, others), side_box in zip(sides, (low_box, high_box)):
        split_sorted(*((others, mine) if axis else (mine, others)), side_box)


def split_selected(index, box):
    n = len(index)
    if n <= max_points:
        tiles.append(box)
        return
    xs, ys = x[index], y[index]
    axis = 1 if ys.max() - ys.min() > xs.max() - xs.min() else 0
    values = ys if axis else xs
    at = np.partition(values, shares(n))[shares(n)]
    low = values < at
    low_box, high_box = boxes(box, axis, at)
    split_selected(index[low], low_box)
    split_selected(index[~low], high_box)


extent = [x.min(), y.min(), np.nextafter(x.max(), np.inf), np.nextafter(y.max(), np.inf)]
if select:
    split_selected(np.arange(len(x)), extent)
else:
    in_low = np.zeros(len(x), dtype=bool)
    split_sorted(np.argsort(x, kind="stable"), np.argsort(y, kind="stable"), extent)
withheld_bit = ("classification_flags", 0x04) if las.header.point_format.id >= 6 else ("raw_classification", 0x80)
for i, (x0, y0, x1, y1) in enumerate(tiles):
    core = (x >= x0) & (x < x1) & (y >= y0) & (y < y1)
    buffered = (x >= x0 - buffer) & (x < x1 + buffer) & (y >= y0 - buffer) & (y < y1 + buffer)
    buffer_points = las.points[buffered & ~core].copy()
    buffer_points.array[withheld_bit[0]] |= withheld_bit[1]
    tile = laspy.LasData(las.header)
    tile.points = laspy.ScaleAwarePointRecord(
        np.concatenate([las.points[core].array, buffer_points.array]),
        las.header.point_format, las.header.scales, las.header.offsets)
    tile.write(os.path.join(out_dir, f"tile-{i}{ext}"))
print(len(tiles), "tiles")
