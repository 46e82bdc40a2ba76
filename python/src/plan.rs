//! Planning, one function per format: keyword arguments (named as the binaries' flags) to
//! the format crate's `PlanOptions`, then its `plan`. What comes back is what `<tool> plan`
//! prints: the manifest lines, the warnings and the summary line.

use std::fmt::Display;

use partition_core::{ByteSize, Error, Result};
use pyo3::prelude::*;

use crate::errors::detached;
use crate::name_map::NameMap;

/// Manifest lines (without their newline), warnings, summary line.
type Planned = (Vec<String>, Vec<String>, String);

fn planned<S: Display>(plan: partition_core::Plan<S>) -> Planned {
    let lines = plan.chunks.iter().map(|chunk| chunk.to_json()).collect();
    (lines, plan.warnings, plan.stats.to_string())
}

/// A size as a number of bytes or as text (`64MiB`, `1.5G`), as the binaries take it.
#[derive(FromPyObject)]
pub enum Size {
    Bytes(u64),
    Text(String),
}

impl Size {
    fn bytes(&self, name: &str) -> Result<u64> {
        match self {
            Size::Bytes(bytes) => Ok(*bytes),
            Size::Text(text) => text
                .parse::<ByteSize>()
                .map(ByteSize::bytes)
                .map_err(|problem| Error::Usage(format!("{name}={text:?}: {problem}"))),
        }
    }
}

