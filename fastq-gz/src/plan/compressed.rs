//! gzip FASTQ: chunks start and end at checkpoints of the index, so a worker decodes only its
//! own part of the file and knows where its first record starts.

use std::io::Read;

use partition_core::output::write_file;
use partition_core::{ByteRange, Error, ManifestBuilder, Result, Source, SourceRanges};

use super::{Chunking, PlanOptions, Unit};
use crate::checksum::range_crc;
use crate::detail::{GzDetail, GzResume};
use crate::gztool;
use crate::index::{self, Checkpoint, GzIndex};

pub(super) fn plan(
    unit: &Unit,
    options: &PlanOptions,
    manifest: &mut ManifestBuilder,
) -> Result<()> {
    let (sources, chunking) = (unit.sources, unit.chunking);
    let indexes: Vec<GzIndex> = sources
        .iter()
        .map(|source| load_or_build(source, chunking, options))
        .collect::<Result<_>>()?;
    if indexes
        .iter()
        .any(|index| index.records != indexes[0].records)
    {
        return Err(Error::bad_file(
            "paired inputs",
            format!(
                "{} holds {} records, {} holds {}: the files are not a pair",
                sources[0].url(),
                indexes[0].records,
                sources[1].url(),
                indexes[1].records
            ),
        ));
    }
    let total_records = indexes[0].records;
    if total_records == 0 {
        return Ok(());
    }
    if unit.interleaved && total_records % 2 == 1 {
        return Err(super::plain::odd_records(sources[0].url(), total_records));
    }
    let lead = &indexes[0].checkpoints;
    let mut starts: Vec<u64> = boundaries(lead, indexes[0].uncompressed_size, chunking)
        .into_iter()
        .map(|start| lead[start].record)
        .collect();
    if let Chunking::Count(count) = chunking {
        // Chunks at checkpoints carry their CRC32s and skip nothing: kept while they come
        // within a quarter of the count asked for.
        if (starts.len() as u64) * 4 < count * 3 && total_records > starts.len() as u64 {
            starts = between_checkpoints(lead, indexes[0].uncompressed_size, total_records, count);
        }
    }
    if unit.interleaved {
        // Mates stay together: each chunk starts at the pair of its first record.
        for start in &mut starts {
            *start -= *start % 2;
        }
        starts.dedup();
    }
    let stem = super::stem(sources[0].url());
    for (seq, &first_record) in starts.iter().enumerate() {
        let end_record = starts.get(seq + 1).copied().unwrap_or(total_records);
        let records = end_record - first_record;
        let mut chunk_sources = Vec::with_capacity(sources.len());
        let mut resume = Vec::with_capacity(sources.len());
        let mut crc32 = Vec::with_capacity(sources.len());
        let mut est_bytes = 0;
        for (source, index) in sources.iter().zip(&indexes) {
            // The last checkpoint at or before the first record, and the first one whose
            // record is at or after the end (its tail decodes through the end record's start).
            let from = index
                .checkpoints
                .iter()
                .rposition(|c| c.record <= first_record)
                .expect("the first checkpoint is record 0");
            let checkpoint = &index.checkpoints[from];
            let to = index.checkpoints[from + 1..]
                .iter()
                .find(|c| c.record >= end_record && c.record > first_record);
            let end_in = to.map_or(source.size(), |c| c.tail_in);
            let end_out = to.map_or(index.uncompressed_size, |c| c.first_out);
            est_bytes += end_out - checkpoint.first_out;
            // Known when both edges are checkpoints' first records (or the end of the file).
            let end_crc = match to {
                Some(c) if c.record == end_record => Some(c.first_crc),
                None if end_record == total_records => Some(index.crc32),
                _ => None,
            };
            let crc = end_crc
                .filter(|_| index.crcs_known && checkpoint.record == first_record)
                .map(|end_crc| {
                    range_crc(
                        checkpoint.first_crc,
                        end_crc,
                        end_out - checkpoint.first_out,
                    )
                });
            crc32.push(crc);
            let resume_at = GzResume::new(checkpoint, first_record - checkpoint.record);
            chunk_sources.push(SourceRanges {
                url: source.url().to_string(),
                size: Some(source.size()),
                ranges: vec![ByteRange::new(resume_at.range_start(), end_in)],
            });
            resume.push(resume_at);
        }
        let detail = GzDetail {
            first_record,
            records,
            resume,
            crc32,
            interleaved: unit.interleaved,
        };
        manifest.push(&stem, chunk_sources, est_bytes, detail);
    }
    Ok(())
}

/// Indexes of the checkpoints where chunks start: the first, then per the chunking, each
/// starting at a later record than the one before.
fn boundaries(
    checkpoints: &[Checkpoint],
    uncompressed_size: u64,
    chunking: Chunking,
) -> Vec<usize> {
    let mut starts = vec![0];
    for (index, checkpoint) in checkpoints.iter().enumerate().skip(1) {
        let current = &checkpoints[*starts.last().expect("starts with 0")];
        if checkpoint.record <= current.record {
            continue;
        }
        let cut = match chunking {
            Chunking::Records(every) => checkpoint.record - current.record >= every,
            Chunking::Size(size) => checkpoint.first_out - current.first_out >= size,
            Chunking::Count(count) => {
                let target =
                    (starts.len() as u128 * uncompressed_size as u128).div_ceil(count as u128);
                checkpoint.first_out as u128 >= target
            }
        };
        if cut {
            starts.push(index);
        }
    }
    starts
}

