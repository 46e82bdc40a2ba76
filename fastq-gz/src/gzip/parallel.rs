//! A gzip decoding reader whose decoding runs on many threads ([`super::rounds`]) while it
//! hands out the output in order and tells an [`Observer`] what the sequential [`Decoder`]
//! would: the same block boundaries, member starts and ends, input and output, so that the
//! index builder places the same checkpoints. Progress comes every 64 KiB of output (the
//! sequential decoder's depends on how its input buffer happened to be filled).
//!
//! [`Decoder`]: super::Decoder

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, Sender};
use std::thread::{self, JoinHandle};

use partition_core::{Error, Position};

use super::range::Event;
use super::rounds::{Rounds, Segment};
use super::{NoObserver, ObservedRead, Observer};

/// Compressed bytes per range of a round, at most: each thread decodes about this much at a
/// time. Smaller files get smaller ranges, a few rounds' worth, so that they too are
/// decoded on every thread.
const RANGE_BYTES: usize = 4 << 20;
const RANGE_BYTES_AT_LEAST: usize = 64 << 10;
const ROUNDS_AT_LEAST: u64 = 4;
/// Rounds decoded ahead of the reader: while one is read, the next is decoded.
const ROUNDS_AHEAD: usize = 1;

pub struct ParallelDecoder<O = NoObserver> {
    segments: Receiver<io::Result<Segment>>,
    /// Where read segments' buffers go back to be decoded into again.
    recycler: Sender<Vec<u8>>,
    worker: Option<JoinHandle<()>>,
    name: String,
    segment: Option<Segment>,
    event: usize,
    /// Output of the segment already observed but not yet read, and where the observed ends.
    unread: (usize, usize),
    /// File offset up to which the observer has seen the compressed data.
    input_seen: u64,
    /// A block boundary at the end of the unread output, told once that is read: the index
    /// builder expects a boundary's output to have been read before it.
    boundary: Option<(u64, u8, u64)>,
    member_crc: crc32fast::Hasher,
    member_size: u32,
    observer: O,
}

impl<O: Observer> ParallelDecoder<O> {
    /// Decodes the gzip file `input` of `size` bytes (0 if unknown) on `threads` threads,
    /// telling `observer`.
    pub fn new<R: Read + Send + 'static>(
        input: R,
        name: &str,
        size: u64,
        threads: usize,
        observer: O,
    ) -> ParallelDecoder<O> {
        // A round holds about one segment per thread.
        let (sender, segments) = sync_channel(ROUNDS_AHEAD * threads.max(1));
        let range_bytes = match size {
            0 => RANGE_BYTES,
            size => (size / ROUNDS_AT_LEAST / (threads as u64 + 1)) as usize,
        };
        let range_bytes = range_bytes.clamp(RANGE_BYTES_AT_LEAST, RANGE_BYTES);
        let mut rounds = Rounds::new(input, name, threads, range_bytes);
        let recycler = rounds.recycler();
        let worker = thread::spawn(move || loop {
            match rounds.next_round() {
                Ok(Some(round)) => {
                    for segment in round {
                        if sender.send(Ok(segment)).is_err() {
                            return;
                        }
                    }
                }
                Ok(None) => return,
                Err(error) => {
                    let _ = sender.send(Err(error));
                    return;
                }
            }
        });
        ParallelDecoder {
            segments,
            recycler,
            worker: Some(worker),
            name: name.to_string(),
            segment: None,
            event: 0,
            unread: (0, 0),
            input_seen: 0,
            boundary: None,
            member_crc: crc32fast::Hasher::new(),
            member_size: 0,
            observer,
        }
    }

    /// The next event, with its segment; `None` after the last.
    fn next_event(&mut self) -> io::Result<Option<Event>> {
        loop {
            if let Some(segment) = &self.segment {
                if let Some(&event) = segment.events.get(self.event) {
                    self.event += 1;
                    return Ok(Some(event));
                }
            }
            match self.segments.recv() {
                Ok(segment) => {
                    if let Some(done) = self.segment.replace(segment?) {
                        // The decoding thread may have ended.
                        let _ = self.recycler.send(done.output.bytes);
                    }
                    self.event = 0;
                    self.unread = (0, 0);
                }
                Err(_) => {
                    if let Some(worker) = self.worker.take() {
                        worker.join().expect("the decoding thread does not panic");
                    }
                    return Ok(None);
                }
            }
        }
    }

    /// Tells the observer about one event; an inflate call's output becomes readable.
    fn observe(&mut self, event: Event) -> io::Result<()> {
        let segment = self
            .segment
            .as_ref()
            .expect("an event comes with its segment");
        let (in_base, out_base) = (segment.in_base, segment.out_base);
        match event {
            Event::MemberStart { byte, body, out } => {
                self.observer
                    .member_start(in_base + byte as u64, out_base + out as u64);
                self.input_seen = in_base + body as u64;
                self.member_crc = crc32fast::Hasher::new();
                self.member_size = 0;
            }
            Event::Inflated {
                byte,
                out,
                boundary,
            } => {
                let (from, in_byte) = (self.unread.1, in_base + byte as u64);
                let produced = &segment.output.as_slice()[from..out];
                self.member_crc.update(produced);
                self.member_size = self.member_size.wrapping_add(produced.len() as u32);
                if O::ACTIVE {
                    let seen = (self.input_seen - in_base) as usize;
                    self.observer.input(&segment.data[seen..byte]);
                    self.observer.output(produced);
                    self.observer.progress(in_byte, out_base + out as u64);
                    self.boundary = boundary.map(|bits| (in_byte, bits, out_base + out as u64));
                }
                self.input_seen = in_byte;
                self.unread.1 = out;
            }
            Event::MemberEnd { byte, crc, size } => {
                let decoded = self.member_crc.clone().finalize();
                if crc != decoded || size != self.member_size {
                    let trailer = in_base + byte as u64 - 8;
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        Error::bad_input(
                            &self.name,
                            Position::Byte(trailer),
                            format!(
                                "gzip member is corrupt: CRC32 {crc:08x} and size {size} in its trailer, {decoded:08x} and {} decoded",
                                self.member_size
                            ),
                        ),
                    ));
                }
                self.observer.member_end(&self.member_crc);
                self.input_seen = in_base + byte as u64;
            }
        }
        Ok(())
    }
}

