//! Rebuilding a `fastq` or `fastq-gz` chunk from its manifest line.

use std::io::{self, BufRead, BufReader, Read, Write};

use partition_core::{ByteRange, Chunk, Error, Kind, Result, Source, SourceRanges};

use crate::detail::{FastqDetail, GzDetail, GzResume};
use crate::gzip::{Decoder, NoObserver, Resume};
use crate::record::RecordReader;

/// Bytes gathered before each write to the output.
const WRITE_BATCH: usize = 1 << 16;

type Records = RecordReader<Box<dyn BufRead + Send>>;

/// Writes the chunk's records: for one file, exactly its bytes; for paired files,
/// interleaved (R1 record, R2 record, ...), the form `bwa mem -p` and `minimap2` read, after
/// checking that the mates' names agree. Fails, naming the chunk, unless the sources hold
/// exactly the records the plan promised.
pub fn write_chunk(chunk: &Chunk, output: &mut dyn Write) -> Result<()> {
    if chunk.kind == Kind::GzipRange {
        return crate::index::parts::write_range(chunk, output);
    }
    write_records(chunk, &mut [output])
}

/// Writes each source's records to its own output (R1 to the first, R2 to the second), the
/// exact bytes of each file's part; `outputs` has one entry per source.
pub fn write_mates(chunk: &Chunk, outputs: &mut [&mut dyn Write]) -> Result<()> {
    if outputs.len() != chunk.sources.len() {
        return Err(Error::Usage(format!(
            "chunk {} has {} sources, {} outputs given",
            chunk.id,
            chunk.sources.len(),
            outputs.len()
        )));
    }
    write_records(chunk, outputs)
}

/// The records of every source, in step; with one output, interleaved.
fn write_records(chunk: &Chunk, outputs: &mut [&mut dyn Write]) -> Result<()> {
    let Opened {
        mut readers,
        records,
        exact_end,
        crc32,
        interleaved: mates_interleaved,
    } = open(chunk)?;
    // One file with its CRC32: the chunk's bytes are exactly those the plan parsed into its
    // records when their CRC32 matches, so they are copied whole and checked rather than
    // parsed again (which costs a tenth of the time). The records are counted by their lines
    // where each has four, the common case; otherwise by parsing them once more. Interleaved
    // pairs are parsed, to check their mates' names.
    if let ([reader], [Some(planned)], [output], false) = (
        &mut readers[..],
        &crc32[..],
        &mut *outputs,
        mates_interleaved,
    ) {
        let start = reader.offset();
        let (lines, last) = copy_checked(chunk, reader.input_mut(), *planned, &mut **output)?;
        if lines != 4 * records {
            let mut reader = open(chunk)?.readers.remove(0);
            let mut counted = 0;
            while reader.offset() < start + chunk.est_bytes && reader.next_record(None)?.is_some() {
                counted += 1;
            }
            if counted != records {
                return Err(count_mismatch(chunk, counted, records));
            }
        }
        return output
            .write_all(&last)
            .map_err(partition_core::cli::output_error);
    }
    let mut crcs = vec![crc32fast::Hasher::new(); readers.len()];
    // A batch holds one source's records unless they are interleaved: then each record is
    // hashed on its own, else whole batches are (much faster than record by record).
    let interleaved = outputs.len() < readers.len();

    let mut batches = vec![Vec::with_capacity(WRITE_BATCH * 2); outputs.len()];
    let mut starts = vec![0; readers.len()];
    let mut written = 0u64;
    // Of interleaved pairs: mate 1's name, until mate 2 is read.
    let mut first_mate: Vec<u8> = Vec::new();
    while written < records || exact_end {
        let mut ended = 0;
        for (index, reader) in readers.iter_mut().enumerate() {
            let batch = &mut batches[index.min(outputs.len() - 1)];
            starts[index] = batch.len();
            if reader.next_record(Some(batch))?.is_none() {
                ended += 1;
            } else if interleaved {
                crcs[index].update(&batch[starts[index]..]);
            }
        }
        if ended == readers.len() {
            break;
        }
        if ended > 0 {
            return Err(chunk_error(
                chunk,
                format!(
                    "paired sources hold different numbers of records (one ends after {written})"
                ),
            ));
        }
        if let [first, second] = starts[..] {
            let first = read_name(&batches[0][first..]);
            let second = read_name(&batches[batches.len() - 1][second..]);
            if first != second {
                return Err(chunk_error(
                    chunk,
                    format!(
                        "record {} is out of step between the mates: '{}' and '{}'",
                        written,
                        String::from_utf8_lossy(first),
                        String::from_utf8_lossy(second)
                    ),
                ));
            }
        }
        if mates_interleaved {
            let name = read_name(&batches[0][starts[0]..]);
            if written.is_multiple_of(2) {
                first_mate.clear();
                first_mate.extend_from_slice(name);
            } else if name != first_mate.as_slice() {
                return Err(chunk_error(
                    chunk,
                    format!(
                        "records {} and {} are not mates: '{}' and '{}' (not interleaved pairs?)",
                        written - 1,
                        written,
                        String::from_utf8_lossy(&first_mate),
                        String::from_utf8_lossy(name)
                    ),
                ));
            }
        }
        written += 1;
        if batches.iter().any(|batch| batch.len() >= WRITE_BATCH) {
            if !interleaved {
                hash(&mut crcs, &batches);
            }
            flush(outputs, &mut batches)?;
        }
    }
    if !interleaved {
        hash(&mut crcs, &batches);
    }
    if written != records {
        return Err(count_mismatch(chunk, written, records));
    }
    // Checked before the last batch goes out, so that a file written whole is a good one.
    for ((planned, crc), source) in crc32.iter().zip(crcs).zip(&chunk.sources) {
        let crc = crc.finalize();
        if let Some(planned) = planned.filter(|&planned| planned != crc) {
            return Err(crc_mismatch(chunk, &source.url, crc, planned));
        }
    }
    flush(outputs, &mut batches)
}

