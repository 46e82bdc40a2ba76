use std::io::{self, BufRead, BufReader};
use std::process::ExitCode;

use clap::{Args as ClapArgs, Parser, Subcommand};
use partition_core::cli::{self, CatArgs, Quiet};
use partition_core::output::Output;
use partition_core::{Error, ManifestReader, Result, Source};

use mpileup_reduce::{Columns, MergeOptions, PlanOptions, Setup};

/// Merge partial samtools mpileups exactly, back in original reference coordinates.
#[derive(Parser)]
#[command(name = "mpileup-reduce", version, after_help = EXAMPLES)]
struct Args {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    quiet: Quiet,
}

#[derive(Subcommand)]
enum Command {
    /// Merge partial pileups (paths or s3:// URLs), or one reducer's manifest line (--chunk)
    Merge {
        /// Partial pileups, each in reference order
        #[arg(value_name = "PARTIAL", required_unless_present = "chunk")]
        partials: Vec<String>,
        /// Merge the chunk on this manifest line instead (a file, or - for stdin)
        #[arg(long, value_name = "FILE", conflicts_with_all = ["partials", "map", "fai"])]
        chunk: Option<String>,
        #[command(flatten)]
        setup: SetupArgs,
        /// Write the merged pileup here (atomically) instead of stdout
        #[arg(short, long, value_name = "FILE", default_value = "-")]
        output: String,
    },
    /// Print a manifest of N position ranges of about equal work, for reducers under fanout
    Plan {
        #[arg(value_name = "PARTIAL", required = true)]
        partials: Vec<String>,
        /// Number of reducers
        #[arg(long, value_name = "N")]
        reducers: u64,
        #[command(flatten)]
        setup: SetupArgs,
    },
    /// Merge the chunks of a manifest (all, or --id/--seq, or one file each with --out-dir)
    Cat(CatArgs),
}

#[derive(ClapArgs)]
struct SetupArgs {
    /// Name map from `fasta-split plan --map`: part ids become original names and
    /// coordinates, and positions a part does not own are dropped
    #[arg(long, value_name = "NAMEMAP")]
    map: Option<String>,
    /// Reference index giving the output order
    #[arg(long, value_name = "FAI")]
    fai: Option<String>,
    /// The partials have samtools' --output-MQ column
    #[arg(long = "output-MQ")]
    mq: bool,
    /// The partials have samtools' --output-BP column
    #[arg(long = "output-BP")]
    bp: bool,
    /// The partials have samtools' --output-QNAME column
    #[arg(long = "output-QNAME")]
    qname: bool,
}

impl SetupArgs {
    fn setup(self) -> Setup {
        Setup {
            map: self.map,
            fai: self.fai,
            columns: Columns {
                mq: self.mq,
                bp: self.bp,
                qname: self.qname,
            },
        }
    }
}

const EXAMPLES: &str = "\
Examples:
  mpileup-reduce merge chunk*.part1.pileup > part1.pileup
  mpileup-reduce merge --map parts.tsv --fai ref.fa.fai partials/*.pileup > whole.pileup
  mpileup-reduce plan partials/*.pileup --map parts.tsv --reducers 16 > reducers.jsonl
  fanout -m reducers.jsonl --keep-order -- cat > whole.pileup        # each reducer merges its range
  mpileup-reduce cat reducers.jsonl --out-dir merged/";

fn main() -> ExitCode {
    let args = Args::parse();
    cli::main("mpileup-reduce", || run(args))
}

fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Merge {
            partials,
            chunk: Some(line),
            output,
            ..
        } => {
            debug_assert!(partials.is_empty());
            let mut out = Output::create(&output)?;
            for chunk in ManifestReader::open(&line)? {
                mpileup_reduce::write_chunk(&chunk?, &mut out)?;
            }
            out.finish()
        }
        Command::Merge {
            partials,
            chunk: None,
            setup,
            output,
        } => {
            let setup = setup.setup();
            let mut order = setup.order()?;
            let mut inputs: Vec<(String, Box<dyn BufRead + Send>)> =
                Vec::with_capacity(partials.len());
            for url in partials {
                let reader: Box<dyn BufRead + Send> = if url == "-" {
                    Box::new(BufReader::new(io::stdin()))
                } else {
                    Box::new(BufReader::with_capacity(
                        1 << 20,
                        Source::open(&url)?.reader()?,
                    ))
                };
                inputs.push((url, reader));
            }
            let mut out = Output::create(&output)?;
            mpileup_reduce::merge(
                inputs,
                &mut order,
                MergeOptions {
                    columns: setup.columns,
                },
                &mut out,
            )?;
            out.finish()
        }
        Command::Plan {
            partials,
            reducers,
            setup,
        } => {
            if setup.map.is_none() && setup.fai.is_none() {
                return Err(Error::Usage(
                    "plan needs the reference order: give --fai FAI or --map NAMEMAP".to_string(),
                ));
            }
            let options = PlanOptions {
                reducers,
                setup: setup.setup(),
            };
            let plan = mpileup_reduce::plan(&partials, &options)?;
            cli::print_plan("mpileup-reduce", &plan, args.quiet.quiet)
        }
        Command::Cat(cat) => {
            let format = &mpileup_reduce::FORMAT;
            cli::cat(
                &cat,
                format.kinds,
                format.suffix,
                mpileup_reduce::write_chunk,
            )
        }
    }
}
