use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use partition_core::cli::{self, Quiet};
use partition_core::{ManifestReader, Result};

use cog::{Resampling, TileCompression};
use raster_merge::MergeOptions;

/// Merge the raster outputs of COG windows or LiDAR tiles into one Cloud-Optimized GeoTIFF,
/// each cropped to what its chunk owns (a window without its halo, a tile's core), as one run
/// over the whole area would have written it.
#[derive(Parser)]
#[command(name = "raster-merge", version, after_help = EXAMPLES)]
struct Args {
    /// The manifest that was run (cog windows or las tiles; - for stdin)
    #[arg(short, long, value_name = "MANIFEST")]
    manifest: String,
    /// Folder or s3:// prefix holding the outputs, one per chunk: ID + --suffix (as `fanout
    /// --out-dir` leaves them)
    #[arg(long, value_name = "DIR")]
    outputs: String,
    /// The outputs' file name after the chunk id
    #[arg(long, value_name = "SUFFIX", default_value = ".tif")]
    suffix: String,
    /// Write the COG here (atomically; a path, an s3:// URL, or - for stdout)
    #[arg(short, long, value_name = "FILE")]
    output: String,
    /// Tile width and height in pixels (a multiple of 16)
    #[arg(long, value_name = "PX", default_value_t = 512)]
    tile_size: u64,
    /// Tile compression (with a predictor: horizontal for integers, floating point for floats)
    #[arg(long, value_enum, default_value = "deflate")]
    compress: CompressArg,
    /// Internal overviews, halving until the image fits in one tile
    #[arg(long, value_enum, default_value = "average")]
    overviews: OverviewsArg,
    /// Leave the pixels of chunks without an output as nodata (and say so) instead of failing
    #[arg(long)]
    allow_missing: bool,
    #[command(flatten)]
    quiet: Quiet,
}

#[derive(Clone, Copy, ValueEnum)]
enum CompressArg {
    Deflate,
    Zstd,
}

#[derive(Clone, Copy, ValueEnum)]
enum OverviewsArg {
    /// Mean of the pixels that are not nodata
    Average,
    /// Top-left pixel of each 2x2
    Nearest,
    None,
}

const EXAMPLES: &str = "\
Examples:
  cog-windows plan B04.tif B08.tif --window-px 512x512 --halo 8 > windows.jsonl
  fanout -m windows.jsonl --out-dir ndvi --suffix .tif -- python3 ndvi.py
  raster-merge -m windows.jsonl --outputs ndvi -o ndvi.tif

  lidar-tile split cloud.laz --chunks 16 --buffer 2 --out-dir tiles > tiles.jsonl
  fanout -m tiles.jsonl --no-stdin --out-dir dtm --suffix .tif -- sh -c 'python3 grid.py < tiles/{id}.laz'
  raster-merge -m tiles.jsonl --outputs s3://bucket/dtm/ -o s3://bucket/dtm.tif --compress zstd

A window's output covers its read window (window plus halo) unless its own geotransform
says where it lies; a tile's output is placed by its geotransform, on one pixel lattice with
the others. Outputs must agree on CRS, pixel size, bands, sample type and nodata, and cover
what their chunk owns; otherwise the error names the chunk (exit 65).";

fn main() -> ExitCode {
    let args = Args::parse();
    cli::main("raster-merge", || run(args))
}

fn run(args: Args) -> Result<()> {
    let chunks = ManifestReader::open(&args.manifest)?.read_all()?;
    let options = MergeOptions {
        outputs: args.outputs,
        suffix: args.suffix,
        out: args.output,
        tile_size: args.tile_size,
        compression: match args.compress {
            CompressArg::Deflate => TileCompression::Deflate,
            CompressArg::Zstd => TileCompression::Zstd,
        },
        overviews: match args.overviews {
            OverviewsArg::Average => Some(Resampling::Average),
            OverviewsArg::Nearest => Some(Resampling::Nearest),
            OverviewsArg::None => None,
        },
        allow_missing: args.allow_missing,
    };
    let stats = raster_merge::merge(&args.manifest, &chunks, &options)?;
    if !stats.missing.is_empty() {
        eprintln!(
            "raster-merge: {} chunk(s) without an output; their pixels are nodata: {}",
            stats.missing.len(),
            stats.missing.join(", ")
        );
    }
    if !args.quiet.quiet {
        eprintln!("raster-merge: {stats}");
    }
    Ok(())
}
