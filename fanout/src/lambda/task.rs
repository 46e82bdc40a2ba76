//! The invocation payload and the worker's reply: JSON, small (a manifest line, never chunk
//! data), so that it fits Lambda's 6 MB limit for synchronous invocations.

use partition_core::Chunk;
use serde::{Deserialize, Serialize};

use crate::backend::Report;
use crate::task::TaskSpec;

/// Lambda's limit on a synchronous invocation's request payload.
pub const PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Request {
    /// Run the command on one chunk.
    Run(Box<Task>),
    /// Answer with the worker's version (`fanout lambda doctor`).
    Ping,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Task {
    pub chunk: Chunk,
    pub attempt: u32,
    /// What to run; its `out_dir` is the `s3://` prefix for `{id}{suffix}` and `{id}.err`.
    #[serde(flatten)]
    pub spec: TaskSpec,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "lowercase")]
pub enum Reply {
    Ran(Report),
    Pong { version: String },
}
