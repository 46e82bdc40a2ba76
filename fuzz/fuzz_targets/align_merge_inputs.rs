//! align-merge's input reader and merge: up to three SAM or BAM inputs (NUL-separated), one per
//! part of a fixed three-part map of a 1,000-base sequence, merged into SAM: output or an error
//! (inputs out of step, unknown @SQ, no AS, bad records and tags), never a panic.
#![no_main]

use std::sync::OnceLock;

use align_merge::lift::Lift;
use align_merge::input::Input;
use align_merge::{merge_inputs, Sink};
use libfuzzer_sys::fuzz_target;
use noodles_sam::{self as sam, alignment::RecordBuf};

const MAP: &str = "#id\torig_name\tstart\tend\town_start\town_end\n\
                   1_1\tchr1\t1\t400\t1\t350\n\
                   1_2\tchr1\t301\t700\t351\t650\n\
                   1_3\tchr1\t601\t1000\t651\t1000\n";

fn lift() -> &'static (Lift, Vec<(String, u64)>) {
    static LIFT: OnceLock<(Lift, Vec<(String, u64)>)> = OnceLock::new();
    LIFT.get_or_init(|| {
        let map = fasta::NameMap::read(MAP.as_bytes(), "parts.tsv").unwrap();
        let sequences = vec![("chr1".to_string(), 1000)];
        (Lift::new(map, &sequences, "parts.tsv").unwrap(), sequences)
    })
}

struct Memory(sam::io::Writer<Vec<u8>>);

impl Sink for Memory {
    fn header(&mut self, header: &sam::Header) -> partition_core::Result<()> {
        self.0.write_header(header).map_err(|e| partition_core::Error::io("memory", e))
    }

    fn record(&mut self, header: &sam::Header, record: &RecordBuf) -> partition_core::Result<()> {
        sam::alignment::io::Write::write_alignment_record(&mut self.0, header, record)
            .map_err(|e| partition_core::Error::io("memory", e))
    }
}

fuzz_target!(|data: &[u8]| {
    let (lift, sequences) = lift();
    let mut inputs = Vec::new();
    for (i, piece) in data.split(|&b| b == 0).take(3).enumerate() {
        match Input::from_reader(&format!("part{i}.sam"), Box::new(std::io::Cursor::new(piece.to_vec()))) {
            Ok(input) => inputs.push(input),
            Err(_) => return,
        }
    }
    let mut sink = Memory(sam::io::Writer::new(Vec::new()));
    let _ = merge_inputs(inputs, lift, sequences, "fuzz", &mut sink);
});
