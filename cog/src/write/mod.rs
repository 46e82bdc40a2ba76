//! Writing one Cloud-Optimized GeoTIFF from rows, a band of tile rows at a time.
//!
//! A COG keeps every IFD before any tile data, yet a tile's offset and size are known only once
//! the tiles before it are compressed. So [`CogWriter`] compresses each band of tiles as it
//! comes (on every core), appends them to one spool file per level (full resolution and each
//! overview, halved from the level above as its rows arrive), and [`CogWriter::finish`] then
//! writes header, IFDs and the spooled tiles in COG order. Memory holds one band of tile rows
//! per level, whatever the image size. Hand-written because the TIFF encoders of the ecosystem
//! (the `tiff` crate among them) write each IFD after its image data, and no COG writer exists
//! as a crate.
//!
//! - [`tile`]: a tile cut from a band, predictor and compression.
//! - [`overview`]: halving a level into the next.
//! - [`layout`]: the file: header, GDAL's ghost header, IFDs, tile data smallest overview first.

pub mod layout;
pub mod overview;
pub mod tile;

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use partition_core::{Error, Result};
use rayon::prelude::*;

use crate::crs::GeoKeys;
use crate::image::DataType;
pub use overview::Resampling;
pub use tile::TileCompression;

/// What a COG holds and how it is stored.
#[derive(Debug, Clone)]
pub struct CogSpec {
    pub width: u64,
    pub height: u64,
    pub bands: u64,
    pub dtype: DataType,
    /// `None` for an image without georeferencing.
    pub geotransform: Option<[f64; 6]>,
    pub crs: Option<String>,
    pub geokeys: Option<GeoKeys>,
    pub nodata: Option<f64>,
    /// Tile width and height, a multiple of 16.
    pub tile_size: u64,
    pub compression: TileCompression,
    /// `None`: no overviews.
    pub overviews: Option<Resampling>,
}

impl CogSpec {
    /// One pixel of the fill value: nodata, or 0 without one.
    pub fn fill_pixel(&self) -> Vec<u8> {
        self.dtype
            .encode(self.nodata.unwrap_or(0.0))
            .repeat(self.bands as usize)
    }

    pub fn pixel_bytes(&self) -> usize {
        self.bands as usize * self.dtype.bytes()
    }

    /// The size of each level: the full resolution, then overviews halving it until it fits
    /// in one tile, as GDAL's COG driver makes them.
    pub fn level_sizes(&self) -> Vec<(u64, u64)> {
        let mut sizes = vec![(self.width, self.height)];
        if self.overviews.is_some() {
            while let Some(&(w, h)) = sizes
                .last()
                .filter(|(w, h)| (*w > self.tile_size || *h > self.tile_size) && (*w > 1 || *h > 1))
            {
                sizes.push((w.div_ceil(2), h.div_ceil(2)));
            }
        }
        sizes
    }
}

/// One level's tiles so far, in row-major order in its spool file.
struct Level {
    width: u64,
    height: u64,
    /// Rows received, and rows waiting for a full band.
    rows_done: u64,
    pending: Vec<u8>,
    /// Bytes of tiles sent to this level's spool file.
    spooled: u64,
    /// Each tile's offset in the spool and its size.
    tiles: Vec<(u64, u64)>,
}

/// Streams rows into a COG; see the module documentation.
pub struct CogWriter {
    spec: CogSpec,
    levels: Vec<Level>,
    fill: Vec<u8>,
    spooler: Spooler,
}

/// What a written COG holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenCog {
    pub bytes: u64,
    pub tiles: u64,
    pub overviews: u64,
    pub bigtiff: bool,
}

impl CogWriter {
    /// A writer spooling into temporary files under `spool_dir` (the system's by default).
    pub fn new(spec: CogSpec, spool_dir: Option<&Path>) -> Result<CogWriter> {
        if spec.tile_size == 0 || !spec.tile_size.is_multiple_of(16) || spec.tile_size > 65536 {
            return Err(Error::Usage(format!(
                "tile size {}: TIFF tiles are a multiple of 16 pixels, up to 65536",
                spec.tile_size
            )));
        }
        if spec.width == 0 || spec.height == 0 || spec.bands == 0 {
            return Err(Error::Usage(
                "a COG needs at least one pixel and one band".into(),
            ));
        }
        let levels: Vec<Level> = spec
            .level_sizes()
            .into_iter()
            .map(|(width, height)| Level {
                width,
                height,
                rows_done: 0,
                pending: Vec::new(),
                spooled: 0,
                tiles: Vec::new(),
            })
            .collect();
        let spooler = Spooler::start(levels.len(), spool_dir)?;
        Ok(CogWriter {
            fill: spec.fill_pixel(),
            spec,
            levels,
            spooler,
        })
    }

    /// The rows of the next band of the full resolution: the tile size, fewer for the last.
    pub fn next_band_rows(&self) -> u64 {
        let level = &self.levels[0];
        self.spec.tile_size.min(level.height - level.rows_done)
    }

    /// Adds the next band of full-resolution rows (pixel-interleaved little-endian samples,
    /// [`Self::next_band_rows`] rows of the image's width).
    pub fn push_band(&mut self, rows: Vec<u8>) -> Result<()> {
        let expected =
            self.next_band_rows() as usize * self.spec.width as usize * self.spec.pixel_bytes();
        if rows.len() != expected || expected == 0 {
            return Err(Error::Failed(format!(
                "COG writer: a band of {} bytes where {expected} were due",
                rows.len()
            )));
        }
        self.push_level(0, rows)
    }