/// A chunk ready to rebuild.
struct Opened {
    /// Each source's records from the chunk's first one on.
    readers: Vec<Records>,
    /// The records promised (per source).
    records: u64,
    /// Whether the records run to the end of the ranges (plain files).
    exact_end: bool,
    /// Per source, the CRC32 planned, if known.
    crc32: Vec<Option<u32>>,
    /// One file of interleaved pairs: mates' names are checked.
    interleaved: bool,
}

fn open(chunk: &Chunk) -> Result<Opened> {
    chunk.expect_kind(&[Kind::Fastq, Kind::FastqGz])?;
    let (readers, records, exact_end, crc32, interleaved) = match chunk.kind {
        Kind::Fastq => {
            let detail: FastqDetail = chunk.detail()?;
            let readers: Vec<Records> = chunk
                .sources
                .iter()
                .map(|planned| plain_reader(chunk, planned))
                .collect::<Result<_>>()?;
            (
                readers,
                detail.records,
                true,
                detail.crc32,
                detail.interleaved,
            )
        }
        _ => {
            let detail: GzDetail = chunk.detail()?;
            if detail.resume.len() != chunk.sources.len() {
                return Err(chunk_error(
                    chunk,
                    "needs one resume point per source".to_string(),
                ));
            }
            let readers = chunk
                .sources
                .iter()
                .zip(&detail.resume)
                .map(|(planned, resume)| gzip_reader(chunk, planned, resume))
                .collect::<Result<_>>()?;
            (
                readers,
                detail.records,
                false,
                detail.crc32,
                detail.interleaved,
            )
        }
    };
    if !crc32.is_empty() && crc32.len() != chunk.sources.len() {
        return Err(chunk_error(
            chunk,
            "needs one CRC32 (or null) per source".to_string(),
        ));
    }
    if interleaved && chunk.sources.len() != 1 {
        return Err(chunk_error(
            chunk,
            "interleaved pairs come from one source".to_string(),
        ));
    }
    Ok(Opened {
        readers,
        records,
        exact_end,
        crc32,
        interleaved,
    })
}

/// Copies the chunk's `est_bytes` (exact for one file) from `input` to `output` and checks
/// their CRC32. Returns their line count and their last piece, not yet written.
fn copy_checked(
    chunk: &Chunk,
    input: &mut dyn BufRead,
    planned: u32,
    output: &mut dyn Write,
) -> Result<(u64, Vec<u8>)> {
    let url = &chunk.sources[0].url;
    let mut crc = crc32fast::Hasher::new();
    let mut lines = 0;
    let mut left = chunk.est_bytes;
    loop {
        let buffer = input.fill_buf().map_err(|e| Error::io(url, e))?;
        if buffer.is_empty() && left > 0 {
            return Err(chunk_error(
                chunk,
                format!("{url} ends {left} bytes before the chunk's end"),
            ));
        }
        let piece = &buffer[..buffer.len().min(left as usize)];
        crc.update(piece);
        lines += memchr::memchr_iter(b'\n', piece).count() as u64;
        left -= piece.len() as u64;
        if left == 0 {
            let crc = crc.finalize();
            if crc != planned {
                return Err(crc_mismatch(chunk, url, crc, planned));
            }
            return Ok((lines, piece.to_vec()));
        }
        output
            .write_all(piece)
            .map_err(partition_core::cli::output_error)?;
        let n = piece.len();
        input.consume(n);
    }
}

