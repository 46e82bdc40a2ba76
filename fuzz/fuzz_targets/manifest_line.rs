//! Manifest lines: a line either parses into a chunk that writes back to an equal chunk,
//! or is refused with a message; a reader over many lines numbers its errors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use partition_core::{Chunk, ManifestReader};

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        if let Ok(chunk) = Chunk::from_json(line) {
            let again = Chunk::from_json(&chunk.to_json())
                .expect("a chunk that parsed writes back to a valid line");
            assert_eq!(again, chunk, "a chunk survives writing and reading back");
        }
    }
    for chunk in ManifestReader::new(data, "fuzz.jsonl") {
        if let Err(error) = chunk {
            assert!(error.to_string().starts_with("fuzz.jsonl: line "));
        }
    }
});
