//! A manifest line of any kind (sra aside: it runs sra-tools), its sources pointed at a
//! small valid file of that kind, rebuilt through the format registry, as `fanout` and `cat` do: damaged details,
//! ranges and checkpoints must give errors, never a panic, a hang or a huge allocation.
#![no_main]

use chunkwise_fuzz::fixtures;
use libfuzzer_sys::fuzz_target;
use partition_core::{Chunk, Kind};

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut chunk) = Chunk::from_json(line) else {
        return;
    };
    let files = fixtures();
    let file = match chunk.kind {
        Kind::Fastq => &files.fastq,
        Kind::FastqGz | Kind::GzipRange => &files.fastq_gz,
        Kind::Fasta => &files.fasta,
        Kind::Mpileup => &files.pileup,
        Kind::Las => &files.las,
        Kind::Cog => &files.tiff,
        Kind::Sra => return,
    };
    for source in &mut chunk.sources {
        source.url = file.clone();
    }
    let _ = formats::write_chunk(&chunk, &mut std::io::sink());
});
