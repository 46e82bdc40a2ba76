#!/usr/bin/env python3
"""The per-chunk programs and the whole-area references of the raster-merge tests, with numpy
and rasterio (laspy for LiDAR), plus the checks of a merged COG (rio-cogeo, gdalinfo).

  make DIR                 two uint16 COGs (red.tif, nir.tif) and a float32 one (dem.tif)
  ndvi | focal             a window GeoTIFF on stdin -> float32 GeoTIFF on stdout
  grid                     a LAS tile on stdin (its chunk in CHUNK_JSON) -> min-z GeoTIFF
  check-ndvi RED NIR MERGED | check-focal DEM MERGED | check-grid LAS MERGED
                           compare with the same computation over the whole area; print ok
"""
import io
import json
import os
import subprocess
import sys

import numpy as np
import rasterio
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

NODATA = -9999.0


def make(out):
    rng = np.random.default_rng(11)
    height, width = 1100, 1500
    y, x = np.mgrid[0:height, 0:width]
    red = (1000 + (x * 3 + y * 2) % 2000 + rng.integers(0, 300, size=(height, width))).astype("uint16")
    nir = (2500 + (x * 5 - y) % 3000 + rng.integers(0, 300, size=(height, width))).astype("uint16")
    # Where both are 0, NDVI is undefined: nodata in every computation.
    red[100:140, 700:760] = 0
    nir[100:140, 700:760] = 0
    dem = (200 + 50 * np.sin(x / 90.0) * np.cos(y / 70.0) + rng.normal(0, 2, size=(height, width))).astype("float32")
    for name, data in [("red", red), ("nir", nir), ("dem", dem)]:
        with rasterio.open(os.path.join(out, f"{name}.tif"), "w", driver="COG", width=width,
                           height=height, count=1, dtype=data.dtype, crs="EPSG:32633",
                           transform=from_origin(600000.0, 5300000.0, 10.0, 10.0),
                           blocksize=256, compress="deflate") as dst:
            dst.write(data, 1)


def ndvi_of(red, nir):
    red = red.astype("float32")
    nir = nir.astype("float32")
    total = nir + red
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (nir - red) / total
    out[total == 0] = NODATA
    return out.astype("float32")


def focal_of(dem):
    """3x3 mean; pixels without all 8 neighbours are nodata."""
    out = np.full(dem.shape, NODATA, dtype="float32")
    h, w = dem.shape
    acc = np.zeros((h - 2, w - 2), dtype="float32")
    for dy in range(3):
        for dx in range(3):
            acc = acc + dem[dy:dy + h - 2, dx:dx + w - 2]
    out[1:-1, 1:-1] = acc / np.float32(9)
    return out


def write_tiff(data, transform, crs):
    with MemoryFile() as memory:
        with memory.open(driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                         dtype=data.dtype, crs=crs, transform=transform, nodata=NODATA) as dst:
            dst.write(data, 1)
        sys.stdout.buffer.write(memory.read())


def window():
    with MemoryFile(sys.stdin.buffer.read()) as memory, memory.open() as src:
        return src.read(), src.transform, src.crs


def cells(x, y, box):
    """1 m cells on the whole-metre lattice meeting box [x0, y0, x1, y1]: (i0, j0, i1, j1)."""
    return (int(np.floor(box[0])), int(np.floor(box[1])), int(np.floor(box[2])) + 1,
            int(np.floor(box[3])) + 1)


def min_z(x, y, z, box):
    i0, j0, i1, j1 = cells(x, y, box)
    width, height = i1 - i0, j1 - j0
    i = np.floor(x).astype(np.int64)
    j = np.floor(y).astype(np.int64)
    inside = (i >= i0) & (i < i1) & (j >= j0) & (j < j1)
    flat = (j1 - 1 - j[inside]) * width + (i[inside] - i0)
    grid = np.full(width * height, np.inf)
    np.minimum.at(grid, flat, z[inside])
    grid[np.isinf(grid)] = NODATA
    return grid.reshape(height, width), from_origin(i0, j1, 1.0, 1.0)


