//! What every chunkwise binary shares: the `main` wrapper that turns errors into messages
//! and exit codes, printing a plan, and the `cat` verb.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::output::{create_dir, AtomicFile};
use crate::{Chunk, Error, Kind, ManifestReader, Plan, Result};

/// Runs a binary's body: errors go to stderr as `tool: message` with their exit code;
/// a closed pipe downstream (`tool ... | head`) ends the program quietly with success.
pub fn main(tool: &str, body: impl FnOnce() -> Result<()>) -> ExitCode {
    match body() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(io::stderr().lock(), "{tool}: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

/// `--quiet`, shared by every binary.
#[derive(Debug, Clone, clap::Args)]
pub struct Quiet {
    /// No progress bars or log lines on stderr (errors are still printed)
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// The arguments of every tool's `cat` verb.
#[derive(Debug, Clone, clap::Args)]
pub struct CatArgs {
    /// Manifest to read: a path, s3://bucket/key, or - for stdin
    #[arg(default_value = "-")]
    pub manifest: String,
    /// Write one file per chunk into DIR, named by the chunk id, instead of stdout
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Rebuild only the chunk with this id
    #[arg(long, conflicts_with = "seq")]
    pub id: Option<String>,
    /// Rebuild only the chunk at this position (0-based)
    #[arg(long)]
    pub seq: Option<u64>,
}

impl CatArgs {
    /// Whether `--id` / `--seq` select this chunk (all are selected without them).
    pub fn wants(&self, chunk: &Chunk) -> bool {
        match (&self.id, self.seq) {
            (Some(id), _) => &chunk.id == id,
            (None, Some(seq)) => chunk.seq == seq,
            (None, None) => true,
        }
    }
}

/// Rebuilds the chunks a manifest lists, with the tool's `write_chunk`: all of them, in
/// order, to stdout, or each to `DIR/<id><suffix>` atomically.
pub fn cat(
    args: &CatArgs,
    kinds: &[Kind],
    suffix: &str,
    write_chunk: impl Fn(&Chunk, &mut dyn Write) -> Result<()>,
) -> Result<()> {
    cat_each(args, kinds, |chunk, destination| match destination {
        Destination::Stdout(stdout) => write_chunk(chunk, stdout),
        Destination::Dir(dir) => {
            let mut file = AtomicFile::create(dir.join(format!("{}{suffix}", chunk.id)))?;
            write_chunk(chunk, &mut file)?;
            file.commit()
        }
    })
}

/// Where `cat` puts a chunk.
pub enum Destination<'a> {
    Stdout(&'a mut dyn Write),
    /// `--out-dir`: files named by the chunk id, written atomically
    /// ([`AtomicFile`]).
    Dir(&'a Path),
}

/// The `cat` verb for tools that write a chunk their own way (one file or several):
/// `write` gets each chunk the arguments select, in manifest order.
pub fn cat_each(
    args: &CatArgs,
    kinds: &[Kind],
    mut write: impl FnMut(&Chunk, Destination) -> Result<()>,
) -> Result<()> {
    if let Some(dir) = &args.out_dir {
        create_dir(dir)?;
    }
    let mut stdout = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut found = false;
    for chunk in ManifestReader::open(&args.manifest)? {
        let chunk = chunk?;
        if !args.wants(&chunk) {
            continue;
        }
        found = true;
        chunk.expect_kind(kinds)?;
        match &args.out_dir {
            Some(dir) => write(&chunk, Destination::Dir(dir))?,
            None => write(&chunk, Destination::Stdout(&mut stdout))?,
        }
    }
    stdout.flush().map_err(|e| Error::io("<stdout>", e))?;
    if !found && (args.id.is_some() || args.seq.is_some()) {
        let wanted = match (&args.id, args.seq) {
            (Some(id), _) => format!("id {id}"),
            (None, Some(seq)) => format!("seq {seq}"),
            (None, None) => unreachable!("checked above"),
        };
        return Err(Error::Usage(format!(
            "{}: no chunk with {wanted}",
            args.manifest
        )));
    }
    Ok(())
}

/// Prints a plan's manifest on stdout, then (unless `quiet`) its warnings and its summary
/// line on stderr, each as `tool: ...`.
pub fn print_plan<S: std::fmt::Display>(tool: &str, plan: &Plan<S>, quiet: bool) -> Result<()> {
    print_manifest(&plan.chunks)?;
    if !quiet {
        let mut stderr = io::stderr().lock();
        for warning in &plan.warnings {
            let _ = writeln!(stderr, "{tool}: warning: {warning}");
        }
        let summary = plan.stats.to_string();
        if !summary.is_empty() {
            let _ = writeln!(stderr, "{tool}: {summary}");
        }
    }
    Ok(())
}

/// Prints chunks as a manifest on stdout.
pub fn print_manifest(chunks: &[Chunk]) -> Result<()> {
    let mut writer = crate::ManifestWriter::new(io::stdout().lock());
    for chunk in chunks {
        writer.write(chunk)?;
    }
    writer.finish()
}

/// Reports an I/O error on a chunk's output stream.
pub fn output_error(error: io::Error) -> Error {
    Error::io("<output>", error)
}
