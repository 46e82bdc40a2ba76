//! FASTQ record boundaries: records read from any bytes tile the input exactly (each span
//! starts where the last ended, copies equal the input's bytes) until an error or the end.
#![no_main]

use fastq_gz::record::RecordReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small buffers put record edges across buffer edges, where the fast path stops.
    let input = std::io::BufReader::with_capacity(64, data);
    let mut reader = RecordReader::new(input, "fuzz.fq", 0);
    let mut copy = Vec::new();
    let mut end = 0;
    loop {
        let before = copy.len();
        match reader.next_record(Some(&mut copy)) {
            Ok(Some(span)) => {
                assert_eq!(span.start, end, "records are contiguous");
                assert!(span.end > span.start, "a record is not empty");
                assert_eq!(&copy[before..], &data[span.start as usize..span.end as usize]);
                assert_eq!(data[span.start as usize], b'@');
                end = span.end;
            }
            Ok(None) => {
                assert_eq!(end, data.len() as u64, "no bytes are left unread at the end");
                break;
            }
            Err(_) => break,
        }
    }
});
