//! A COG window's samples as a numpy array.

use cog::CogDetail;
use numpy::PyArray1;
use partition_core::{Chunk, Error, Result};
use pyo3::prelude::*;

/// A window's samples, (bands, rows, cols) little-endian as `cog-windows cat --raw` writes
/// them, with the numpy dtype name and shape to view them as. The array takes over the
/// samples' buffer (no copy); Python views it with the dtype and shape (no copy either).
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn read_window<'py>(
    py: Python<'py>,
    line: &str,
) -> PyResult<(Bound<'py, PyArray1<u8>>, String, (u64, u64, u64))> {
    let line = line.to_owned();
    let (samples, dtype, shape) = crate::errors::detached(py, move || {
        let chunk = crate::chunk::parse(&line)?;
        let (dtype, shape) = layout(&chunk)?;
        Ok((cog::read_window(&chunk)?, dtype, shape))
    })?;
    Ok((PyArray1::from_vec(py, samples), dtype, shape))
}

/// The one sample type of the window's inputs and its (bands, rows, cols).
fn layout(chunk: &Chunk) -> Result<(String, (u64, u64, u64))> {
    chunk.expect_kind(cog::FORMAT.kinds)?;
    let detail: CogDetail = chunk.detail()?;
    let [_, _, width, height] = detail.read_window;
    let bands = detail.layers.iter().map(|layer| layer.bands).sum();
    let mut dtypes = detail.layers.iter().map(|layer| layer.dtype);
    let first = dtypes
        .next()
        .ok_or_else(|| Error::bad_file(format!("chunk {}", chunk.id), "no layers"))?;
    if let Some(other) = dtypes.find(|&dtype| dtype != first) {
        return Err(Error::Usage(format!(
            "chunk {}: inputs of types {first:?} and {other:?} cannot share one array; read \
             the window's bytes with read_chunk after planning each input alone",
            chunk.id
        )));
    }
    let name = serde_json::to_value(first)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .expect("a sample type serialises to its name");
    Ok((name, (bands, height, width)))
}
