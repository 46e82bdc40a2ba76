use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use partition_core::cli::{self, CatArgs, Destination, Quiet};
use partition_core::output::{write_file, AtomicFile};
use partition_core::{ByteSize, Error, Result, Source};

use fastq_gz::index::{self, DEFAULT_SPAN, DEFAULT_THREADS};
use fastq_gz::{Chunking, Layout, PlanOptions};

/// Cut FASTQ files (plain, gzip, BGZF) into record-aligned chunks and rebuild them.
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
        /// FASTQ files (paths or s3:// URLs; plain or gzip): one file, R1 and R2 of a pair, or
        /// many (say how with --single, --paired or --interleaved), all in one manifest
        #[arg(required = true, value_name = "FASTQ")]
        inputs: Vec<String>,
        #[command(flatten)]
        chunking: ChunkingArgs,
        #[command(flatten)]
        layout: LayoutArgs,
        /// Checkpoint index of a single gzip input [default: INPUT.cwi, built when missing];
        /// a gztool index made with `gztool -x` is read too, saving the scan
        #[arg(long, value_name = "PATH")]
        index: Option<String>,
        /// Output between checkpoints [default: 1MiB; an existing index is used as it is]
        #[arg(long, value_name = "SIZE")]
        span: Option<ByteSize>,
        /// Threads that build the index (1: one streaming pass, the fastest on 2 cores; N: the
        /// file in N parts on N threads, as `index-parts` does across workers, for 4 cores or
        /// more)
        #[arg(short = 'j', long, value_name = "N", default_value_t = DEFAULT_THREADS)]
        threads: usize,
    },
    /// Build the checkpoint index of a gzip FASTQ file
    Index {
        /// gzip FASTQ file: a path or s3://bucket/key
        input: String,
        /// Where to write the index: a path, s3:// URL, or - for stdout [default: INPUT.cwi,
        /// or for gztool INPUT with .gz replaced by .gzi]
        #[arg(short, long, value_name = "PATH")]
        output: Option<String>,
        /// Output between checkpoints
        #[arg(long, value_name = "SIZE", default_value_t = ByteSize(DEFAULT_SPAN))]
        span: ByteSize,
        /// Index format: fastq-split's own, or gztool's (with line numbers, for `gztool -I`)
        #[arg(long, value_enum, default_value_t = IndexFormat::Cwi)]
        format: IndexFormat,
        /// Threads that build the index (1: one streaming pass, the fastest on 2 cores; N: the
        /// file in N parts on N threads, as `index-parts` does across workers, for 4 cores or
        /// more)
        #[arg(short = 'j', long, value_name = "N", default_value_t = DEFAULT_THREADS)]
        threads: usize,
    },
    /// Build the checkpoint index across workers (fanout on Lambda or Slurm): plan the parts,
    /// scan each, chain, build each, join
    #[command(subcommand, after_help = PARTS_EXAMPLE)]
    IndexParts(PartsStep),
    /// Rebuild chunks from manifest lines (paired chunks: ID_1.fq and ID_2.fq, or interleaved)
    Cat {
        #[command(flatten)]
        cat: CatArgs,
        /// Write paired chunks as one stream, a record of each mate in turn (as `bwa mem -p`
        /// reads); needed to write them to stdout
        #[arg(long)]
        interleave: bool,
    },
}

/// The steps of `index-parts`, in order. WORK is a directory or an s3:// prefix that holds
/// every part's files: ID.scan.json, ID.start.json, ID.part.json.
#[derive(Subcommand)]
enum PartsStep {
    /// Cut a gzip file into N compressed parts: a manifest (kind gzip-range) on stdout
    Plan {
        /// gzip FASTQ file: a path, s3:// or https:// URL
        input: String,
        /// How many parts (workers)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        parts: u64,
        /// Output between checkpoints
        #[arg(long, value_name = "SIZE", default_value_t = ByteSize(DEFAULT_SPAN))]
        span: ByteSize,
    },
    /// Round one, on a worker: decode one part with its window unknown; JSON on stdout
    Scan {
        #[command(flatten)]
        chunk: PartChunk,
    },
    /// Join one: chain the parts' scans (WORK/ID.scan.json) into their starts (ID.start.json)
    Chain {
        /// The parts' manifest
        manifest: String,
        /// The work directory or s3:// prefix
        work: String,
    },
    /// Round two, on a worker: build one part's share of the index; JSON on stdout
    Build {
        /// The work directory or s3:// prefix
        work: String,
        #[command(flatten)]
        chunk: PartChunk,
    },
    /// Join two: write the index from the parts' shares (WORK/ID.part.json)
    Join {
        /// The parts' manifest
        manifest: String,
        /// The work directory or s3:// prefix
        work: String,
        /// Where to write the index: a path, s3:// URL, or - for stdout [default: INPUT.cwi]
        #[arg(short, long, value_name = "PATH")]
        output: Option<String>,
    },
}

