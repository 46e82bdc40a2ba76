#!/usr/bin/env python3
"""Writes test COGs with GDAL (gdal_translate -of COG) from deterministic rasters made with
rasterio: one per layout the cog crate must read. Usage: make_cogs.py DIR"""
import os
import subprocess
import sys

import numpy as np
import rasterio
from rasterio.transform import from_origin

out = sys.argv[1]
rng = np.random.default_rng(7)


def source(name, dtype, bands, width, height, nodata=None, zero_block=False, crs="EPSG:32633"):
    path = os.path.join(out, f"{name}.src.tif")
    if np.dtype(dtype).kind == "f":
        data = rng.normal(100, 30, size=(bands, height, width)).astype(dtype)
    else:
        # Smooth gradients plus noise: realistic for predictors.
        y, x = np.mgrid[0:height, 0:width]
        data = np.stack([((x * 7 + y * 3 + b * 50) % 4000 + rng.integers(0, 20, size=(height, width))) for b in range(bands)]).astype(dtype)
    if zero_block:
        data[:, : height // 2, : width // 2] = nodata if nodata is not None else 0
    profile = dict(driver="GTiff", width=width, height=height, count=bands, dtype=dtype,
                   crs=crs, transform=from_origin(600000.0, 5300000.0, 10.0, 10.0))
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


def masked_source(name, width, height):
    """A uint16 raster with an internal mask: an invalid disc in the middle."""
    path = os.path.join(out, f"{name}.src.tif")
    y, x = np.mgrid[0:height, 0:width]
    data = ((x * 5 + y) % 3000).astype("uint16")[None]
    mask = np.where((x - width / 2) ** 2 + (y - height / 2) ** 2 < (min(width, height) / 3) ** 2, 0, 255).astype("uint8")
    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="uint16", tiled=True,
                   crs="EPSG:32633", transform=from_origin(600000.0, 5300000.0, 10.0, 10.0))
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        dst.write_mask(mask)
    return path


def cog(name, src, *options):
    subprocess.run(["gdal_translate", "-q", "-of", "COG", *sum((["-co", o] for o in options), []), src,
                    os.path.join(out, f"{name}.tif")], check=True)


cog("deflate_pred2", source("a", "uint16", 1, 1100, 900), "COMPRESS=DEFLATE", "PREDICTOR=YES", "BLOCKSIZE=256")
# Same grid, other data and compression: windows over both list the tiles of each.
cog("same_grid_lzw", source("a2", "float32", 2, 1100, 900), "COMPRESS=LZW", "BLOCKSIZE=256")
cog("lzw_rgb", source("b", "uint8", 3, 700, 500), "COMPRESS=LZW", "BLOCKSIZE=128")
cog("zstd_float", source("c", "float32", 1, 600, 333), "COMPRESS=ZSTD", "PREDICTOR=YES", "BLOCKSIZE=256")
cog("zstd_float_bands", source("c2", "float32", 2, 300, 200), "COMPRESS=ZSTD", "PREDICTOR=YES", "BLOCKSIZE=128")
cog("bigtiff_int16", source("d", "int16", 2, 513, 257), "COMPRESS=DEFLATE", "BIGTIFF=YES", "BLOCKSIZE=128")
cog("sparse", source("e", "uint16", 1, 1024, 1024, nodata=0, zero_block=True), "COMPRESS=DEFLATE", "SPARSE_OK=TRUE", "BLOCKSIZE=256")
cog("plain_float64", source("f", "float64", 1, 300, 200), "COMPRESS=NONE", "BLOCKSIZE=128")
def smooth_rgb(name, width, height):
    """Smooth colours (JPEG's home ground: decoders may differ only by rounding)."""
    path = os.path.join(out, f"{name}.src.tif")
    y, x = np.mgrid[0:height, 0:width]
    data = np.stack([128 + 100 * np.sin(x / 40 + b) * np.cos(y / 55 - b) for b in range(3)]).astype("uint8")
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=3, dtype="uint8",
                       crs="EPSG:32633", transform=from_origin(600000.0, 5300000.0, 10.0, 10.0)) as dst:
        dst.write(data)
    return path


