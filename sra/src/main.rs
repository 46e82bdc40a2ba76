use std::process::ExitCode;

use clap::{Args as ClapArgs, Parser, Subcommand};
use partition_core::cli::{self, CatArgs, Quiet};
use partition_core::{Error, Kind, Result};
use sra::run::{count_spots, spots_from_runinfo, Run};
use sra::SpotChunking;

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
            let runinfo = match runinfo {
                Some(path) => Some((
                    std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?,
                    path,
                )),
                None => None,
            };
            let mut chunks = Vec::new();
            for argument in &runs {
                let run = Run::locate(argument)?;
                let count = match (&run.local, spots, &runinfo) {
                    (Some(_), _, _) => count_spots(&run)?,
                    (None, Some(spots), _) => spots,
                    (None, None, Some((csv, path))) => spots_from_runinfo(csv, path, &run.accession)?,
                    (None, None, None) => {
                        return Err(Error::Usage(format!(
                            "{argument}: give the spot count of an accession with --spots N or --runinfo FILE"
                        )))
                    }
                };
                let size = run
                    .local
                    .as_ref()
                    .and_then(|path| std::fs::metadata(path).ok())
                    .map(|m| m.len());
                chunks.extend(sra::plan(&run, count, size, chunking, paired)?);
            }
            // Several runs make one manifest: positions count across all of them.
            let total = chunks.len() as u64;
            for (seq, chunk) in chunks.iter_mut().enumerate() {
                chunk.seq = seq as u64;
                chunk.total = total;
            }
            cli::print_manifest(&chunks)
        }
        Command::Cat(cat) => cli::cat(&cat, &[Kind::Sra], ".fq", sra::write_chunk),
    }
}