/// The part a worker takes.
#[derive(clap::Args)]
struct PartChunk {
    /// The part's manifest line [default: $CHUNK_JSON, which fanout sets]
    #[arg(long, value_name = "JSON")]
    chunk: Option<String>,
}

impl PartChunk {
    fn line(self) -> Result<String> {
        self.chunk
            .or_else(|| std::env::var("CHUNK_JSON").ok())
            .ok_or_else(|| {
                Error::Usage(
                    "no part given: pass --chunk LINE, or run under fanout (CHUNK_JSON)"
                        .to_string(),
                )
            })
    }
}

/// How the inputs hold reads [default: one file single-end, two files R1 and R2].
#[derive(clap::Args)]
#[group(multiple = false)]
struct LayoutArgs {
    /// Every input is single-end (lanes of one sample)
    #[arg(long)]
    single: bool,
    /// Inputs two by two are R1 and R2 of a pair: L1_R1 L1_R2 L2_R1 L2_R2 ...
    #[arg(long)]
    paired: bool,
    /// Every input holds pairs interleaved: chunks never separate mates, and workers check
    /// that the mates' names agree
    #[arg(long)]
    interleaved: bool,
}

impl LayoutArgs {
    fn layout(&self) -> Option<Layout> {
        match (self.single, self.paired, self.interleaved) {
            (true, _, _) => Some(Layout::Single),
            (_, true, _) => Some(Layout::Paired),
            (_, _, true) => Some(Layout::Interleaved),
            _ => None,
        }
    }
}

/// How to cut; exactly one is given.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct ChunkingArgs {
    /// Cut into about N chunks of equal size
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    chunks: Option<u64>,
    /// Cut into chunks of about SIZE bytes of FASTQ (64MiB, 1.5G)
    #[arg(long, value_name = "SIZE", value_parser = positive_size)]
    chunk_size: Option<ByteSize>,
    /// Cut every N records
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    records: Option<u64>,
}

impl ChunkingArgs {
    fn chunking(&self) -> Chunking {
        match (self.chunks, self.chunk_size, self.records) {
            (Some(count), _, _) => Chunking::Count(count),
            (_, Some(size), _) => Chunking::Size(size.bytes()),
            (_, _, Some(records)) => Chunking::Records(records),
            (None, None, None) => unreachable!("clap requires one"),
        }
    }
}

