//! Any bytes as a gzip stream: decoded output is either complete (every member's CRC and
//! length checked) or an error, and equals flate2's; and as raw deflate data for the window
//! tracer of sparse checkpoint windows, the block finder and the marker decoder. (Decoding in
//! ranges is `gzip_parts`'s.)
#![no_main]

use std::io::Read;

use fastq_gz::gzip::{finder, markers, trace, Decoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The window tracer reads any bytes as deflate data from any bit: it ends, with or
    // without an answer, and marks only bytes inside the window.
    for start_bit in [0, 3] {
        if let Some(used) = trace::used_window(1 << 15, data, start_bit) {
            assert_eq!(used.len(), 1 << 15);
        }
    }
    // The marker decoder, from the first bit and from where a minimal gzip header ends: what
    // it decodes whole with nothing before it is what flate2 inflates.
    for start_bit in [0, 80] {
        if let Ok(decoded) = markers::decode(data, start_bit, usize::MAX, 1 << 24) {
            let bytes = markers::resolve(&decoded.symbols, &[]);
            let mut expected = Vec::new();
            let body = data.get(start_bit / 8..).unwrap_or_default();
            let inflated = flate2::read::DeflateDecoder::new(body).read_to_end(&mut expected);
            if let (true, Ok(bytes), Ok(_)) = (decoded.last, bytes, inflated) {
                assert_eq!(bytes, expected, "the marker decoder and flate2 agree");
            }
        }
    }
    // A block the finder accepts decodes.
    if let Some(bit) = finder::next_block(data, 0, 4096) {
        assert!(markers::decode(data, bit, bit + 1, 1 << 24).is_ok());
    }
    let mut output = Vec::new();
    let decoded = Decoder::new(data, "fuzz.gz")
        .take(1 << 24)
        .read_to_end(&mut output);
    if decoded.is_ok() && output.len() < 1 << 24 {
        let mut expected = Vec::new();
        if flate2::read::MultiGzDecoder::new(data)
            .read_to_end(&mut expected)
            .is_ok()
        {
            assert_eq!(output, expected, "our decoder and flate2 agree");
        }
    }
});
