//! The decoding observer that places checkpoints where the one-pass build does, gathers each
//! one's window and the data after it, and takes the first record after each from the scan.

use std::collections::VecDeque;

use super::build::FirstRecord;
use super::window::{WindowCompressor, WindowJob};
use super::{Checkpoint, FINE_PROGRESS_AFTER};
use crate::gzip::{Observer, WINDOW};

/// The decoding observer that places checkpoints.
pub(super) struct Builder {
    span: u64,
    ring: Box<[u8; WINDOW]>,
    ring_end: usize,
    ring_length: usize,
    last_out: Option<u64>,
    /// Checkpoints placed, waiting for their first record.
    pending: VecDeque<Checkpoint>,
    /// Output offsets of checkpoints placed since the last piece went to the scan.
    unannounced: Vec<u64>,
    resolved: Vec<Checkpoint>,
    /// (output so far, compressed input so far) after each inflate call not yet needed.
    progress_log: VecDeque<(u64, u64)>,
    /// The last compressed byte consumed: it holds a checkpoint's first bits.
    last_input: u8,
    crc: crc32fast::Hasher,
    /// Windows of the latest checkpoints, still gathering the data that follows them.
    gathering: VecDeque<WindowJob>,
    compressor: WindowCompressor,
    /// Building a part's share ([`super::parts`]): where its output ends, and the CRC32s
    /// of its output up to each member start in it and to its end.
    part: Option<PartCrcs>,
}

struct PartCrcs {
    out: u64,
    end: u64,
    /// The compressed bit where the part ends (none at the file's end).
    end_bit: Option<u64>,
    crc: crc32fast::Hasher,
    cuts: Vec<(u64, u32)>,
}

impl Builder {
    pub(super) fn new(span: u64) -> Builder {
        Builder {
            span,
            ring: Box::new([0; WINDOW]),
            ring_end: 0,
            ring_length: 0,
            last_out: None,
            pending: VecDeque::new(),
            unannounced: Vec::new(),
            resolved: Vec::new(),
            progress_log: VecDeque::new(),
            last_input: 0,
            crc: crc32fast::Hasher::new(),
            gathering: VecDeque::new(),
            compressor: WindowCompressor::new(),
            part: None,
        }
    }

    /// A builder for the part of the output from `out` to `end`, which ends at compressed bit
    /// `end_bit`, as the one-pass builder is there: the last checkpoint before at `last_out`,
    /// `window` before `out`, and `last_input` the compressed byte before the part's first
    /// whole one.
    pub(super) fn for_part(
        span: u64,
        last_out: Option<u64>,
        window: &[u8],
        last_input: u8,
        (out, end, end_bit): (u64, u64, Option<u64>),
    ) -> Builder {
        let mut builder = Builder::new(span);
        builder.last_out = last_out;
        builder.last_input = last_input;
        builder.ring[..window.len()].copy_from_slice(window);
        builder.ring_end = window.len() % WINDOW;
        builder.ring_length = window.len();
        builder.part = Some(PartCrcs {
            out,
            end,
            end_bit,
            crc: crc32fast::Hasher::new(),
            cuts: Vec::new(),
        });
        builder
    }

    /// The CRC32 of every member decoded from its start.
    pub(super) fn crc32(&self) -> u32 {
        self.crc.clone().finalize()
    }

