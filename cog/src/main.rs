use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use partition_core::cli::{self, CatArgs, Quiet};
use partition_core::output::write_file;
use partition_core::{AtomicFile, ByteSize, Error, Result};

use cog::{PlanOptions, WindowSize};

/// Cut Cloud-Optimized GeoTIFFs into pixel windows with exact tile byte ranges and
/// georeferencing, and read windows back.
#[derive(Parser)]
#[command(name = "cog-windows", version, after_help = EXAMPLES)]
struct Args {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    quiet: Quiet,
}

#[derive(Subcommand)]
enum Command {
    /// Print a manifest of windows (JSON Lines) on stdout; reads only the header and IFDs
    Plan {
        /// COGs on one grid (paths or s3://bucket/key): each window lists the tiles of every one
        #[arg(required = true, value_name = "COG")]
        inputs: Vec<String>,
        /// Windows of COLSxROWS tiles
        #[arg(
            long,
            value_name = "TILESxTILES",
            default_value = "4x4",
            conflicts_with = "window_px"
        )]
        window: String,
        /// Windows of WxH pixels instead
        #[arg(long, value_name = "WxH")]
        window_px: Option<String>,
        /// About N tile-aligned windows instead, as square as the tiles allow
        #[arg(long, value_name = "N", conflicts_with_all = ["window", "window_px"],
              value_parser = clap::value_parser!(u64).range(1..))]
        chunks: Option<u64>,
        /// Pixels of context added around each window
        #[arg(long, value_name = "PX", default_value_t = 0)]
        halo: u64,
        /// Window the k-th overview instead of the full resolution
        #[arg(long, value_name = "LEVEL", default_value_t = 0)]
        overview: usize,
        /// Read tile ranges separated by at most this many bytes as one
        #[arg(long, value_name = "SIZE", default_value = "0")]
        merge_gap: ByteSize,
        /// Also draw the windows and halos over a thumbnail of the first COG into this SVG file
        #[arg(long, value_name = "FILE")]
        svg: Option<String>,
    },
    /// Write windows as GeoTIFFs (their geotransform, CRS and nodata), or as raw samples
    Cat {
        #[command(flatten)]
        cat: CatArgs,
        /// Raw little-endian samples, (bands, rows, cols) as rasterio reads them; with
        /// --out-dir, a JSON sidecar of shape and dtype beside each (ID.json)
        #[arg(long)]
        raw: bool,
        /// Write the windows' masks instead (raw uint8, one band per input: 0 nodata, 255 valid)
        #[arg(long, conflicts_with = "raw")]
        mask: bool,
    },
}

const EXAMPLES: &str = "\
Examples:
  cog-windows plan B04.tif --window 2x2 > windows.jsonl
  cog-windows plan B04.tif --chunks 100 > windows.jsonl        # about 100 tile-aligned windows
  cog-windows plan B04_t1.tif B08_t1.tif B04_t2.tif B08_t2.tif --window-px 1024x1024   # NDVI of 2 dates
  cog-windows plan s3://bucket/B08.tif --window-px 1024x1024 --halo 16 --merge-gap 16
  cog-windows plan B04.tif --window-px 512x512 --halo 8 --svg windows.svg > windows.jsonl
  cog-windows cat windows.jsonl --seq 3 > window3.raw
  cog-windows plan B04.tif | fanout --out-dir ndvi -- python3 ndvi.py";

fn main() -> ExitCode {
    let args = Args::parse();
    cli::main("cog-windows", || run(args))
}

fn size_pair(text: &str, what: &str) -> Result<(u64, u64)> {
    let parsed = text
        .split_once(['x', 'X'])
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
    parsed
        .filter(|&(a, b)| a > 0 && b > 0)
        .ok_or_else(|| Error::Usage(format!("{what} '{text}': give it as COLSxROWS, like 4x4")))
}

fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Plan {
            inputs,
            window,
            window_px,
            chunks,
            halo,
            overview,
            merge_gap,
            svg,
        } => {
            let window = match (window_px, chunks) {
                (_, Some(count)) => WindowSize::Count(count),
                (Some(pixels), None) => {
                    let (w, h) = size_pair(&pixels, "--window-px")?;
                    WindowSize::Pixels(w, h)
                }
                (None, None) => {
                    let (across, down) = size_pair(&window, "--window")?;
                    WindowSize::Tiles(across, down)
                }
            };
            let options = PlanOptions {
                window,
                halo,
                overview,
                merge_gap: merge_gap.bytes(),
            };
            let plan = cog::plan(&inputs, &options)?;
            if let Some(svg) = svg {
                let picture = cog::svg::picture(&plan.chunks, &inputs[0])?;
                write_file(&svg, |out| out.write_all(picture.as_bytes()))?;
            }
            cli::print_plan("cog-windows", &plan, args.quiet.quiet)
        }
        Command::Cat {
            cat, mask: true, ..
        } => cli::cat(&cat, cog::FORMAT.kinds, ".mask", cog::write_mask_raw),
        Command::Cat {
            cat, raw: false, ..
        } => cli::cat(&cat, cog::FORMAT.kinds, ".tif", cog::write_chunk),
        Command::Cat { cat, raw: true, .. } => {
            cli::cat(&cat, cog::FORMAT.kinds, ".raw", |chunk, out| {
                cog::write_chunk_raw(chunk, out)?;
                match &cat.out_dir {
                    Some(dir) => {
                        let sidecar = cog::raw_sidecar(chunk)?;
                        let path = dir.join(format!("{}.json", chunk.id));
                        let mut file = AtomicFile::create(&path)?;
                        file.write_all(sidecar.as_bytes())
                            .map_err(|e| Error::io(path.display(), e))?;
                        file.commit()
                    }
                    None => Ok(()),
                }
            })
        }
    }
}
