use clap::Parser;

/// Tile LAS/LAZ point clouds into chunks of equal points with buffers (buffer points flagged withheld).
///
/// Not built yet: this release has no verbs (the planned ones are listed below).
#[derive(Parser)]
#[command(name = "lidar-tile", version, after_help = PLANNED)]
struct Args {}

const PLANNED: &str = "\
Planned verbs (not in this release):
  plan INPUT... --max-points N [--buffer B]   tiles of at most N points, a manifest on stdout\n  split INPUT... --out-dir DIR              real LAS/LAZ tile files\n  unbuffer TILE                              remove buffer points exactly";

fn main() {
    Args::parse();
    eprintln!("lidar-tile: not built yet; see --help for what it will do");
    std::process::exit(2);
}
