//! What every attempt of a run executes: the command, and where its outputs go. One
//! [`TaskSpec`] travels unchanged from the command line to every backend: the local pool,
//! each Lambda invocation (inside its payload) and each Slurm array task (as `fanout worker`
//! arguments).

use std::time::Duration;

use partition_core::Chunk;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// The command and its arguments, with `{id}`-style placeholders.
    pub command: Vec<String>,
    /// A folder or an `s3://` prefix for `{id}{suffix}` and `{id}.err`; none: stdout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_dir: Option<String>,
    /// Appended to the id to name output files.
    #[serde(default)]
    pub suffix: String,
    /// Feed the chunk on stdin (off: the command reads the chunk itself).
    pub feed_stdin: bool,
    /// Per attempt; the task's whole process group is killed past it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}

impl TaskSpec {
    /// Where the chunk's output goes under `out_dir`: `{id}{suffix}`.
    pub fn output_name(&self, chunk: &Chunk) -> String {
        format!("{}{}", chunk.id, self.suffix)
    }
}

/// Replaces `{id}`, `{seq}`, `{total}` and `{kind}` in one argument.
pub fn substitute(argument: &str, chunk: &Chunk) -> String {
    argument
        .replace("{id}", &chunk.id)
        .replace("{seq}", &chunk.seq.to_string())
        .replace("{total}", &chunk.total.to_string())
        .replace("{kind}", chunk.kind.name())
}

/// A word for `sh`: single-quoted unless plainly safe.
pub fn shell_quote(argument: &str) -> String {
    let plain = !argument.is_empty()
        && argument
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%{}".contains(&b));
    if plain {
        argument.to_string()
    } else {
        format!("'{}'", argument.replace('\'', "'\\''"))
    }
}
