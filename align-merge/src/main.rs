use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use partition_core::cli::{self, Quiet};
use partition_core::Result;

use align_merge::{MergeOptions, OutputFormat};

/// Keep each read's best hits across reference parts: the SAM/BAM outputs of one read chunk
/// aligned against every part become one SAM/BAM in original coordinates, as a whole-reference
/// run would give.
#[derive(Parser)]
#[command(name = "align-merge", version, after_help = EXAMPLES)]
struct Args {
    /// The read chunk's outputs against every part (SAM or BAM; paths, s3:// or https:// URLs,
    /// or - for stdin), in any order
    #[arg(value_name = "INPUT", required = true)]
    inputs: Vec<String>,
    /// Name map from `fasta-split plan --map`
    #[arg(long, value_name = "NAMEMAP")]
    map: String,
    /// The original reference's .fai: the output's @SQ lines, in its order
    #[arg(long, value_name = "FAI")]
    fai: String,
    /// Write here (atomically; a path or s3:// URL) instead of stdout
    #[arg(short, long, value_name = "FILE", default_value = "-")]
    output: String,
    /// Output format [default: bam for a .bam output, sam otherwise]
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    #[command(flatten)]
    quiet: Quiet,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Sam,
    Bam,
}

const EXAMPLES: &str = "\
Examples:
  align-merge --map parts.tsv --fai ref.fa.fai aln/reads-0.*.sam -o reads-0.bam
  bwa mem -p idx/3.fa reads-0.fq | align-merge --map parts.tsv --fai ref.fa.fai - aln/reads-0.[0-2].bam
  fanout -m reads.jsonl --out-dir merged --suffix .bam -- \\
      sh -c 'align-merge --map parts.tsv --fai ref.fa.fai aln/{id}.*.bam -o -'

Rules: per read (per mate of a pair), the hits scoring its best AS across parts are kept; a
locus found in two overlapping parts is one; several distinct best loci: the first in
reference order is primary with MAPQ 0, the others go in its XA tag (chr,+pos,CIGAR,NM;).
Secondary records of the inputs are not carried. Mates kept from different parts are proper
when on one sequence, in an orientation and within the insert sizes of the aligner's own
proper pairs. A mapped record without AS is an error (exit 65).";

fn main() -> ExitCode {
    let args = Args::parse();
    cli::main("align-merge", || run(args))
}

fn run(args: Args) -> Result<()> {
    let command_line = std::env::args().collect::<Vec<_>>().join(" ");
    let options = MergeOptions {
        map: args.map,
        fai: args.fai,
        output: args.output,
        format: args.format.map(|format| match format {
            FormatArg::Sam => OutputFormat::Sam,
            FormatArg::Bam => OutputFormat::Bam,
        }),
        command_line,
    };
    let stats = align_merge::merge(&args.inputs, &options)?;
    if !args.quiet.quiet {
        eprintln!("align-merge: {stats}");
    }
    Ok(())
}
