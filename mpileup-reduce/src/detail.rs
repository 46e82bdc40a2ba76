//! The `detail` of an `mpileup` chunk: a reducer's position range and how to read its inputs.

use serde::{Deserialize, Serialize};

use crate::merge::Columns;

/// The `detail` of an `mpileup` chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MpileupDetail {
    /// First position of the range (chromosome, 1-based position), inclusive; None from the start.
    pub from: Option<(String, u64)>,
    /// First position after the range; None to the end.
    pub to: Option<(String, u64)>,
    /// Name map rewriting part ids to original coordinates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map: Option<String>,
    /// `.fai` giving the output order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fai: Option<String>,
    #[serde(default)]
    pub columns: Columns,
}
