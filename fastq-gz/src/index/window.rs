//! Checkpoint windows: the 32 KiB before each checkpoint, traced down to the bytes the data
//! after it copies, and deflated off the decoding path.

use std::io::Read;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::{self, JoinHandle};

use partition_core::{Error, Result};

use crate::gzip::{trace, Decoder, NoObserver, Resume, WINDOW};

/// Compresses windows as checkpoints store them: raw deflate. Kept and reused, since a
/// libdeflate compressor is a large allocation.
pub(crate) struct WindowDeflater {
    compressor: libdeflater::Compressor,
    /// Room for the largest output a window can give. Each window is deflated here and copied
    /// out at its size: a buffer of that room per window, truncated, would keep 32 KiB per
    /// checkpoint alive until the index is written (28 MB for a 1.1 GB FASTQ, 3 GB for 100 GB).
    scratch: Vec<u8>,
}

impl WindowDeflater {
    pub(crate) fn new() -> WindowDeflater {
        let level = libdeflater::CompressionLvl::new(6).expect("a valid level");
        let mut compressor = libdeflater::Compressor::new(level);
        let scratch = vec![0; compressor.deflate_compress_bound(WINDOW)];
        WindowDeflater {
            compressor,
            scratch,
        }
    }

    pub(crate) fn compress(&mut self, window: &[u8]) -> Vec<u8> {
        let bound = self.compressor.deflate_compress_bound(window.len());
        if self.scratch.len() < bound {
            self.scratch.resize(bound, 0);
        }
        let length = self
            .compressor
            .deflate_compress(window, &mut self.scratch)
            .expect("the bound fits");
        self.scratch[..length].to_vec()
    }
}

/// Decodes a checkpoint's compressed window.
pub fn decode_window(compressed: &[u8]) -> Result<Vec<u8>> {
    let mut window = Vec::with_capacity(WINDOW);
    flate2::read::DeflateDecoder::new(compressed)
        .take(WINDOW as u64 + 1)
        .read_to_end(&mut window)
        .map_err(|e| Error::bad_file("checkpoint", format!("window does not decode: {e}")))?;
    if window.len() > WINDOW {
        return Err(Error::bad_file("checkpoint", "window longer than 32 KiB"));
    }
    Ok(window)
}

/// A checkpoint's window, with what is needed to find the bytes of it that are used: the
/// deflate data after the checkpoint (from the byte holding its first bits) and the output it
/// decodes to, until 32 KiB of output or the end of the member.
pub(super) struct WindowJob {
    pub(super) window: Vec<u8>,
    pub(super) compressed: Vec<u8>,
    pub(super) bits: u8,
    pub(super) following: Vec<u8>,
}

impl WindowJob {
    /// The window as stored: the bytes the following data copies from, zeros elsewhere (when
    /// decoding with that gives the same output), deflated.
    fn store(self, deflater: &mut WindowDeflater) -> Vec<u8> {
        deflater.compress(&self.sparse().unwrap_or(self.window))
    }

    fn sparse(&self) -> Option<Vec<u8>> {
        if self.window.is_empty() {
            return None;
        }
        let start_bit = if self.bits > 0 {
            8 - usize::from(self.bits)
        } else {
            0
        };
        let used = trace::used_window(self.window.len(), &self.compressed, start_bit)?;
        let sparse: Vec<u8> = self
            .window
            .iter()
            .zip(used)
            .map(|(&byte, used)| if used { byte } else { 0 })
            .collect();
        // The trace is checked by decoding with the sparse window.
        let at = Resume::Block {
            in_byte: 0,
            bits: self.bits,
            out: 0,
            window: &sparse,
        };
        let mut decoder = Decoder::resume(&self.compressed[..], "window", at, NoObserver).ok()?;
        let mut decoded = vec![0; self.following.len()];
        decoder.read_exact(&mut decoded).ok()?;
        (decoded == self.following).then_some(sparse)
    }
}

/// Stores checkpoint windows on a thread of its own, off the decoding path.
pub(super) struct WindowCompressor {
    sender: Option<SyncSender<WindowJob>>,
    worker: Option<JoinHandle<Vec<Vec<u8>>>>,
}

impl WindowCompressor {
    pub(super) fn new() -> WindowCompressor {
        let (sender, receiver) = sync_channel::<WindowJob>(16);
        let worker = thread::spawn(move || {
            let mut deflater = WindowDeflater::new();
            receiver
                .iter()
                .map(|job| job.store(&mut deflater))
                .collect()
        });
        WindowCompressor {
            sender: Some(sender),
            worker: Some(worker),
        }
    }

    pub(super) fn submit(&mut self, job: WindowJob) {
        self.sender
            .as_ref()
            .expect("not finished")
            .send(job)
            .expect("the compressor thread runs");
    }

    /// Every window queued, stored, in order.
    pub(super) fn finish(mut self) -> Vec<Vec<u8>> {
        drop(self.sender.take());
        self.worker
            .take()
            .expect("not finished")
            .join()
            .expect("the compressor thread does not panic")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored window holds its deflated bytes and no more: the index keeps one per
    /// checkpoint until it is written, so 32 KiB of room each would grow with the file.
    #[test]
    fn a_stored_window_takes_its_size_not_the_room_it_was_deflated_in() {
        let mut deflater = WindowDeflater::new();
        let window: Vec<u8> = (0..WINDOW).map(|i| b"ACGT\n"[i % 5]).collect();
        for _ in 0..3 {
            let stored = deflater.compress(&window);
            assert!(stored.len() < 1024, "{}", stored.len());
            assert_eq!(stored.capacity(), stored.len());
            assert_eq!(decode_window(&stored).unwrap(), window);
        }
    }
}
