//! The job log: one TSV row per attempt, flushed as it is written, so that `--resume` after
//! a crash (even `kill -9` of the runner) knows which chunks already succeeded.
//!
//! ```text
//! id  seq  attempt  backend  start  runtime  exit  signal  bytes_in  bytes_out  result
//! ```
//! `start` is Unix time in seconds, `runtime` seconds, `exit` and `signal` `-` when absent,
//! `result` is `ok` or what went wrong.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

use partition_core::{Error, Position, Result};

use crate::backend::Outcome;

pub const HEADER: &str =
    "id\tseq\tattempt\tbackend\tstart\truntime\texit\tsignal\tbytes_in\tbytes_out\tresult";

pub struct JobLog {
    file: Mutex<File>,
    name: String,
}

impl JobLog {
    /// Opens the log for appending; a new or empty file gets the header.
    pub fn open(path: &Path) -> Result<JobLog> {
        let name = path.display().to_string();
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(&name, e))?;
        let empty = file.metadata().map_err(|e| Error::io(&name, e))?.len() == 0;
        if empty {
            writeln!(file, "{HEADER}").map_err(|e| Error::io(&name, e))?;
        }
        Ok(JobLog {
            file: Mutex::new(file),
            name,
        })
    }

    pub fn record(&self, backend: &str, outcome: &Outcome) -> Result<()> {
        let start = outcome
            .start
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let optional = |value: Option<i32>| value.map_or("-".to_string(), |v| v.to_string());
        let result = if outcome.succeeded() {
            "ok".to_string()
        } else {
            outcome.describe().replace(['\t', '\n', '\r'], " ")
        };
        let row = format!(
            "{}\t{}\t{}\t{}\t{:.3}\t{:.3}\t{}\t{}\t{}\t{}\t{}\n",
            outcome.id,
            outcome.seq,
            outcome.attempt,
            backend,
            start,
            outcome.runtime.as_secs_f64(),
            optional(outcome.exit_code),
            optional(outcome.signal),
            outcome.bytes_in,
            outcome.bytes_out,
            result
        );
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(row.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io(&self.name, e))
    }
}

/// The ids of chunks with a successful attempt in an existing log (none if there is no log).
pub fn succeeded(path: &Path) -> Result<HashSet<String>> {
    let name = path.display().to_string();
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(HashSet::new()),
        Err(error) => return Err(Error::io(&name, error)),
    };
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(&name, e))?;
    let mut ids = HashSet::new();
    for (index, line) in lines.iter().enumerate() {
        if (index == 0 && line == HEADER) || line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != 11 {
            // A last row cut short by a crash is simply not a success.
            if index + 1 == lines.len() {
                continue;
            }
            return Err(Error::bad_input(
                &name,
                Position::Line(index as u64 + 1),
                format!("expected 11 fields, found {}", fields.len()),
            ));
        }
        if fields[10] == "ok" {
            ids.insert(fields[0].to_string());
        }
    }
    Ok(ids)
}
