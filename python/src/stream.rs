//! A chunk's bytes as a stream, rebuilt on a thread of its own while the reader takes them:
//! for chunks too large to hold whole.

use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use partition_core::{Error, Result};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::chunk::parse;
use crate::errors::{detached, to_py};

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
