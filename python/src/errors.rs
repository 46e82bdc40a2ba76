//! Toolkit errors as Python exceptions.
//!
//! The classes live in Python (`chunkwise/errors.py`) so that they can also derive from the
//! builtin a Python user would catch (`FileNotFoundError` for a missing input, `ValueError`
//! for malformed input); this side only picks the class by the error's exit code
//! (docs/cli.md) and gives it the message the CLI prints after `<tool>: `.

use partition_core::Error;
use pyo3::prelude::*;

/// `error` as the exception `chunkwise.errors` has for its exit code.
pub fn to_py(py: Python<'_>, error: Error) -> PyErr {
    let exception = py
        .import("chunkwise.errors")
        .and_then(|errors| errors.getattr("_from_exit_code"))
        .and_then(|make| make.call1((error.exit_code(), error.to_string())));
    match exception {
        Ok(exception) => PyErr::from_value(exception),
        Err(import_failed) => import_failed,
    }
}

/// Runs `work` with the GIL released (other Python threads go on meanwhile), raising its
/// error as a Python exception.
pub fn detached<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> Result<T, Error> + Send,
) -> PyResult<T> {
    py.detach(work).map_err(|error| to_py(py, error))
}
