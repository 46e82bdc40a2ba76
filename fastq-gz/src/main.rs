use std::io;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use partition_core::cli::{self, CatArgs, ChunkingArgs, Quiet};
use partition_core::{Kind, ManifestWriter, Result};

/// Cut FASTQ files into record-aligned chunks and rebuild them.
#[derive(Parser)]
#[command(name = "fastq-split", version, after_help = EXAMPLES)]
struct Args {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    quiet: Quiet,
}

#[derive(Subcommand)]
enum Command {
    /// Print a manifest of record-aligned chunks (JSON Lines) on stdout
    Plan {
        /// A FASTQ file (path or s3://bucket/key), or R1 and R2 of a pair
        #[arg(required = true, num_args = 1..=2, value_name = "FASTQ")]
        inputs: Vec<String>,
        #[command(flatten)]
        chunking: ChunkingArgs,
    },
    /// Rebuild chunks from manifest lines (paired chunks come out interleaved)
    Cat(CatArgs),
}

const EXAMPLES: &str = "\
Examples:
  fastq-split plan reads.fq --chunks 8 > chunks.jsonl
  fastq-split plan R1.fq R2.fq --records 1000000 | fanout -j 4 -- minimap2 -a -x sr ref.mmi -
  fastq-split cat chunks.jsonl --seq 3 > chunk3.fq
  fastq-split cat chunks.jsonl --out-dir chunks/";

fn main() -> ExitCode {
    let args = Args::parse();
    cli::main("fastq-split", || run(args))
}

fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Plan { inputs, chunking } => {
            let chunks = fastq_gz::plan(&inputs, chunking.chunking()?, args.quiet.quiet)?;
            let mut writer = ManifestWriter::new(io::stdout().lock());
            for chunk in &chunks {
                writer.write(chunk)?;
            }
            writer.finish()?;
            Ok(())
        }
        Command::Cat(cat) => cli::cat(&cat, &[Kind::Fastq], ".fq", fastq_gz::write_chunk),
    }
}
