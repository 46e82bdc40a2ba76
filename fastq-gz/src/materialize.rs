//! Rebuilding a `fastq` chunk from its manifest line.

use std::io::{BufReader, Write};

use partition_core::{Chunk, Error, Kind, Result, Source};

use crate::plan::FastqDetail;
use crate::record::RecordReader;

/// Bytes gathered before each write to the output.
const WRITE_BATCH: usize = 1 << 16;

/// Writes the chunk's records: the byte ranges as they are for one file; for paired files,
/// interleaved (R1 record, R2 record, ...), the form `bwa mem -p` and `minimap2` read.
/// Fails, naming the chunk, if the ranges do not hold exactly the records the plan promised.
pub fn write_chunk(chunk: &Chunk, output: &mut dyn Write) -> Result<()> {
    chunk.expect_kind(&[Kind::Fastq])?;
    let detail: FastqDetail = chunk.detail()?;
    let mut readers = Vec::with_capacity(chunk.sources.len());
    for planned in &chunk.sources {
        let [range] = planned.ranges[..] else {
            return Err(Error::bad_file(
                format!("chunk {}", chunk.id),
                format!(
                    "a fastq chunk reads one range per source, not {}",
                    planned.ranges.len()
                ),
            ));
        };
        let source = Source::open(&planned.url)?;
        source.expect_size(planned.size)?;
        let input = BufReader::with_capacity(1 << 20, source.range_reader(range)?);
        readers.push(RecordReader::new(input, &planned.url, range.start));
    }

    let mut batch = Vec::with_capacity(WRITE_BATCH * 2);
    let mut records = 0u64;
    loop {
        let mut ended = 0;
        for reader in &mut readers {
            if reader.next_record(Some(&mut batch))?.is_none() {
                ended += 1;
            }
        }
        if ended == readers.len() {
            break;
        }
        if ended > 0 {
            return Err(Error::bad_file(
                format!("chunk {}", chunk.id),
                format!(
                    "paired sources hold different numbers of records (one ends after {records})"
                ),
            ));
        }
        records += 1;
        if batch.len() >= WRITE_BATCH {
            output
                .write_all(&batch)
                .map_err(partition_core::cli::output_error)?;
            batch.clear();
        }
    }
    output
        .write_all(&batch)
        .map_err(partition_core::cli::output_error)?;
    if records != detail.records {
        return Err(Error::bad_file(
            format!("chunk {}", chunk.id),
            format!(
                "holds {records} records, the plan promised {}",
                detail.records
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan;
    use partition_core::cli::Chunking;

    fn write(text: &str) -> (tempfile::NamedTempFile, String) {
        let mut file = tempfile::Builder::new().suffix(".fq").tempfile().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        let url = file.path().to_str().unwrap().to_string();
        (file, url)
    }

    fn records(tag: &str, n: usize) -> String {
        (0..n)
            .map(|i| format!("@{tag}{i}\nACGTN\n+\n@@@II\n"))
            .collect()
    }

    #[test]
    fn chunks_concatenate_to_the_input() {
        let text = records("r", 40);
        let (_file, url) = write(&text);
        let mut rebuilt = Vec::new();
        for chunk in plan(&[url], Chunking::Count(6), true).unwrap() {
            write_chunk(&chunk, &mut rebuilt).unwrap();
        }
        assert_eq!(String::from_utf8(rebuilt).unwrap(), text);
    }

    #[test]
    fn paired_chunks_come_out_interleaved() {
        let (_f1, u1) = write(&records("a", 3));
        let (_f2, u2) = write(&records("b", 3));
        let chunks = plan(&[u1, u2], Chunking::Records(2), true).unwrap();
        let mut out = Vec::new();
        write_chunk(&chunks[1], &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "@a2\nACGTN\n+\n@@@II\n@b2\nACGTN\n+\n@@@II\n"
        );
    }

    #[test]
    fn a_changed_source_is_refused() {
        let (file, url) = write(&records("r", 10));
        let chunks = plan(&[url.clone()], Chunking::Count(2), true).unwrap();
        std::fs::write(file.path(), records("r", 11)).unwrap();
        let error = write_chunk(&chunks[0], &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(error.contains("the source changed"), "{error}");
    }

    #[test]
    fn a_wrong_record_count_is_refused() {
        let (_file, url) = write(&records("r", 10));
        let mut chunk = plan(&[url], Chunking::Count(2), true).unwrap().remove(0);
        chunk.detail["records"] = 4.into();
        let error = write_chunk(&chunk, &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("holds 5 records, the plan promised 4"),
            "{error}"
        );
    }
}
