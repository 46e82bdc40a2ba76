//! Plain FASTQ: one streaming pass finds every record start; chunks are byte ranges.

use partition_core::progress;
use partition_core::{ByteRange, Error, ManifestBuilder, Result, Source, SourceRanges};

use super::{Chunking, Unit};
use crate::checksum::{range_crc, Checksummed};
use crate::detail::FastqDetail;
use crate::record::{RecordReader, RecordSpan};

/// Plans chunks over plain FASTQ sources (paired ones cut in step), reading each once.
pub(super) fn plan(unit: &Unit, quiet: bool, manifest: &mut ManifestBuilder) -> Result<()> {
    let (sources, chunking) = (unit.sources, unit.chunking);
    let mut readers = Vec::with_capacity(sources.len());
    for source in sources {
        readers.push(RecordReader::new(
            Checksummed::with_capacity(
                1 << 20,
                progress::reader(source.reader()?, source.size(), quiet, source.url()),
            ),
            source.url(),
            0,
        ));
    }
    let total_size: u64 = sources.iter().map(Source::size).sum();

    // Cuts are record indices plus, per input, the byte offset where that record starts and
    // the CRC32 of the input before it.
    let mut cuts: Vec<(u64, Vec<(u64, u32)>)> = vec![(0, vec![(0, 0); sources.len()])];
    let mut records = 0u64;
    loop {
        // Records tile their files, so the next record starts at each reader's offset and the
        // cut can be decided before reading it; the CRCs are taken only where it cuts.
        let (chunk_start, chunk_starts) = cuts.last().expect("cuts start non-empty");
        let position: u64 = readers.iter().map(RecordReader::offset).sum();
        let chunk_bytes = position - chunk_starts.iter().map(|start| start.0).sum::<u64>();
        // Interleaved mates stay together: cuts fall before even records only.
        let cut_here = records > *chunk_start
            && (!unit.interleaved || records.is_multiple_of(2))
            && match chunking {
                Chunking::Records(every) => records - chunk_start >= every,
                Chunking::Size(size) => chunk_bytes >= size,
                Chunking::Count(count) => {
                    let next_target =
                        (cuts.len() as u128 * total_size as u128).div_ceil(count as u128);
                    position as u128 >= next_target
                }
            };
        let cut = cut_here.then(|| {
            readers
                .iter_mut()
                .map(|reader| (reader.offset(), reader.input_mut().prefix_crc()))
                .collect()
        });
        if next_in_step(&mut readers, records)?.is_none() {
            break;
        }
        if let Some(cut) = cut {
            cuts.push((records, cut));
        }
        records += 1;
    }
    let ends = readers
        .iter_mut()
        .map(|reader| (reader.offset(), reader.input_mut().prefix_crc()))
        .collect();
    if records == 0 {
        return Ok(());
    }
    if unit.interleaved && records % 2 == 1 {
        return Err(odd_records(sources[0].url(), records));
    }
    cuts.push((records, ends));

    let stem = super::stem(sources[0].url());
    for pair in cuts.windows(2) {
        let ((first_record, starts), (end_record, ends)) = (&pair[0], &pair[1]);
        let chunk_sources: Vec<SourceRanges> = sources
            .iter()
            .zip(starts.iter().zip(ends))
            .map(|(source, (&(start, _), &(end, _)))| SourceRanges {
                url: source.url().to_string(),
                size: Some(source.size()),
                ranges: vec![ByteRange::new(start, end)],
            })
            .collect();
        let est_bytes = chunk_sources.iter().map(|s| s.ranges[0].len()).sum();
        let crc32 = starts
            .iter()
            .zip(ends)
            .map(|(&(start, before), &(end, after))| Some(range_crc(before, after, end - start)))
            .collect();
        let detail = FastqDetail {
            first_record: *first_record,
            records: end_record - first_record,
            crc32,
            interleaved: unit.interleaved,
        };
        manifest.push(&stem, chunk_sources, est_bytes, detail);
    }
    Ok(())
}

/// An interleaved file must hold whole pairs.
pub(super) fn odd_records(url: &str, records: u64) -> Error {
    Error::bad_file(
        url,
        format!("{records} records, an odd number: not interleaved pairs (mate 1, mate 2, ...)"),
    )
}