fn hash(crcs: &mut [crc32fast::Hasher], batches: &[Vec<u8>]) {
    for (crc, batch) in crcs.iter_mut().zip(batches) {
        crc.update(batch);
    }
}

fn flush(outputs: &mut [&mut dyn Write], batches: &mut [Vec<u8>]) -> Result<()> {
    for (output, batch) in outputs.iter_mut().zip(batches.iter_mut()) {
        output
            .write_all(batch)
            .map_err(partition_core::cli::output_error)?;
        batch.clear();
    }
    Ok(())
}

fn chunk_error(chunk: &Chunk, message: String) -> Error {
    Error::bad_file(format!("chunk {}", chunk.id), message)
}

fn count_mismatch(chunk: &Chunk, found: u64, promised: u64) -> Error {
    chunk_error(
        chunk,
        format!("holds {found} records, the plan promised {promised}"),
    )
}

fn crc_mismatch(chunk: &Chunk, url: &str, crc: u32, planned: u32) -> Error {
    chunk_error(
        chunk,
        format!("the records rebuilt from {url} have CRC32 {crc:08x}, the plan says {planned:08x}"),
    )
}

fn single_range(chunk: &Chunk, planned: &SourceRanges) -> Result<ByteRange> {
    match planned.ranges[..] {
        [range] => Ok(range),
        _ => Err(chunk_error(
            chunk,
            format!("reads one range per source, not {}", planned.ranges.len()),
        )),
    }
}

fn plain_reader(chunk: &Chunk, planned: &SourceRanges) -> Result<Records> {
    let range = single_range(chunk, planned)?;
    let source = Source::open(&planned.url)?;
    source.expect_size(planned.size)?;
    let input: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(
        1 << 20,
        source.range_reader(range)?,
    ));
    Ok(RecordReader::new(input, &planned.url, range.start))
}

/// Decodes from the resume point, then skips to the chunk's first record.
fn gzip_reader(chunk: &Chunk, planned: &SourceRanges, resume: &GzResume) -> Result<Records> {
    let range = single_range(chunk, planned)?;
    if range.start != resume.range_start() || resume.first_out < resume.out {
        return Err(chunk_error(
            chunk,
            "range and resume point disagree".to_string(),
        ));
    }
    let source = Source::open(&planned.url)?;
    source.expect_size(planned.size)?;
    let window = if resume.member_start {
        Vec::new()
    } else {
        crate::index::decode_window(&resume.compressed_window()?)?
    };
    let at = if resume.member_start {
        Resume::MemberStart {
            in_byte: resume.in_byte,
            out: resume.out,
        }
    } else {
        Resume::Block {
            in_byte: resume.in_byte,
            bits: resume.bits,
            out: resume.out,
            window: &window,
        }
    };
    let decoder = Decoder::resume(source.range_reader(range)?, &planned.url, at, NoObserver)
        .map_err(|e| Error::io(&planned.url, e))?;
    let mut input = BufReader::with_capacity(1 << 20, decoder);
    let skip = resume.first_out - resume.out;
    let skipped = io::copy(&mut (&mut input).take(skip), &mut io::sink())
        .map_err(|e| Error::io(&planned.url, e))?;
    if skipped != skip {
        return Err(Error::bad_file(
            &planned.url,
            format!(
                "decoded data ends before the chunk's first record (uncompressed byte {})",
                resume.first_out
            ),
        ));
    }
    let input: Box<dyn BufRead + Send> = Box::new(input);
    let mut records = RecordReader::new(
        input,
        &format!("{} (uncompressed)", planned.url),
        resume.first_out,
    );
    for _ in 0..resume.skip_records {
        if records.next_record(None)?.is_none() {
            return Err(chunk_error(
                chunk,
                format!("{} ends before its first record", planned.url),
            ));
        }
    }
    Ok(records)
}

