//! The checkpoint index of a gzip FASTQ: where decoding can resume, and which record starts
//! next at each of those places.
//!
//! One streaming pass decodes the file, stops at deflate block boundaries, and every `span`
//! bytes of output records a checkpoint:
//! - the compressed bit offset, the output offset and the lines before it;
//! - the 32 KiB window of output before it, deflated and sparse: the bytes that the data
//!   after the checkpoint never copies are stored as zeros ([`crate::gzip::trace`]);
//! - from the FASTQ records parsed on the way, the first record that starts after it (its
//!   offset and number), how many compressed bytes suffice to decode up to that record, and
//!   the CRC32 of the output before it (a chunk's CRC32 follows from the checkpoints at its
//!   two ends).
//!
//! Chunks are cut at checkpoints, so a worker decodes only its own bytes and knows exactly
//! where its first record starts.
//!
//! The sidecar file (`reads.fq.gz.cwi`) is little-endian binary:
//!
//! ```text
//! magic "CWGZIDX\x01"  version u32 = 2  span u64  compressed_size u64  uncompressed_size u64
//! records u64  lines u64  crc32 u32  checkpoints u64
//! per checkpoint: in_byte u64  bits u8  member_start u8  out u64  lines u64  first_out u64
//!                 record u64  tail_in u64  first_crc u32  window_length u32
//!                 window bytes (raw deflate)
//! crc32 of everything above u32
//! ```

use std::collections::VecDeque;
use std::io::{BufRead, Read, Write};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::thread::{self, JoinHandle};

use partition_core::{progress, Error, Result, Source};

use crate::checksum::{Checksummed, Refill};
use crate::gzip::{trace, Decoder, NoObserver, Observer, Resume, WINDOW};
use crate::record::RecordReader;

const MAGIC: &[u8; 8] = b"CWGZIDX\x01";
/// The format version this build writes and reads.
pub const VERSION: u32 = 2;
/// Default output between checkpoints.
pub const DEFAULT_SPAN: u64 = 1 << 20;
/// Output after a checkpoint within which its first record is looked for at fine grain: the
/// chunk before it then reads little compressed data past its end.
const FINE_PROGRESS_AFTER: u64 = 64 * 1024;

/// A place where decoding can resume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Compressed bytes before the resume point (the byte before holds `bits` of it).
    pub in_byte: u64,
    /// Unused high bits of byte `in_byte - 1` that belong to the next block (0-7).
    pub bits: u8,
    /// The checkpoint is a gzip member's start: decoding begins with its header, no window.
    pub member_start: bool,
    /// Uncompressed bytes before the resume point.
    pub out: u64,
    /// Line feeds before the resume point.
    pub lines: u64,
    /// Offset of the first record starting at or after `out`.
    pub first_out: u64,
    /// Number (0-based) of that record.
    pub record: u64,
    /// Compressed bytes that suffice to decode output through `first_out`.
    pub tail_in: u64,
    /// CRC32 of the uncompressed stream before `first_out`.
    pub first_crc: u32,
    /// The 32 KiB of output before `out` (less at a member's start), raw-deflate compressed;
    /// bytes that decoding from here never copies are zeros.
    pub window: Vec<u8>,
}

/// Compresses windows as checkpoints store them: raw deflate. Kept and reused, since a
/// libdeflate compressor is a large allocation.
pub(crate) struct WindowDeflater(libdeflater::Compressor);

impl WindowDeflater {
    pub(crate) fn new() -> WindowDeflater {
        let level = libdeflater::CompressionLvl::new(6).expect("a valid level");
        WindowDeflater(libdeflater::Compressor::new(level))
    }