/// The next record of every input; inputs that end at different records are an error.
pub(crate) fn next_in_step<R: std::io::BufRead>(
    readers: &mut [RecordReader<R>],
    index: u64,
) -> Result<Option<Vec<RecordSpan>>> {
    let mut spans = Vec::with_capacity(readers.len());
    for reader in readers.iter_mut() {
        spans.push(reader.next_record(None)?);
    }
    match spans.iter().filter(|span| span.is_some()).count() {
        0 => Ok(None),
        n if n == spans.len() => Ok(Some(spans.into_iter().flatten().collect())),
        _ => Err(Error::bad_file(
            "paired inputs",
            format!("the files hold different numbers of records (one ends after {index})"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use partition_core::Chunk;
    use std::io::Write;

    fn fastq(records: usize, name: &str) -> String {
        test_support::Reads::new(records).name(name).text()
    }

    fn write(text: impl AsRef<[u8]>) -> tempfile::NamedTempFile {
        let mut file = tempfile::Builder::new().suffix(".fq").tempfile().unwrap();
        file.write_all(text.as_ref()).unwrap();
        file
    }

    fn url(file: &tempfile::NamedTempFile) -> String {
        file.path().to_str().unwrap().to_string()
    }

    fn check_tiles(chunks: &[Chunk], text: &str, records: u64) {
        let mut next = 0;
        let mut next_record = 0;
        for chunk in chunks {
            let range = chunk.sources[0].ranges[0];
            assert_eq!(range.start, next);
            assert!(text[range.start as usize..].starts_with('@'));
            let detail: FastqDetail = chunk.detail().unwrap();
            assert_eq!(detail.first_record, next_record);
            assert!(detail.records > 0);
            let bytes = &text.as_bytes()[range.start as usize..range.end as usize];
            assert_eq!(detail.crc32, [Some(crc32fast::hash(bytes))]);
            next = range.end;
            next_record += detail.records;
        }
        assert_eq!(next, text.len() as u64);
        assert_eq!(next_record, records);
    }

    #[test]
    fn every_chunking_tiles_the_file_at_record_starts() {
        let text = fastq(101, "r");
        let file = write(&text);
        for chunking in [
            Chunking::Count(1),
            Chunking::Count(4),
            Chunking::Count(7),
            Chunking::Size(500),
            Chunking::Records(10),
            Chunking::Records(1000),
        ] {
            let chunks = crate::plan::plan(&[url(&file)], &crate::PlanOptions::new(chunking))
                .unwrap()
                .chunks;
            check_tiles(&chunks, &text, 101);
            assert!(chunks.iter().all(|c| c.total == chunks.len() as u64));
        }
        assert_eq!(
            crate::plan::plan(&[url(&file)], &crate::PlanOptions::new(Chunking::Count(4)))
                .unwrap()
                .chunks
                .len(),
            4
        );
        assert_eq!(
            crate::plan::plan(
                &[url(&file)],
                &crate::PlanOptions::new(Chunking::Records(10))
            )
            .unwrap()
            .chunks
            .len(),
            11
        );
    }

    #[test]
    fn more_chunks_than_records_gives_one_per_record() {
        let text = fastq(3, "r");
        let file = write(&text);
        let chunks =
            crate::plan::plan(&[url(&file)], &crate::PlanOptions::new(Chunking::Count(50)))
                .unwrap()
                .chunks;
        assert_eq!(chunks.len(), 3);
        check_tiles(&chunks, &text, 3);
    }

    #[test]
    fn paired_files_are_cut_at_the_same_records() {
        let (r1, r2) = (fastq(57, "a"), fastq(57, "bbbbbbbbbbb"));
        let (f1, f2) = (write(&r1), write(&r2));
        let chunks = crate::plan::plan(
            &[url(&f1), url(&f2)],
            &crate::PlanOptions::new(Chunking::Count(5)),
        )
        .unwrap()
        .chunks;
        assert_eq!(chunks.len(), 5);
        for chunk in &chunks {
            let detail: FastqDetail = chunk.detail().unwrap();
            let (a, b) = (chunk.sources[0].ranges[0], chunk.sources[1].ranges[0]);
            let count = |text: &str, range: ByteRange| {
                text[range.start as usize..range.end as usize]
                    .matches("\n+\n")
                    .count() as u64
            };
            assert_eq!(count(&r1, a), detail.records);
            assert_eq!(count(&r2, b), detail.records);
            let crc = |text: &str, range: ByteRange| {
                Some(crc32fast::hash(
                    &text.as_bytes()[range.start as usize..range.end as usize],
                ))
            };
            assert_eq!(detail.crc32, [crc(&r1, a), crc(&r2, b)]);
        }
    }

    #[test]
    fn paired_files_of_different_lengths_are_refused() {
        let (f1, f2) = (write(fastq(5, "a")), write(fastq(4, "b")));
        let error = crate::plan::plan(
            &[url(&f1), url(&f2)],
            &crate::PlanOptions::new(Chunking::Count(2)),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("different numbers of records"), "{error}");
    }
}
