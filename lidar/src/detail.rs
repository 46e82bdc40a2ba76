//! The `detail` of a `las` chunk: the tile's boxes and counts, and how to read each source.

use serde::{Deserialize, Serialize};

use crate::write::Format;

/// A box as `[min x, min y, max x, max y]`.
pub type Box2 = [f64; 4];

/// What a worker needs beyond the byte ranges (the `detail` of a `las` chunk).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LasDetail {
    pub core: Box2,
    pub buffered: Box2,
    pub buffer: f64,
    pub core_points: u64,
    pub buffer_points: u64,
    /// The tile's file format unless the worker is asked for another: the first input's.
    pub format: Format,
    /// One per chunk source, in order.
    pub sources: Vec<SourceDetail>,
}

/// How to read one source: its ranges are the head (`[0, offset to point data)`), then one
/// range per run, then the EVLRs when `evlrs` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceDetail {
    pub runs: Vec<Run>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub evlrs: bool,
}

/// Consecutive point blocks read as one range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub first_point: u64,
    /// LAZ: `[points, bytes]` of each chunk in the range (absent for LAS).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chunks: Vec<[u64; 2]>,
}
