//! The invocation payload and the worker's reply: JSON, small (a manifest line, never chunk
//! data), so that it fits Lambda's 6 MB limit for synchronous invocations.

use partition_core::Chunk;
use serde::{Deserialize, Serialize};

use crate::backend::Outcome;

/// Lambda's limit on a synchronous invocation's request payload.
pub const PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Request {
    /// Run the command on one chunk.
    Run(Task),
    /// Answer with the worker's version (`fanout lambda doctor`).
    Ping,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Task {
    pub chunk: Chunk,
    pub attempt: u32,
    /// The command and its arguments, with `{id}`-style placeholders.
    pub command: Vec<String>,
    /// The `s3://` prefix for `{id}{suffix}` and `{id}.err`.
    pub out_dir: String,
    pub suffix: String,
    pub feed_stdin: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "lowercase")]
pub enum Reply {
    Ran(Report),
    Pong { version: String },
}

/// How the attempt went, as the worker saw it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    /// Why the attempt failed besides its exit status (a source object is gone...).
    pub error: Option<String>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Time in the handler: what Lambda bills.
    pub runtime_ms: u64,
    pub stderr_tail: String,
}

impl Report {
    pub fn from_outcome(outcome: &Outcome) -> Report {
        Report {
            exit_code: outcome.exit_code,
            signal: outcome.signal,
            timed_out: outcome.timed_out,
            error: outcome.error.clone(),
            bytes_in: outcome.bytes_in,
            bytes_out: outcome.bytes_out,
            runtime_ms: outcome.runtime.as_millis() as u64,
            stderr_tail: outcome.stderr_tail.clone(),
        }
    }

    /// Fills the client's outcome of the attempt.
    pub fn fill(self, outcome: &mut Outcome) {
        outcome.exit_code = self.exit_code;
        outcome.signal = self.signal;
        outcome.timed_out = self.timed_out;
        outcome.error = self.error;
        outcome.bytes_in = self.bytes_in;
        outcome.bytes_out = self.bytes_out;
        outcome.stderr_tail = self.stderr_tail;
    }
}
