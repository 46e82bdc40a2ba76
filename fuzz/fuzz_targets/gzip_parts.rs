//! The index built across workers (`fastq-split index-parts`: scan each part with its window
//! unknown, chain, build each part, join) against the one-pass index, on FASTQ the fuzzer
//! shapes: records of its lengths, compressed at its level with block boundaries (sync, full
//! and partial flushes) and member ends where it says, in up to 12 parts scanned in stretches
//! of 64 bytes to 8 KiB, a span as small as 64 bytes, and maybe one byte damaged. Where the
//! one-pass build succeeds, the joined index equals it; where it fails, the joined build
//! fails too: never a wrong index. The same holds for `index -j 3`, which builds the index
//! in parts on threads.
#![no_main]

use chunkwise_fuzz::gzip_flushed;
use fastq_gz::index::{self, parts, GzIndex};
use flate2::FlushCompress;
use libfuzzer_sys::fuzz_target;
use partition_core::Source;

fuzz_target!(|data: &[u8]| {
    let [parts, span, level, mode, d0, d1, d2, flip, body @ ..] = data else {
        return;
    };
    // The low bits: parts; the high bits: stretches of 64 bytes to 8 KiB (the scan's own
    // 512 KiB would give these small inputs one stretch each).
    let stretch = 64u64 << (parts >> 5);
    let parts = 1 + u64::from(*parts & 31) % 12;
    let span = 64u64 << (span % 8);
    let level = u32::from(level % 10);
    let damage = (mode & 1 == 1).then(|| (u32::from_le_bytes([*d0, *d1, *d2, 0]), *flip | 1));
    let flush = match (mode >> 1) & 3 {
        0 => FlushCompress::Sync,
        1 => FlushCompress::Full,
        2 => FlushCompress::Partial,
        _ => FlushCompress::Finish,
    };
    let raw_text = mode & 8 == 8;
    let mut file = gzip_file(body, raw_text, level, flush);
    if let Some((at, flip)) = damage {
        if !file.is_empty() {
            let at = at as usize % file.len();
            file[at] ^= flip;
        }
    }
    let url = chunkwise_fuzz::scratch("parts.fq.gz", &file);
    let source = Source::open(&url).expect("the scratch file opens");
    let one_pass = index::build(&source, span, 1, true);
    let joined = joined(&source, parts, span, stretch);
    // As `index -j 3` builds it: three parts (the first double) on three threads, here of
    // any size.
    let on_threads = parts::build_in_parts_of(&source, span, 3, true, 1);
    let ways = [(format!("in {parts} parts"), joined), ("on threads".into(), on_threads)];
    for (how, joined) in ways {
        match (&one_pass, joined) {
            (Ok(one_pass), Ok(joined)) => assert!(
                joined.same_but_for_tail_in(one_pass),
                "the index built {how} differs from the one-pass index: {}",
                difference(&joined, one_pass)
            ),
            (Err(_), Err(_)) => {}
            (Ok(_), Err(error)) => panic!("the one-pass build succeeded, {how} failed: {error}"),
            (Err(error), Ok(_)) => panic!("the one-pass build failed ({error}), {how} did not"),
        }
    }
});

/// The first field, or checkpoint, where two indexes differ.
fn difference(joined: &GzIndex, one_pass: &GzIndex) -> String {
    let head = |index: &GzIndex| {
        let (size, records, lines) = (index.uncompressed_size, index.records, index.lines);
        format!(
            "{size} bytes, {records} records, {lines} lines, CRC32 {:08x}",
            index.crc32
        )
    };
    if head(joined) != head(one_pass) {
        return format!("joined {}, one pass {}", head(joined), head(one_pass));
    }
    let (ours, theirs) = (&joined.checkpoints, &one_pass.checkpoints);
    match ours.iter().zip(theirs).position(|(a, b)| {
        let mut a = a.clone();
        a.tail_in = b.tail_in;
        a != *b
    }) {
        Some(k) => {
            let brief = |c: &index::Checkpoint| {
                let mut c = c.clone();
                c.window = Vec::new();
                c
            };
            format!(
                "checkpoint {k}: joined {:?}, one pass {:?} (windows equal: {})",
                brief(&ours[k]),
                brief(&theirs[k]),
                ours[k].window == theirs[k].window
            )
        }
        None => format!(
            "{} checkpoints joined, {} in one pass",
            ours.len(),
            theirs.len()
        ),
    }
}

/// Scans (in stretches of `stretch` bytes), chain, builds and join, in one process.
fn joined(source: &Source, count: u64, span: u64, stretch: u64) -> partition_core::Result<GzIndex> {
    let chunks = parts::plan(source, count, span);
    let parts: Vec<parts::Part> = chunks
        .iter()
        .map(|chunk| parts::Part::of_chunk(chunk).expect("planned chunks are parts"))
        .collect();
    let scans = parts
        .iter()
        .map(|part| parts::scan_in_stretches(part, stretch))
        .collect::<Result<Vec<_>, _>>()?;
    let starts = parts::chain(&parts, scans)?;
    let built = parts
        .iter()
        .zip(&starts)
        .map(|(part, start)| parts::build_part(part, start))
        .collect::<Result<Vec<_>, _>>()?;
    parts::join(&parts, &starts, built, true)
}

/// A gzip file of `body`: as it is (`raw_text`), or one FASTQ record per byte, whose value
/// sets the record's length; after a byte of 0xf0 or more, a flush of kind `flush` (`Finish`:
/// the member ends and another begins), after 0xff two.
fn gzip_file(body: &[u8], raw_text: bool, level: u32, flush: FlushCompress) -> Vec<u8> {
    let mut pieces: Vec<Vec<u8>> = vec![Vec::new()];
    if raw_text {
        pieces[0].extend_from_slice(body);
    } else {
        for (i, &byte) in body.iter().enumerate() {
            let text = pieces.last_mut().expect("a piece");
            let length = 1 + usize::from(byte % 80);
            let bases: Vec<u8> = (0..length).map(|j| b"ACGTN"[(i * 7 + j * j) % 5]).collect();
            let quality: Vec<u8> = (0..length).map(|j| b'!' + ((i + j) % 41) as u8).collect();
            text.extend_from_slice(format!("@r{i} x\n").as_bytes());
            text.extend_from_slice(&bases);
            text.extend_from_slice(b"\n+\n");
            text.extend_from_slice(&quality);
            text.push(b'\n');
            if byte >= 0xf0 {
                pieces.push(Vec::new());
            }
            if byte == 0xff {
                // Twice: an empty member, or an empty block after the flush's own.
                pieces.push(Vec::new());
            }
        }
    }
    let pieces: Vec<&[u8]> = pieces.iter().map(Vec::as_slice).collect();
    match flush {
        FlushCompress::Finish => pieces
            .iter()
            .flat_map(|piece| gzip_flushed(&[piece], level, flush))
            .collect(),
        _ => gzip_flushed(&pieces, level, flush),
    }
}
