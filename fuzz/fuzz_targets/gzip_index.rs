//! Index files: a damaged index (its checksum made to match, so the fuzzer gets past it) is
//! refused or, when accepted, decoding resumes at each of its checkpoints in the file it was
//! built for and ends with output or an error, never a panic.
#![no_main]

use std::io::Read;
use std::sync::OnceLock;

use fastq_gz::gzip::{Decoder, NoObserver, Resume};
use fastq_gz::index::{decode_window, GzIndex};
use libfuzzer_sys::fuzz_target;

/// The file the seed indexes were built for (`make-seeds`).
fn original() -> &'static [u8] {
    static ORIGINAL: OnceLock<Vec<u8>> = OnceLock::new();
    ORIGINAL.get_or_init(|| chunkwise_fuzz::gzip(&chunkwise_fuzz::fastq(300, 1), 2))
}

fuzz_target!(|data: &[u8]| {
    // Re-seal the checksum so that mutations reach the parser behind it.
    let mut bytes = data.to_vec();
    if bytes.len() >= 12 {
        let body = bytes.len() - 4;
        let mut crc = flate2::Crc::new();
        crc.update(&bytes[..body]);
        bytes[body..].copy_from_slice(&crc.sum().to_le_bytes());
    }
    let Ok(index) = GzIndex::read(&bytes, "fuzz.cwi") else {
        return;
    };
    let file = original();
    for checkpoint in &index.checkpoints {
        let Some(start) = checkpoint
            .in_byte
            .checked_sub(u64::from(checkpoint.bits > 0))
            .filter(|&start| start <= file.len() as u64)
        else {
            continue;
        };
        let Ok(window) = decode_window(&checkpoint.window) else {
            continue;
        };
        let at = if checkpoint.member_start {
            Resume::MemberStart {
                in_byte: checkpoint.in_byte,
                out: checkpoint.out,
            }
        } else {
            Resume::Block {
                in_byte: checkpoint.in_byte,
                bits: checkpoint.bits,
                out: checkpoint.out,
                window: &window,
            }
        };
        let input = &file[start as usize..];
        let Ok(decoder) = Decoder::resume(input, "fuzz.gz", at, NoObserver) else {
            continue;
        };
        let mut output = Vec::new();
        let _ = decoder.take(1 << 20).read_to_end(&mut output);
    }
});
