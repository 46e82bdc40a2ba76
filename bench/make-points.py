"""A LAS 1.4 point format 6 cloud of uneven density (dense clusters over a sparse background),
with a WKT CRS VLR and an EVLR, and its LAZ twin. usage: make-points.py OUT.las POINTS"""

import sys

import laspy
import laspy.vlrs.vlrlist
import numpy as np

out, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(7)
background = n // 3
clusters = n - background
x = np.concatenate([rng.uniform(0, 4000, background), rng.normal(1200, 120, clusters // 2), rng.normal(2900, 200, clusters - clusters // 2)])
y = np.concatenate([rng.uniform(0, 3000, background), rng.normal(900, 150, clusters // 2), rng.normal(2000, 100, clusters - clusters // 2)])
order = np.argsort(np.floor(y / 25) * 10000 + x)  # flight-line-like file order
header = laspy.LasHeader(point_format=6, version="1.4")
header.scales = [0.01, 0.01, 0.01]
header.offsets = [500000.0, 4000000.0, 0.0]
wkt = 'PROJCS["WGS 84 / UTM zone 33N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["central_meridian",15],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],UNIT["metre",1],AUTHORITY["EPSG","32633"]]'
header.vlrs.append(laspy.vlrs.known.WktCoordinateSystemVlr(wkt))
header.global_encoding.wkt = True
las = laspy.LasData(header)
las.x = 500000.0 + x[order]
las.y = 4000000.0 + y[order]
las.z = rng.uniform(100, 400, n)
las.intensity = rng.integers(0, 4000, n, dtype=np.uint16)
las.return_number = np.ones(n, dtype=np.uint8)
las.number_of_returns = np.ones(n, dtype=np.uint8)
las.classification = rng.choice(np.array([1, 2, 5, 6], dtype=np.uint8), n)
las.gps_time = np.arange(n, dtype=np.float64) * 1e-5
las.evlrs = laspy.vlrs.vlrlist.VLRList([laspy.VLR(user_id="bench", record_id=1, description="an EVLR", record_data=b"x" * 1000)])
las.write(out)
las.write(out[:-4] + ".laz")
