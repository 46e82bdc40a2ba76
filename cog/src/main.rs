use clap::Parser;

/// Cut Cloud-Optimized GeoTIFFs into pixel windows with exact tile byte ranges and georeferencing.
///
/// Not built yet: this release has no verbs (the planned ones are listed below).
#[derive(Parser)]
#[command(name = "cog-windows", version, after_help = PLANNED)]
struct Args {}

const PLANNED: &str = "\
Planned verbs (not in this release):
  plan INPUT... [--window TILESxTILES] [--halo PX]   windows, a manifest on stdout\n  cat [MANIFEST]                                      a window as GeoTIFF or raw samples";

fn main() {
    Args::parse();
    eprintln!("cog-windows: not built yet; see --help for what it will do");
    std::process::exit(2);
}
