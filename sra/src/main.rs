use std::process::ExitCode;

use clap::{Args as ClapArgs, Parser, Subcommand};
use partition_core::cli::{self, CatArgs, Quiet};
use partition_core::Result;
use sra::{PlanOptions, SpotChunking};

/// Cut SRA runs into spot ranges and dump them with sra-tools.
#[derive(Parser)]
#[command(name = "sra-split", version, after_help = EXAMPLES)]
struct Args {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    quiet: Quiet,
}

#[derive(Subcommand)]
enum Command {
    /// Print a manifest of spot-range chunks on stdout
    Plan {
        /// A .sra file, a folder holding one, or an accession (SRR...)
        #[arg(required = true, value_name = "RUN")]
        runs: Vec<String>,
        #[command(flatten)]
        chunking: Chunking,
        /// Spots in the run, for an accession (local runs are counted with vdb-dump)
        #[arg(long, value_name = "N", conflicts_with = "runinfo")]
        spots: Option<u64>,
        /// NCBI runinfo CSV giving the spot count of accessions
        #[arg(long, value_name = "CSV")]
        runinfo: Option<String>,
        /// Dump both mates of each spot, interleaved (--split-spot --skip-technical)
        #[arg(long)]
        paired: bool,
    },
    /// Dump chunks as FASTQ with fastq-dump, checking that every spot came out
    Cat(CatArgs),
}

#[derive(ClapArgs)]
#[group(required = true, multiple = false)]
struct Chunking {
    /// About N chunks of equal spots
    #[arg(long, value_name = "N")]
    chunks: Option<u64>,
    /// B spots per chunk
    #[arg(long, value_name = "B")]
    spots_per_chunk: Option<u64>,
}

const EXAMPLES: &str = "\
Examples:
  sra-split plan SRR139146.sra --chunks 4 > chunks.jsonl
  sra-split plan SRR2042184 --runinfo SraRunInfo.csv --spots-per-chunk 500
  sra-split cat chunks.jsonl --out-dir fastq/
  sra-split plan run/ --chunks 8 | fanout -- bwa mem -p ref.fa -";

fn main() -> ExitCode {
    let args = Args::parse();
    cli::main("sra-split", || run(args))
}

fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Plan {
            runs,
            chunking,
            spots,
            runinfo,
            paired,
        } => {
            let chunking = match (chunking.chunks, chunking.spots_per_chunk) {
                (Some(count), None) => SpotChunking::Count(count),
                (None, Some(per_chunk)) => SpotChunking::PerChunk(per_chunk),
                _ => unreachable!("clap requires exactly one"),
            };
            let options = PlanOptions {
                chunking,
                spots,
                runinfo,
                paired,
            };
            cli::print_plan("sra-split", &sra::plan(&runs, &options)?, args.quiet.quiet)
        }
        Command::Cat(cat) => cli::cat(
            &cat,
            sra::FORMAT.kinds,
            sra::FORMAT.suffix,
            sra::write_chunk,
        ),
    }
}