/// The read name of a record: the header up to the first whitespace, without a `/1` or `/2`
/// mate suffix (Casava 1.8 names carry the mate in the comment, after the space).
fn read_name(record: &[u8]) -> &[u8] {
    let header = &record[1..];
    let end = header
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(header.len());
    let name = &header[..end];
    match name {
        [rest @ .., b'/', b'1' | b'2'] => rest,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{plan, PlanOptions};
    use crate::Chunking;

    fn write(text: &str) -> (tempfile::NamedTempFile, String) {
        let mut file = tempfile::Builder::new().suffix(".fq").tempfile().unwrap();
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        let url = file.path().to_str().unwrap().to_string();
        (file, url)
    }

    fn records(tag: &str, mate: &str, n: usize) -> String {
        (0..n)
            .map(|i| format!("@{tag}{i}{mate} 1:N:0:ACGT\nACGTN\n+\n@@@II\n"))
            .collect()
    }

    #[test]
    fn chunks_concatenate_to_the_input() {
        let text = records("r", "", 40);
        let (_file, url) = write(&text);
        let mut rebuilt = Vec::new();
        for chunk in plan(&[url], &PlanOptions::new(Chunking::Count(6)))
            .unwrap()
            .chunks
        {
            write_chunk(&chunk, &mut rebuilt).unwrap();
        }
        assert_eq!(String::from_utf8(rebuilt).unwrap(), text);
    }

    #[test]
    fn paired_chunks_come_out_interleaved() {
        let (_f1, u1) = write(&records("a", "/1", 3));
        let (_f2, u2) = write(&records("a", "/2", 3));
        let chunks = plan(&[u1, u2], &PlanOptions::new(Chunking::Records(2)))
            .unwrap()
            .chunks;
        let mut out = Vec::new();
        write_chunk(&chunks[1], &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "@a2/1 1:N:0:ACGT\nACGTN\n+\n@@@II\n@a2/2 1:N:0:ACGT\nACGTN\n+\n@@@II\n"
        );
    }

    #[test]
    fn mates_can_be_written_apart() {
        let (r1, r2) = (records("a", "/1", 5), records("a", "/2", 5));
        let (_f1, u1) = write(&r1);
        let (_f2, u2) = write(&r2);
        let mut ones = Vec::new();
        let mut twos = Vec::new();
        for chunk in plan(&[u1, u2], &PlanOptions::new(Chunking::Records(2)))
            .unwrap()
            .chunks
        {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            write_mates(&chunk, &mut [&mut a, &mut b]).unwrap();
            ones.extend(a);
            twos.extend(b);
            assert!(
                write_mates(&chunk, &mut [&mut Vec::new()]).is_err(),
                "one output for two sources"
            );
        }
        assert_eq!(String::from_utf8(ones).unwrap(), r1);
        assert_eq!(String::from_utf8(twos).unwrap(), r2);
    }

    #[test]
    fn mates_out_of_step_are_refused() {
        let (_f1, u1) = write(&records("a", "", 3));
        let (_f2, u2) = write(&records("b", "", 3));
        let chunks = plan(&[u1, u2], &PlanOptions::new(Chunking::Records(2)))
            .unwrap()
            .chunks;
        let error = write_chunk(&chunks[0], &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("record 0 is out of step between the mates: 'a0' and 'b0'"),
            "{error}"
        );
    }

    #[test]
    fn a_changed_source_is_refused() {
        let (file, url) = write(&records("r", "", 10));
        let chunks = plan(
            std::slice::from_ref(&url),
            &PlanOptions::new(Chunking::Count(2)),
        )
        .unwrap()
        .chunks;
        std::fs::write(file.path(), records("r", "", 11)).unwrap();
        let error = write_chunk(&chunks[0], &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(error.contains("the source changed"), "{error}");
    }

    /// The first of `count` chunks of `text`, rebuilt after its record count is changed to
    /// `promised`: the error.
    fn refused_count(text: &str, count: u64, promised: u64) -> String {
        let (_file, url) = write(text);
        let mut chunk = plan(&[url], &PlanOptions::new(Chunking::Count(count)))
            .unwrap()
            .chunks
            .remove(0);
        chunk.detail["records"] = promised.into();
        write_chunk(&chunk, &mut Vec::new())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn records_of_more_than_four_lines_are_counted_by_parsing() {
        let text = "@r1\nACGT\nAC\n+\nIIII\nII\n\n@r2\nA\n+\nI\n";
        let (_file, url) = write(text);
        let chunk = plan(&[url], &PlanOptions::new(Chunking::Count(1)))
            .unwrap()
            .chunks
            .remove(0);
        let mut out = Vec::new();
        write_chunk(&chunk, &mut out).unwrap();
        assert_eq!(out, text.as_bytes());
        let error = refused_count(text, 1, 3);
        assert!(
            error.contains("holds 2 records, the plan promised 3"),
            "{error}"
        );
    }

    #[test]
    fn a_wrong_record_count_is_refused() {
        let error = refused_count(&records("r", "", 10), 2, 4);
        assert!(
            error.contains("holds 5 records, the plan promised 4"),
            "{error}"
        );
    }
}
