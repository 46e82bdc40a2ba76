//! The files of a build across workers. One work directory (or `s3://` prefix) holds each
//! part's scan (`ID.scan.json`, round one's output as `fanout --out-dir WORK --suffix
//! .scan.json` names it), start (`ID.start.json`, written by the chain) and share
//! (`ID.part.json`, round two's output).

use std::io::Read;

use partition_core::output::{join as join_path, write_file};
use partition_core::{Chunk, Error, ManifestReader, Result, Source};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{build_part, chain, join, Part, PartIndex, PartScan, PartStart};
use crate::index::GzIndex;

pub const SCAN_SUFFIX: &str = ".scan.json";
pub const START_SUFFIX: &str = ".start.json";
pub const PART_SUFFIX: &str = ".part.json";

/// The parts a `gzip-range` manifest names, in order.
pub fn read_parts(manifest: &str) -> Result<Vec<(Chunk, Part)>> {
    let chunks = ManifestReader::open(manifest)?.read_all()?;
    if chunks.is_empty() {
        return Err(Error::bad_file(manifest, "no parts"));
    }
    chunks
        .into_iter()
        .map(|chunk| Part::of_chunk(&chunk).map(|part| (chunk, part)))
        .collect()
}

/// The part that one manifest line names (a worker's chunk).
pub fn part_of_line(line: &str) -> Result<(Chunk, Part)> {
    let chunk =
        Chunk::from_json(line).map_err(|message| Error::bad_file("the chunk given", message))?;
    let part = Part::of_chunk(&chunk)?;
    Ok((chunk, part))
}

/// Join one over a work directory: the parts' scans in, their starts out.
pub fn chain_work(manifest: &str, work: &str) -> Result<()> {
    let parts = read_parts(manifest)?;
    let scans: Vec<PartScan> = parts
        .iter()
        .map(|(chunk, _)| read_json(&join_path(work, &format!("{}{SCAN_SUFFIX}", chunk.id))))
        .collect::<Result<_>>()?;
    let (chunks, parts): (Vec<Chunk>, Vec<Part>) = parts.into_iter().unzip();
    let starts = chain(&parts, scans)?;
    for (chunk, start) in chunks.iter().zip(&starts) {
        write_json(
            &join_path(work, &format!("{}{START_SUFFIX}", chunk.id)),
            start,
        )?;
    }
    Ok(())
}

/// Round two of the part `line` names, from its start in the work directory.
pub fn build_work(line: &str, work: &str) -> Result<PartIndex> {
    let (chunk, part) = part_of_line(line)?;
    let start: PartStart = read_json(&join_path(work, &format!("{}{START_SUFFIX}", chunk.id)))?;
    build_part(&part, &start)
}

/// Join two over a work directory: the index from the parts' starts and shares, and the
/// URL of the file it indexes.
pub fn join_work(manifest: &str, work: &str, quiet: bool) -> Result<(GzIndex, String)> {
    let parts = read_parts(manifest)?;
    let file = |chunk: &Chunk, suffix: &str| join_path(work, &format!("{}{suffix}", chunk.id));
    let starts: Vec<PartStart> = parts
        .iter()
        .map(|(chunk, _)| read_json(&file(chunk, START_SUFFIX)))
        .collect::<Result<_>>()?;
    let built: Vec<PartIndex> = parts
        .iter()
        .map(|(chunk, _)| read_json(&file(chunk, PART_SUFFIX)))
        .collect::<Result<_>>()?;
    let parts: Vec<Part> = parts.into_iter().map(|(_, part)| part).collect();
    let index = join(&parts, &starts, built, quiet)?;
    Ok((index, parts[0].url.clone()))
}

/// Writes one JSON value to `url` (`-`: stdout), whole or not at all.
pub fn write_json(url: &str, value: &impl Serialize) -> Result<()> {
    write_file(url, |out| {
        serde_json::to_writer(&mut *out, value).map_err(std::io::Error::other)?;
        std::io::Write::write_all(out, b"\n")
    })
}

fn read_json<T: DeserializeOwned>(url: &str) -> Result<T> {
    let mut bytes = Vec::new();
    Source::open(url)?
        .reader()?
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(url, e))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::bad_file(
            url,
            format!("not a part's file of this build ({e}): was it written by another version?"),
        )
    })
}
