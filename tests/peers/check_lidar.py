"""Checks lidar-tile's tiles of one or more inputs with laspy (an independent reader).

usage: check_lidar.py MANIFEST TILE_DIR UNBUFFERED_DIR INPUT...

For every tile in the manifest (TILE_DIR/<id>.las|.laz) and its unbuffered twin:
- laspy reads it; header point count, counts by return and bounds match the records;
  legacy counts are 0 for point formats 6-10; version, scales, offsets, global encoding
  (WKT bit) and point format equal the first input's;
- every VLR and EVLR of the input (but LASzip's and COPC's) is present byte for byte, and
  the tile record chunkwise/1 says how many points are core and buffer;
- the core points are exactly the input points in the tile's half-open core box, with their
  bytes unchanged; the buffer points are exactly those within the buffered box and outside
  the core, withheld set and otherwise unchanged;
- the unbuffered tiles together hold every input point exactly once, byte for byte
  (multisets of raw records), and points withheld in the input stay withheld.
Prints "ok ..." on success; raises on the first difference.
"""

import json
import os
import struct
import sys

import laspy
import numpy as np


def raw(las):
    """Raw point records as one bytes object per point (numpy void)."""
    array = las.points.array
    size = array.dtype.itemsize
    return np.frombuffer(array.tobytes(), dtype=f"V{size}")


def withheld_mask(point_format_id):
    return (15, 0x04) if point_format_id >= 6 else (15, 0x80)


def vlr_key(vlr):
    return (vlr.user_id.rstrip("\0"), vlr.record_id)


def vlr_bytes(vlr):
    return bytes(vlr.record_data_bytes()) if hasattr(vlr, "record_data_bytes") else bytes(vlr.record_data)


def raw_vlrs(path):
    """(user_id, record_id, full bytes) of each VLR and EVLR, read straight from the file."""
    with open(path, "rb") as f:
        data = f.read()
    header_size, point_data, nvlr = struct.unpack_from("<HII", data, 94)
    out = []
    at = header_size
    for _ in range(nvlr):
        user = data[at + 2 : at + 18].split(b"\0")[0].decode("latin-1")
        rid, length = struct.unpack_from("<HH", data, at + 18)
        out.append((user, rid, data[at : at + 54 + length]))
        at += 54 + length
    evlrs = []
    if data[24:26] == bytes([1, 4]):
        start, count = struct.unpack_from("<QI", data, 235)
        at = start
        for _ in range(count):
            user = data[at + 2 : at + 18].split(b"\0")[0].decode("latin-1")
            rid, length = struct.unpack_from("<HQ", data, at + 18)
            evlrs.append((user, rid, data[at : at + 60 + length]))
            at += 60 + length
    return out, evlrs


def copied(records):
    return [r for r in records if not (r[0] == "laszip encoded" or r[0] == "copc" or r[0] == "chunkwise")]


def check_header(path, las, source_header, point_format_id):
    h = las.header
    n = len(las.points)
    assert h.point_count == n, f"{path}: header counts {h.point_count}, file has {n}"
    assert h.version == source_header.version, f"{path}: version {h.version}"
    assert h.point_format.id == point_format_id, f"{path}: point format {h.point_format.id}"
    assert np.array_equal(h.scales, source_header.scales) and np.array_equal(h.offsets, source_header.offsets)
    assert int(h.global_encoding.value) == int(source_header.global_encoding.value), f"{path}: global encoding"
    if n:
        xyz = [las.x, las.y, las.z]
        for axis in range(3):
            lo, hi = float(np.min(xyz[axis])), float(np.max(xyz[axis]))
            assert abs(h.mins[axis] - lo) < 1e-9 * max(1, abs(lo)), f"{path}: min {axis} {h.mins[axis]} != {lo}"
            assert abs(h.maxs[axis] - hi) < 1e-9 * max(1, abs(hi)), f"{path}: max {axis} {h.maxs[axis]} != {hi}"
    returns = np.asarray(las.return_number)
    expected = [int(np.count_nonzero(returns == r)) for r in range(1, 16)]
    limit = 15 if point_format_id >= 6 else 5
    assert list(h.number_of_points_by_return[:limit]) == expected[:limit], f"{path}: counts by return"
    with open(path, "rb") as f:
        head = f.read(131)
    legacy_count = struct.unpack_from("<I", head, 107)[0]
    legacy_returns = struct.unpack_from("<5I", head, 111)
    if point_format_id >= 6:
        assert legacy_count == 0 and legacy_returns == (0,) * 5, f"{path}: legacy counts must be 0"
    else:
        assert legacy_count == n, f"{path}: legacy count {legacy_count} != {n}"


