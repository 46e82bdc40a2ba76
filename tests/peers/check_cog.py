#!/usr/bin/env python3
"""Checks a cog-windows manifest against rasterio/GDAL: every tile's offset and byte count equal
GDAL's BLOCK_OFFSET/BLOCK_SIZE, every window's transform equals rasterio's window_transform,
and every window read by `cog-windows cat` equals rasterio's read of it.
Usage: check_cog.py COG MANIFEST CAT_BINARY"""
import json
import subprocess
import sys

import numpy as np
import rasterio
from rasterio.windows import Window

path, manifest, binary = sys.argv[1:4]
chunks = [json.loads(line) for line in open(manifest)]
with rasterio.open(path) as src:
    checked_tiles = 0
    for chunk in chunks:
        detail = chunk["detail"]
        level = detail["overview"]
        for tile in detail["tiles"]:
            bidx = tile.get("band", 0) + 1
            kwargs = {"bidx": bidx} if level == 0 else {"bidx": bidx, "ovr": level - 1}
            offset = src.get_tag_item(f"BLOCK_OFFSET_{tile['col']}_{tile['row']}", "TIFF", **kwargs)
            size = src.get_tag_item(f"BLOCK_SIZE_{tile['col']}_{tile['row']}", "TIFF", **kwargs)
            expected = (int(offset or 0), int(size or 0))
            assert (tile["offset"], tile["bytes"]) == expected, (path, tile, expected)
            checked_tiles += 1
        col, row, width, height = detail["read_window"]
        window = Window(col, row, width, height)
        if level == 0:
            transform = src.window_transform(window)
            assert np.allclose(detail["geotransform"], transform.to_gdal()), (detail["geotransform"], transform.to_gdal())
            assert detail["crs"] == src.crs.to_string(), (detail["crs"], src.crs.to_string())
            expected = src.read(window=window)
        else:
            with rasterio.open(path, overview_level=level - 1) as overview:
                expected = overview.read(window=window)
        raw = subprocess.run([binary, "cat", "-q", manifest, "--id", chunk["id"]], check=True, capture_output=True).stdout
        actual = np.frombuffer(raw, dtype=expected.dtype.newbyteorder("<")).reshape(expected.shape)
        assert np.array_equal(actual, expected, equal_nan=True), (path, chunk["id"])
print(f"ok {len(chunks)} windows {checked_tiles} tiles")
