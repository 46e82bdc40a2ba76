//! gztool index files (`gzipindX`), read as `fastq-split plan --index` reads them: refused, or
//! turned into checkpoints of the file they were made for, each placed on a record start by
//! a short decode, never a panic or an allocation the file does not justify.
#![no_main]

use std::sync::OnceLock;

use fastq_gz::gztool;
use libfuzzer_sys::fuzz_target;
use partition_core::Source;

/// The file the seed indexes were made for (`make-seeds`), as a path.
fn original() -> &'static Source {
    static ORIGINAL: OnceLock<Source> = OnceLock::new();
    ORIGINAL.get_or_init(|| {
        let bytes = chunkwise_fuzz::gzip(&chunkwise_fuzz::fastq(300, 1), 2);
        Source::open(&chunkwise_fuzz::scratch("gztool-index.fq.gz", &bytes))
            .expect("the scratch file opens")
    })
}

fuzz_target!(|data: &[u8]| {
    if !gztool::is_gztool_index(data) {
        return;
    }
    if let Ok(index) = gztool::import(data, "fuzz.gzi", original()) {
        for checkpoint in &index.checkpoints {
            assert!(checkpoint.first_out >= checkpoint.out);
            assert!(checkpoint.tail_in <= original().size());
        }
    }
});
