//! Writing a window as a small GeoTIFF: uncompressed, one strip per band, with the window's
//! geotransform, its EPSG code and nodata, so GDAL, rasterio and QGIS read it in place.

use partition_core::{Error, Result};

use crate::crs::GeoKeys;
use crate::image::DataType;

/// A window to write: its samples (band after band, little-endian) and georeferencing.
pub struct GeoTiff<'a> {
    pub samples: &'a [u8],
    pub width: u64,
    pub height: u64,
    pub bands: u64,
    pub dtype: DataType,
    pub geotransform: Option<[f64; 6]>,
    pub crs: Option<&'a str>,
    /// The source's GeoKeys: copied as they are, they keep a CRS that has no EPSG code.
    pub geokeys: Option<&'a GeoKeys>,
    pub nodata: Option<f64>,
}

/// The bytes of a GeoTIFF holding the window.
pub fn encode(window: &GeoTiff) -> Result<Vec<u8>> {
    let GeoTiff {
        samples,
        width,
        height,
        bands,
        dtype,
        geotransform,
        crs,
        geokeys,
        nodata,
    } = *window;
    let band_bytes = width * height * dtype.bytes() as u64;
    if samples.len() as u64 != band_bytes * bands
        || width > u32::MAX as u64
        || height > u32::MAX as u64
    {
        return Err(Error::Failed(
            "window samples do not match its shape".to_string(),
        ));
    }
    let (format, bits) = match dtype {
        DataType::Uint8 => (1, 8),
        DataType::Int8 => (2, 8),
        DataType::Uint16 => (1, 16),
        DataType::Int16 => (2, 16),
        DataType::Uint32 => (1, 32),
        DataType::Int32 => (2, 32),
        DataType::Uint64 => (1, 64),
        DataType::Int64 => (2, 64),
        DataType::Float32 => (3, 32),
        DataType::Float64 => (3, 64),
    };
    let bands_u32 = bands as u32;
    let mut entries: Vec<Entry> = vec![
        Entry::longs(256, &[width as u32]),
        Entry::longs(257, &[height as u32]),
        Entry::shorts(258, &vec![bits; bands as usize]),
        Entry::shorts(259, &[1]),
        Entry::shorts(262, &[1]),
        Entry::longs(273, &vec![0; bands as usize]), // strip offsets, patched below
        Entry::shorts(277, &[bands_u32 as u16]),
        Entry::longs(278, &[height as u32]),
        Entry::longs(279, &vec![band_bytes as u32; bands as usize]),
        Entry::shorts(284, &[2]),
        Entry::shorts(339, &vec![format; bands as usize]),
    ];
    if bands > 1 {
        // Bands beyond the first are plain data, not alpha.
        entries.push(Entry::shorts(338, &vec![0; bands as usize - 1]));
    }
    if let Some(g) = geotransform {
        if g[2] == 0.0 && g[4] == 0.0 {
            entries.push(Entry::doubles(33550, &[g[1], -g[5], 0.0]));
            entries.push(Entry::doubles(33922, &[0.0, 0.0, 0.0, g[0], g[3], 0.0]));
        } else {
            entries.push(Entry::doubles(
                34264,
                &[
                    g[1], g[2], 0.0, g[0], g[4], g[5], 0.0, g[3], 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                    0.0, 1.0,
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
    }
    if let Some(nodata) = nodata {
        entries.push(Entry::ascii(42113, &format!("{nodata}")));
    }
    entries.sort_by_key(|entry| entry.tag);

    // Header, IFD, out-of-line values, then the strips.
    let ifd_at = 8u32;
    let ifd_size = 2 + entries.len() as u32 * 12 + 4;
    let mut extra = Vec::new();
    let extra_at = ifd_at + ifd_size;
    let data_at = extra_at
        + entries
            .iter()
            .map(|e| {
                if e.data.len() > 4 {
                    (e.data.len() as u32 + 1) & !1
                } else {
                    0
                }
            })
            .sum::<u32>();
    let strip_offsets: Vec<u32> = (0..bands_u32)
        .map(|b| data_at + b * band_bytes as u32)
        .collect();
    if data_at as u64 + band_bytes * bands > u32::MAX as u64 {
        return Err(Error::Usage(
            "window too large for a classic GeoTIFF; write it as raw samples instead".to_string(),
        ));
    }
    let mut out = Vec::with_capacity(data_at as usize + samples.len());
    out.extend_from_slice(b"II");
    out.extend_from_slice(&42u16.to_le_bytes());
    out.extend_from_slice(&ifd_at.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for entry in &mut entries {
        if entry.tag == 273 {
            *entry = Entry::longs(273, &strip_offsets);
        }
        out.extend_from_slice(&entry.tag.to_le_bytes());
        out.extend_from_slice(&entry.kind.to_le_bytes());
        out.extend_from_slice(&entry.count.to_le_bytes());
        if entry.data.len() <= 4 {
            let mut inline = entry.data.clone();
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&(extra_at + extra.len() as u32).to_le_bytes());
            extra.extend_from_slice(&entry.data);
            if extra.len() % 2 == 1 {
                extra.push(0);
            }
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&extra);
    debug_assert_eq!(out.len() as u32, data_at);
    out.extend_from_slice(samples);
    Ok(out)
}

struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    data: Vec<u8>,
}

impl Entry {
    fn shorts(tag: u16, values: &[u16]) -> Entry {
        Entry {
            tag,
            kind: 3,
            count: values.len() as u32,
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    fn longs(tag: u16, values: &[u32]) -> Entry {
        Entry {
            tag,
            kind: 4,
            count: values.len() as u32,
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    fn doubles(tag: u16, values: &[f64]) -> Entry {
        Entry {
            tag,
            kind: 12,
            count: values.len() as u32,
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    fn ascii(tag: u16, text: &str) -> Entry {
        let mut data = text.as_bytes().to_vec();
        data.push(0);
        Entry {
            tag,
            kind: 2,
            count: data.len() as u32,
            data,
        }
    }
}