fn positive_size(text: &str) -> std::result::Result<ByteSize, String> {
    match text.parse::<ByteSize>()? {
        ByteSize(0) => Err("must be above 0".to_string()),
        size => Ok(size),
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum IndexFormat {
    Cwi,
    Gztool,
}

const EXAMPLES: &str = "\
Examples:
  fastq-split plan reads.fq.gz --chunks 8 > chunks.jsonl     # builds reads.fq.gz.cwi once
  fastq-split plan R1.fq.gz R2.fq.gz --records 1000000 | fanout -j 4 -- minimap2 -a -x sr ref.mmi -
  fastq-split plan sample.interleaved.fq.gz --interleaved --chunks 64 | fanout -- bwa mem -p ref.fa -
  fastq-split plan --paired L1_R1.fq.gz L1_R2.fq.gz L2_R1.fq.gz L2_R2.fq.gz --chunks 64
  fastq-split index s3://lab/run7/reads.fq.gz -o reads.fq.gz.cwi --span 4MiB
  fastq-split index reads.fq.gz -j 16    # in 16 parts on 16 threads: the same checkpoints
  fastq-split index-parts --help         # the index built by many workers (Lambda, Slurm)
  fastq-split index reads.fq.gz --format gztool && gztool -L 1000001 reads.fq.gz | head -4
  fastq-split cat chunks.jsonl --seq 3 > chunk3.fq
  fastq-split cat chunks.jsonl --out-dir chunks/
  fastq-split cat pairs.jsonl --seq 0 --interleave | bwa mem -p ref.fa -";

const PARTS_EXAMPLE: &str = "\
Example, 100 Lambda functions (fastq-split in a layer under /opt/bin):
  fastq-split index-parts plan s3://lab/reads.fq.gz --parts 100 > parts.jsonl
  fanout -m parts.jsonl --backend lambda --function f --no-stdin --out-dir s3://lab/work/ \\
    --suffix .scan.json -- fastq-split index-parts scan
  fastq-split index-parts chain parts.jsonl s3://lab/work/
  fanout -m parts.jsonl --backend lambda --function f --no-stdin --out-dir s3://lab/work/ \\
    --suffix .part.json -- fastq-split index-parts build s3://lab/work/
  fastq-split index-parts join parts.jsonl s3://lab/work/    # writes s3://lab/reads.fq.gz.cwi";

fn main() -> ExitCode {
    let args = Args::parse();
    cli::main("fastq-split", || run(args))
}

fn run(args: Args) -> Result<()> {
    let quiet = args.quiet.quiet;
    match args.command {
        Command::Plan {
            inputs,
            chunking,
            layout,
            index,
            span,
            threads,
        } => {
            let options = PlanOptions {
                chunking: chunking.chunking(),
                quiet,
                span: span.map(ByteSize::bytes),
                index,
                layout: layout.layout(),
                threads,
            };
            cli::print_plan("fastq-split", &fastq_gz::plan(&inputs, &options)?, quiet)
        }
        Command::Index {
            input,
            output,
            span,
            format,
            threads,
        } => {
            let source = Source::open(&input)?;
            let built = index::build(&source, span.bytes(), threads, quiet)?;
            match format {
                IndexFormat::Cwi => {
                    let output = output.unwrap_or_else(|| format!("{input}.cwi"));
                    write_file(&output, |out| built.write(out))
                }
                IndexFormat::Gztool => {
                    let output = output.unwrap_or_else(|| {
                        format!("{}.gzi", input.strip_suffix(".gz").unwrap_or(&input))
                    });
                    let bytes = fastq_gz::gztool::encode(&built, &source)?;
                    write_file(&output, |out| out.write_all(&bytes))
                }
            }
        }
        Command::IndexParts(step) => run_parts_step(step, quiet),
        Command::Cat { cat, interleave } => {
            cli::cat_each(&cat, fastq_gz::FORMAT.kinds, |chunk, destination| {
                let paired = chunk.sources.len() > 1;
                match destination {
                    Destination::Stdout(_) if paired && !interleave => {
                        let id = &chunk.id;
                        Err(Error::Usage(format!(
                            "chunk {id} is paired: give --interleave to write both mates to \
                             stdout, or --out-dir to write {id}_1.fq and {id}_2.fq"
                        )))
                    }
                    Destination::Stdout(stdout) => fastq_gz::write_chunk(chunk, stdout),
                    Destination::Dir(dir) if paired && !interleave => {
                        let mate =
                            |n: u8| AtomicFile::create(dir.join(format!("{}_{n}.fq", chunk.id)));
                        let (mut first, mut second) = (mate(1)?, mate(2)?);
                        fastq_gz::write_mates(chunk, &mut [&mut first, &mut second])?;
                        first.commit()?;
                        second.commit()
                    }
                    Destination::Dir(dir) => {
                        let mut file = AtomicFile::create(dir.join(format!("{}.fq", chunk.id)))?;
                        fastq_gz::write_chunk(chunk, &mut file)?;
                        file.commit()
                    }
                }
            })
        }
    }
}

fn run_parts_step(step: PartsStep, quiet: bool) -> Result<()> {
    use fastq_gz::index::parts::{self, work};
    match step {
        PartsStep::Plan { input, parts, span } => {
            let source = Source::open(&input)?;
            cli::print_manifest(&parts::plan(&source, parts, span.bytes()))
        }
        PartsStep::Scan { chunk } => {
            let (_, part) = work::part_of_line(&chunk.line()?)?;
            work::write_json("-", &parts::scan(&part)?)
        }
        PartsStep::Chain { manifest, work } => work::chain_work(&manifest, &work),
        PartsStep::Build { work, chunk } => {
            work::write_json("-", &work::build_work(&chunk.line()?, &work)?)
        }
        PartsStep::Join {
            manifest,
            work,
            output,
        } => {
            let (built, input) = work::join_work(&manifest, &work, quiet)?;
            let output = output.unwrap_or_else(|| format!("{input}.cwi"));
            write_file(&output, |out| built.write(out))
        }
    }
}
