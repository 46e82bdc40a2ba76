use std::io;
use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;

use clap::{Parser, Subcommand, ValueEnum};
use partition_core::cli::{self, Quiet};
use partition_core::{HumanDuration, ManifestReader, Result};

/// Run a command once per chunk of a manifest, the chunk's bytes on its stdin.
///
/// The command sees {id}, {seq}, {total} and {kind} replaced in its arguments, and the
/// environment variables CHUNK_ID, CHUNK_SEQ, CHUNK_TOTAL and CHUNK_JSON (the manifest line).
/// Each task runs in its own process group; a timeout, `--halt now` or Ctrl-C kills the group.
#[derive(Parser)]
#[command(
    name = "fanout",
    version,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Action {
    /// Set up and check the AWS Lambda function of `--backend lambda`
    #[command(subcommand)]
    Lambda(LambdaAction),
    /// Draw a run from its joblog as an SVG: one bar per attempt over time, tasks running,
    /// task durations, and the run's figures
    #[command(after_help = REPORT_EXAMPLES)]
    Report {
        /// The joblog of the run (--joblog FILE)
        #[arg(value_name = "JOBLOG")]
        joblog: PathBuf,
        /// Write the SVG here (a path or s3:// URL) instead of stdout
        #[arg(short, long, value_name = "FILE", default_value = "-")]
        output: String,
    },
    /// Run one chunk of a manifest: what each array task of `--backend slurm` runs
    Worker {
        /// The manifest (on a shared filesystem)
        #[arg(long, value_name = "FILE")]
        manifest: String,
        /// The chunk's position in the manifest ($SLURM_ARRAY_TASK_ID)
        #[arg(long, value_name = "N")]
        seq: u64,
        #[arg(long, value_name = "N", default_value_t = 1)]
        attempt: u32,
        /// Output folder; the task's report goes to DIR/.fanout-slurm/results/
        #[arg(long, value_name = "DIR")]
        out_dir: String,
        #[arg(long, default_value = ".out")]
        suffix: String,
        #[arg(long)]
        no_stdin: bool,
        #[arg(long, value_name = "DURATION")]
        timeout: Option<HumanDuration>,
        /// The command to run, after --
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
}

#[derive(Subcommand)]
enum LambdaAction {
    /// Create or update the function: the worker, zipped as `bootstrap`, on provided.al2023
    #[command(after_help = DEPLOY_EXAMPLES)]
    Deploy {
        /// Function name
        #[arg(long, value_name = "NAME")]
        function: String,
        /// Execution role ARN (needed to create the function, not to update it)
        #[arg(long, value_name = "ARN")]
        role: Option<String>,
        /// Memory in MB (Lambda gives one vCPU per 1,769 MB)
        #[arg(long, value_name = "MB", default_value_t = 2048,
              value_parser = clap::value_parser!(i32).range(128..=10240))]
        memory: i32,
        /// Function timeout (at most 15m)
        #[arg(long, value_name = "DURATION", default_value = "15m")]
        timeout: HumanDuration,
        /// The worker binary [default: fanout-lambda-worker beside fanout]
        #[arg(long, value_name = "PATH")]
        worker: Option<PathBuf>,
    },
    /// Check credentials, the function and S3 access, and say what is wrong
    Doctor {
        /// Function name
        #[arg(long, value_name = "NAME")]
        function: String,
        /// Also check writing, reading and deleting under this s3:// prefix
        #[arg(long, value_name = "DIR")]
        out_dir: Option<String>,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Where tasks run: child processes here, one AWS Lambda invocation per chunk, or a Slurm
    /// job array
    #[arg(long, value_enum, default_value = "local")]
    backend: BackendArg,
    /// Slurm partition of the job array [default: the cluster's default]
    #[arg(long, value_name = "NAME")]
    partition: Option<String>,
    /// The Lambda function that runs chunks (see `fanout lambda deploy`)
    #[arg(long, value_name = "NAME", required_if_eq("backend", "lambda"))]
    function: Option<String>,
    /// Lambda prices for the cost estimate: USD per GB-second[,USD per million requests]
    #[arg(long, value_name = "PRICES")]
    lambda_price: Option<fanout::lambda::price::Price>,
    /// Manifest to read: a path, s3://bucket/key, or - for stdin
    #[arg(long, short, default_value = "-", value_name = "FILE")]
    manifest: String,
    /// Run once per pair of a chunk and a chunk of this manifest (read chunks x reference
    /// parts): the pair's id is {id}.{cross.id}, the chunk is on stdin, the other chunk is
    /// {cross.id}, {cross.seq}, $CROSS_ID, $CROSS_JSON
    #[arg(long, value_name = "FILE")]
    cross: Option<String>,
    /// Tasks to run at once [default: the number of cores; 32 with --backend lambda]
    /// (with --backend slurm: array tasks at once)
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
    /// Once nothing is left to start, give a task running longer than FACTOR times the
    /// median task a second attempt; the first to succeed writes the output, the other is
    /// stopped (local, Lambda)
    #[arg(long, value_name = "FACTOR", value_parser = speculation_factor)]
    speculate: Option<f64>,
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

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum BackendArg {
    Local,
    Lambda,
    Slurm,
}

#[derive(Clone, Copy, ValueEnum)]
enum HaltArg {
    Never,
    Soon,
    Now,
}

const REPORT_EXAMPLES: &str = "\
Examples:
  fanout -m chunks.jsonl --joblog run.tsv --out-dir out -- ./work.sh
  fanout report run.tsv -o run.svg       # open run.svg in a browser";

const EXAMPLES: &str = "\
Examples:
  fastq-split plan reads.fq.gz --chunks 8 | fanout -j 4 -- wc -l
  fastq-split plan R1.fq.gz R2.fq.gz --chunks 64 | fanout --out-dir sam --suffix .sam -- minimap2 -a -x sr ref.mmi -
  fanout -m chunks.jsonl --joblog run.tsv --retries 2 --timeout 30m --out-dir out -- bwa mem -p ref.fa -
  fanout -m chunks.jsonl --joblog run.tsv --resume --out-dir out -- bwa mem -p ref.fa -   # after a crash
  fanout -m reads.jsonl --cross parts.jsonl --out-dir aln --suffix .sam -- bwa mem -p idx/{cross.id}.fa -
  fanout -m chunks.jsonl --keep-order -- sh -c 'seqkit stats -T | sed \"s/^/$CHUNK_ID\\t/\"'
  fanout -m chunks.jsonl --backend lambda --function chunkwise --out-dir s3://bucket/out/ -- sha256sum
  fanout -m chunks.jsonl --speculate 3 --joblog run.tsv --out-dir out -- ./align.sh   # back up stragglers
  fanout -m chunks.jsonl --backend slurm --partition short -j 50 --retries 2 --out-dir /shared/out -- sha256sum
  fanout report run.tsv -o run.svg      # the run as a picture: attempts over time, durations";

const DEPLOY_EXAMPLES: &str = "\
Examples:
  fanout lambda deploy --function chunkwise --role arn:aws:iam::123456789012:role/chunkwise-lambda
  fanout lambda doctor --function chunkwise --out-dir s3://bucket/runs/
  fastq-split plan s3://bucket/reads.fq.gz --chunks 200 \\
    | fanout --backend lambda --function chunkwise -j 100 --out-dir s3://bucket/runs/counts/ -- wc -l";

fn main() -> ExitCode {
    let args = Args::parse();
    cli::main("fanout", || match args.action {
        None => run(args.run),
        Some(Action::Lambda(LambdaAction::Deploy {
            function,
            role,
            memory,
            timeout,
            worker,
        })) => fanout::lambda::deploy::deploy(&fanout::lambda::deploy::Deploy {
            function,
            role,
            memory_mb: memory,
            timeout: timeout.0,
            worker,
        }),
        Some(Action::Lambda(LambdaAction::Doctor { function, out_dir })) => {
            fanout::lambda::doctor::doctor(&function, out_dir.as_deref(), &mut io::stdout())
        }
        Some(Action::Report { joblog, output }) => {
            let rows = fanout::joblog::read(&joblog)?;
            if rows.is_empty() {
                return Err(partition_core::Error::BadFile {
                    input: joblog.display().to_string(),
                    message: "no attempts to draw (no joblog rows)".to_string(),
                });
            }
            let picture = fanout::report::picture(&rows);
            partition_core::output::write_file(&output, |out| {
                io::Write::write_all(out, picture.as_bytes())
            })
        }
        Some(Action::Worker {
            manifest,
            seq,
            attempt,
            out_dir,
            suffix,
            no_stdin,
            timeout,
            command,
        }) => fanout::slurm::work(fanout::slurm::Task {
            manifest,
            seq,
            attempt,
            spec: fanout::TaskSpec {
                command,
                out_dir: Some(out_dir),
                suffix,
                feed_stdin: !no_stdin,
                timeout: timeout.map(|timeout| timeout.0),
                exclusive: false,
            },
        }),
    })
}

fn speculation_factor(text: &str) -> std::result::Result<f64, String> {
    match text.parse::<f64>() {
        Ok(factor) if factor >= 1.0 && factor.is_finite() => Ok(factor),
        _ => Err(format!(
            "{text:?} is not a factor of at least 1 (how many times the median task)"
        )),
    }
}

fn run(args: RunArgs) -> Result<()> {
    // A manifest is read as the run goes; a cross product is made whole first.
    let chunks: fanout::feed::Chunks = match &args.cross {
        None => Box::new(ManifestReader::open(&args.manifest)?),
        Some(cross) => {
            if cross == "-" && args.manifest == "-" {
                return Err(partition_core::Error::Usage(
                    "--cross and --manifest cannot both be stdin".to_string(),
                ));
            }
            let chunks = ManifestReader::open(&args.manifest)?.read_all()?;
            let crossed = ManifestReader::open(cross)?.read_all()?;
            Box::new(fanout::cross::pairs(&chunks, &crossed)?.into_iter().map(Ok))
        }
    };
    let engine = match args.backend {
        BackendArg::Local => fanout::Engine::Local,
        BackendArg::Lambda => fanout::Engine::Lambda {
            function: args.function.unwrap_or_default(),
            price: args.lambda_price,
        },
        BackendArg::Slurm => fanout::Engine::Slurm {
            partition: args.partition,
        },
    };
    let jobs = match (args.jobs, &engine) {
        (Some(jobs), _) => jobs as usize,
        (None, fanout::Engine::Lambda { .. }) => 32,
        (None, _) => thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let task = fanout::TaskSpec {
        command: args.command,
        out_dir: args.out_dir,
        suffix: args.suffix,
        feed_stdin: !args.no_stdin,
        timeout: args.timeout.map(|timeout| timeout.0),
        exclusive: false,
    };
    let options = fanout::RunOptions {
        engine,
        task,
        jobs,
        keep_order: args.keep_order,
        quiet: args.quiet.quiet,
        retries: args.retries,
        retry_delay: args.retry_delay.0,
        halt: match args.halt {
            HaltArg::Never => fanout::Halt::Never,
            HaltArg::Soon => fanout::Halt::Soon,
            HaltArg::Now => fanout::Halt::Now,
        },
        speculate: args.speculate,
        joblog: args.joblog,
        resume: args.resume,
        dry_run: args.dry_run,
    };
    fanout::run(chunks, &options)?;
    Ok(())
}