def read_las(data):
    import laspy
    las = laspy.read(io.BytesIO(data))
    return np.asarray(las.x), np.asarray(las.y), np.asarray(las.z), las.header.parse_crs()


def grid():
    x, y, z, crs = read_las(sys.stdin.buffer.read())
    box = json.loads(os.environ["CHUNK_JSON"])["detail"]["buffered"]
    data, transform = min_z(x, y, z, box)
    write_tiff(data, transform, crs or "EPSG:2992")


def check_cog(merged, like):
    """The merged file is a valid COG with the reference's geotransform, CRS and nodata."""
    from rio_cogeo.cogeo import cog_validate
    valid, errors, warnings = cog_validate(merged, strict=True)
    assert valid and not errors and not warnings, (errors, warnings)
    info = json.loads(subprocess.run(["gdalinfo", "-json", merged], check=True,
                                     capture_output=True).stdout)
    assert info["geoTransform"] == list(like.transform.to_gdal()), (info["geoTransform"], like.transform)
    assert rasterio.crs.CRS.from_wkt(info["coordinateSystem"]["wkt"]) == like.crs, info["coordinateSystem"]
    assert info["bands"][0]["noDataValue"] == NODATA, info["bands"][0]
    assert info["bands"][0].get("overviews"), "no overviews"


def compare(merged, expected, region=None):
    with rasterio.open(merged) as m:
        got = m.read(1)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if region is not None:
        got, expected = got[region], expected[region]
    # Bit for bit (NaN included).
    differ = int(np.count_nonzero(got.view(np.uint32) != expected.view(np.uint32)))
    assert differ == 0, f"{differ} of {got.size} pixels differ"
    return got.size


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "make":
        make(args[0])
    elif command == "ndvi":
        bands, transform, crs = window()
        write_tiff(ndvi_of(bands[0], bands[1]), transform, crs)
    elif command == "focal":
        bands, transform, crs = window()
        write_tiff(focal_of(bands[0]), transform, crs)
    elif command == "grid":
        grid()
    elif command == "check-ndvi":
        with rasterio.open(args[0]) as red, rasterio.open(args[1]) as nir:
            expected = ndvi_of(red.read(1), nir.read(1))
            check_cog(args[2], red)
        print(f"ok {compare(args[2], expected)} pixels equal the whole-image NDVI")
    elif command == "check-focal":
        with rasterio.open(args[0]) as dem:
            expected = focal_of(dem.read(1))
            check_cog(args[1], dem)
        inner = (slice(1, -1), slice(1, -1))
        n = compare(args[1], expected, inner)
        edges = compare(args[1], expected)
        print(f"ok {n} pixels away from the edge (and all {edges}) equal the whole-image 3x3 mean")
    elif command == "check-grid":
        with open(args[0], "rb") as f:
            x, y, z, _ = read_las(f.read())
        whole, transform = min_z(x, y, z, [x.min(), y.min(), x.max(), y.max()])
        with rasterio.open(args[1]) as m:
            got = m.read(1)
            t = m.transform
        # The whole grid placed on the merged one (both on the whole-metre lattice).
        col = int(round((transform.c - t.c) / t.a))
        row = int(round((t.f - transform.f) / -t.e))
        expected = np.full(got.shape, NODATA)
        h, w = whole.shape
        assert 0 <= row and 0 <= col and row + h <= got.shape[0] and col + w <= got.shape[1], (row, col, whole.shape, got.shape)
        expected[row:row + h, col:col + w] = whole
        cells_with_points = int(np.count_nonzero(whole != NODATA))
        assert np.array_equal(got, expected), f"{int(np.count_nonzero(got != expected))} of {got.size} cells differ"
        print(f"ok {got.size} cells ({cells_with_points} with points) equal the whole-cloud min-z grid")
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
