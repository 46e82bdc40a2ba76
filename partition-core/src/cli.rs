//! What every chunkwise binary shares: the `main` wrapper that turns errors into messages
//! and exit codes, the chunking options, and the `cat` verb.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::output::{create_dir, AtomicFile};
use crate::{ByteSize, Chunk, Error, Kind, ManifestReader, Result};

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

/// How to cut an input into chunks; exactly one option is given.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct ChunkingArgs {
    /// Cut into about N chunks of equal size
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub chunks: Option<u64>,
    /// Cut into chunks of about SIZE bytes of data (64MiB, 1.5G)
    #[arg(long, value_name = "SIZE")]
    pub chunk_size: Option<ByteSize>,
    /// Cut every N records
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub records: Option<u64>,
}

/// The chunking options, as one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunking {
    Count(u64),
    Size(u64),
    Records(u64),
}

impl ChunkingArgs {
    pub fn chunking(&self) -> Result<Chunking> {
        match (self.chunks, self.chunk_size, self.records) {
            (Some(count), None, None) => Ok(Chunking::Count(count)),
            (None, Some(size), None) if size.bytes() > 0 => Ok(Chunking::Size(size.bytes())),
            (None, Some(_), None) => Err(Error::Usage("--chunk-size must be above 0".to_string())),
            (None, None, Some(records)) => Ok(Chunking::Records(records)),
            _ => Err(Error::Usage(
                "give one of --chunks, --chunk-size, --records".to_string(),
            )),
        }
    }
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

/// Prints a plan's manifest on stdout.
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
