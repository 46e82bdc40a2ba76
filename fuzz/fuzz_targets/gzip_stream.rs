//! Any bytes as a gzip stream: decoded output is either complete (every member's CRC and
//! length checked) or an error; then as a FASTQ, which must be record-exact or an error.
#![no_main]

use std::io::Read;

use fastq_gz::gzip::Decoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
