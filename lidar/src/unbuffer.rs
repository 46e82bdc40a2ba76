//! Taking a tile's buffer off again: its core records, exactly those its tile record counts.

use partition_core::output::SeekableOutput;
use partition_core::{Error, Result, Source};

use crate::layout::Layout;
use crate::plan::batches;
use crate::rebuild::{Batch, OpenSource, BATCH_BYTES};
use crate::write::{Format, TileRecord, TileWriter};

/// What `unbuffer` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unbuffered {
    pub core_points: u64,
    pub removed: u64,
}

/// Takes a tile's buffer points off: its first `core_points` records, without the tile
/// record, written in `format` (else the output's extension's, else the tile's own).
pub fn unbuffer(input: &str, output: &str, format: Option<Format>) -> Result<Unbuffered> {
    let source = Source::open(input)?;
    let layout = Layout::read(&source)?;
    let Some(record) = TileRecord::find(input, &layout.head.vlrs)? else {
        return Err(Error::bad_file(
            input,
            "not a lidar-tile tile: it has no chunkwise tile record (VLR chunkwise/1)",
        ));
    };
    if record.core_points + record.buffer_points != layout.points() {
        return Err(Error::bad_file(
            input,
            format!(
                "its tile record counts {} core and {} buffer points but the file holds {}",
                record.core_points,
                record.buffer_points,
                layout.points()
            ),
        ));
    }
    let format = format
        .or_else(|| Format::of_path(output))
        .unwrap_or_else(|| Format::of_head(&layout.head));
    let out = SeekableOutput::create(output)?;
    let (head, evlrs, points) = (&layout.head, &layout.evlrs, record.core_points);
    let mut writer = TileWriter::new(out, output, head, evlrs, None, format, points)?;
    let size = layout.head.format.record_bytes();
    let open = OpenSource {
        url: input.to_string(),
        source,
        head: layout.head.clone(),
        evlrs: None,
    };
    let mut batch = Batch::default();
    for blocks in batches(&layout.blocks, BATCH_BYTES) {
        let left = (record.core_points - writer.points()) as usize;
        if left == 0 {
            break;
        }
        batch.read(&open, &layout.blocks[blocks])?;
        let records = batch.records();
        writer.write(&records[..records.len().min(left * size)])?;
    }
    writer.finish()?.finish()?;
    Ok(Unbuffered {
        core_points: record.core_points,
        removed: record.buffer_points,
    })
}
