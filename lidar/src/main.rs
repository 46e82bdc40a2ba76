use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use partition_core::cli::{self, CatArgs, Destination, Quiet};
use partition_core::output::{create_output_dir, write_file};
use partition_core::Result;

use lidar::{Format, Plan, PlanOptions, Tiling};

/// Tile LAS/LAZ point clouds into tiles of equal point counts with buffers (buffer points
/// flagged withheld), headers, VLRs and CRS kept exact.
#[derive(Parser)]
#[command(name = "lidar-tile", version, after_help = EXAMPLES)]
struct Args {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    quiet: Quiet,
}

#[derive(clap::Args)]
struct TilingArgs {
    /// LAS, LAZ or COPC files taken as one cloud (paths, s3://bucket/key or https:// URLs)
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    #[command(flatten)]
    count: CountArgs,
    /// Add, flagged withheld, the points outside a tile's core and less than this distance
    /// beyond it (in the files' units; 0: no buffer points at all)
    #[arg(long, value_name = "B", default_value_t = 0.0)]
    buffer: f64,
    /// Also draw the tiles over a point-density map into this SVG file
    #[arg(long, value_name = "FILE")]
    svg: Option<String>,
}

/// How many tiles; exactly one is given.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct CountArgs {
    /// Most points in a tile's core (as few tiles as that allows)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_points: Option<u64>,
    /// Exactly N tiles of equal point counts
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    chunks: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// Print a manifest of tiles (JSON Lines) on stdout
    Plan {
        #[command(flatten)]
        tiling: TilingArgs,
    },
    /// Write the tiles of a manifest as LAS/LAZ files
    Cat {
        #[command(flatten)]
        cat: CatArgs,
        /// Tile file format (default: the sources' own)
        #[arg(long, value_name = "las|laz")]
        format: Option<Format>,
    },
    /// Plan and write every tile into a directory, tiles in parallel; the manifest on stdout
    Split {
        #[command(flatten)]
        tiling: TilingArgs,
        /// Directory (or s3:// prefix) for the tiles, named by tile id
        #[arg(long, value_name = "DIR")]
        out_dir: String,
        /// Tile file format (default: the sources' own)
        #[arg(long, value_name = "las|laz")]
        format: Option<Format>,
    },
    /// Remove a tile's buffer points exactly (those its tile record counts)
    Unbuffer {
        /// A tile written by lidar-tile
        tile: String,
        /// Output file (- for stdout); its extension picks LAS or LAZ
        #[arg(short, long, default_value = "-")]
        output: String,
        /// Output format (default: from the output's extension, else the tile's own)
        #[arg(long, value_name = "las|laz")]
        format: Option<Format>,
    },
}

const EXAMPLES: &str = "\
Examples:
  lidar-tile plan autzen.laz --max-points 500000 --buffer 5 > tiles.jsonl
  lidar-tile plan flights/*.laz --max-points 500000 --buffer 5 --svg tiles.svg > tiles.jsonl
  lidar-tile plan autzen.laz --chunks 16 --buffer 5 > tiles.jsonl      # exactly 16 tiles
  lidar-tile cat tiles.jsonl --out-dir tiles/
  lidar-tile split autzen.laz --max-points 500000 --buffer 5 --out-dir tiles/ --format las
  lidar-tile unbuffer tiles/autzen-03.laz -o core-03.laz
  lidar-tile plan s3://bucket/city.copc.laz --max-points 1000000 --buffer 10 | fanout --out-dir s3://bucket/dtm/ -- pdal pipeline dtm.json";

fn main() -> ExitCode {
    let args = Args::parse();
    cli::main("lidar-tile", || run(args))
}

fn run(args: Args) -> Result<()> {
    let quiet = args.quiet.quiet;
    match args.command {
        Command::Plan { tiling } => cli::print_plan("lidar-tile", &plan(&tiling, quiet)?, quiet),
        Command::Cat { cat, format } => cli::cat_each(
            &cat,
            lidar::FORMAT.kinds,
            |chunk, destination| match destination {
                Destination::Stdout(out) => {
                    let bytes = lidar::tile_bytes(chunk, format)?;
                    out.write_all(&bytes).map_err(cli::output_error)
                }
                Destination::Dir(dir) => {
                    let dir = dir.to_string_lossy();
                    lidar::write_tiles(std::slice::from_ref(chunk), &dir, format, || {})
                }
            },
        ),
        Command::Split {
            tiling,
            out_dir,
            format,
        } => {
            let plan = plan(&tiling, quiet)?;
            create_output_dir(&out_dir)?;
            let bar =
                partition_core::progress::items(plan.chunks.len() as u64, quiet, "writing tiles");
            lidar::write_tiles(&plan.chunks, &out_dir, format, || bar.inc(1))?;
            bar.finish_and_clear();
            // The manifest of what was written, for the steps after it (a merge).
            cli::print_plan("lidar-tile", &plan, quiet)?;
            if !quiet {
                eprintln!(
                    "lidar-tile: wrote {} tiles into {out_dir}",
                    plan.chunks.len()
                );
            }
            Ok(())
        }
        Command::Unbuffer {
            tile,
            output,
            format,
        } => {
            let done = lidar::unbuffer(&tile, &output, format)?;
            if !quiet {
                eprintln!(
                    "lidar-tile: {tile}: kept {} core points, removed {} buffer points",
                    done.core_points, done.removed
                );
            }
            Ok(())
        }
    }
}

/// Plans and draws the picture when asked.
fn plan(tiling: &TilingArgs, quiet: bool) -> Result<Plan> {
    let options = PlanOptions {
        tiling: match (tiling.count.max_points, tiling.count.chunks) {
            (Some(max), _) => Tiling::MaxPoints(max),
            (_, Some(count)) => Tiling::Tiles(count),
            (None, None) => unreachable!("clap requires one"),
        },
        buffer: tiling.buffer,
        quiet,
        density: tiling.svg.is_some(),
    };
    let plan = lidar::plan(&tiling.inputs, &options)?;
    if let Some(svg) = &tiling.svg {
        let density = plan.stats.density.as_ref().expect("asked for");
        let picture = lidar::svg::picture(density, &plan.stats.tiles);
        write_file(svg, |out| out.write_all(picture.as_bytes()))?;
    }
    Ok(plan)
}
