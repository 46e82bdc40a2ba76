//! chunkwise's Python face: the native module `chunkwise._native`.
//!
//! The Python package (`python/chunkwise/`) wraps these functions in typed ones and small
//! classes (`Chunk`, `Plan`); users import `chunkwise`, never this module. Everything here is
//! the Rust code the binaries run: a plan is the format crate's `plan`, a chunk is rebuilt by
//! the `formats` registry's `write_chunk`, as `<tool> cat` does, so a Python worker gets the
//! bytes `cat` gives. The GIL is released while they run, so Python threads plan and read in
//! parallel.
//!
//! - `plan`: one function per format, from keyword arguments to the crate's
//!   `PlanOptions`; manifest lines, warnings and the summary line come back.
//! - `chunk`: a chunk's bytes from its manifest line, whole.
//! - `stream`: the same bytes as a stream, for chunks too large to hold.
//! - `window`: a COG window's samples as a numpy array, without a copy.
//! - `name_map`: `fasta`'s name map (part ids back to original coordinates).
//! - `errors`: toolkit errors raised as the Python exception of their exit code.

mod chunk;
mod errors;
mod name_map;
mod plan;
mod stream;
mod window;

use pyo3::prelude::*;

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(plan::fastq_plan, module)?)?;
    module.add_function(wrap_pyfunction!(plan::fasta_plan, module)?)?;
    module.add("FASTA_DEFAULT_OVERLAP", fasta::DEFAULT_OVERLAP)?;
    module.add_function(wrap_pyfunction!(plan::sra_plan, module)?)?;
    module.add_function(wrap_pyfunction!(plan::lidar_plan, module)?)?;
    module.add_function(wrap_pyfunction!(plan::cog_plan, module)?)?;
    module.add_function(wrap_pyfunction!(plan::mpileup_plan, module)?)?;
    module.add_function(wrap_pyfunction!(chunk::read_chunk, module)?)?;
    module.add_class::<stream::ChunkStream>()?;
    module.add_function(wrap_pyfunction!(window::read_window, module)?)?;
    module.add_class::<name_map::NameMap>()?;
    module.add_class::<name_map::Part>()?;
    Ok(())
}
