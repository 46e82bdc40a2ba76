use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;

use clap::{Parser, ValueEnum};
use partition_core::cli::{self, Quiet};
use partition_core::{HumanDuration, ManifestReader, Result};

/// Run a command once per chunk of a manifest, the chunk's bytes on its stdin.
///
/// The command sees {id}, {seq}, {total} and {kind} replaced in its arguments, and the
/// environment variables CHUNK_ID, CHUNK_SEQ, CHUNK_TOTAL and CHUNK_JSON (the manifest line).
/// Each task runs in its own process group; a timeout, `--halt now` or Ctrl-C kills the group.
#[derive(Parser)]
#[command(name = "fanout", version, after_help = EXAMPLES)]
struct Args {
    /// Manifest to read: a path, s3://bucket/key, or - for stdin
    #[arg(long, short, default_value = "-", value_name = "FILE")]
    manifest: String,
    /// Tasks to run at once [default: the number of cores]
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    jobs: Option<u64>,
    /// Store each chunk's stdout as DIR/{id}{suffix} (and stderr as DIR/{id}.err), only on
    /// success; DIR may be an s3://bucket/prefix/ (multipart uploads, completed on success)
    #[arg(long, value_name = "DIR")]
    out_dir: Option<String>,
    /// Suffix of output files in --out-dir
    #[arg(long, default_value = ".out", requires = "out_dir")]
    suffix: String,
    /// Print outputs in manifest order instead of as tasks finish
    #[arg(short, long)]
    keep_order: bool,
    /// Give the command no stdin; it reads the chunk itself (see CHUNK_JSON)
    #[arg(long)]
    no_stdin: bool,
    /// Attempts after a failure, with exponential backoff
    #[arg(long, value_name = "N", default_value_t = 0)]
    retries: u32,
    /// Wait before the first retry (doubled for each next one)
    #[arg(long, value_name = "DURATION", default_value = "1s")]
    retry_delay: HumanDuration,
    /// Kill a task (its whole process group) running longer than this (30s, 5m, 2h)
    #[arg(long, value_name = "DURATION")]
    timeout: Option<HumanDuration>,
    /// When a chunk fails for good: keep going, start nothing new, or kill everything
    #[arg(long, value_enum, default_value = "never")]
    halt: HaltArg,
    /// Append one TSV row per attempt to FILE
    #[arg(long, value_name = "FILE")]
    joblog: Option<PathBuf>,
    /// Skip chunks the joblog records as succeeded (and whose outputs exist)
    #[arg(long, requires = "joblog")]
    resume: bool,
    /// Print each chunk's command line instead of running it
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    quiet: Quiet,
    /// The command to run per chunk, after --
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum HaltArg {
    Never,
    Soon,
    Now,
}

const EXAMPLES: &str = "\
Examples:
  fastq-split plan reads.fq.gz --chunks 8 | fanout -j 4 -- wc -l
  fastq-split plan R1.fq.gz R2.fq.gz --chunks 64 | fanout --out-dir sam --suffix .sam -- minimap2 -a -x sr ref.mmi -
  fanout -m chunks.jsonl --joblog run.tsv --retries 2 --timeout 30m --out-dir out -- bwa mem -p ref.fa -
  fanout -m chunks.jsonl --joblog run.tsv --resume --out-dir out -- bwa mem -p ref.fa -   # after a crash
  fanout -m chunks.jsonl --keep-order -- sh -c 'seqkit stats -T | sed \"s/^/$CHUNK_ID\\t/\"'";

fn main() -> ExitCode {
    let args = Args::parse();
    cli::main("fanout", || run(args))
}

fn run(args: Args) -> Result<()> {
    let chunks = ManifestReader::open(&args.manifest)?.read_all()?;
    let jobs = match args.jobs {
        Some(jobs) => jobs as usize,
        None => thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let options = fanout::RunOptions {
        command: args.command,
        jobs,
        out_dir: args.out_dir,
        suffix: args.suffix,
        keep_order: args.keep_order,
        feed_stdin: !args.no_stdin,
        quiet: args.quiet.quiet,
        retries: args.retries,
        retry_delay: args.retry_delay.0,
        timeout: args.timeout.map(|timeout| timeout.0),
        halt: match args.halt {
            HaltArg::Never => fanout::Halt::Never,
            HaltArg::Soon => fanout::Halt::Soon,
            HaltArg::Now => fanout::Halt::Now,
        },
        joblog: args.joblog,
        resume: args.resume,
        dry_run: args.dry_run,
    };
    fanout::run(&chunks, &options)?;
    Ok(())
}
