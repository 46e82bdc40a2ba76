//! A reducer's chunk: its byte range of every partial, merged.

use std::io::{BufRead, BufReader, Write};

use partition_core::{Chunk, Error, Kind, Result, Source};

use crate::detail::MpileupDetail;
use crate::merge::{merge, MergeOptions};
use crate::plan::Setup;

/// Merges the chunk's ranges of its partials (rewritten through its name map, if any).
pub fn write_chunk(chunk: &Chunk, output: &mut dyn Write) -> Result<()> {
    chunk.expect_kind(&[Kind::Mpileup])?;
    let detail: MpileupDetail = chunk.detail()?;
    let setup = Setup {
        map: detail.map,
        fai: detail.fai,
        columns: detail.columns,
    };
    let mut order = setup.order()?;
    let mut inputs: Vec<(String, Box<dyn BufRead + Send>)> =
        Vec::with_capacity(chunk.sources.len());
    for planned in &chunk.sources {
        let source = Source::open(&planned.url)?;
        source.expect_size(planned.size)?;
        let [range] = planned.ranges[..] else {
            return Err(Error::bad_file(
                format!("chunk {}", chunk.id),
                "an mpileup chunk reads one range per partial",
            ));
        };
        inputs.push((
            planned.url.clone(),
            Box::new(BufReader::with_capacity(
                1 << 20,
                source.range_reader(range)?,
            )),
        ));
    }
    merge(
        inputs,
        &mut order,
        MergeOptions {
            columns: setup.columns,
        },
        output,
    )?;
    Ok(())
}
