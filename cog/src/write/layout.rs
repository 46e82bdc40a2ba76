//! The bytes of a COG, in the order GDAL's COG driver writes them: the TIFF header, GDAL's
//! ghost header (which tells readers the layout below), the IFD of the full resolution and then
//! of each overview, each followed by its values, then tile data: the smallest overview first
//! and the full resolution last, row-major inside each. BigTIFF when the file passes 4 GiB.

use std::fs::File;
use std::io::{self, Write};

use partition_core::{Error, Result};

use super::{tile, CogSpec, WrittenCog};
use crate::tags::{self, Entry};

/// GDAL's structural metadata: the IFDs come first and tiles are row-major, so a reader may
/// fetch the header once and trust the layout.
const GHOST: &str =
    "LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nKNOWN_INCOMPATIBLE_EDITION=NO\n";

fn ghost_header() -> String {
    format!(
        "GDAL_STRUCTURAL_METADATA_SIZE={:06} bytes\n{GHOST}",
        GHOST.len()
    )
}

/// Writes the file: `tiles[level]` are each tile's (offset in `spools[level]`, size).
pub fn write(
    spec: &CogSpec,
    tiles: &[Vec<(u64, u64)>],
    spools: &mut [File],
    out: &mut dyn Write,
) -> Result<WrittenCog> {
    let data_bytes: u64 = tiles.iter().flatten().map(|&(_, size)| size).sum();
    let classic = Layout::plan(spec, tiles, false);
    let layout = if classic.data_start + data_bytes <= u32::MAX as u64 {
        classic
    } else {
        Layout::plan(spec, tiles, true)
    };
    let name = "output COG";
    let io = |e: io::Error| Error::io(name, e);
    out.write_all(&layout.head).map_err(io)?;
    // Tile data: smallest overview first.
    for level in (0..tiles.len()).rev() {
        // Through a large buffer: copies of 8 KiB would cost a system call each.
        let mut spool = io::BufReader::with_capacity(1 << 20, &mut spools[level]);
        let copied = io::copy(&mut spool, out).map_err(io)?;
        let expected: u64 = tiles[level].iter().map(|&(_, size)| size).sum();
        if copied != expected {
            return Err(Error::Failed(format!(
                "COG writer: level {level} spooled {copied} bytes where {expected} were written"
            )));
        }
    }
    out.flush().map_err(io)?;
    Ok(WrittenCog {
        bytes: layout.data_start + data_bytes,
        tiles: tiles.iter().map(|t| t.len() as u64).sum(),
        overviews: tiles.len() as u64 - 1,
        bigtiff: layout.bigtiff,
    })
}

/// Everything before the tile data, and where the data starts.
struct Layout {
    head: Vec<u8>,
    data_start: u64,
    bigtiff: bool,
}

impl Layout {
    fn plan(spec: &CogSpec, tiles: &[Vec<(u64, u64)>], bigtiff: bool) -> Layout {
        let sizes = spec.level_sizes();
        // Entries with placeholder offsets first: their sizes do not depend on the values.
        let draft: Vec<Vec<Entry>> = (0..tiles.len())
            .map(|level| {
                entries(
                    spec,
                    sizes[level],
                    level,
                    &vec![0; tiles[level].len()],
                    &tiles[level],
                    bigtiff,
                )
            })
            .collect();
        let header = if bigtiff { 16 } else { 8 };
        let ghost = ghost_header();
        let ifds_start = header + ghost.len() as u64;
        let ifds_size: u64 = draft.iter().map(|e| ifd_size(e, bigtiff)).sum();
        let data_start = ifds_start + ifds_size;
        // Where each level's data starts: the smallest overview first.
        let mut level_start = vec![0; tiles.len()];
        let mut at = data_start;
        for level in (0..tiles.len()).rev() {
            level_start[level] = at;
            at += tiles[level].iter().map(|&(_, size)| size).sum::<u64>();
        }
        let mut head = Vec::with_capacity(data_start as usize);
        if bigtiff {
            head.extend_from_slice(b"II");
            head.extend_from_slice(&43u16.to_le_bytes());
            head.extend_from_slice(&8u16.to_le_bytes());
            head.extend_from_slice(&0u16.to_le_bytes());
            head.extend_from_slice(&ifds_start.to_le_bytes());
        } else {
            head.extend_from_slice(b"II");
            head.extend_from_slice(&42u16.to_le_bytes());
            head.extend_from_slice(&(ifds_start as u32).to_le_bytes());
        }
        head.extend_from_slice(ghost.as_bytes());
        for level in 0..tiles.len() {
            let offsets: Vec<u64> = tiles[level]
                .iter()
                .map(|&(offset, _)| level_start[level] + offset)
                .collect();
            let level_entries =
                entries(spec, sizes[level], level, &offsets, &tiles[level], bigtiff);
            let at = head.len() as u64;
            let next = if level + 1 < tiles.len() {
                at + ifd_size(&level_entries, bigtiff)
            } else {
                0
            };
            write_ifd(&mut head, &level_entries, next, bigtiff);
        }
        debug_assert_eq!(head.len() as u64, data_start);
        Layout {
            head,
            data_start,
            bigtiff,
        }
    }
}