# A CRS with no EPSG code: it must survive into window GeoTIFFs through the GeoKeys.
cog("custom_crs", source("k", "int16", 1, 400, 300, crs="+proj=tmerc +lat_0=0 +lon_0=10.5 +k=0.9996 +x_0=500000 +y_0=0 +datum=WGS84 +units=m +no_defs"), "COMPRESS=DEFLATE", "BLOCKSIZE=128")
# CRSs without EPSG codes, one per projection method the manifest describes in WKT.
CUSTOM_CRS = {
    "sinusoidal_sphere": "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m",
    "albers_nad83": "+proj=aea +lat_0=23 +lon_0=-96 +lat_1=29.5 +lat_2=45.5 +x_0=0 +y_0=0 +datum=NAD83 +units=m",
    "lcc_2sp": "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +datum=WGS84 +units=m",
    "lcc_1sp": "+proj=lcc +lat_1=45 +lat_0=45 +lon_0=10 +k_0=0.99 +x_0=1 +y_0=2 +ellps=intl +units=m",
    "utm_bessel": "+proj=tmerc +lat_0=0 +lon_0=15 +k=0.9996 +x_0=500000 +y_0=0 +ellps=bessel +units=m",
    "tmerc_feet": "+proj=tmerc +lat_0=31 +lon_0=-110.1666666666667 +k=0.9999 +x_0=213360 +y_0=0 +datum=NAD83 +units=ft",
    "tmerc_us_feet": "+proj=tmerc +lat_0=0 +lon_0=15 +k=0.9996 +x_0=500000 +y_0=0 +ellps=WGS84 +units=us-ft",
    "polar_stereo_b": "+proj=stere +lat_0=-90 +lat_ts=-71 +lon_0=0 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m",
    "polar_stereo_a": "+proj=stere +lat_0=90 +lon_0=0 +k=0.994 +x_0=2000000 +y_0=2000000 +datum=WGS84 +units=m",
    "stereo": "+proj=stere +lat_0=52 +lon_0=5 +k=0.9999 +x_0=155000 +y_0=463000 +ellps=bessel +units=m",
    "oblique_stereo": "+proj=sterea +lat_0=52 +lon_0=5 +k=0.9999 +x_0=155000 +y_0=463000 +ellps=bessel +units=m",
    "laea": "+proj=laea +lat_0=45 +lon_0=-100 +x_0=0 +y_0=0 +ellps=WGS84 +units=m",
    "mercator_1sp": "+proj=merc +lon_0=10 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m",
    "mercator_2sp": "+proj=merc +lat_ts=30 +lon_0=10 +x_0=1 +y_0=2 +ellps=WGS84 +units=m",
    "equirectangular": "+proj=eqc +lat_ts=30 +lat_0=0 +lon_0=20 +x_0=0 +y_0=0 +datum=WGS84 +units=m",
    "cylindrical_equal_area": "+proj=cea +lat_ts=30 +lon_0=10 +x_0=1 +y_0=2 +ellps=WGS84 +units=m",
    "cassini": "+proj=cass +lat_0=10 +lon_0=-61 +x_0=1 +y_0=2 +ellps=clrk80ign +units=m",
    "azimuthal_equidistant": "+proj=aeqd +lat_0=10 +lon_0=-61 +x_0=1 +y_0=2 +ellps=WGS84 +units=m",
    "orthographic": "+proj=ortho +lat_0=10 +lon_0=-61 +x_0=1 +y_0=2 +ellps=WGS84 +units=m",
    "longlat_custom_ellipsoid": "+proj=longlat +a=6378000 +rf=300",
}
for name, crs in CUSTOM_CRS.items():
    cog(f"crs_{name}", source(f"crs_{name}", "uint16", 1, 200, 150, crs=crs), "COMPRESS=DEFLATE", "BLOCKSIZE=128")
cog("jpeg_rgb", smooth_rgb("h", 500, 300), "COMPRESS=JPEG", "QUALITY=90", "BLOCKSIZE=128")
cog("masked", masked_source("g", 700, 600), "COMPRESS=DEFLATE", "BLOCKSIZE=128")