    pub(crate) fn compress(&mut self, window: &[u8]) -> Vec<u8> {
        let mut compressed = vec![0; self.0.deflate_compress_bound(window.len())];
        let length = self
            .0
            .deflate_compress(window, &mut compressed)
            .expect("the bound fits");
        compressed.truncate(length);
        compressed
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

/// The index of one gzip FASTQ file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GzIndex {
    pub span: u64,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub records: u64,
    /// Line feeds in the whole uncompressed stream.
    pub lines: u64,
    /// CRC32 of the whole uncompressed stream.
    pub crc32: u32,
    /// Whether `crc32` and the checkpoints' `first_crc` are known: not for an index read from
    /// gztool's format ([`crate::gztool::import`]).
    pub crcs_known: bool,
    /// In file order; the first is the file's start.
    pub checkpoints: Vec<Checkpoint>,
}

/// Builds the index in one streaming pass over `source`, validating every record.
///
/// Decoding runs on a thread of its own and hands its output, in pieces, to the record scan
/// on this one: the scan then costs no time on the decoding path.
pub fn build(source: &Source, span: u64, quiet: bool) -> Result<GzIndex> {
    let input = progress::reader(source.reader()?, source.size(), quiet, source.url());
    let decoder = Decoder::observed(input, source.url(), Builder::new(span.max(1)));
    // Record errors give positions in the uncompressed stream; the decoder's, in the file.
    let name = format!("{} (uncompressed)", source.url());
    let (piece_sender, pieces) = sync_channel(PIECES_IN_FLIGHT);
    let (spare_sender, spares) = channel();
    let (first_sender, firsts) = channel();
    let (decoded, scanned) = thread::scope(|scope| {
        let decoding = scope.spawn(move || {
            let builder = decode(decoder, piece_sender, spares, &firsts)?;
            Ok(builder.map(|builder| (builder, firsts)))
        });
        let pieces = Pieces {
            receiver: pieces,
            spares: spare_sender,
            checkpoints: VecDeque::new(),
            lines: 0,
        };
        let scanned = scan(pieces, &name, first_sender);
        let decoded = decoding.join().expect("the decoding thread does not panic");
        (decoded, scanned)
    });
    // A decoding error ends the output early, so it explains a record error too.
    let decoded = decoded.map_err(|e: std::io::Error| Error::io(source.url(), e))?;
    let scanned = scanned?;
    let (mut builder, firsts) = decoded.expect("the scan ran to the end of the output");
    // The scan has ended: these are the last first records.
    for first in firsts.try_iter() {
        builder.resolve(first);
    }
    let (crc32, lines) = (builder.crc.clone().finalize(), scanned.lines);
    Ok(GzIndex {
        span,
        compressed_size: source.size(),
        uncompressed_size: scanned.size,
        records: scanned.records,
        lines,
        crc32,
        crcs_known: true,
        checkpoints: builder.finish(),
    })
}

/// Output bytes per piece handed from decoding to the record scan, and pieces under way.
const PIECE: usize = 1 << 20;
const PIECES_IN_FLIGHT: usize = 4;

/// Decoded output from offset `start`, with the output offsets of the checkpoints placed up to
/// its end.
struct Piece {
    start: u64,
    bytes: Vec<u8>,
    length: usize,
    checkpoints: Vec<u64>,
}

/// Decodes the whole input into pieces, resolving checkpoints with the first records the
/// scan finds. Returns the builder, or None if the scan stopped taking pieces (it failed, and
/// says why).
fn decode<R: Read>(
    mut decoder: Decoder<R, Builder>,
    pieces: SyncSender<Piece>,
    spares: Receiver<Vec<u8>>,
    firsts: &Receiver<FirstRecord>,
) -> std::io::Result<Option<Builder>> {
    let mut start = 0;
    loop {
        let mut bytes = spares.try_recv().unwrap_or_else(|_| vec![0; PIECE]);
        let mut length = 0;
        while length < PIECE {
            match decoder.read(&mut bytes[length..])? {
                0 => break,
                n => length += n,
            }
        }
        let builder = decoder.observer_mut();
        for first in firsts.try_iter() {
            builder.resolve(first);
        }
        let checkpoints = std::mem::take(&mut builder.unannounced);
        if length == 0 {
            return Ok(Some(decoder.into_observer()));
        }
        let piece = Piece {
            start,
            bytes,
            length,
            checkpoints,
        };
        start += length as u64;
        if pieces.send(piece).is_err() {
            return Ok(None);
        }
    }
}

/// The decoded output, piece by piece, knowing the checkpoints placed up to where it has read
/// and counting lines (off the decoding thread).
struct Pieces {
    receiver: Receiver<Piece>,
    spares: Sender<Vec<u8>>,
    /// Output offsets of checkpoints whose first record is not yet known, with the lines
    /// before each.
    checkpoints: VecDeque<(u64, u64)>,
    /// Lines in the pieces so far.
    lines: u64,
}

impl Refill for Pieces {
    /// Swaps the next piece in: no copy.
    fn refill(&mut self, buffer: &mut Vec<u8>) -> std::io::Result<usize> {
        let Ok(mut piece) = self.receiver.recv() else {
            return Ok(0);
        };
        let bytes = &piece.bytes[..piece.length];
        // Checkpoints announced with a piece lie inside it or at its end.
        let start = piece.start;
        let mut counted = 0;
        for &out in &piece.checkpoints {
            let upto = (out - start) as usize;
            self.lines += memchr::memchr_iter(b'\n', &bytes[counted..upto]).count() as u64;
            counted = upto;
            self.checkpoints.push_back((out, self.lines));
        }
        self.lines += memchr::memchr_iter(b'\n', &bytes[counted..]).count() as u64;
        std::mem::swap(buffer, &mut piece.bytes);
        // The decoding thread may have ended; then the buffer is not needed.
        let _ = self.spares.send(piece.bytes);
        Ok(piece.length)
    }
}

/// What the record scan learns besides the first records: the size, the record count and the
/// line count.
struct Scanned {
    size: u64,
    records: u64,
    lines: u64,
}

/// A checkpoint's lines before it, and its first record: where it starts, its number, and the
/// CRC32 of the output before it. One per checkpoint, in order.
struct FirstRecord {
    lines: u64,
    out: u64,
    record: u64,
    crc_before: u32,
}

fn scan(pieces: Pieces, name: &str, firsts: Sender<FirstRecord>) -> Result<Scanned> {
    let mut records = RecordReader::new(Checksummed::with_capacity(PIECE, pieces), name, 0);
    let mut count = 0u64;
    loop {
        // Checkpoints up to the next record's start are known once its bytes are decoded; the
        // CRC before the record is taken only where one of them resolves (about once a span).
        let start = records.offset();
        let input = records.input_mut();
        input.fill_buf().map_err(|e| Error::io(name, e))?;
        let resolves = input
            .get_mut()
            .checkpoints
            .front()
            .is_some_and(|&(out, _)| out <= start);
        let crc_before = resolves.then(|| input.prefix_crc());
        let Some(span) = records.next_record(None)? else {
            break;
        };
        if let Some(crc_before) = crc_before {
            let checkpoints = &mut records.input_mut().get_mut().checkpoints;
            while let Some(&(_, lines)) = checkpoints.front().filter(|&&(out, _)| out <= start) {
                checkpoints.pop_front();
                // The decoding thread may have failed; its error is the one reported.
                let _ = firsts.send(FirstRecord {
                    lines,
                    out: span.start,
                    record: count,
                    crc_before,
                });
            }
        }
        count += 1;
    }
    let size = records.offset();
    let lines = records.into_input().into_inner().lines;
    Ok(Scanned {
        size,
        records: count,
        lines,
    })
}

/// The decoding observer that places checkpoints.
struct Builder {
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
}

/// A checkpoint's window, with what is needed to find the bytes of it that are used: the
/// deflate data after the checkpoint (from the byte holding its first bits) and the output it
/// decodes to, until 32 KiB of output or the end of the member.
struct WindowJob {
    window: Vec<u8>,
    compressed: Vec<u8>,
    bits: u8,
    following: Vec<u8>,
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
struct WindowCompressor {
    sender: Option<SyncSender<WindowJob>>,
    worker: Option<JoinHandle<Vec<Vec<u8>>>>,
}

impl WindowCompressor {
    fn new() -> WindowCompressor {
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

    fn submit(&mut self, job: WindowJob) {
        self.sender
            .as_ref()
            .expect("not finished")
            .send(job)
            .expect("the compressor thread runs");
    }

    /// Every window queued, stored, in order.
    fn finish(mut self) -> Vec<Vec<u8>> {
        drop(self.sender.take());
        self.worker
            .take()
            .expect("not finished")
            .join()
            .expect("the compressor thread does not panic")
    }
}

impl Builder {
    fn new(span: u64) -> Builder {
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
        }
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
    fn finish(mut self) -> Vec<Checkpoint> {
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
    fn resolve(&mut self, first: FirstRecord) {
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
        if self.due(out) {
            self.add(in_byte, bits, false, out);
        }
    }

    fn member_start(&mut self, in_byte: u64, out: u64) {
        // A new member references nothing before it.
        self.ring_length = 0;
        if self.due(out) {
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

impl GzIndex {
    pub fn write(&self, mut output: impl Write) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(64 + self.checkpoints.len() * 3000);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        for value in [
            self.span,
            self.compressed_size,
            self.uncompressed_size,
            self.records,
            self.lines,
        ] {
            bytes.extend_from_slice(&value.to_le_bytes());
        }
        bytes.extend_from_slice(&self.crc32.to_le_bytes());
        bytes.extend_from_slice(&(self.checkpoints.len() as u64).to_le_bytes());
        for c in &self.checkpoints {
            bytes.extend_from_slice(&c.in_byte.to_le_bytes());
            bytes.push(c.bits);
            bytes.push(u8::from(c.member_start));
            for value in [c.out, c.lines, c.first_out, c.record, c.tail_in] {
                bytes.extend_from_slice(&value.to_le_bytes());
            }
            bytes.extend_from_slice(&c.first_crc.to_le_bytes());
            bytes.extend_from_slice(&(c.window.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&c.window);
        }
        let mut crc = flate2::Crc::new();
        crc.update(&bytes);
        bytes.extend_from_slice(&crc.sum().to_le_bytes());
        output.write_all(&bytes)?;
        output.flush()
    }

    /// The format version of an index file's bytes, when they start like one.
    pub fn version(bytes: &[u8]) -> Option<u32> {
        let version = bytes.strip_prefix(MAGIC)?.get(..4)?;
        Some(u32::from_le_bytes(version.try_into().expect("4 bytes")))
    }

    /// Reads an index file; `name` names it in errors. Every count and offset is checked
    /// before it is trusted, so a damaged file is an error, not a huge allocation.
    pub fn read(bytes: &[u8], name: &str) -> Result<GzIndex> {
        let bad = |message: String| Error::bad_file(name, message);
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(bad("not a chunkwise gzip index (bad magic)".to_string()));
        }
        let (body, stored) = bytes.split_at(bytes.len().saturating_sub(4));
        let mut crc = flate2::Crc::new();
        crc.update(body);
        if stored.len() != 4 || u32::from_le_bytes(stored.try_into().expect("4 bytes")) != crc.sum()
        {
            return Err(bad(
                "index checksum does not match (damaged or truncated file)".to_string(),
            ));
        }
        let mut cursor = Cursor::new(body, MAGIC.len(), name);
        let version = cursor.u32()?;
        if version != VERSION {
            return Err(bad(format!(
                "index version {version}, this build reads {VERSION}: rebuild it"
            )));
        }
        let (span, compressed_size, uncompressed_size, records, lines) = (
            cursor.u64()?,
            cursor.u64()?,
            cursor.u64()?,
            cursor.u64()?,
            cursor.u64()?,
        );
        let crc32 = cursor.u32()?;
        let count = cursor.u64()?;
        // Each checkpoint takes at least 58 bytes: a larger count cannot be true.
        if count > (body.len() / 58) as u64 {
            return Err(bad(format!(
                "index claims {count} checkpoints, more than the file can hold"
            )));
        }
        let mut checkpoints = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let in_byte = cursor.u64()?;
            let bits = cursor.u8()?;
            let member_start = cursor.u8()? != 0;
            let (out, lines, first_out, record, tail_in) = (
                cursor.u64()?,
                cursor.u64()?,
                cursor.u64()?,
                cursor.u64()?,
                cursor.u64()?,
            );
            let first_crc = cursor.u32()?;
            let window_length = cursor.u32()? as usize;
            let window = cursor.bytes(window_length)?.to_vec();
            let checkpoint = Checkpoint {
                in_byte,
                bits,
                member_start,
                out,
                lines,
                first_out,
                record,
                tail_in,
                first_crc,
                window,
            };
            let ordered = checkpoints.last().is_none_or(|previous: &Checkpoint| {
                previous.out < out && previous.record <= record && previous.lines <= lines
            });
            if bits > 7
                || (bits > 0 && in_byte == 0)
                || first_out < out
                || tail_in > compressed_size
                || in_byte > tail_in
                || !ordered
            {
                return Err(bad(format!(
                    "checkpoint {} is inconsistent",
                    checkpoints.len()
                )));
            }
            checkpoints.push(checkpoint);
        }
        if cursor.position != body.len() {
            return Err(bad("trailing bytes after the checkpoints".to_string()));
        }
        Ok(GzIndex {
            span,
            compressed_size,
            uncompressed_size,
            records,
            lines,
            crc32,
            crcs_known: true,
            checkpoints,
        })
    }
}

/// An index file's bytes, read in order; reading past the end is an error naming the file.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    position: usize,
    name: &'a str,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8], position: usize, name: &'a str) -> Self {
        Self {
            bytes,
            position,
            name,
        }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .position
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| {
                Error::bad_file(
                    self.name,
                    format!(
                        "index ends early (needed {n} bytes at byte {})",
                        self.position
                    ),
                )
            })?;
        let slice = &self.bytes[self.position..end];
        self.position = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.bytes(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.bytes(8)?.try_into().expect("8 bytes"),
        ))
    }

    /// gztool's indexes are big-endian.
    pub(crate) fn u32_be(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(
            self.bytes(4)?.try_into().expect("4 bytes"),
        ))
    }

    pub(crate) fn u64_be(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(
            self.bytes(8)?.try_into().expect("8 bytes"),
        ))
    }
}
