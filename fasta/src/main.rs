use std::io::{self, BufReader, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use partition_core::cli::{self, Quiet};
use partition_core::output::Output;
use partition_core::progress;
use partition_core::{Error, Result, Source};

/// FASTA references: samtools-exact .fai indexes.
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
        /// Where to write the index: a path, or - for stdout [default: INPUT.fai beside a local input]
        #[arg(short, long, value_name = "FAI")]
        output: Option<String>,
    },
}

const EXAMPLES: &str = "\
Examples:
  fasta-split index ref.fa                      # writes ref.fa.fai
  fasta-split index s3://refs/GRCh38.fa -o GRCh38.fa.fai";

fn main() -> ExitCode {
    let args = Args::parse();
    cli::main("fasta-split", || run(args))
}

fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Index { input, output } => {
            let output = match output {
                Some(output) => output,
                None if input.starts_with("s3://") => {
                    return Err(Error::Usage(format!(
                        "{input}: give -o FAI to say where the index of an S3 object goes"
                    )))
                }
                None => format!("{input}.fai"),
            };
            let source = Source::open(&input)?;
            let built = fasta::fai::build(
                BufReader::with_capacity(
                    1 << 20,
                    progress::reader(source.reader()?, source.size(), args.quiet.quiet, &input),
                ),
                &input,
            )?;
            if !args.quiet.quiet {
                for warning in &built.warnings {
                    let _ = writeln!(io::stderr(), "fasta-split: warning: {input}: {warning}");
                }
            }
            let mut out = Output::create(&output)?;
            fasta::fai::write(&built.records, &mut out).map_err(|e| Error::io(out.name(), e))?;
            out.finish()
        }
    }
}
