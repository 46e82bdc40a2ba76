//! The `.fai` builder on any bytes: an index it builds points inside the file, and it
//! writes and reads back equal. (samtools' rules can point a base at a lone '\r'; the
//! builder's equality with samtools is tested against samtools itself.)
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(built) = fasta::fai::build(data, "fuzz.fa") else {
        return;
    };
    for record in &built.records {
        if record.length == 0 {
            continue;
        }
        for position in [0, record.length / 2, record.length - 1] {
            let byte = record.byte_of(position);
            assert!(byte < data.len() as u64, "{record:?}: base {position} past the end");
        }
    }
    let mut text = Vec::new();
    fasta::fai::write(&built.records, &mut text).unwrap();
    if let Ok(again) = fasta::fai::read(&text[..], "fuzz.fa.fai") {
        assert_eq!(again, built.records);
    }
});
