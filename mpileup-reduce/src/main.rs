use clap::Parser;

/// Merge partial samtools mpileups exactly, back in original reference coordinates.
///
/// Not built yet: this release has no verbs (the planned ones are listed below).
#[derive(Parser)]
#[command(name = "mpileup-reduce", version, after_help = PLANNED)]
struct Args {}

const PLANNED: &str = "\
Planned verbs (not in this release):
  merge PARTIAL... [--map NAMEMAP --fai FAI]    streaming k-way merge\n  plan PARTIAL... --reducers N                   balanced position ranges, a manifest on stdout";

fn main() {
    Args::parse();
    eprintln!("mpileup-reduce: not built yet; see --help for what it will do");
    std::process::exit(2);
}
