//! Balanced reference chunks: N chunks of about equal bases over the whole genome,
//! sequences that cross a chunk edge split into overlapping parts.

use std::fmt;

use partition_core::manifest::url_stem;
use partition_core::output::write_file;
use partition_core::{ByteRange, Chunk, Error, Kind, ManifestBuilder, Result, SourceRanges};

use crate::detail::{FastaDetail, PartLayout};
use crate::fai::{self, Record};
use crate::name_map::{NameMap, Part};
use crate::reference::Reference;

/// Default overlap between consecutive parts: 2 x (150 bp reads + 50). The midpoint rule is
/// exact for reads spanning at most half the overlap.
pub const DEFAULT_OVERLAP: u64 = 400;

/// How to plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// How many chunks of about equal bases.
    pub chunks: u64,
    /// Bases shared by consecutive parts of a split sequence.
    pub overlap: u64,
    /// The index to use (default `<input>.fai` when present and consistent, else built and,
    /// for a local input, kept there as samtools does).
    pub fai: Option<String>,
    /// Where to write the name map, if anywhere.
    pub map: Option<String>,
    /// Progress bars on stderr off.
    pub quiet: bool,
}

impl PlanOptions {
    /// `chunks` chunks with the default overlap, quietly, no name map written.
    pub fn new(chunks: u64) -> PlanOptions {
        PlanOptions {
            chunks,
            overlap: DEFAULT_OVERLAP,
            fai: None,
            map: None,
            quiet: true,
        }
    }
}

/// A FASTA plan: the chunks and the name map of their parts.
pub type Plan = partition_core::Plan<FastaStats>;

/// What a FASTA plan knows beyond its chunks.
#[derive(Debug, Clone)]
pub struct FastaStats {
    /// Every part of every chunk, in reference order (what `--map` writes).
    pub map: NameMap,
}

