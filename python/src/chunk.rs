//! A chunk's bytes from its manifest line, whole, as `<tool> cat` writes them (the stream
//! is in `stream`).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use partition_core::{Chunk, Error, Result};
use pyo3::exceptions::PyMemoryError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::detached;

/// Parses one manifest line; a bad one is malformed input (exit 65), as in a manifest file.
pub fn parse(line: &str) -> Result<Chunk> {
    Chunk::from_json(line.trim_end()).map_err(|message| Error::bad_file("manifest line", message))
}

/// The chunk's bytes, rebuilt by the registry's `write_chunk` (what `cat` writes).
///
/// Rebuilt straight into the `bytes` object when the plan's size is exact (gzip and plain
/// FASTQ, FASTA...): no second buffer, no copy of what may be gigabytes. Otherwise what
/// overflows or falls short is gathered and copied once.
#[pyfunction]
pub fn read_chunk<'py>(py: Python<'py>, line: &str) -> PyResult<Bound<'py, PyBytes>> {
    let line = line.to_owned();
    let chunk = detached(py, move || parse(&line))?;
    // A size past any real chunk is a bad line, not a reason to allocate it.
    let planned = usize::try_from(chunk.est_bytes)
        .ok()
        .filter(|&size| size <= MAX_PLANNED)
        .unwrap_or(0);
    let bytes = UninitBytes::new(py, planned)?;
    let target = bytes.target();
    let (filled, overflow) = detached(py, move || {
        let progress = Progress::default();
        let mut out = Filling {
            target,
            filled: 0,
            overflow: Vec::new(),
            progress: &progress,
        };
        let result = std::thread::scope(|scope| {
            if target.len >= PREFAULT_FROM {
                scope.spawn(|| target.prefault(&progress));
            }
            let result = formats::write_chunk(&chunk, &mut out);
            progress.done.store(true, Ordering::Relaxed);
            result
        });
        result?;
        Ok((out.filled, out.overflow))
    })?;
    if filled == target.len && overflow.is_empty() {
        return Ok(bytes.into_bytes());
    }
    // SAFETY: the first `filled` bytes were written.
    let written = unsafe { std::slice::from_raw_parts(target.start as *const u8, filled) };
    Ok(PyBytes::new(py, &[written, &overflow].concat()))
}

/// The largest planned size taken at its word (16 GiB).
const MAX_PLANNED: usize = 1 << 34;
/// Chunks from this size have their pages faulted in by a second thread...
const PREFAULT_FROM: usize = 8 << 20;
/// ...this much at a time...
const PREFAULT_STEP: usize = 2 << 20;
/// ...at most this far ahead of the writer: a planned size larger than the chunk (a bad
/// line) maps no more than this beyond what was written.
const PREFAULT_AHEAD: usize = 64 << 20;

/// A `bytes` object whose contents are written after it is made. pyo3's
/// `PyBytes::new_with` zero-fills it first: for a chunk of 100 MB, a pass of page faults and
/// a memset on the calling thread before any byte is rebuilt, a third of the time `cat`
/// takes. Python's C API makes the object uninitialised; it is never shown to Python before
/// every byte is written (a shorter chunk is copied into a new object, a failed one dropped).
struct UninitBytes<'py> {
    object: Bound<'py, PyBytes>,
    target: Target,
}

impl<'py> UninitBytes<'py> {
    /// An object of `len` bytes; an empty one (the chunk then gathered apart and copied)
    /// when memory for `len` cannot be had, so that a planned size too large for this
    /// worker fails no chunk that fits.
    fn new(py: Python<'py>, len: usize) -> PyResult<UninitBytes<'py>> {
        match Self::allocate(py, len) {
            Err(error) if len > 0 && error.is_instance_of::<PyMemoryError>(py) => {
                Self::allocate(py, 0)
            }
            allocated => allocated,
        }
    }

    fn allocate(py: Python<'py>, len: usize) -> PyResult<UninitBytes<'py>> {
        let size = pyo3::ffi::Py_ssize_t::try_from(len)
            .map_err(|_| PyMemoryError::new_err("chunk too large"))?;
        // SAFETY: a null source asks CPython for an uninitialised object of `size` bytes; a
        // null result is an exception set, which `from_owned_ptr_or_err` takes.
        let object = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                pyo3::ffi::PyBytes_FromStringAndSize(std::ptr::null(), size),
            )?
            .cast_into_unchecked::<PyBytes>()
        };
        // SAFETY: the object is a bytes object; its buffer lives as long as the object.
        let start = unsafe { pyo3::ffi::PyBytes_AsString(object.as_ptr()) } as usize;
        Ok(UninitBytes {
            object,
            target: Target { start, len },
        })
    }

    fn target(&self) -> Target {
        self.target
    }

    fn into_bytes(self) -> Bound<'py, PyBytes> {
        self.object
    }
}

/// The buffer of an [`UninitBytes`], as an address (raw pointers cannot cross threads).
#[derive(Clone, Copy)]
struct Target {
    start: usize,
    len: usize,
}

/// How far the writer has come, for the thread faulting pages in ahead of it.
#[derive(Default)]
struct Progress {
    filled: AtomicUsize,
    done: AtomicBool,
}

impl Target {
    /// Faults the buffer's pages in ahead of the writer (Linux's MADV_POPULATE_WRITE), so
    /// that the thread rebuilding the chunk finds them mapped instead of faulting each on its
    /// own time. It only maps pages: bytes already written stay. Where the kernel lacks it,
    /// nothing happens.
    fn prefault(self, progress: &Progress) {
        let page = 4096;
        let mut next = self.start.next_multiple_of(page);
        let end = (self.start + self.len) / page * page;
        while next < end && !progress.done.load(Ordering::Relaxed) {
            let limit = self.start + progress.filled.load(Ordering::Relaxed) + PREFAULT_AHEAD;
            if next >= limit {
                std::thread::sleep(std::time::Duration::from_micros(200));
                continue;
            }
            let step = PREFAULT_STEP.min(end - next);
            // SAFETY: the range lies inside the buffer, which outlives this scoped thread.
            let mapped = unsafe {
                libc::madvise(next as *mut libc::c_void, step, libc::MADV_POPULATE_WRITE)
            };
            if mapped != 0 {
                return;
            }
            next += step;
        }
    }
}

/// Writes into the planned buffer, and past its end into `overflow`.
struct Filling<'a> {
    target: Target,
    filled: usize,
    overflow: Vec<u8>,
    progress: &'a Progress,
}

impl Write for Filling<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let room = (self.target.len - self.filled).min(bytes.len());
        // SAFETY: `filled + room` stays within the buffer, which nothing else writes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                (self.target.start as *mut u8).add(self.filled),
                room,
            );
        }
        self.filled += room;
        self.progress.filled.store(self.filled, Ordering::Relaxed);
        self.overflow.extend_from_slice(&bytes[room..]);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
