//! A gzip decoding reader over any compressed input: whole files (every member, trailers
//! checked) or from a resume point in the middle of one.

use std::io::{self, Read};

use partition_core::{Error, Position};

use super::header::header_length;
use super::inflate::RawInflate;

/// Compressed bytes read from the input at a time.
const INPUT_BUFFER: usize = 256 * 1024;
/// Output produced per inflate call where the observer wants fine progress: bounds how far
/// past a position the reported compressed offset can be (see [`Observer::progress`]).
/// Elsewhere a call produces as much as is asked for, since each costs a window copy.
const FINE_OUTPUT: usize = 8 * 1024;

/// Watches decoding: the index builder uses it to place checkpoints.
pub trait Observer {
    /// False for [`NoObserver`]: decoding then runs without block stops or bookkeeping.
    const ACTIVE: bool = true;
    /// Compressed bytes of a member's deflate data, in order, as they are consumed.
    fn input(&mut self, bytes: &[u8]);
    /// Produced output, in order.
    fn output(&mut self, bytes: &[u8]);
    /// Block boundaries are wanted from this output offset on: decoding stops at them (which
    /// costs speed) only when one may come before the next output does.
    fn boundary_wanted_from(&self) -> u64;
    /// Whether [`Observer::progress`] should come every few KiB of output at `out`.
    fn fine_progress(&self, out: u64) -> bool;
    /// Decoding may resume here: `in_byte` bytes consumed, the last `bits` bits of the last
    /// one unused, `out` bytes produced.
    fn block_boundary(&mut self, in_byte: u64, bits: u8, out: u64);
    /// A gzip member starts at `in_byte`, after `out` bytes of output.
    fn member_start(&mut self, in_byte: u64, out: u64);
    /// After each inflate call: output up to `out` needed at most `in_byte` compressed bytes.
    fn progress(&mut self, in_byte: u64, out: u64);
    /// A member decoded from its start ended; `crc` covers its output.
    fn member_end(&mut self, crc: &crc32fast::Hasher);
}

/// For plain decoding.
pub struct NoObserver;

impl Observer for NoObserver {
    const ACTIVE: bool = false;
    fn input(&mut self, _: &[u8]) {}
    fn output(&mut self, _: &[u8]) {}
    fn boundary_wanted_from(&self) -> u64 {
        u64::MAX
    }
    fn fine_progress(&self, _: u64) -> bool {
        false
    }
    fn block_boundary(&mut self, _: u64, _: u8, _: u64) {}
    fn member_start(&mut self, _: u64, _: u64) {}
    fn progress(&mut self, _: u64, _: u64) {}
    fn member_end(&mut self, _: &crc32fast::Hasher) {}
}

/// Where to start decoding.
pub enum Resume<'a> {
    /// At a gzip member header: the file's start, or a later member's.
    MemberStart { in_byte: u64, out: u64 },
    /// Inside a member, at a deflate block boundary. The input starts at `in_byte - 1` when
    /// `bits` is not 0 (that byte's high `bits` bits are the first to decode), else at `in_byte`.
    Block {
        in_byte: u64,
        bits: u8,
        out: u64,
        window: &'a [u8],
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Body,
    Trailer,
    Done,
}

pub struct Decoder<R, O = NoObserver> {
    input: R,
    name: String,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    input_ended: bool,
    /// Absolute compressed offset of `buffer[start]`.
    in_offset: u64,
    /// Absolute uncompressed offset of the next byte produced.
    out_offset: u64,
    inflate: RawInflate,
    state: State,
    /// CRC32 and length of the current member's output, checked against its trailer
    /// unless decoding began inside the member.
    member_crc: crc32fast::Hasher,
    member_size: u32,
    check_member: bool,
    observer: O,
}

impl<R: Read> Decoder<R, NoObserver> {
    /// Decodes a whole gzip file.
    pub fn new(input: R, name: &str) -> Self {
        Decoder::observed(input, name, NoObserver)
    }
}

impl<R: Read, O: Observer> Decoder<R, O> {
    /// Decodes a whole gzip file, telling `observer` what happens.
    pub fn observed(input: R, name: &str, observer: O) -> Self {
        Decoder {
            input,
            name: name.to_string(),
            buffer: vec![0; INPUT_BUFFER],
            start: 0,
            end: 0,
            input_ended: false,
            in_offset: 0,
            out_offset: 0,
            inflate: RawInflate::new(),
            state: State::Header,
            member_crc: crc32fast::Hasher::new(),
            member_size: 0,
            check_member: true,
            observer,
        }
    }

    /// Decodes from a resume point; `input` starts where [`Resume`] says.
    pub fn resume(input: R, name: &str, at: Resume<'_>, observer: O) -> io::Result<Self> {
        let mut decoder = Decoder::observed(input, name, observer);
        match at {
            Resume::MemberStart { in_byte, out } => {
                decoder.in_offset = in_byte;
                decoder.out_offset = out;
            }
            Resume::Block {
                in_byte,
                bits,
                out,
                window,
            } => {
                decoder.out_offset = out;
                decoder.in_offset = in_byte;
                if bits > 0 {
                    let mut byte = [0u8];
                    decoder
                        .input
                        .read_exact(&mut byte)
                        .map_err(|e| decoder.error(format!("reading the resume byte: {e}")))?;
                    decoder
                        .inflate
                        .prime(bits, byte[0])
                        .map_err(|e| decoder.error(e))?;
                }
                decoder
                    .inflate
                    .set_dictionary(window)
                    .map_err(|e| decoder.error(e))?;
                decoder.state = State::Body;
                decoder.check_member = false;
            }
        }
        Ok(decoder)
    }

    /// Compressed bytes consumed so far (absolute offset in the file).
    pub fn in_offset(&self) -> u64 {
        self.in_offset
    }

