//! One error type for the whole toolkit.
//!
//! Messages always start with the input they concern (a path, an `s3://` URL, a manifest
//! name) and, for bad data, the position in it, so that `fastq-split: reads.fq: line 4003:
//! quality length 99 differs from sequence length 100` is enough to find the problem.
//! Each variant maps to one documented exit code (see `docs/cli.md`).

use std::fmt;
use std::io;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an input a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// 1-based line number.
    Line(u64),
    /// 1-based line and column.
    LineColumn(u64, u64),
    /// 0-based byte offset.
    Byte(u64),
    /// 1-based line number and the 0-based byte offset where that line starts.
    LineAtByte(u64, u64),
    /// 1-based record number (of formats read through a parser that does not count lines).
    Record(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(line) => write!(f, "line {line}"),
            Position::LineColumn(line, column) => write!(f, "line {line}, column {column}"),
            Position::Byte(offset) => write!(f, "byte {offset}"),
            Position::LineAtByte(line, offset) => write!(f, "line {line} (byte {offset})"),
            Position::Record(number) => write!(f, "record {number}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input's content is wrong: a malformed record, a bad manifest line.
    #[error("{input}: {position}: {message}")]
    BadInput {
        input: String,
        position: Position,
        message: String,
    },
    /// The input is wrong as a whole (wrong format, changed since it was planned).
    #[error("{input}: {message}")]
    BadFile { input: String, message: String },
    /// The input does not exist.
    #[error("{input}: not found")]
    NotFound { input: String },
    /// Reading or writing failed.
    #[error("{input}: {source}")]
    Io {
        input: String,
        #[source]
        source: io::Error,
    },
    /// Remote storage (S3) refused or failed a request.
    #[error("{input}: {message}")]
    Storage { input: String, message: String },
    /// The arguments do not make sense together.
    #[error("{0}")]
    Usage(String),
    /// A required external program is missing.
    #[error("{program} not found: {hint}")]
    ToolMissing { program: String, hint: String },
    /// Something the user ran (a chunk's command, an external tool) failed.
    #[error("{0}")]
    Failed(String),
    /// Stopped by SIGINT or SIGTERM.
    #[error("{0}")]
    Interrupted(String),
}

/// Exit codes, one per kind of failure; documented in `docs/cli.md`.
pub mod exit {
    pub const SUCCESS: u8 = 0;
    /// A task failed (a command run by `fanout`, an external tool).
    pub const FAILED: u8 = 1;
    /// Bad command line (clap uses the same code).
    pub const USAGE: u8 = 2;
    /// The input data is malformed (sysexits EX_DATAERR).
    pub const BAD_INPUT: u8 = 65;
    /// An input does not exist (EX_NOINPUT).
    pub const NOT_FOUND: u8 = 66;
    /// A required external program is missing (EX_UNAVAILABLE).
    pub const TOOL_MISSING: u8 = 69;
    /// Reading, writing or remote storage failed (EX_IOERR).
    pub const IO: u8 = 74;
    /// Stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it).
    pub const INTERRUPTED: u8 = 130;
}

impl Error {
    pub fn bad_input(
        input: impl fmt::Display,
        position: Position,
        message: impl Into<String>,
    ) -> Error {
        Error::BadInput {
            input: input.to_string(),
            position,
            message: message.into(),
        }
    }

    pub fn bad_file(input: impl fmt::Display, message: impl Into<String>) -> Error {
        Error::BadFile {
            input: input.to_string(),
            message: message.into(),
        }
    }

    /// Wraps an I/O error with the input it concerns; a missing file becomes [`Error::NotFound`].
    /// An I/O error while reading `input`. A reader that found bad data (a decoder behind
    /// `Read`) wraps an [`Error`] in the `io::Error`; that error comes back out as it was.
    pub fn io(input: impl fmt::Display, source: io::Error) -> Error {
        if source.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            let inner = source.into_inner().expect("checked above");
            return *inner.downcast::<Error>().expect("checked above");
        }
        if source.kind() == io::ErrorKind::NotFound {
            Error::NotFound {
                input: input.to_string(),
            }
        } else {
            Error::Io {
                input: input.to_string(),
                source,
            }
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::BadInput { .. } | Error::BadFile { .. } => exit::BAD_INPUT,
            Error::NotFound { .. } => exit::NOT_FOUND,
            Error::Io { .. } | Error::Storage { .. } => exit::IO,
            Error::Usage(_) => exit::USAGE,
            Error::ToolMissing { .. } => exit::TOOL_MISSING,
            Error::Failed(_) => exit::FAILED,
            Error::Interrupted(_) => exit::INTERRUPTED,
        }
    }

    /// True when the error is only a closed pipe downstream (`tool | head`), which is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_data_found_behind_read_keeps_its_input_position_and_exit_code() {
        let inner = Error::bad_input("reads.fq.gz", Position::Byte(100), "truncated".to_string());
        let through_read = io::Error::new(io::ErrorKind::InvalidData, inner);
        let error = Error::io("reads.fq.gz (uncompressed)", through_read);
        assert_eq!(error.to_string(), "reads.fq.gz: byte 100: truncated");
        assert_eq!(error.exit_code(), exit::BAD_INPUT);

        let plain = Error::io("reads.fq", io::Error::other("disk on fire"));
        assert_eq!(plain.to_string(), "reads.fq: disk on fire");
        assert_eq!(plain.exit_code(), exit::IO);
    }
}
