//! Spot ranges of a run.

use partition_core::manifest::chunk_id;
use partition_core::{Chunk, Error, Kind, Result, SourceRanges};
use serde::{Deserialize, Serialize};

use crate::run::Run;

/// How many spots go in each chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpotChunking {
    /// About this many chunks of equal spots.
    Count(u64),
    /// This many spots per chunk (the last may have fewer).
    PerChunk(u64),
}

/// The `detail` of an `sra` chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SraDetail {
    pub accession: String,
    /// 1-based, inclusive.
    pub first_spot: u64,
    /// 1-based, inclusive.
    pub last_spot: u64,
    /// Spots the chunk must yield (`last_spot - first_spot + 1`); the worker checks it.
    pub spots: u64,
    /// Dump both mates of each spot, interleaved (`fastq-dump --split-spot --skip-technical`).
    pub paired: bool,
}

/// Chunks `[i*B + 1, min((i+1)*B, N)]` over a run of `spots` spots; none when it has none.
/// `size` is the local `.sra` file's size, which scales the output estimate.
pub fn plan(
    run: &Run,
    spots: u64,
    size: Option<u64>,
    chunking: SpotChunking,
    paired: bool,
) -> Result<Vec<Chunk>> {
    let per_chunk = match chunking {
        SpotChunking::Count(0) | SpotChunking::PerChunk(0) => {
            return Err(Error::Usage(
                "chunk counts and sizes must be above 0".to_string(),
            ))
        }
        SpotChunking::Count(count) => spots.div_ceil(count).max(1),
        SpotChunking::PerChunk(per_chunk) => per_chunk,
    };
    let total = spots.div_ceil(per_chunk);
    Ok((0..total)
        .map(|seq| {
            let first_spot = seq * per_chunk + 1;
            let last_spot = ((seq + 1) * per_chunk).min(spots);
            // FASTQ is typically about four times the size of its .sra.
            let est_bytes = size.map_or(0, |size| {
                (size as u128 * 4 * (last_spot - first_spot + 1) as u128 / spots as u128) as u64
            });
            Chunk::new(
                Kind::Sra,
                chunk_id(&run.accession, seq, total),
                seq,
                total,
                vec![SourceRanges {
                    url: run.target.clone(),
                    size,
                    ranges: Vec::new(),
                }],
                est_bytes,
                SraDetail {
                    accession: run.accession.clone(),
                    first_spot,
                    last_spot,
                    spots: last_spot - first_spot + 1,
                    paired,
                },
            )
        })
        .collect())
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
        plan(&run(), spots, None, chunking, false)
            .unwrap()
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