/// Exactly one of `choices` (name, value) is given; which one.
fn one_of<T: Copy>(choices: &[(&'static str, Option<T>)]) -> Result<(&'static str, T)> {
    let given: Vec<(&str, T)> = choices
        .iter()
        .filter_map(|&(name, value)| value.map(|value| (name, value)))
        .collect();
    match given[..] {
        [one] => Ok(one),
        _ => {
            let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            Err(Error::Usage(format!(
                "give exactly one of {}",
                names.join(", ")
            )))
        }
    }
}

fn positive(name: &str, value: u64) -> Result<u64> {
    if value == 0 {
        return Err(Error::Usage(format!("{name} must be above 0")));
    }
    Ok(value)
}

#[pyfunction]
#[pyo3(signature = (inputs, *, chunks=None, chunk_size=None, records=None, layout=None, index=None, span=None, threads=fastq_gz::index::DEFAULT_THREADS))]
#[allow(clippy::too_many_arguments)]
pub fn fastq_plan(
    py: Python<'_>,
    inputs: Vec<String>,
    chunks: Option<u64>,
    chunk_size: Option<Size>,
    records: Option<u64>,
    layout: Option<String>,
    index: Option<String>,
    span: Option<Size>,
    threads: usize,
) -> PyResult<Planned> {
    use fastq_gz::{Chunking, Layout};
    detached(py, move || {
        let chunk_size = chunk_size
            .map(|size| size.bytes("chunk_size"))
            .transpose()?;
        let chunking = match one_of(&[
            ("chunks", chunks),
            ("chunk_size", chunk_size),
            ("records", records),
        ])? {
            ("chunks", count) => Chunking::Count(positive("chunks", count)?),
            ("chunk_size", size) => Chunking::Size(positive("chunk_size", size)?),
            (_, records) => Chunking::Records(positive("records", records)?),
        };
        let layout = match layout.as_deref() {
            None => None,
            Some("single") => Some(Layout::Single),
            Some("paired") => Some(Layout::Paired),
            Some("interleaved") => Some(Layout::Interleaved),
            Some(other) => {
                return Err(Error::Usage(format!(
                    "layout={other:?}: give 'single', 'paired' or 'interleaved'"
                )))
            }
        };
        let options = fastq_gz::PlanOptions {
            chunking,
            quiet: true,
            span: span.map(|size| size.bytes("span")).transpose()?,
            index,
            layout,
            threads,
        };
        Ok(planned(fastq_gz::plan(&inputs, &options)?))
    })
}

#[pyfunction]
#[pyo3(signature = (input, *, chunks, overlap=fasta::DEFAULT_OVERLAP, fai=None, map=None))]
pub fn fasta_plan(
    py: Python<'_>,
    input: String,
    chunks: u64,
    overlap: u64,
    fai: Option<String>,
    map: Option<String>,
) -> PyResult<(Vec<String>, Vec<String>, String, NameMap)> {
    let plan = detached(py, move || {
        let options = fasta::PlanOptions {
            chunks: positive("chunks", chunks)?,
            overlap,
            fai,
            map,
            quiet: true,
        };
        fasta::plan(&[input], &options)
    })?;
    let name_map = NameMap::new(plan.stats.map.clone());
    let (lines, warnings, summary) = planned(plan);
    Ok((lines, warnings, summary, name_map))
}

#[pyfunction]
#[pyo3(signature = (runs, *, chunks=None, spots_per_chunk=None, spots=None, runinfo=None, paired=false))]
pub fn sra_plan(
    py: Python<'_>,
    runs: Vec<String>,
    chunks: Option<u64>,
    spots_per_chunk: Option<u64>,
    spots: Option<u64>,
    runinfo: Option<String>,
    paired: bool,
) -> PyResult<Planned> {
    use sra::SpotChunking;
    detached(py, move || {
        let chunking = match one_of(&[("chunks", chunks), ("spots_per_chunk", spots_per_chunk)])? {
            ("chunks", count) => SpotChunking::Count(positive("chunks", count)?),
            (_, spots) => SpotChunking::PerChunk(positive("spots_per_chunk", spots)?),
        };
        if spots.is_some() && runinfo.is_some() {
            return Err(Error::Usage("give spots or runinfo, not both".to_string()));
        }
        let options = sra::PlanOptions {
            chunking,
            spots,
            runinfo,
            paired,
        };
        Ok(planned(sra::plan(&runs, &options)?))
    })
}

#[pyfunction]
#[pyo3(signature = (inputs, *, max_points=None, chunks=None, buffer=0.0))]
pub fn lidar_plan(
    py: Python<'_>,
    inputs: Vec<String>,
    max_points: Option<u64>,
    chunks: Option<u64>,
    buffer: f64,
) -> PyResult<Planned> {
    use lidar::Tiling;
    detached(py, move || {
        let tiling = match one_of(&[("max_points", max_points), ("chunks", chunks)])? {
            ("max_points", max) => Tiling::MaxPoints(positive("max_points", max)?),
            (_, count) => Tiling::Tiles(positive("chunks", count)?),
        };
        if !(buffer >= 0.0 && buffer.is_finite()) {
            return Err(Error::Usage(format!("buffer={buffer}: must be 0 or more")));
        }
        let options = lidar::PlanOptions {
            tiling,
            buffer,
            quiet: true,
            density: false,
        };
        Ok(planned(lidar::plan(&inputs, &options)?))
    })
}

#[pyfunction]
#[pyo3(signature = (inputs, *, window=None, window_px=None, chunks=None, halo=0, overview=0, merge_gap=Size::Bytes(0)))]
#[allow(clippy::too_many_arguments)]
pub fn cog_plan(
    py: Python<'_>,
    inputs: Vec<String>,
    window: Option<(u64, u64)>,
    window_px: Option<(u64, u64)>,
    chunks: Option<u64>,
    halo: u64,
    overview: usize,
    merge_gap: Size,
) -> PyResult<Planned> {
    use cog::WindowSize;
    detached(py, move || {
        // The binary's default: windows of 4x4 tiles.
        let window = match (window, window_px, chunks) {
            (None, None, None) => WindowSize::Tiles(4, 4),
            (Some((across, down)), None, None) => {
                WindowSize::Tiles(positive("window", across)?, positive("window", down)?)
            }
            (None, Some((width, height)), None) => WindowSize::Pixels(
                positive("window_px", width)?,
                positive("window_px", height)?,
            ),
            (None, None, Some(count)) => WindowSize::Count(positive("chunks", count)?),
            _ => {
                return Err(Error::Usage(
                    "give at most one of window, window_px, chunks".to_string(),
                ))
            }
        };
        let options = cog::PlanOptions {
            window,
            halo,
            overview,
            merge_gap: merge_gap.bytes("merge_gap")?,
        };
        Ok(planned(cog::plan(&inputs, &options)?))
    })
}

#[pyfunction]
#[pyo3(signature = (partials, *, reducers, map=None, fai=None, output_mq=false, output_bp=false, output_qname=false))]
#[allow(clippy::too_many_arguments)]
pub fn mpileup_plan(
    py: Python<'_>,
    partials: Vec<String>,
    reducers: u64,
    map: Option<String>,
    fai: Option<String>,
    output_mq: bool,
    output_bp: bool,
    output_qname: bool,
) -> PyResult<Planned> {
    detached(py, move || {
        let options = mpileup_reduce::PlanOptions {
            reducers,
            setup: mpileup_reduce::Setup {
                map,
                fai,
                columns: mpileup_reduce::Columns {
                    mq: output_mq,
                    bp: output_bp,
                    qname: output_qname,
                },
            },
        };
        Ok(planned(mpileup_reduce::plan(&partials, &options)?))
    })
}