impl fmt::Display for FastaStats {
    /// Nothing: the name map is written to a file of its own when asked for.
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

/// Plans chunks over one FASTA file (`inputs` holds exactly one): its index loaded or built,
/// the sequences cut, and the name map written where `options.map` says.
pub fn plan(inputs: &[String], options: &PlanOptions) -> Result<Plan> {
    let [input] = inputs else {
        return Err(Error::Usage("give one FASTA file to plan".to_string()));
    };
    let reference = Reference::open(input, options.fai.as_deref(), options.quiet)?;
    let mut warnings: Vec<String> = reference
        .warnings
        .iter()
        .map(|warning| format!("{input}: {warning}"))
        .collect();
    // Keep what the scan found beside a local input, as samtools does; an unwritable folder
    // only costs the next run a scan.
    if reference.built && options.fai.is_none() && !input.contains("://") {
        if let Err(error) = write_file(&format!("{input}.fai"), |out| {
            fai::write(&reference.index, out)
        }) {
            warnings.push(format!("{input}: could not keep the index: {error}"));
        }
    }
    let planned = cut(&reference.index, options.chunks, options.overlap)?;
    let map = NameMap::new(
        planned
            .iter()
            .flatten()
            .map(|(part, _)| part.clone())
            .collect(),
    );
    if let Some(path) = &options.map {
        write_file(path, |out| map.write(out))?;
    }
    Ok(Plan {
        chunks: chunks(input, reference.source.size(), &planned),
        warnings,
        stats: FastaStats { map },
    })
}

/// Cuts the sequences of `index` into at most `chunks` chunks of about equal bases.
/// Returns the parts of each chunk, in reference order.
fn cut(index: &[Record], chunks: u64, overlap: u64) -> Result<Vec<Vec<(Part, &Record)>>> {
    if chunks == 0 {
        return Err(Error::Usage("the chunk count must be above 0".to_string()));
    }
    let genome: u64 = index.iter().map(|record| record.length).sum();
    if genome == 0 {
        return Err(Error::Usage(
            "the reference has no bases to cut".to_string(),
        ));
    }
    let per_chunk = genome.div_ceil(chunks);
    let (before, after) = (overlap / 2, overlap - overlap / 2);
    let mut planned: Vec<Vec<(Part, &Record)>> = Vec::new();
    let mut global = 0u64;
    for (ordinal, record) in index.iter().enumerate() {
        // Owned pieces: the sequence cut where the genome-wide position crosses a chunk edge.
        let mut pieces = Vec::new();
        let mut position = 1;
        while position <= record.length {
            let chunk = global / per_chunk;
            let take = ((chunk + 1) * per_chunk - global).min(record.length - position + 1);
            pieces.push((chunk as usize, position, position + take - 1));
            position += take;
            global += take;
        }
        let split = pieces.len() > 1;
        for (index, &(chunk, own_start, own_end)) in pieces.iter().enumerate() {
            let id = if split {
                format!("{}_{}", ordinal + 1, index + 1)
            } else {
                (ordinal + 1).to_string()
            };
            let start = if index == 0 {
                1
            } else {
                own_start.saturating_sub(before).max(1)
            };
            let end = if index + 1 == pieces.len() {
                own_end
            } else {
                (own_end + after).min(record.length)
            };
            let part = Part {
                id,
                orig_name: record.name.clone(),
                start,
                end,
                own_start,
                own_end,
            };
            if planned.len() <= chunk {
                planned.resize_with(chunk + 1, Vec::new);
            }
            planned[chunk].push((part, record));
        }
    }
    planned.retain(|parts| !parts.is_empty());
    Ok(planned)
}

/// The manifest chunks for `cut`'s parts of the FASTA at `url` (of `size` bytes).
fn chunks(url: &str, size: u64, planned: &[Vec<(Part, &Record)>]) -> Vec<Chunk> {
    let stem = url_stem(url, &[".fa", ".fasta", ".fna", ".fas"]);
    let mut manifest = ManifestBuilder::new(Kind::Fasta);
    for parts in planned {
        let ranges: Vec<ByteRange> = parts
            .iter()
            .map(|(part, record)| byte_range(record, part))
            .collect();
        // FASTA out: a header and the bases with a newline per line.
        let est_bytes = parts
            .iter()
            .map(|(part, record)| {
                part.id.len() as u64
                    + 2
                    + part.len()
                    + part.len().div_ceil(record.line_bases.max(1))
            })
            .sum();
        let detail = FastaDetail {
            parts: parts
                .iter()
                .map(|(part, record)| PartLayout {
                    part: part.clone(),
                    line_bases: record.line_bases,
                })
                .collect(),
        };
        let sources = vec![SourceRanges {
            url: url.to_string(),
            size: Some(size),
            ranges,
        }];
        manifest.push(&stem, sources, est_bytes, detail);
    }
    manifest.finish()
}

/// The bytes holding bases `part.start..=part.end` of `record`.
fn byte_range(record: &Record, part: &Part) -> ByteRange {
    ByteRange::new(
        record.byte_of(part.start - 1),
        record.byte_of(part.end - 1) + 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, length: u64) -> Record {
        Record {
            name: name.to_string(),
            length,
            offset: 0,
            line_bases: 60,
            line_width: 61,
        }
    }

    fn ids(planned: &[Vec<(Part, &Record)>]) -> Vec<Vec<String>> {
        planned
            .iter()
            .map(|parts| parts.iter().map(|(part, _)| part.id.clone()).collect())
            .collect()
    }

    #[test]
    fn balances_bases_and_splits_across_chunk_edges() {
        let index = [
            record("chr1", 1000),
            record("chr2", 500),
            record("chrM", 100),
        ];
        let planned = cut(&index, 4, 40).unwrap();
        assert_eq!(
            ids(&planned),
            [
                vec!["1_1"],
                vec!["1_2"],
                vec!["1_3", "2_1"],
                vec!["2_2", "3"]
            ]
        );
        let owned: Vec<u64> = planned
            .iter()
            .map(|parts| parts.iter().map(|(p, _)| p.own_end + 1 - p.own_start).sum())
            .collect();
        assert_eq!(owned, [400, 400, 400, 400]);
        let (first, second) = (&planned[0][0].0, &planned[1][0].0);
        assert_eq!(
            (first.start, first.end, first.own_start, first.own_end),
            (1, 420, 1, 400)
        );
        assert_eq!(
            (second.start, second.end, second.own_start, second.own_end),
            (381, 820, 401, 800)
        );
        assert_eq!(
            first.end + 1 - second.start,
            40,
            "consecutive parts share the overlap"
        );
    }

    #[test]
    fn unsplit_sequences_keep_their_ordinal() {
        let index = [record("a", 10), record("b", 10), record("c", 10)];
        assert_eq!(ids(&cut(&index, 1, 400).unwrap()), [vec!["1", "2", "3"]]);
        assert_eq!(
            ids(&cut(&index, 3, 400).unwrap()),
            [vec!["1"], vec!["2"], vec!["3"]]
        );
    }

    #[test]
    fn more_chunks_than_bases_gives_no_empty_chunk() {
        let index = [record("a", 2)];
        let planned = cut(&index, 10, 4).unwrap();
        assert_eq!(ids(&planned), [vec!["1_1"], vec!["1_2"]]);
        assert_eq!((planned[1][0].0.start, planned[1][0].0.end), (1, 2));
    }

    #[test]
    fn byte_ranges_follow_the_line_layout() {
        let record = Record {
            name: "chr1".into(),
            length: 130,
            offset: 6,
            line_bases: 60,
            line_width: 61,
        };
        let part = Part {
            id: "1_2".into(),
            orig_name: "chr1".into(),
            start: 60,
            end: 121,
            own_start: 61,
            own_end: 121,
        };
        // Base 60 is the last of line 1; base 121 the first of line 3.
        assert_eq!(
            byte_range(&record, &part),
            ByteRange::new(6 + 59, 6 + 122 + 1)
        );
    }
}