    /// The output offsets of the checkpoints placed since the last call.
    pub(super) fn take_unannounced(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.unannounced)
    }

    /// Whether a checkpoint at output `out`, compressed bit `bit`, is this builder's to place.
    /// A part's ends at its end, but for the boundaries that share the end's output offset
    /// and come before it (an empty stored block or member follows them): the one-pass build
    /// checkpoints the first boundary at an offset, and the next part starts at the last.
    fn owns(&self, out: u64, bit: u64) -> bool {
        self.part.as_ref().is_none_or(|part| {
            out < part.end || (out == part.end && part.end_bit.is_some_and(|end| bit < end))
        })
    }

    /// Whether every placed checkpoint's window has seen the data after it.
    pub(super) fn windows_complete(&self) -> bool {
        self.gathering.is_empty()
    }

    /// The CRC32s of a part's output from its start: to each member start in it, then to its
    /// end.
    pub(super) fn part_crcs(&mut self) -> Vec<(u64, u32)> {
        let part = self.part.as_mut().expect("building a part");
        let mut cuts = std::mem::take(&mut part.cuts);
        cuts.push((part.end, part.crc.clone().finalize()));
        cuts
    }

    fn due(&self, out: u64) -> bool {
        self.last_out.is_none_or(|last| out - last >= self.span)
    }

    fn window(&self) -> Vec<u8> {
        let start = (self.ring_end + WINDOW - self.ring_length) % WINDOW;
        let mut window = Vec::with_capacity(self.ring_length);
        if start + self.ring_length <= WINDOW {
            window.extend_from_slice(&self.ring[start..start + self.ring_length]);
        } else {
            window.extend_from_slice(&self.ring[start..]);
            window.extend_from_slice(&self.ring[..self.ring_end]);
        }
        window
    }

    fn add(&mut self, in_byte: u64, bits: u8, member_start: bool, out: u64) {
        // One window per checkpoint, in order (empty at a member's start, which needs none);
        // the stored ones are filled in when the pass ends.
        let job = WindowJob {
            window: if member_start {
                Vec::new()
            } else {
                self.window()
            },
            compressed: if bits > 0 {
                vec![self.last_input]
            } else {
                Vec::new()
            },
            bits,
            following: Vec::new(),
        };
        self.gathering.push_back(job);
        if member_start {
            self.submit_gathered();
        }
        self.unannounced.push(out);
        self.pending.push_back(Checkpoint {
            in_byte,
            bits,
            member_start,
            out,
            lines: 0,
            first_out: 0,
            record: 0,
            tail_in: 0,
            first_crc: 0,
            window: Vec::new(),
        });
        self.last_out = Some(out);
    }

    /// Sends every window gathering data to be stored, in order.
    fn submit_gathered(&mut self) {
        while let Some(job) = self.gathering.pop_front() {
            self.compressor.submit(job);
        }
    }

    /// The windows, stored, of the checkpoints that were resolved (the rest followed the last
    /// record and are dropped).
    pub(super) fn finish(mut self) -> Vec<Checkpoint> {
        self.submit_gathered();
        let mut checkpoints = self.resolved;
        // Checkpoints resolve in the order they were added, so the resolved ones are the
        // first windows queued.
        for (checkpoint, window) in checkpoints.iter_mut().zip(self.compressor.finish()) {
            checkpoint.window = window;
        }
        checkpoints
    }

    /// The first pending checkpoint's first record is `first`.
    pub(super) fn resolve(&mut self, first: FirstRecord) {
        let mut checkpoint = self
            .pending
            .pop_front()
            .expect("one first record per checkpoint");
        while self
            .progress_log
            .front()
            .is_some_and(|(out, _)| *out <= first.out)
        {
            self.progress_log.pop_front();
        }
        checkpoint.lines = first.lines;
        checkpoint.first_out = first.out;
        checkpoint.record = first.record;
        checkpoint.tail_in = self
            .progress_log
            .front()
            .map(|&(_, in_byte)| in_byte)
            .expect("the bytes of a parsed record were decoded");
        checkpoint.first_crc = first.crc_before;
        self.resolved.push(checkpoint);
    }
}

impl Observer for Builder {
    fn input(&mut self, bytes: &[u8]) {
        if let Some(&last) = bytes.last() {
            self.last_input = last;
        }
        for job in &mut self.gathering {
            job.compressed.extend_from_slice(bytes);
        }
    }

    fn output(&mut self, bytes: &[u8]) {
        if let Some(part) = &mut self.part {
            let owned = (part.end.saturating_sub(part.out) as usize).min(bytes.len());
            part.crc.update(&bytes[..owned]);
            part.out += bytes.len() as u64;
        }
        for job in &mut self.gathering {
            let wanted = WINDOW - job.following.len();
            job.following
                .extend_from_slice(&bytes[..wanted.min(bytes.len())]);
        }
        while self
            .gathering
            .front()
            .is_some_and(|job| job.following.len() == WINDOW)
        {
            let job = self.gathering.pop_front().expect("checked");
            self.compressor.submit(job);
        }

        let bytes = &bytes[bytes.len().saturating_sub(WINDOW)..];
        let first = bytes.len().min(WINDOW - self.ring_end);
        self.ring[self.ring_end..self.ring_end + first].copy_from_slice(&bytes[..first]);
        self.ring[..bytes.len() - first].copy_from_slice(&bytes[first..]);
        self.ring_end = (self.ring_end + bytes.len()) % WINDOW;
        self.ring_length = (self.ring_length + bytes.len()).min(WINDOW);
    }

    fn boundary_wanted_from(&self) -> u64 {
        self.last_out.map_or(0, |last| last + self.span)
    }

    fn fine_progress(&self, out: u64) -> bool {
        // Checkpoints need the compressed offset near the first record after them.
        self.last_out
            .is_none_or(|last| out < last + FINE_PROGRESS_AFTER)
    }

    fn block_boundary(&mut self, in_byte: u64, bits: u8, out: u64) {
        if self.due(out) && self.owns(out, in_byte * 8 - u64::from(bits)) {
            self.add(in_byte, bits, false, out);
        }
    }

    fn member_start(&mut self, in_byte: u64, out: u64) {
        // A new member references nothing before it.
        self.ring_length = 0;
        if let Some(part) = self.part.as_mut().filter(|part| out < part.end) {
            part.cuts.push((out, part.crc.clone().finalize()));
        }
        if self.due(out) && self.owns(out, in_byte * 8) {
            self.add(in_byte, 0, true, out);
        }
    }

    fn progress(&mut self, in_byte: u64, out: u64) {
        self.progress_log.push_back((out, in_byte));
    }

    fn member_end(&mut self, crc: &crc32fast::Hasher) {
        self.crc.combine(crc);
        // Nothing after a member's end copies from its windows.
        self.submit_gathered();
    }
}