    /// Adds rows to `level`: a whole band is tiled and spooled, then halved into the next.
    fn push_level(&mut self, index: usize, rows: Vec<u8>) -> Result<()> {
        let pixel = self.spec.pixel_bytes();
        let level = &mut self.levels[index];
        let row_bytes = level.width as usize * pixel;
        if level.pending.is_empty() {
            level.pending = rows;
        } else {
            level.pending.extend_from_slice(&rows);
        }
        let band_rows = self.spec.tile_size.min(level.height - level.rows_done) as usize;
        if level.pending.len() < band_rows * row_bytes {
            return Ok(());
        }
        let band = std::mem::take(&mut level.pending);
        debug_assert_eq!(band.len(), band_rows * row_bytes);
        level.rows_done += band_rows as u64;
        self.spool_band(index, &band)?;
        if index + 1 < self.levels.len() {
            // Pairs of rows halve independently: on every core.
            let halved = band
                .par_chunks(2 * row_bytes)
                .map(|pair| {
                    overview::halve(
                        pair,
                        self.levels[index].width as usize,
                        self.spec.bands as usize,
                        self.spec.dtype,
                        self.spec.nodata,
                        self.spec.overviews.unwrap_or(Resampling::Nearest),
                    )
                })
                .collect::<Vec<_>>()
                .concat();
            self.push_level(index + 1, halved)?;
        }
        Ok(())
    }

    /// Compresses a band's tiles on every core and appends them to the level's spool.
    fn spool_band(&mut self, index: usize, band: &[u8]) -> Result<()> {
        let spec = &self.spec;
        let level = &mut self.levels[index];
        let width = level.width as usize;
        let tile = spec.tile_size as usize;
        let fill = &self.fill;
        let tiles: Vec<Vec<u8>> = (0..width.div_ceil(tile))
            .into_par_iter()
            .map_init(
                || tile::TileEncoder::new(spec.compression, spec.dtype, spec.bands as usize, tile),
                |encoder, i| encoder.encode(band, width, i * tile, fill),
            )
            .collect();
        for bytes in &tiles {
            level.tiles.push((level.spooled, bytes.len() as u64));
            level.spooled += bytes.len() as u64;
        }
        self.spooler.send(index, tiles)
    }

    /// Writes the COG to `out`; every row must have been pushed.
    pub fn finish(self, out: &mut dyn Write) -> Result<WrittenCog> {
        let CogWriter {
            spec,
            levels,
            spooler,
            ..
        } = self;
        if let Some(level) = levels.iter().find(|l| l.rows_done != l.height) {
            return Err(Error::Failed(format!(
                "COG writer: {} of {} rows of a {}x{} level were written",
                level.rows_done, level.height, level.width, level.height
            )));
        }
        let mut spools = spooler.finish()?;
        let tiles: Vec<Vec<(u64, u64)>> = levels.into_iter().map(|level| level.tiles).collect();
        layout::write(&spec, &tiles, &mut spools, out)
    }
}

/// Appends compressed tiles to one spool file per level on a thread of its own, so that the
/// writes overlap the compression of the next band (a few bands may wait in between).
struct Spooler {
    sender: Option<SyncSender<(usize, Vec<Vec<u8>>)>>,
    thread: Option<JoinHandle<io::Result<Vec<File>>>>,
}

impl Spooler {
    fn start(levels: usize, dir: Option<&Path>) -> Result<Spooler> {
        let files = (0..levels)
            .map(|_| {
                match dir {
                    Some(dir) => tempfile::tempfile_in(dir),
                    None => tempfile::tempfile(),
                }
                .map(|file| BufWriter::with_capacity(1 << 20, file))
                .map_err(|e| Error::io("temporary spool file", e))
            })
            .collect::<Result<Vec<_>>>()?;
        let (sender, receiver) = sync_channel::<(usize, Vec<Vec<u8>>)>(4);
        let thread = std::thread::spawn(move || {
            let mut files = files;
            for (level, tiles) in receiver {
                for tile in tiles {
                    files[level].write_all(&tile)?;
                }
            }
            files
                .into_iter()
                .map(|file| {
                    let mut file = file.into_inner().map_err(|e| e.into_error())?;
                    file.seek(SeekFrom::Start(0))?;
                    Ok(file)
                })
                .collect()
        });
        Ok(Spooler {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    fn send(&mut self, level: usize, tiles: Vec<Vec<u8>>) -> Result<()> {
        let sent = self.sender.as_ref().map(|s| s.send((level, tiles)));
        match sent {
            Some(Ok(())) => Ok(()),
            // The thread stopped on a write error: report it.
            _ => self.join().map(|_| ()),
        }
    }

    /// The spool files, rewound, once every tile is written.
    fn finish(mut self) -> Result<Vec<File>> {
        self.join()
    }

    fn join(&mut self) -> Result<Vec<File>> {
        drop(self.sender.take());
        let thread = self
            .thread
            .take()
            .ok_or_else(|| Error::Failed("COG writer: the spool thread already stopped".into()))?;
        match thread.join() {
            Ok(result) => result.map_err(|e| Error::io("temporary spool file", e)),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}