    fn error(&self, message: String) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            Error::bad_input(&self.name, Position::Byte(self.in_offset), message),
        )
    }

    /// Reads more compressed input; false when there is none.
    fn refill(&mut self) -> io::Result<bool> {
        if self.input_ended {
            return Ok(false);
        }
        if self.start > 0 {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buffer.len() {
            self.buffer.resize(self.buffer.len() * 2, 0);
        }
        loop {
            match self.input.read(&mut self.buffer[self.end..]) {
                Ok(0) => {
                    self.input_ended = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.in_offset += n as u64;
    }

    fn read_header(&mut self) -> io::Result<()> {
        loop {
            match header_length(&self.buffer[self.start..self.end]) {
                Ok(Some(length)) => {
                    self.observer.member_start(self.in_offset, self.out_offset);
                    self.consume(length);
                    self.inflate.reset();
                    self.member_crc = crc32fast::Hasher::new();
                    self.member_size = 0;
                    self.check_member = true;
                    self.state = State::Body;
                    return Ok(());
                }
                Ok(None) => {
                    if !self.refill()? {
                        return if self.start == self.end {
                            self.state = State::Done;
                            Ok(())
                        } else {
                            Err(self
                                .error("file ends inside a gzip header (truncated?)".to_string()))
                        };
                    }
                }
                Err(message) => return Err(self.error(message)),
            }
        }
    }

    fn read_trailer(&mut self) -> io::Result<()> {
        while self.end - self.start < 8 {
            if !self.refill()? {
                return Err(self.error("file ends inside a gzip trailer (truncated?)".to_string()));
            }
        }
        let trailer = &self.buffer[self.start..self.start + 8];
        let crc = u32::from_le_bytes(trailer[..4].try_into().expect("4 bytes"));
        let size = u32::from_le_bytes(trailer[4..].try_into().expect("4 bytes"));
        let decoded = self.member_crc.clone().finalize();
        if self.check_member && (crc != decoded || size != self.member_size) {
            return Err(self.error(format!(
                "gzip member is corrupt: CRC32 {:08x} and size {} in its trailer, {:08x} and {} decoded",
                crc,
                size,
                decoded,
                self.member_size
            )));
        }
        if self.check_member {
            self.observer.member_end(&self.member_crc);
        }
        self.consume(8);
        self.state = State::Header;
        Ok(())
    }

    /// The observer, told what was decoded.
    pub fn observer_mut(&mut self) -> &mut O {
        &mut self.observer
    }

    pub fn into_observer(self) -> O {
        self.observer
    }
}

impl<R: Read, O: Observer> Read for Decoder<R, O> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let observing = O::ACTIVE;
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::Header => self.read_header()?,
                State::Trailer => self.read_trailer()?,
                State::Body => {
                    if self.start == self.end && !self.refill()? {
                        return Err(
                            self.error("file ends inside compressed data (truncated?)".to_string())
                        );
                    }
                    let (limit, stop_at_blocks) = if observing {
                        let limit = if self.observer.fine_progress(self.out_offset) {
                            out.len().min(FINE_OUTPUT)
                        } else {
                            out.len()
                        };
                        let wanted = self.observer.boundary_wanted_from();
                        (limit, wanted <= self.out_offset + limit as u64)
                    } else {
                        (out.len(), false)
                    };
                    let step = self
                        .inflate
                        .inflate(
                            &self.buffer[self.start..self.end],
                            &mut out[..limit],
                            stop_at_blocks,
                        )
                        .map_err(|message| self.error(message))?;
                    if observing {
                        self.observer
                            .input(&self.buffer[self.start..self.start + step.consumed]);
                    }
                    self.consume(step.consumed);
                    let produced = &out[..step.produced];
                    self.out_offset += step.produced as u64;
                    if self.check_member {
                        self.member_crc.update(produced);
                        // ISIZE: the length modulo 2^32.
                        self.member_size = self.member_size.wrapping_add(produced.len() as u32);
                    }
                    if observing {
                        self.observer.output(produced);
                        self.observer.progress(self.in_offset, self.out_offset);
                        if step.at_block_boundary && !step.stream_end {
                            self.observer.block_boundary(
                                self.in_offset,
                                step.bits,
                                self.out_offset,
                            );
                        }
                    }
                    if step.stream_end {
                        self.state = State::Trailer;
                    }
                    if step.produced > 0 {
                        return Ok(step.produced);
                    }
                    if step.consumed == 0 && !step.stream_end && !self.refill()? {
                        return Err(
                            self.error("file ends inside compressed data (truncated?)".to_string())
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::new(6));
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn text(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("@r{i}\nACGT{}\n+\nIIII{}\n", i % 97, i % 89).into_bytes())
            .collect()
    }

    #[test]
    fn decodes_single_and_concatenated_members() {
        let (a, b) = (text(3000), text(10));
        let mut both = gzip(&a);
        both.extend(gzip(&b));
        let mut out = Vec::new();
        Decoder::new(&both[..], "t.gz")
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, [a, b].concat());
    }

    #[test]
    fn truncated_and_corrupt_input_are_errors() {
        let compressed = gzip(&text(3000));
        let error = Decoder::new(&compressed[..compressed.len() / 2], "t.gz")
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("file ends inside compressed data"),
            "{error}"
        );
        let mut corrupt = compressed.clone();
        let n = corrupt.len();
        corrupt[n - 6] ^= 0xff; // the trailer's stored CRC
        let error = Decoder::new(&corrupt[..], "t.gz")
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(
            error.to_string().contains("gzip member is corrupt"),
            "{error}"
        );
        let error = Decoder::new(&b"plain text, not gzip"[..], "t.gz")
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("t.gz: byte 0: not a gzip member"),
            "{error}"
        );
    }
}
