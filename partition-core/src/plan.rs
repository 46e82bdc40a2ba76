//! What every format crate's `plan` returns.
//!
//! A plan is the manifest's chunks, what looked wrong on the way (warnings a tool prints on
//! stderr), and figures that only that format has (the `stats`, printed as one summary line).

use std::fmt;

use crate::Chunk;

/// The result of planning: chunks in manifest order, warnings, and the format's own figures.
#[derive(Debug, Clone)]
pub struct Plan<S> {
    pub chunks: Vec<Chunk>,
    /// Problems that did not stop the plan (a changed index rebuilt, a missing overview).
    pub warnings: Vec<String>,
    pub stats: S,
}

/// Figures with nothing to say: a format whose plan has no summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoStats;

impl fmt::Display for NoStats {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}
