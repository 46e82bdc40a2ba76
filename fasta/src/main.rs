use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use partition_core::cli::{self, CatArgs, Quiet};
use partition_core::output::write_file;
use partition_core::Result;

use fasta::{CatOptions, PlanOptions, DEFAULT_OVERLAP};

/// FASTA references: samtools-exact .fai indexes, balanced chunks with overlap, short
/// names and a name map back to the original coordinates.
#[derive(Parser)]
#[command(name = "fasta-split", version, after_help = EXAMPLES)]
struct Args {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    quiet: Quiet,
}

#[derive(Subcommand)]
enum Command {
    /// Write the .fai index of a FASTA file, byte-identical to `samtools faidx`
    Index {
        /// FASTA file: a path or s3://bucket/key
        input: String,
        /// Where to write the index: a path, s3:// URL, or - for stdout [default: INPUT.fai]
        #[arg(short, long, value_name = "FAI")]
        output: Option<String>,
    },
    /// Print a manifest of N chunks of about equal bases; write the name map
    Plan {
        /// FASTA file: a path or s3://bucket/key
        input: String,
        /// Number of chunks
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        chunks: u64,
        /// Bases shared by consecutive parts of a split sequence (at least 2 x (read length + 50))
        #[arg(long, value_name = "BASES", default_value_t = DEFAULT_OVERLAP)]
        overlap: u64,
        /// Write the name map (TSV: id orig_name start end own_start own_end) to FILE
        #[arg(long, value_name = "FILE")]
        map: Option<String>,
        /// Index to use [default: INPUT.fai when present and consistent, else built]
        #[arg(long, value_name = "FAI")]
        fai: Option<String>,
    },
    /// Rebuild chunks as FASTA with their short headers
    Cat {
        #[command(flatten)]
        cat: CatArgs,
        /// Bases per output line [default: the input's]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        line_width: Option<u64>,
    },
}

const EXAMPLES: &str = "\
Examples:
  fasta-split index ref.fa                                   # writes ref.fa.fai
  fasta-split plan ref.fa --chunks 16 --map parts.tsv > chunks.jsonl
  fasta-split cat chunks.jsonl --out-dir parts/              # parts/ref-00.fa ...
  fasta-split plan s3://refs/GRCh38.fa --chunks 64 --overlap 1000 --map parts.tsv | fanout -- bwa index -p {id} -";

fn main() -> ExitCode {
    let args = Args::parse();
    cli::main("fasta-split", || run(args))
}

fn run(args: Args) -> Result<()> {
    let quiet = args.quiet.quiet;
    match args.command {
        Command::Index { input, output } => {
            let output = match output {
                Some(output) => output,
                None => format!("{input}.fai"),
            };
            let source = partition_core::Source::open(&input)?;
            fasta::reference::refuse_compressed(&source)?;
            let reader =
                partition_core::progress::reader(source.reader()?, source.size(), quiet, &input);
            let built = fasta::fai::build(io::BufReader::with_capacity(1 << 20, reader), &input)?;
            warn(quiet, &input, &built.warnings);
            write_file(&output, |out| fasta::fai::write(&built.records, out))
        }
        Command::Plan {
            input,
            chunks,
            overlap,
            map,
            fai,
        } => {
            let options = PlanOptions {
                chunks,
                overlap,
                fai,
                map,
                quiet,
            };
            cli::print_plan("fasta-split", &fasta::plan(&[input], &options)?, quiet)
        }
        Command::Cat { cat, line_width } => {
            let options = CatOptions { line_width };
            let format = &fasta::FORMAT;
            cli::cat(&cat, format.kinds, format.suffix, |chunk, out| {
                fasta::write_chunk_with(chunk, &options, out)
            })
        }
    }
}

fn warn(quiet: bool, input: &str, warnings: &[String]) {
    if !quiet {
        for warning in warnings {
            let _ = writeln!(io::stderr(), "fasta-split: warning: {input}: {warning}");
        }
    }
}
