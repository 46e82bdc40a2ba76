//! The job log: one TSV row per attempt, flushed as it is written, so that `--resume` after
//! a crash (even `kill -9` of the runner) knows which chunks already succeeded.
//!
//! ```text
//! id  seq  attempt  backend  start  runtime  exit  signal  bytes_in  bytes_out  billed  cost  result
//! ```
//! `start` is Unix time in seconds, `runtime` seconds, `exit` and `signal` `-` when absent,
//! `billed` the seconds the engine bills (Lambda) and `cost` their price with the request's in
//! USD (`-` where nothing is billed per task), `result` is `ok` or what went wrong. Logs
//! written before `billed` and `cost` existed (11 columns) are read too. [`read`] gives the rows back ([`Row`]), for
//! `--resume` and for `fanout report`.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

use partition_core::{Error, Position, Result};

use crate::backend::Outcome;

pub const HEADER: &str = "id\tseq\tattempt\tbackend\tstart\truntime\texit\tsignal\tbytes_in\tbytes_out\tbilled\tcost\tresult";

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
        let billed = outcome.billed.map_or("-".to_string(), |billed| {
            format!("{:.3}", billed.as_secs_f64())
        });
        let cost = outcome
            .cost
            .map_or("-".to_string(), |cost| format!("{cost:.10}"));
        let result = if outcome.succeeded() {
            "ok".to_string()
        } else {
            outcome.describe().replace(['\t', '\n', '\r'], " ")
        };
        let row = format!(
            "{}\t{}\t{}\t{}\t{:.3}\t{:.3}\t{}\t{}\t{}\t{}\t{billed}\t{cost}\t{}\n",
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

/// One row of a joblog: one attempt of one chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    pub seq: u64,
    pub attempt: u32,
    pub backend: String,
    /// Unix time in seconds.
    pub start: f64,
    /// Seconds.
    pub runtime: f64,
    pub exit: Option<i32>,
    pub signal: Option<i32>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Seconds billed (Lambda).
    pub billed: Option<f64>,
    /// USD (Lambda).
    pub cost: Option<f64>,
    /// `ok`, or what went wrong.
    pub result: String,
}

impl Row {
    pub fn ok(&self) -> bool {
        self.result == "ok"
    }

    /// Stopped because another attempt of its chunk succeeded first (`--speculate`).
    pub fn lost(&self) -> bool {
        self.result == crate::backend::LOST
    }

    fn parse(line: &str) -> std::result::Result<Row, String> {
        let mut fields: Vec<&str> = line.split('\t').collect();
        match fields.len() {
            13 => {}
            // Before `billed` and `cost`.
            11 => fields.splice(10..10, ["-", "-"]).for_each(drop),
            n => return Err(format!("expected 13 fields, found {n}")),
        }
        fn number<T: std::str::FromStr>(field: &str, name: &str) -> std::result::Result<T, String> {
            field
                .parse()
                .map_err(|_| format!("{name} '{field}' is not a number"))
        }
        fn optional<T: std::str::FromStr>(
            field: &str,
            name: &str,
        ) -> std::result::Result<Option<T>, String> {
            match field {
                "-" => Ok(None),
                _ => number(field, name).map(Some),
            }
        }
        Ok(Row {
            id: fields[0].to_string(),
            seq: number(fields[1], "seq")?,
            attempt: number(fields[2], "attempt")?,
            backend: fields[3].to_string(),
            start: number(fields[4], "start")?,
            runtime: number(fields[5], "runtime")?,
            exit: optional(fields[6], "exit")?,
            signal: optional(fields[7], "signal")?,
            bytes_in: number(fields[8], "bytes_in")?,
            bytes_out: number(fields[9], "bytes_out")?,
            billed: optional(fields[10], "billed")?,
            cost: optional(fields[11], "cost")?,
            result: fields[12].to_string(),
        })
    }
}

/// The rows of an existing joblog (none if there is no log). A last row cut short by a crash
/// is left out; any other malformed row is an error naming its line.
pub fn read(path: &Path) -> Result<Vec<Row>> {
    let name = path.display().to_string();
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(Error::io(&name, error)),
    };
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(&name, e))?;
    let mut rows = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        if (index == 0 && line == HEADER) || line.is_empty() {
            continue;
        }
        match Row::parse(line) {
            Ok(row) => rows.push(row),
            Err(_) if index + 1 == lines.len() => {}
            Err(message) => {
                return Err(Error::bad_input(
                    &name,
                    Position::Line(index as u64 + 1),
                    message,
                ))
            }
        }
    }
    Ok(rows)
}

/// The ids of chunks with a successful attempt in an existing log (none if there is no log).
pub fn succeeded(path: &Path) -> Result<HashSet<String>> {
    Ok(read(path)?
        .into_iter()
        .filter(Row::ok)
        .map(|row| row.id)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_and_without_billing_read_back() {
        let lambda = Row::parse(
            "r-1\t1\t2\tlambda:f\t1764800000.125\t1.500\t0\t-\t10\t20\t1.307\t0.0000436\tok",
        )
        .unwrap();
        assert_eq!(
            (lambda.attempt, lambda.billed, lambda.cost, lambda.ok()),
            (2, Some(1.307), Some(0.0000436), true)
        );
        // Written before the billing columns.
        let old =
            Row::parse("r-2\t2\t1\tlocal:h\t1764800000.000\t0.2\t-\t9\t10\t0\tsignal 9").unwrap();
        assert_eq!((old.signal, old.billed, old.cost), (Some(9), None, None));
        assert_eq!(old.result, "signal 9");
        assert!(Row::parse("r-3\t3\t1").is_err());
        let lost = Row {
            result: crate::backend::LOST.to_string(),
            ..old
        };
        assert!(lost.lost() && !lost.ok());
    }
}