def main():
    manifest, tile_dir, unbuffered_dir, *inputs = sys.argv[1:]
    sources = [laspy.read(p) for p in inputs]
    first = sources[0]
    pf = first.header.point_format.id
    byte, bit = withheld_mask(pf)
    records = np.concatenate([raw(s) for s in sources])
    xs = np.concatenate([np.asarray(s.x) for s in sources])
    ys = np.concatenate([np.asarray(s.y) for s in sources])
    source_vlrs, source_evlrs = raw_vlrs(inputs[0])
    chunks = [json.loads(line) for line in open(manifest)]
    assert chunks or len(records) == 0, "empty manifest"
    pieces = []
    buffer_total = 0
    for chunk in chunks:
        d = chunk["detail"]
        names = [n for n in os.listdir(tile_dir) if n.startswith(chunk["id"] + ".")]
        assert len(names) == 1, f"tile {chunk['id']}: files {names}"
        path = os.path.join(tile_dir, names[0])
        tile = laspy.read(path)
        check_header(path, tile, first.header, pf)
        vlrs, evlrs = raw_vlrs(path)
        assert [v[2] for v in copied(vlrs)] == [v[2] for v in copied(source_vlrs)], f"{path}: VLRs differ"
        assert [v[2] for v in copied(evlrs)] == [v[2] for v in copied(source_evlrs)], f"{path}: EVLRs differ"
        record = [v for v in vlrs if v[0] == "chunkwise" and v[1] == 1]
        assert len(record) == 1, f"{path}: no tile record"
        version, core_n, buffer_n, distance = struct.unpack_from("<H6xQQd", record[0][2], 54)
        assert (version, core_n, buffer_n) == (1, d["core_points"], d["buffer_points"]), f"{path}: tile record {version} {core_n} {buffer_n}"
        assert core_n + buffer_n == len(tile.points)

        c, b = d["core"], d["buffered"]
        in_core = (xs >= c[0]) & (xs < c[2]) & (ys >= c[1]) & (ys < c[3])
        in_buffered = (xs >= b[0]) & (xs < b[2]) & (ys >= b[1]) & (ys < b[3])
        if distance == 0:
            assert buffer_n == 0, f"{path}: {buffer_n} buffer points with no buffer"
        got = raw(tile)
        assert np.array_equal(np.sort(got[:core_n]), np.sort(records[in_core])), f"{path}: core points differ"
        expected_buffer = records[in_buffered & ~in_core].copy()
        flagged = np.frombuffer(expected_buffer.tobytes(), dtype=np.uint8).reshape(len(expected_buffer), records.dtype.itemsize).copy()
        flagged[:, byte] |= bit
        expected_buffer = np.frombuffer(flagged.tobytes(), dtype=records.dtype)
        assert np.array_equal(np.sort(got[core_n:]), np.sort(expected_buffer)), f"{path}: buffer points differ"
        buffer_total += buffer_n

        unbuffered_path = os.path.join(unbuffered_dir, names[0])
        core = laspy.read(unbuffered_path)
        check_header(unbuffered_path, core, first.header, pf)
        vlrs, evlrs = raw_vlrs(unbuffered_path)
        assert not [v for v in vlrs if v[0] == "chunkwise"], f"{unbuffered_path}: tile record left"
        assert [v[2] for v in copied(vlrs)] == [v[2] for v in copied(source_vlrs)]
        pieces.append(raw(core))
    union = np.sort(np.concatenate(pieces)) if pieces else records[:0]
    assert len(union) == len(records), f"unbuffered tiles hold {len(union)} points, inputs {len(records)}"
    assert np.array_equal(union, np.sort(records)), "unbuffered tiles differ from the inputs"
    withheld = int(np.count_nonzero(np.frombuffer(records.tobytes(), dtype=np.uint8).reshape(len(records), records.dtype.itemsize)[:, byte] & bit)) if len(records) else 0
    print(f"ok {len(chunks)} tiles, {len(records)} points, {buffer_total} buffer, {withheld} withheld in input")


if __name__ == "__main__":
    main()
