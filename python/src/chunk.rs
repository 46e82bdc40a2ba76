//! A chunk's bytes from its manifest line, as `<tool> cat` writes them: whole
//! ([`read_chunk`]) or as a stream ([`ChunkStream`]) for chunks too large to hold.

use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use partition_core::{Chunk, Error, Result};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{detached, to_py};

/// Parses one manifest line; a bad one is malformed input (exit 65), as in a manifest file.
fn parse(line: &str) -> Result<Chunk> {
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
    let mut other_size = None;
    let bytes = PyBytes::new_with(py, planned, |buffer| {
        let filling = &mut *buffer;
        let written = detached(py, || {
            let mut out = Filling {
                buffer: filling,
                filled: 0,
                overflow: Vec::new(),
            };
            formats::write_chunk(&chunk, &mut out)?;
            Ok((out.filled, out.overflow))
        })?;
        if written != (buffer.len(), Vec::new()) {
            let (filled, overflow) = written;
            other_size = Some([&buffer[..filled], &overflow].concat());
        }
        Ok(())
    })?;
    Ok(match other_size {
        Some(all) => PyBytes::new(py, &all),
        None => bytes,
    })
}

/// The largest planned size taken at its word (16 GiB).
const MAX_PLANNED: usize = 1 << 34;

/// Writes into a buffer of the planned size, and past its end into `overflow`.
struct Filling<'a> {
    buffer: &'a mut [u8],
    filled: usize,
    overflow: Vec<u8>,
}

impl Write for Filling<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let room = (self.buffer.len() - self.filled).min(bytes.len());
        self.buffer[self.filled..self.filled + room].copy_from_slice(&bytes[..room]);
        self.filled += room;
        self.overflow.extend_from_slice(&bytes[room..]);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Bytes handed from the rebuilding thread to the reader at a time.
const BLOCK: usize = 1 << 20;
/// Blocks rebuilt ahead of the reader: memory stays at a few MiB whatever the chunk's size.
const BLOCKS_AHEAD: usize = 4;

enum Message {
    Data(Vec<u8>),
    End(Result<()>),
}

/// A chunk rebuilt on a thread of its own as the reader asks for bytes. The Python side
/// (`chunkwise.open_chunk`) wraps it in an `io.BufferedReader`.
#[pyclass(module = "chunkwise._native")]
pub struct ChunkStream {
    state: Mutex<Stream>,
}

struct Stream {
    /// None once the chunk has ended or the stream was closed.
    blocks: Option<Receiver<Message>>,
    block: Vec<u8>,
    at: usize,
}

impl Stream {
    /// Up to `size` bytes (all that are left when `None`); empty at the end.
    fn read(&mut self, size: Option<usize>) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        while size.is_none_or(|size| out.len() < size) {
            if self.at == self.block.len() {
                let Some(blocks) = &self.blocks else { break };
                match blocks.recv() {
                    Ok(Message::Data(block)) => (self.block, self.at) = (block, 0),
                    Ok(Message::End(result)) => {
                        self.blocks = None;
                        result?;
                    }
                    Err(_) => {
                        self.blocks = None;
                        return Err(Error::Failed(
                            "the thread rebuilding the chunk stopped without a word".to_string(),
                        ));
                    }
                }
                continue;
            }
            let available = &self.block[self.at..];
            let take = size.map_or(available.len(), |size| {
                available.len().min(size - out.len())
            });
            out.extend_from_slice(&available[..take]);
            self.at += take;
        }
        Ok(out)
    }
}

#[pymethods]
impl ChunkStream {
    #[new]
    fn new(py: Python<'_>, line: &str) -> PyResult<ChunkStream> {
        let chunk = parse(line).map_err(|error| to_py(py, error))?;
        let (sender, blocks) = sync_channel(BLOCKS_AHEAD);
        std::thread::spawn(move || {
            let mut writer = BlockWriter {
                sender: sender.clone(),
                block: Vec::with_capacity(BLOCK),
            };
            let result = formats::write_chunk(&chunk, &mut writer)
                .and_then(|()| writer.send().map_err(partition_core::cli::output_error));
            // A closed stream no longer listens; nothing is left to tell.
            let _ = sender.send(Message::End(result));
        });
        Ok(ChunkStream {
            state: Mutex::new(Stream {
                blocks: Some(blocks),
                block: Vec::new(),
                at: 0,
            }),
        })
    }

    /// Reads up to `size` bytes (all that are left when negative); `b""` at the end.
    #[pyo3(signature = (size = -1))]
    fn read<'py>(&self, py: Python<'py>, size: i64) -> PyResult<Bound<'py, PyBytes>> {
        let size = usize::try_from(size).ok();
        let bytes = detached(py, || {
            let mut stream = self
                .state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            stream.read(size)
        })?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Stops rebuilding: the thread ends at its next block.
    fn close(&self) {
        let mut stream = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        stream.blocks = None;
    }
}

/// Collects what `write_chunk` writes into blocks for the reader.
struct BlockWriter {
    sender: SyncSender<Message>,
    block: Vec<u8>,
}

impl BlockWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.block.is_empty() {
            return Ok(());
        }
        let block = std::mem::replace(&mut self.block, Vec::with_capacity(BLOCK));
        self.sender
            .send(Message::Data(block))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the stream was closed"))
    }
}

impl Write for BlockWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.block.extend_from_slice(bytes);
        if self.block.len() >= BLOCK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
