//! The `detail` of a `fasta` chunk: its parts and the line layout of their sequences.

use serde::{Deserialize, Serialize};

use crate::name_map::Part;

/// A part as a chunk carries it: the name-map row plus the layout of its source sequence,
/// so a worker needs no `.fai`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartLayout {
    #[serde(flatten)]
    pub part: Part,
    /// Bases per line of the source sequence (the default output width).
    pub line_bases: u64,
}

/// The `detail` of a `fasta` chunk: its parts, in order, one byte range each in `sources[0]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FastaDetail {
    pub parts: Vec<PartLayout>,
}