/// First records of `count` chunks of about equal uncompressed size, for when checkpoints
/// are too few to start that many chunks (a small file, or deflate blocks larger than the span:
/// checkpoints sit at block boundaries). A chunk may then start between checkpoints: its worker
/// resumes at the checkpoint before and skips the records up to its first, decoding at most a
/// block more. Records are placed by interpolating between the checkpoints around each share.
fn between_checkpoints(
    checkpoints: &[Checkpoint],
    uncompressed_size: u64,
    total_records: u64,
    count: u64,
) -> Vec<u64> {
    let count = count.min(total_records);
    let mut starts = vec![0];
    for share in 1..count {
        let target = (share as u128 * uncompressed_size as u128 / count as u128) as u64;
        let before = checkpoints
            .iter()
            .rposition(|c| c.first_out <= target)
            .expect("the first checkpoint is at 0");
        let (from, from_out) = (checkpoints[before].record, checkpoints[before].first_out);
        let (to, to_out) = checkpoints
            .get(before + 1)
            .map_or((total_records, uncompressed_size), |c| {
                (c.record, c.first_out)
            });
        let record = from
            + ((target - from_out) as u128 * (to - from) as u128
                / (to_out - from_out).max(1) as u128) as u64;
        let last = *starts.last().expect("starts with 0");
        if record > last && record < total_records {
            starts.push(record);
        }
    }
    starts
}

/// The index beside the input (or at `--index`) when it matches the file, else a new one,
/// kept beside a local input for the next run.
fn load_or_build(source: &Source, chunking: Chunking, options: &PlanOptions) -> Result<GzIndex> {
    let index_url = options
        .index
        .clone()
        .unwrap_or_else(|| format!("{}.cwi", source.url()));
    match Source::open(&index_url) {
        Ok(index_source) => {
            let mut bytes = Vec::new();
            index_source
                .reader()?
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io(&index_url, e))?;
            if gztool::is_gztool_index(&bytes) {
                return gztool::import(&bytes, &index_url, source);
            }
            if GzIndex::version(&bytes).is_some_and(|version| version < index::VERSION) {
                log(
                    options,
                    &format!("{index_url} is from an older fastq-split; indexing again"),
                );
            } else {
                let index = GzIndex::read(&bytes, &index_url)?;
                if index.compressed_size == source.size() {
                    return Ok(index);
                }
                log(
                    options,
                    &format!(
                        "{index_url} was built for another file (size differs); indexing again"
                    ),
                );
            }
        }
        Err(Error::NotFound { .. }) => {}
        Err(error) => return Err(error),
    }
    let span = options
        .span
        .unwrap_or_else(|| span_for(chunking, source.size()));
    let index = index::build(source, span, options.threads, options.quiet)?;
    // Kept for the next run; a place that cannot be written (a read-only bucket) costs only
    // that run a scan.
    if let Err(error) = write_file(&index_url, |out| index.write(out)) {
        log(options, &format!("index not kept: {error}"));
    }
    Ok(index)
}

/// The span of a new index: the default, or finer when `--chunks N` asks for more chunks than
/// checkpoints that far apart could start. Chunks start at checkpoints, so about 4 checkpoints
/// per chunk (the uncompressed size guessed as 4x the compressed one, FASTQ's usual ratio)
/// keeps every chunk within about a quarter of its share; never below 8 KiB (each checkpoint
/// stores a 32 KiB window: finer would make the index outgrow the file).
fn span_for(chunking: Chunking, compressed_size: u64) -> u64 {
    const MIN_SPAN: u64 = 8 << 10;
    match chunking {
        Chunking::Count(count) => {
            let estimate = compressed_size.saturating_mul(4);
            (estimate / count.saturating_mul(4).max(1)).clamp(MIN_SPAN, index::DEFAULT_SPAN)
        }
        Chunking::Size(size) => (size / 4).clamp(MIN_SPAN, index::DEFAULT_SPAN),
        Chunking::Records(_) => index::DEFAULT_SPAN,
    }
}

fn log(options: &PlanOptions, message: &str) {
    if !options.quiet {
        eprintln!("fastq-split: {message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_index_is_fine_enough_for_the_chunks_asked_for() {
        let mib = 1 << 20;
        assert_eq!(span_for(Chunking::Count(8), 100 * mib), index::DEFAULT_SPAN);
        // 1.3 MB of gzip in 64 chunks: checkpoints about 20 KB apart.
        assert_eq!(span_for(Chunking::Count(64), 1_300_000), 20_312);
        assert_eq!(span_for(Chunking::Count(10_000), 1_300_000), 8 << 10);
        assert_eq!(span_for(Chunking::Count(64), 20 * mib), 320 << 10);
        assert_eq!(span_for(Chunking::Size(mib), 20 * mib), 256 << 10);
        assert_eq!(
            span_for(Chunking::Records(1000), 20 * mib),
            index::DEFAULT_SPAN
        );
    }
}
