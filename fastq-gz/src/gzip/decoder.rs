//! A gzip decoding reader over any compressed input: whole files (every member, trailers
//! checked) or from a resume point in the middle of one.

use std::io::{self, Read};

use partition_core::{Error, Position};

use super::header::header_length;
use super::inflate::{RawInflate, Stop};

/// Compressed bytes read from the input at a time.
const INPUT_BUFFER: usize = 256 * 1024;
/// Consumed input kept in the buffer when it is refilled: an inflater may have read ahead
/// (ISA-L up to 8 bytes) past the end of a member or a block boundary it reports.
const KEPT_INPUT: usize = 16;
/// Input and output per inflate call where the observer wants fine progress: bounds how far
/// past a position the reported compressed offset can be (see [`Observer::progress`]). Both,
/// because ISA-L decodes ahead of the output it hands out.
const FINE_INPUT: usize = 2 * 1024;
const FINE_OUTPUT: usize = 8 * 1024;
/// Output produced per inflate call otherwise.
const COARSE_OUTPUT: usize = 128 * 1024;

/// Watches decoding: the index builder uses it to place checkpoints.
pub trait Observer {
    /// False for [`NoObserver`]: decoding then runs without block stops or bookkeeping.
    const ACTIVE: bool = true;
    /// Compressed bytes of a member's deflate data, in order, as they are consumed.
    fn input(&mut self, bytes: &[u8]);
    /// Produced output, in order.
    fn output(&mut self, bytes: &[u8]);
    /// Decoding wants to stop at the first block boundary at or after this output offset.
    fn boundary_wanted_from(&self) -> u64;
    /// Whether [`Observer::progress`] should come at least every few KiB of output at `out`.
    fn fine_progress(&self, out: u64) -> bool;
    /// Decoding may resume here: at byte `in_byte`, the last `bits` bits of the byte before
    /// it first (when not 0), after `out` bytes of output. `lead` is the compressed input
    /// consumed from the resume point's first byte on.
    fn block_boundary(&mut self, in_byte: u64, bits: u8, out: u64, lead: &[u8]);
    /// A gzip member starts at `in_byte`, after `out` bytes of output.
    fn member_start(&mut self, in_byte: u64, out: u64);
    /// After each inflate call: output up to `out` needed at most `in_byte` compressed bytes.
    fn progress(&mut self, in_byte: u64, out: u64);
    /// A member decoded from its start ended; `crc` covers its output.
    fn member_end(&mut self, crc: &flate2::Crc);
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
    fn block_boundary(&mut self, _: u64, _: u8, _: u64, _: &[u8]) {}
    fn member_start(&mut self, _: u64, _: u64) {}
    fn progress(&mut self, _: u64, _: u64) {}
    fn member_end(&mut self, _: &flate2::Crc) {}
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
    member_crc: flate2::Crc,
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
            member_crc: flate2::Crc::new(),
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
                let mut byte = [0u8];
                if bits > 0 {
                    decoder
                        .input
                        .read_exact(&mut byte)
                        .map_err(|e| decoder.error(format!("reading the resume byte: {e}")))?;
                }
                decoder
                    .inflate
                    .resume(bits, byte[0], window)
                    .map_err(|e| decoder.error(e))?;
                decoder.state = State::Body;
                decoder.check_member = false;
            }
        }
        Ok(decoder)
    }

    pub fn observer(&self) -> &O {
        &self.observer
    }

    pub fn observer_mut(&mut self) -> &mut O {
        &mut self.observer
    }

    pub fn into_observer(self) -> O {
        self.observer
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
        let keep_from = self.start.saturating_sub(KEPT_INPUT);
        if keep_from > 0 {
            self.buffer.copy_within(keep_from..self.end, 0);
            self.end -= keep_from;
            self.start -= keep_from;
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

    /// Takes back input consumed but not decoded, still in the buffer (see [`KEPT_INPUT`]).
    fn unconsume(&mut self, n: usize) {
        assert!(n <= self.start, "giving back input that was kept");
        self.start -= n;
        self.in_offset -= n as u64;
    }

    fn read_header(&mut self) -> io::Result<()> {
        loop {
            match header_length(&self.buffer[self.start..self.end]) {
                Ok(Some(length)) => {
                    self.observer.member_start(self.in_offset, self.out_offset);
                    self.consume(length);
                    self.inflate.reset();
                    self.member_crc = flate2::Crc::new();
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
        if self.check_member && (crc != self.member_crc.sum() || size != self.member_crc.amount()) {
            return Err(self.error(format!(
                "gzip member is corrupt: CRC32 {:08x} and size {} in its trailer, {:08x} and {} decoded",
                crc,
                size,
                self.member_crc.sum(),
                self.member_crc.amount()
            )));
        }
        if self.check_member {
            self.observer.member_end(&self.member_crc);
        }
        self.consume(8);
        self.state = State::Header;
        Ok(())
    }
}

impl<R: Read, O: Observer> Read for Decoder<R, O> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::Header => self.read_header()?,
                State::Trailer => self.read_trailer()?,
                State::Body => {
                    if self.start == self.end {
                        // At the input's end the inflater may still hold output.
                        self.refill()?;
                    }
                    let (input_end, limit, stop_after) = if O::ACTIVE {
                        let (input_end, limit) = if self.observer.fine_progress(self.out_offset) {
                            (self.end.min(self.start + FINE_INPUT), FINE_OUTPUT)
                        } else {
                            (self.end, COARSE_OUTPUT)
                        };
                        let limit = limit.min(out.len());
                        let wanted = self.observer.boundary_wanted_from();
                        let stop_after = wanted.saturating_sub(self.out_offset);
                        let stop_after =
                            (stop_after <= limit as u64).then_some(stop_after as usize);
                        (input_end, limit, stop_after)
                    } else {
                        (self.end, out.len(), None)
                    };
                    let step = self
                        .inflate
                        .inflate(
                            &self.buffer[self.start..input_end],
                            &mut out[..limit],
                            stop_after,
                        )
                        .map_err(|message| self.error(message))?;
                    if O::ACTIVE {
                        self.observer
                            .input(&self.buffer[self.start..self.start + step.consumed]);
                    }
                    self.consume(step.consumed);
                    let produced = &out[..step.produced];
                    self.out_offset += step.produced as u64;
                    if self.check_member {
                        self.member_crc.update(produced);
                    }
                    // Where decoding stopped, in bits into the file.
                    let stop_bit = self.in_offset * 8 - u64::from(step.pending_bits);
                    let stop_byte = stop_bit.div_ceil(8);
                    if O::ACTIVE {
                        self.observer.output(produced);
                        self.observer.progress(self.in_offset, self.out_offset);
                        if step.stop == Stop::BlockEnd {
                            let bits = (stop_byte * 8 - stop_bit) as u8;
                            // An inflater that read far ahead may leave less than this in the buffer;
                            // the window trace then fails and the window is kept whole.
                            let lead_start = self
                                .start
                                .saturating_sub((self.in_offset - stop_bit / 8) as usize);
                            self.observer.block_boundary(
                                stop_byte,
                                bits,
                                self.out_offset,
                                &self.buffer[lead_start..self.start],
                            );
                        }
                    }
                    match step.stop {
                        Stop::StreamEnd => {
                            // The trailer starts at the next whole byte.
                            self.unconsume((self.in_offset - stop_byte) as usize);
                            self.state = State::Trailer;
                        }
                        Stop::BlockEnd => {}
                        Stop::None => {
                            if step.produced == 0 && step.consumed == 0 && !self.refill()? {
                                return Err(self.error(
                                    "file ends inside compressed data (truncated?)".to_string(),
                                ));
                            }
                        }
                    }
                    if step.produced > 0 {
                        return Ok(step.produced);
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
