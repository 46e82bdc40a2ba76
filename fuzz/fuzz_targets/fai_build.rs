//! The `.fai` builder on any bytes: every sequence it indexes starts inside the file, and
//! the index writes and reads back equal. (samtools' rules, which the builder follows, can
//! place later bases past the end when lines hold non-printable bytes; equality with
//! samtools is tested against samtools itself.)
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(built) = fasta::fai::build(data, "fuzz.fa") else {
        return;
    };
    for record in &built.records {
        assert!(record.offset <= data.len() as u64, "{record:?} starts past the end");
    }
    let mut text = Vec::new();
    fasta::fai::write(&built.records, &mut text).unwrap();
    if let Ok(again) = fasta::fai::read(&text[..], "fuzz.fa.fai") {
        assert_eq!(again, built.records);
    }
});