/// The tags of one level's IFD, sorted.
fn entries(
    spec: &CogSpec,
    (width, height): (u64, u64),
    level: usize,
    offsets: &[u64],
    tiles: &[(u64, u64)],
    bigtiff: bool,
) -> Vec<Entry> {
    let bands = spec.bands as usize;
    let bits = spec.dtype.bytes() as u16 * 8;
    let mut entries = vec![
        Entry::longs(256, &[width as u32]),
        Entry::longs(257, &[height as u32]),
        Entry::shorts(258, &vec![bits; bands]),
        Entry::shorts(259, &[spec.compression.tag_value()]),
        Entry::shorts(262, &[1]),
        Entry::shorts(277, &[bands as u16]),
        Entry::shorts(284, &[1]),
        Entry::shorts(317, &[tile::predictor(spec.dtype)]),
        Entry::longs(322, &[spec.tile_size as u32]),
        Entry::longs(323, &[spec.tile_size as u32]),
        if bigtiff {
            Entry::long8s(324, offsets)
        } else {
            Entry::longs(324, &offsets.iter().map(|&o| o as u32).collect::<Vec<_>>())
        },
        Entry::longs(
            325,
            &tiles
                .iter()
                .map(|&(_, size)| size as u32)
                .collect::<Vec<_>>(),
        ),
        Entry::shorts(339, &vec![spec.dtype.sample_format(); bands]),
    ];
    if level > 0 {
        // NewSubfileType: a reduced-resolution version of the image.
        entries.push(Entry::longs(254, &[1]));
    }
    if bands > 1 {
        // Bands beyond the first are plain data, not alpha.
        entries.push(Entry::shorts(338, &vec![0; bands - 1]));
    }
    if let (0, Some(geotransform)) = (level, &spec.geotransform) {
        entries.extend(tags::georeferencing(
            geotransform,
            spec.crs.as_deref(),
            spec.geokeys.as_ref(),
        ));
    }
    if let Some(nodata) = spec.nodata {
        entries.push(tags::nodata(nodata));
    }
    entries.sort_by_key(|entry| entry.tag);
    entries
}

/// The sizes of an IFD's fields: entry count, one entry, next-IFD offset, largest inline value.
fn field_sizes(bigtiff: bool) -> (u64, u64, u64, usize) {
    if bigtiff {
        (8, 20, 8, 8)
    } else {
        (2, 12, 4, 4)
    }
}

/// The bytes of an IFD's out-of-line values, each padded to an even length.
fn values_size(entries: &[Entry], inline: usize) -> u64 {
    entries
        .iter()
        .filter(|e| e.data.len() > inline)
        .map(|e| (e.data.len() as u64 + 1) & !1)
        .sum()
}

/// The bytes of an IFD with its out-of-line values.
fn ifd_size(entries: &[Entry], bigtiff: bool) -> u64 {
    let (count, entry, next, inline) = field_sizes(bigtiff);
    count + entry * entries.len() as u64 + next + values_size(entries, inline)
}

/// Appends an IFD at the end of `out`, its values right after it; `next` is the next IFD's
/// offset (0 for the last).
fn write_ifd(out: &mut Vec<u8>, entries: &[Entry], next: u64, bigtiff: bool) {
    let (count, entry_size, next_size, inline) = field_sizes(bigtiff);
    let values_start = out.len() as u64 + count + entry_size * entries.len() as u64 + next_size;
    let mut values = Vec::new();
    let put = |out: &mut Vec<u8>, value: u64, wide: bool| {
        if wide {
            out.extend_from_slice(&value.to_le_bytes());
        } else {
            out.extend_from_slice(&(value as u32).to_le_bytes());
        }
    };
    if bigtiff {
        out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    } else {
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    }
    for entry in entries {
        out.extend_from_slice(&entry.tag.to_le_bytes());
        out.extend_from_slice(&entry.kind.to_le_bytes());
        put(out, entry.count, bigtiff);
        if entry.data.len() <= inline {
            let mut field = entry.data.clone();
            field.resize(inline, 0);
            out.extend_from_slice(&field);
        } else {
            put(out, values_start + values.len() as u64, bigtiff);
            values.extend_from_slice(&entry.data);
            if values.len() % 2 == 1 {
                values.push(0);
            }
        }
    }
    put(out, next, bigtiff);
    out.extend_from_slice(&values);
}
