//! TIFF directory entries as written: the typed values of one tag, and the GeoTIFF tags that
//! carry a raster's georeferencing (shared by the window writer and the COG writer).

use crate::crs::GeoKeys;

/// One IFD entry: its tag, TIFF field type, value count and the values' little-endian bytes.
pub struct Entry {
    pub tag: u16,
    pub kind: u16,
    pub count: u64,
    pub data: Vec<u8>,
}

impl Entry {
    pub fn shorts(tag: u16, values: &[u16]) -> Entry {
        Entry::of(
            tag,
            3,
            values.len(),
            values.iter().flat_map(|v| v.to_le_bytes()),
        )
    }

    pub fn longs(tag: u16, values: &[u32]) -> Entry {
        Entry::of(
            tag,
            4,
            values.len(),
            values.iter().flat_map(|v| v.to_le_bytes()),
        )
    }

    /// BigTIFF's 64-bit unsigned values (offsets past 4 GiB).
    pub fn long8s(tag: u16, values: &[u64]) -> Entry {
        Entry::of(
            tag,
            16,
            values.len(),
            values.iter().flat_map(|v| v.to_le_bytes()),
        )
    }

    pub fn doubles(tag: u16, values: &[f64]) -> Entry {
        Entry::of(
            tag,
            12,
            values.len(),
            values.iter().flat_map(|v| v.to_le_bytes()),
        )
    }

    pub fn ascii(tag: u16, text: &str) -> Entry {
        let mut data = text.as_bytes().to_vec();
        data.push(0);
        Entry::of(tag, 2, data.len(), data)
    }

    fn of(tag: u16, kind: u16, count: usize, data: impl IntoIterator<Item = u8>) -> Entry {
        Entry {
            tag,
            kind,
            count: count as u64,
            data: data.into_iter().collect(),
        }
    }
}

/// The tags placing a raster: pixel scale and tie point (or the full transformation for a
/// rotated grid) and the GeoKeys: the source's own when given (a CRS without an EPSG code
/// survives), else keys naming `crs` when it is an EPSG code.
pub fn georeferencing(
    geotransform: &[f64; 6],
    crs: Option<&str>,
    geokeys: Option<&GeoKeys>,
) -> Vec<Entry> {
    let g = geotransform;
    let mut entries = Vec::new();
    if g[2] == 0.0 && g[4] == 0.0 {
        entries.push(Entry::doubles(33550, &[g[1], -g[5], 0.0]));
        entries.push(Entry::doubles(33922, &[0.0, 0.0, 0.0, g[0], g[3], 0.0]));
    } else {
        entries.push(Entry::doubles(
            34264,
            &[
                g[1], g[2], 0.0, g[0], g[4], g[5], 0.0, g[3], 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                1.0,
            ],
        ));
    }
    match geokeys {
        Some(geokeys) => {
            entries.push(Entry::shorts(34735, &geokeys.directory));
            if !geokeys.doubles.is_empty() {
                entries.push(Entry::doubles(34736, &geokeys.doubles));
            }
            if !geokeys.ascii.is_empty() {
                entries.push(Entry::ascii(34737, &geokeys.ascii));
            }
        }
        None => {
            let code = crs
                .and_then(|crs| crs.strip_prefix("EPSG:"))
                .and_then(|code| code.parse::<u16>().ok());
            let mut keys: Vec<u16> = vec![1, 1, 0, 0];
            let mut key = |id: u16, value: u16| keys.extend_from_slice(&[id, 0, 1, value]);
            // EPSG 4000-4999 are geographic coordinate systems; the rest, projected.
            let geographic = code.is_some_and(|code| (4000..5000).contains(&code));
            key(1024, if geographic { 2 } else { 1 });
            key(1025, 1);
            if let Some(code) = code {
                key(if geographic { 2048 } else { 3072 }, code);
            }
            keys[3] = (keys.len() as u16 - 4) / 4;
            entries.push(Entry::shorts(34735, &keys));
        }
    }
    entries
}

/// GDAL's nodata tag (ASCII, as GDAL writes it: `nan` for NaN).
pub fn nodata(value: f64) -> Entry {
    let text = if value.is_nan() {
        "nan".to_string()
    } else {
        format!("{value}")
    };
    Entry::ascii(42113, &text)
}
