//! Spot ranges of runs.

use std::fmt;

use partition_core::{Error, Kind, ManifestBuilder, Result, SourceRanges};

use crate::detail::SraDetail;
use crate::run::{count_spots, spots_from_runinfo, Run};

/// How many spots go in each chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpotChunking {
    /// About this many chunks of equal spots (per run).
    Count(u64),
    /// This many spots per chunk (the last of a run may have fewer).
    PerChunk(u64),
}

/// How to plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub chunking: SpotChunking,
    /// The spot count of accessions that are not local (local runs are counted with vdb-dump).
    pub spots: Option<u64>,
    /// An NCBI runinfo CSV giving the spot counts of accessions, when `spots` is not given.
    pub runinfo: Option<String>,
    /// Dump both mates of each spot, interleaved.
    pub paired: bool,
}

impl PlanOptions {
    pub fn new(chunking: SpotChunking) -> PlanOptions {
        PlanOptions {
            chunking,
            spots: None,
            runinfo: None,
            paired: false,
        }
    }
}

/// An SRA plan: the chunks of every run, and how many spots they cover.
pub type Plan = partition_core::Plan<SraStats>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SraStats {
    pub runs: u64,
    pub spots: u64,
}

impl fmt::Display for SraStats {
    /// Nothing: the manifest says it all.
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

/// Plans spot ranges over runs (`.sra` files, folders holding one, or accessions): one
/// manifest, positions counted across all runs, ids per run (`SRR139146-2`).
pub fn plan(inputs: &[String], options: &PlanOptions) -> Result<Plan> {
    if inputs.is_empty() {
        return Err(Error::Usage("give at least one run to plan".to_string()));
    }
    let runinfo = match &options.runinfo {
        Some(path) => Some((
            std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?,
            path,
        )),
        None => None,
    };
    let mut manifest = ManifestBuilder::new(Kind::Sra);
    let mut stats = SraStats { runs: 0, spots: 0 };
    for argument in inputs {
        let run = Run::locate(argument)?;
        let spots = match (&run.local, options.spots, &runinfo) {
            (Some(_), _, _) => count_spots(&run)?,
            (None, Some(spots), _) => spots,
            (None, None, Some((csv, path))) => spots_from_runinfo(csv, path, &run.accession)?,
            (None, None, None) => {
                return Err(Error::Usage(format!(
                    "{argument}: an accession needs its spot count: give it, or a runinfo CSV listing it"
                )))
            }
        };
        let size = run
            .local
            .as_ref()
            .and_then(|path| std::fs::metadata(path).ok())
            .map(|m| m.len());
        push_run(&mut manifest, &run, spots, size, options)?;
        stats.runs += 1;
        stats.spots += spots;
    }
    Ok(Plan {
        chunks: manifest.finish(),
        warnings: Vec::new(),
        stats,
    })
}

/// Chunks `[i*B + 1, min((i+1)*B, N)]` over a run of `spots` spots; none when it has none.
/// `size` is the local `.sra` file's size, which scales the output estimate.
fn push_run(
    manifest: &mut ManifestBuilder,
    run: &Run,
    spots: u64,
    size: Option<u64>,
    options: &PlanOptions,
) -> Result<()> {
    let per_chunk = match options.chunking {
        SpotChunking::Count(0) | SpotChunking::PerChunk(0) => {
            return Err(Error::Usage(
                "chunk counts and sizes must be above 0".to_string(),
            ))
        }
        SpotChunking::Count(count) => spots.div_ceil(count).max(1),
        SpotChunking::PerChunk(per_chunk) => per_chunk,
    };
    for seq in 0..spots.div_ceil(per_chunk) {
        let first_spot = seq * per_chunk + 1;
        let last_spot = ((seq + 1) * per_chunk).min(spots);
        // FASTQ is typically about four times the size of its .sra.
        let est_bytes = size.map_or(0, |size| {
            (size as u128 * 4 * (last_spot - first_spot + 1) as u128 / spots as u128) as u64
        });
        let sources = vec![SourceRanges {
            url: run.target.clone(),
            size,
            ranges: Vec::new(),
        }];
        let detail = SraDetail {
            accession: run.accession.clone(),
            first_spot,
            last_spot,
            spots: last_spot - first_spot + 1,
            paired: options.paired,
        };
        manifest.push(&run.accession, sources, est_bytes, detail);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> Run {
        Run {
            target: "SRR1".into(),
            accession: "SRR1".into(),
            local: None,
        }
    }

    fn ranges(spots: u64, chunking: SpotChunking) -> Vec<(u64, u64)> {
        let mut manifest = ManifestBuilder::new(Kind::Sra);
        push_run(
            &mut manifest,
            &run(),
            spots,
            None,
            &PlanOptions::new(chunking),
        )
        .unwrap();
        manifest
            .finish()
            .iter()
            .map(|chunk| {
                let detail: SraDetail = chunk.detail().unwrap();
                (detail.first_spot, detail.last_spot)
            })
            .collect()
    }

    #[test]
    fn ranges_are_disjoint_and_cover_every_spot() {
        assert_eq!(
            ranges(10, SpotChunking::PerChunk(4)),
            [(1, 4), (5, 8), (9, 10)]
        );
        assert_eq!(
            ranges(10, SpotChunking::Count(3)),
            [(1, 4), (5, 8), (9, 10)]
        );
        assert_eq!(
            ranges(3896, SpotChunking::Count(4)),
            [(1, 974), (975, 1948), (1949, 2922), (2923, 3896)]
        );
    }

    #[test]
    fn more_chunks_than_spots_emits_no_empty_chunk() {
        assert_eq!(ranges(2, SpotChunking::Count(5)), [(1, 1), (2, 2)]);
        assert!(ranges(0, SpotChunking::Count(5)).is_empty());
    }
}
