//! Writing a window as a small GeoTIFF: uncompressed, one strip per band, with the window's
//! geotransform, its EPSG code and nodata, so GDAL, rasterio and QGIS read it in place.

use partition_core::{Error, Result};

use crate::crs::GeoKeys;
use crate::image::DataType;
use crate::tags::{self, Entry};

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
    let (format, bits) = (dtype.sample_format(), dtype.bytes() as u16 * 8);
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
    if let Some(geotransform) = geotransform {
        entries.extend(tags::georeferencing(&geotransform, crs, geokeys));
    }
    if let Some(nodata) = nodata {
        entries.push(tags::nodata(nodata));
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
        out.extend_from_slice(&(entry.count as u32).to_le_bytes());
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
