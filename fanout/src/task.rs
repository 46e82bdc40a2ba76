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
    /// Publish outputs only where none exists yet (S3 `If-None-Match`), and stop once
    /// another attempt's has appeared: attempts of one chunk may run at once on machines
    /// that cannot see each other (`--speculate` on Lambda).
    #[serde(default)]
    pub exclusive: bool,
}

impl TaskSpec {
    /// Where the chunk's output goes under `out_dir`: `{id}{suffix}`.
    pub fn output_name(&self, chunk: &Chunk) -> String {
        format!("{}{}", chunk.id, self.suffix)
    }
}

/// Replaces `{id}`, `{seq}`, `{total}` and `{kind}` in one argument, and in a pair of a cross
/// product `{cross.id}`, `{cross.seq}`, `{cross.total}` and `{cross.kind}`.
pub fn substitute(argument: &str, chunk: &Chunk) -> String {
    let mut argument = argument
        .replace("{id}", &chunk.id)
        .replace("{seq}", &chunk.seq.to_string())
        .replace("{total}", &chunk.total.to_string())
        .replace("{kind}", chunk.kind.name());
    if let Some(cross) = &chunk.cross {
        argument = argument
            .replace("{cross.id}", &cross.id)
            .replace("{cross.seq}", &cross.seq.to_string())
            .replace("{cross.total}", &cross.total.to_string())
            .replace("{cross.kind}", cross.kind.name());
    }
    argument
}

/// The environment of a task: `CHUNK_ID`, `CHUNK_SEQ`, `CHUNK_TOTAL`, `CHUNK_JSON`, and in a
/// pair `CROSS_ID`, `CROSS_SEQ`, `CROSS_TOTAL`, `CROSS_JSON` (the other manifest's line).
pub fn environment(chunk: &Chunk) -> Vec<(&'static str, String)> {
    let mut variables = vec![
        ("CHUNK_ID", chunk.id.clone()),
        ("CHUNK_SEQ", chunk.seq.to_string()),
        ("CHUNK_TOTAL", chunk.total.to_string()),
        ("CHUNK_JSON", chunk.to_json()),
    ];
    if let Some(cross) = &chunk.cross {
        variables.extend([
            ("CROSS_ID", cross.id.clone()),
            ("CROSS_SEQ", cross.seq.to_string()),
            ("CROSS_TOTAL", cross.total.to_string()),
            ("CROSS_JSON", cross.to_json()),
        ]);
    }
    variables
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
