#!/usr/bin/env python3
"""Checks a cog-windows manifest against rasterio/GDAL: every tile's offset and byte count equal
GDAL's BLOCK_OFFSET/BLOCK_SIZE, every window's transform and CRS equal rasterio's, and every
window read by `cog-windows cat` equals rasterio's reads of it (the inputs' bands in order).
Usage: check_cog.py MANIFEST CAT_BINARY"""
import json
import math
import subprocess
import sys

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.windows import Window


def same_parameters(a, b):
    """The same PROJ parameters, numbers equal to 12 digits (a false easting of 500,000 m
    stored in US survey feet comes back as 500000.000000001)."""
    a, b = a.to_dict(), b.to_dict()
    return a.keys() == b.keys() and all(
        math.isclose(a[k], b[k], rel_tol=1e-12, abs_tol=1e-9) if isinstance(a[k], (int, float)) and isinstance(b[k], (int, float)) else a[k] == b[k]
        for k in a)

manifest, binary = sys.argv[1:3]
chunks = [json.loads(line) for line in open(manifest)]
checked_tiles = 0
for chunk in chunks:
    detail = chunk["detail"]
    level = detail["overview"]
    col, row, width, height = detail["read_window"]
    window = Window(col, row, width, height)
    expected = []
    for source, layer in zip(chunk["sources"], detail["layers"]):
        path = source["url"]
        with rasterio.open(path) as src:
            for tile in layer["tiles"]:
                bidx = tile.get("band", 0) + 1
                kwargs = {"bidx": bidx} if level == 0 else {"bidx": bidx, "ovr": level - 1}
                offset = src.get_tag_item(f"BLOCK_OFFSET_{tile['col']}_{tile['row']}", "TIFF", **kwargs)
                size = src.get_tag_item(f"BLOCK_SIZE_{tile['col']}_{tile['row']}", "TIFF", **kwargs)
                assert (tile["offset"], tile["bytes"]) == (int(offset or 0), int(size or 0)), (path, tile, offset, size)
                checked_tiles += 1
            if level == 0:
                transform = src.window_transform(window)
                assert np.allclose(detail["geotransform"], transform.to_gdal()), (detail["geotransform"], transform.to_gdal())
                # An EPSG code when the file names one, else WKT for the same CRS.
                crs = detail.get("crs")
                assert crs, (path, src.crs.to_wkt())
                if crs.startswith("EPSG:"):
                    assert crs == f"EPSG:{src.crs.to_epsg()}", (crs, src.crs.to_string())
                else:
                    ours = CRS.from_wkt(crs)
                    assert ours == src.crs and same_parameters(ours, src.crs), (crs, src.crs.to_wkt())
                data = src.read(window=window)
        if level > 0:
            with rasterio.open(path, overview_level=level - 1) as overview:
                data = overview.read(window=window)
        expected.append(data.astype(data.dtype.newbyteorder("<")).tobytes())
    raw = subprocess.run([binary, "cat", "-q", "--raw", manifest, "--id", chunk["id"]], check=True, capture_output=True).stdout
    if any(layer["compression"] == "jpeg" for layer in detail["layers"]):
        # Lossy: decoders may differ by rounding and chroma upsampling, not more.
        ours = np.frombuffer(raw, dtype="uint8").astype(int)
        theirs = np.frombuffer(b"".join(expected), dtype="uint8").astype(int)
        assert ours.shape == theirs.shape, (chunk["id"], ours.shape, theirs.shape)
        difference = np.abs(ours - theirs)
        assert difference.mean() < 1 and np.percentile(difference, 99) <= 6, (chunk["id"], difference.mean(), np.percentile(difference, 99))
        expected = [raw]
    else:
        assert raw == b"".join(expected), (chunk["id"], len(raw), sum(map(len, expected)))
    if all("mask" in layer for layer in detail["layers"]) and level == 0:
        # Masks: the mask tiles' ranges, and the decoded mask equal to GDAL's.
        masks = subprocess.run([binary, "cat", "-q", "--mask", manifest, "--id", chunk["id"]], check=True, capture_output=True).stdout
        expected_masks = b""
        for source in chunk["sources"]:
            with rasterio.open(source["url"]) as src:
                expected_masks += src.read_masks(1, window=window).astype("uint8").tobytes()
        assert masks == expected_masks, (chunk["id"], "mask")
    dtypes = {layer["dtype"] for layer in detail["layers"]}
    if len(dtypes) == 1 and level == 0:
        # The GeoTIFF output: same samples, the window's transform, the source's CRS and nodata.
        tiff = subprocess.run([binary, "cat", "-q", manifest, "--id", chunk["id"]], check=True, capture_output=True).stdout
        with rasterio.MemoryFile(tiff) as memory, memory.open() as written, rasterio.open(chunk["sources"][0]["url"]) as src:
            assert written.read().tobytes() == b"".join(expected), chunk["id"]
            assert np.allclose(written.transform.to_gdal(), src.window_transform(window).to_gdal()), (written.transform, chunk["id"])
            assert written.crs == src.crs, (written.crs, src.crs)
            assert written.nodata == src.nodata or (written.nodata is None and src.nodata is None), (written.nodata, src.nodata)
print(f"ok {len(chunks)} windows {checked_tiles} tiles")
