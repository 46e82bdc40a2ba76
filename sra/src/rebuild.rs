//! Dumping a chunk's spots with `fastq-dump`.

use std::io::{self, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;

use partition_core::{Chunk, Error, Kind, Result};

use crate::detail::SraDetail;
use crate::run::tool_error;

/// Streams the chunk's spots as FASTQ and fails unless fastq-dump wrote every one of them
/// (a truncated download or the wrong file would otherwise give a short chunk).
pub fn write_chunk(chunk: &Chunk, output: &mut dyn Write) -> Result<()> {
    chunk.expect_kind(&[Kind::Sra])?;
    let detail: SraDetail = chunk.detail()?;
    let target = &chunk.sources[0].url;
    let mut command = Command::new("fastq-dump");
    command
        .arg("-N")
        .arg(detail.first_spot.to_string())
        .arg("-X")
        .arg(detail.last_spot.to_string())
        .arg("--stdout");
    if detail.paired {
        command.args(["--split-spot", "--skip-technical"]);
    }
    // sra-tools finds an aligned run's reference objects in the working directory: run it
    // beside the .sra file.
    let path = Path::new(target);
    match (path.is_file(), path.parent(), path.file_name()) {
        (true, Some(folder), Some(name)) if !folder.as_os_str().is_empty() => {
            command.current_dir(folder).arg(name)
        }
        _ => command.arg(target),
    };
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| tool_error("fastq-dump", e))?;
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let stderr_reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let copied = io::copy(&mut child.stdout.take().expect("stdout is piped"), output);
    if let Err(error) = copied {
        let _ = child.kill();
        let _ = child.wait();
        return Err(partition_core::cli::output_error(error));
    }
    let status = child.wait().map_err(|e| Error::io("fastq-dump", e))?;
    let messages = stderr_reader.join().unwrap_or_default();
    if !status.success() {
        return Err(Error::Failed(format!(
            "fastq-dump failed on {target} (chunk {}): {}",
            chunk.id,
            explain(&messages)
        )));
    }
    let expected = detail.spots;
    if detail.first_spot == 0
        || detail
            .last_spot
            .checked_sub(detail.first_spot)
            .map(|span| span + 1)
            != Some(expected)
    {
        return Err(Error::bad_file(
            format!("chunk {}", chunk.id),
            "spots disagree with the spot range",
        ));
    }
    match written_spots(&messages) {
        Some(written) if written == expected => Ok(()),
        Some(written) => Err(Error::bad_file(
            target,
            format!(
                "fastq-dump wrote {written} spots for chunk {} (spots {}-{}), expected {expected}: \
                 the run is shorter than planned (truncated download or another file?)",
                chunk.id, detail.first_spot, detail.last_spot
            ),
        )),
        None => Err(Error::Failed(format!(
            "fastq-dump on {target} did not report how many spots it wrote: {}",
            messages.trim()
        ))),
    }
}

/// The `Written N spots` line fastq-dump prints on stderr.
fn written_spots(messages: &str) -> Option<u64> {
    messages.lines().find_map(|line| {
        line.strip_prefix("Written ")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

/// fastq-dump's error lines, with a hint for the common case of missing reference objects.
fn explain(messages: &str) -> String {
    let errors: Vec<&str> = messages
        .lines()
        .filter(|line| line.contains("err"))
        .collect();
    let text = if errors.is_empty() {
        messages.trim().to_string()
    } else {
        errors.join("; ")
    };
    let missing: Vec<&str> = messages
        .split(|c: char| c.is_whitespace() || c == '\'' || c == '"')
        .filter(|word| {
            word.starts_with("NC_") || word.starts_with("NT_") || word.starts_with("NW_")
        })
        .collect();
    match missing.first() {
        Some(reference) => format!(
            "{text} (this aligned run needs its reference object {reference} beside the .sra file)"
        ),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_written_count() {
        assert_eq!(
            written_spots("Read 974 spots for x.sra\nWritten 974 spots for x.sra\n"),
            Some(974)
        );
        assert_eq!(written_spots("fastq-dump error\n"), None);
    }
}
