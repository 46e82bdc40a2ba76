//! The `detail` of an `sra` chunk: a run and a spot range, which sra-tools dumps.

use serde::{Deserialize, Serialize};

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