impl<O: Observer> ObservedRead<O> for ParallelDecoder<O> {
    fn observer_mut(&mut self) -> &mut O {
        &mut self.observer
    }

    fn into_observer(self) -> O {
        // Dropping the receiver stops the decoding thread at its next segment.
        self.observer
    }
}

impl<O: Observer> Read for ParallelDecoder<O> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        loop {
            let (from, to) = self.unread;
            if from < to {
                let segment = self.segment.as_ref().expect("unread output has a segment");
                let length = (to - from).min(buffer.len());
                buffer[..length].copy_from_slice(&segment.output.as_slice()[from..from + length]);
                self.unread.0 += length;
                return Ok(length);
            }
            if let Some((in_byte, bits, out)) = self.boundary.take() {
                self.observer.block_boundary(in_byte, bits, out);
            }
            match self.next_event()? {
                Some(event) => self.observe(event)?,
                None => return Ok(0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gzip::Decoder;

    /// A whole gzip file in memory decoded on `threads` threads, every member's CRC32 and size
    /// checked.
    fn inflate(data: &[u8], threads: usize) -> io::Result<Vec<u8>> {
        let mut output = Vec::new();
        let size = data.len() as u64;
        ParallelDecoder::new(
            io::Cursor::new(data.to_vec()),
            "data",
            size,
            threads,
            NoObserver,
        )
        .read_to_end(&mut output)?;
        Ok(output)
    }

    /// The sequential decoder's output and observations, and the parallel decoder's.
    #[derive(Default, Debug, PartialEq)]
    struct Seen {
        boundaries: Vec<(u64, u8, u64)>,
        members: Vec<(u64, u64)>,
        ends: Vec<u32>,
        input: Vec<u8>,
        output_length: u64,
    }

    impl Observer for Seen {
        fn input(&mut self, bytes: &[u8]) {
            self.input.extend_from_slice(bytes);
        }
        fn output(&mut self, bytes: &[u8]) {
            self.output_length += bytes.len() as u64;
        }
        fn boundary_wanted_from(&self) -> u64 {
            0
        }
        fn fine_progress(&self, _: u64) -> bool {
            false
        }
        fn block_boundary(&mut self, in_byte: u64, bits: u8, out: u64) {
            self.boundaries.push((in_byte, bits, out));
        }
        fn member_start(&mut self, in_byte: u64, out: u64) {
            self.members.push((in_byte, out));
        }
        fn progress(&mut self, _: u64, _: u64) {}
        fn member_end(&mut self, crc: &crc32fast::Hasher) {
            self.ends.push(crc.clone().finalize());
        }
    }

    fn observed<R: Read>(mut reader: R) -> Vec<u8> {
        let mut output = Vec::new();
        reader.read_to_end(&mut output).unwrap();
        output
    }

    fn compare(file: &[u8], expected: &[u8], threads: usize, range_bytes: usize) {
        let mut sequential = Decoder::observed(file, "f.gz", Seen::default());
        assert!(observed(&mut sequential) == expected);
        let mut rounds = Rounds::new(file, "f.gz", threads, range_bytes);
        let mut output = Vec::new();
        while let Some(round) = rounds.next_round().unwrap() {
            for segment in round {
                output.extend_from_slice(segment.output.as_slice());
            }
        }
        assert!(
            output == expected,
            "{threads} threads, ranges of {range_bytes}"
        );
        let size = file.len() as u64;
        let mut parallel = ParallelDecoder::new(
            io::Cursor::new(file.to_vec()),
            "f.gz",
            size,
            threads,
            Seen::default(),
        );
        assert!(observed(&mut parallel) == expected);
        assert_eq!(
            parallel.into_observer(),
            sequential.into_observer(),
            "{threads} threads"
        );
    }

    fn gzip(data: &[u8], level: u32) -> Vec<u8> {
        use std::io::Write;
        let mut encoder =
            flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    /// BGZF: members of at most 64 KiB of output, each with a `BC` extra field holding its
    /// size less one.
    fn bgzf(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut file = Vec::new();
        for piece in data.chunks(65_280) {
            let mut encoder = flate2::GzBuilder::new()
                .extra(vec![b'B', b'C', 2, 0, 0, 0])
                .write(Vec::new(), flate2::Compression::new(6));
            encoder.write_all(piece).unwrap();
            let mut member = encoder.finish().unwrap();
            let size = (member.len() - 1) as u16;
            member[16..18].copy_from_slice(&size.to_le_bytes());
            file.extend(member);
        }
        file
    }

    /// Levels 0 and 1 write stored and fixed-code blocks, which the finder does not look
    /// for: ranges without a start, decoded by the chain.
    #[test]
    fn equals_the_sequential_decoder_output_and_observations() {
        let data = test_support::fastq(40_000, 13);
        for level in [2, 6, 9] {
            let file = gzip(&data, level);
            for threads in [1, 2, 3, 8] {
                compare(&file, &data, threads, 64 * 1024);
            }
        }
        assert_eq!(inflate(&gzip(&data, 6), 4).unwrap(), data);
        let data = &data[..data.len() / 10];
        for level in [0, 1] {
            compare(&gzip(data, level), data, 3, 16 * 1024);
        }
    }

    #[test]
    fn members_and_bgzf_are_decoded_across_ranges() {
        let data = test_support::fastq(30_000, 5);
        // Members of 100 KB, as concatenated lanes; and BGZF's 64 KiB blocks.
        let mut members = Vec::new();
        for piece in data.chunks(100_000) {
            members.extend(gzip(piece, 6));
        }
        compare(&members, &data, 4, 64 * 1024);
        let bgzf = bgzf(&data);
        assert!(crate::gzip::is_bgzf(&bgzf));
        compare(&bgzf, &data, 4, 64 * 1024);
        assert_eq!(inflate(&[], 2).unwrap(), b"");
    }

    /// Flushes add blocks of no output (a sync flush's empty stored block, a partial flush's
    /// empty fixed-code block) and full flushes forget the window: ranges that end or start
    /// at them tell the same boundaries as the sequential decoder.
    #[test]
    fn flushed_blocks_are_decoded_across_ranges() {
        use flate2::FlushCompress;
        let data = test_support::fastq(20_000, 9);
        let pieces: Vec<&[u8]> = data.chunks(7_000).collect();
        for (flush, level) in [
            (FlushCompress::Sync, 6),
            (FlushCompress::Partial, 1),
            (FlushCompress::Full, 6),
        ] {
            let file = test_support::gzip_flushed(&pieces, level, flush);
            for range_bytes in [4 * 1024, 16 * 1024] {
                compare(&file, &data, 3, range_bytes);
            }
        }
    }

    #[test]
    fn corrupt_and_truncated_files_are_errors() {
        let data = test_support::fastq(20_000, 3);
        let file = gzip(&data, 6);
        let truncated = inflate(&file[..file.len() * 2 / 3], 3).unwrap_err();
        assert!(
            truncated.to_string().contains("file ends inside"),
            "{truncated}"
        );
        let mut crc = file.clone();
        let at = crc.len() - 7;
        crc[at] ^= 1;
        let error = inflate(&crc, 3).unwrap_err();
        assert!(
            error.to_string().contains("gzip member is corrupt"),
            "{error}"
        );
        let mut inside = file.clone();
        let middle = inside.len() / 2;
        for byte in &mut inside[middle..middle + 64] {
            *byte ^= 0x5a;
        }
        assert!(inflate(&inside, 3).is_err());
        let mut garbage = file;
        garbage.extend_from_slice(b"trailing garbage");
        let error = inflate(&garbage, 2).unwrap_err();
        assert!(error.to_string().contains("not a gzip member"), "{error}");
    }
}
