//! gzip FASTQ end to end on generated data: every chunk layout rebuilds the input exactly.

use std::fs;
use std::io::Write;

use fastq_gz::index::{self, GzIndex};
use fastq_gz::{plan, write_chunk, Chunking, GzDetail, PlanOptions};
use flate2::write::GzEncoder;
use flate2::Compression;
use partition_core::Source;

/// Illumina-like reads of 100 to 160 bases named `TAG<i>`.
fn fastq(records: usize, tag: &str) -> Vec<u8> {
    test_support::Reads::new(records)
        .name(tag)
        .length(100..=160)
        .bytes()
}

fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::new(level));
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn options(span: u64, chunking: Chunking) -> PlanOptions {
    PlanOptions {
        span: Some(span),
        ..PlanOptions::new(chunking)
    }
}

fn rebuild(chunks: &[partition_core::Chunk]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in chunks {
        write_chunk(chunk, &mut out).unwrap();
    }
    out
}

#[test]
fn chunks_rebuild_the_input_for_every_span_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let text = fastq(3000, "r");
    let path = dir.path().join("reads.fq.gz");
    fs::write(&path, gzip(&text, 6)).unwrap();
    let url = path.to_str().unwrap().to_string();
    for span in [1 << 12, 1 << 15, 1 << 20] {
        for chunking in [
            Chunking::Count(1),
            Chunking::Count(5),
            Chunking::Count(40),
            Chunking::Records(500),
            Chunking::Size(100_000),
        ] {
            let chunks = plan(std::slice::from_ref(&url), &options(span, chunking))
                .unwrap()
                .chunks;
            assert!(rebuild(&chunks) == text, "span {span} {chunking:?}");
            let records: u64 = chunks
                .iter()
                .map(|c| c.detail::<GzDetail>().unwrap().records)
                .sum();
            assert_eq!(records, 3000);
        }
    }
    let chunks = plan(
        std::slice::from_ref(&url),
        &options(1 << 14, Chunking::Count(8)),
    )
    .unwrap()
    .chunks;
    assert_eq!(chunks.len(), 8);
    // Each chunk reads little more than its share: ranges overlap only by a tail.
    let read: u64 = chunks.iter().map(|c| c.sources[0].ranges[0].len()).sum();
    let size = fs::metadata(&path).unwrap().len();
    assert!(
        read as f64 / (size as f64) < 1.10,
        "read amplification {}",
        read as f64 / size as f64
    );
}

#[test]
fn concatenated_members_and_stored_blocks_work() {
    let dir = tempfile::tempdir().unwrap();
    // The first member holds most of the data, in many deflate blocks (zlib-rs' level 1
    // may write one block for a whole member).
    let (a, b, c) = (fastq(3000, "a"), fastq(5, "b"), fastq(900, "c"));
    let mut members = gzip(&a, 6);
    members.extend(gzip(&b, 0));
    members.extend(gzip(&c, 1));
    let path = dir.path().join("multi.fq.gz");
    fs::write(&path, members).unwrap();
    let chunks = plan(
        &[path.to_str().unwrap().to_string()],
        &options(1 << 13, Chunking::Count(6)),
    )
    .unwrap()
    .chunks;
    assert!(chunks.len() > 3);
    assert!(rebuild(&chunks) == [a, b, c].concat());
}

#[test]
fn chunk_crcs_are_the_crcs_of_the_chunks_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let text = fastq(2500, "c");
    let path = dir.path().join("reads.fq.gz");
    fs::write(&path, gzip(&text, 6)).unwrap();
    let url = path.to_str().unwrap().to_string();
    let chunks = plan(&[url], &options(1 << 13, Chunking::Count(6)))
        .unwrap()
        .chunks;
    assert!(chunks.len() >= 5);
    for chunk in &chunks {
        let detail: GzDetail = chunk.detail().unwrap();
        let mut bytes = Vec::new();
        write_chunk(chunk, &mut bytes).unwrap();
        assert_eq!(
            detail.crc32,
            [Some(crc32fast::hash(&bytes))],
            "{}",
            chunk.id
        );
    }

    // A manifest whose CRC32 was changed is refused.
    let mut damaged = chunks[1].clone();
    let mut detail: GzDetail = damaged.detail().unwrap();
    detail.crc32[0] = detail.crc32[0].map(|crc| crc ^ 1);
    damaged.detail = serde_json::to_value(&detail).unwrap();
    let error = write_chunk(&damaged, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("have CRC32") && error.contains("the plan says"),
        "{error}"
    );
}

#[test]
fn paired_gzip_files_are_cut_in_step() {
    let dir = tempfile::tempdir().unwrap();
    let (r1, r2) = (fastq(1200, "p"), fastq(1200, "p"));
    let (p1, p2) = (dir.path().join("r_1.fq.gz"), dir.path().join("r_2.fq.gz"));
    fs::write(&p1, gzip(&r1, 6)).unwrap();
    // Another level puts R2's checkpoints at other records.
    fs::write(&p2, gzip(&r2, 1)).unwrap();
    let inputs = [
        p1.to_str().unwrap().to_string(),
        p2.to_str().unwrap().to_string(),
    ];
    let chunks = plan(&inputs, &options(1 << 13, Chunking::Count(5)))
        .unwrap()
        .chunks;
    assert!(chunks.len() >= 4);
    // R1's chunks start and end at its checkpoints: their CRC32s are known; R2's only where
    // its checkpoints fall at the same records. Rebuilding checks the known ones.
    for chunk in &chunks {
        let detail: GzDetail = chunk.detail().unwrap();
        assert!(detail.crc32.len() == 2 && detail.crc32[0].is_some());
    }
    let interleaved = rebuild(&chunks);
    let records = |text: &[u8]| -> Vec<String> {
        let text = String::from_utf8(text.to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        lines.chunks(4).map(|r| r.join("\n")).collect()
    };
    let (ones, twos) = (records(&r1), records(&r2));
    let expected: Vec<String> = ones
        .iter()
        .zip(&twos)
        .flat_map(|(a, b)| [a.clone(), b.clone()])
        .collect();
    assert_eq!(records(&interleaved), expected);
}

#[test]
fn the_index_round_trips_and_damage_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reads.fq.gz");
    fs::write(&path, gzip(&fastq(2000, "r"), 6)).unwrap();
    let built = index::build(
        &Source::open(path.to_str().unwrap()).unwrap(),
        1 << 14,
        1,
        true,
    )
    .unwrap();
    assert_eq!(built.records, 2000);
    assert!(built.checkpoints.len() > 3, "{}", built.checkpoints.len());
    let mut bytes = Vec::new();
    built.write(&mut bytes).unwrap();
    assert_eq!(GzIndex::read(&bytes, "i.cwi").unwrap(), built);

    let error = GzIndex::read(&bytes[..bytes.len() - 1], "i.cwi")
        .unwrap_err()
        .to_string();
    assert!(error.contains("checksum does not match"), "{error}");
    let mut flipped = bytes.clone();
    flipped[100] ^= 1;
    assert!(GzIndex::read(&flipped, "i.cwi").is_err());
    let error = GzIndex::read(b"GZIDX...", "i.cwi").unwrap_err().to_string();
    assert!(error.contains("not a chunkwise gzip index"), "{error}");

    // An index from an older release is read as stale: planning builds a current one.
    let sidecar = dir.path().join("reads.fq.gz.cwi");
    let mut old = bytes.clone();
    old[8..12].copy_from_slice(&1u32.to_le_bytes());
    fs::write(&sidecar, &old).unwrap();
    let url = path.to_str().unwrap().to_string();
    let chunks = plan(&[url], &options(1 << 14, Chunking::Count(3)))
        .unwrap()
        .chunks;
    assert_eq!(chunks.len(), 3);
    assert_eq!(
        GzIndex::version(&fs::read(&sidecar).unwrap()),
        Some(index::VERSION)
    );
}

/// Built on many threads (in parts, as across workers), the index places the same
/// checkpoints with the same windows, lines, records and CRC32s as the one-pass build; only
/// `tail_in` may differ (see `fastq_gz::index`), and plans made from it rebuild the input
/// exactly: one member, two, small members as BGZF's, and blocks ended by sync flushes (an
/// empty stored block after each, as pigz writes).
#[test]
fn an_index_built_on_threads_equals_the_one_pass_index_but_for_tail_in() {
    let dir = tempfile::tempdir().unwrap();
    let text = fastq(20_000, "r");
    let third = text.len() / 3;
    let mut members = gzip(&text[..third], 6);
    members.extend(gzip(&text[third..], 9));
    let small_members: Vec<u8> = text
        .chunks(60_000)
        .flat_map(|piece| gzip(piece, 6))
        .collect();
    let pieces: Vec<&[u8]> = text.chunks(20_000).collect();
    let synced = test_support::gzip_flushed(&pieces, 6, flate2::FlushCompress::Sync);
    let files = [
        ("one.fq.gz", gzip(&text, 6)),
        ("members.fq.gz", members),
        ("small-members.fq.gz", small_members),
        ("synced.fq.gz", synced),
    ];
    for (name, file) in files {
        let path = dir.path().join(name);
        fs::write(&path, file).unwrap();
        let url = path.to_str().unwrap().to_string();
        let source = Source::open(&url).unwrap();
        let sequential = index::build(&source, 1 << 14, 1, true).unwrap();
        assert!(
            sequential.checkpoints.len() > 20,
            "{name}: {}",
            sequential.checkpoints.len()
        );
        for threads in [2, 3, 8] {
            // Not `index::build`, which falls back to one pass where this fails.
            let built = index::parts::build_on_threads(&source, 1 << 14, threads, true).unwrap();
            let mut bytes = Vec::new();
            built.write(&mut bytes).unwrap();
            fs::write(format!("{url}.cwi"), bytes).unwrap();
            let chunks = plan(
                std::slice::from_ref(&url),
                &options(1 << 14, Chunking::Count(9)),
            )
            .unwrap()
            .chunks;
            assert!(
                chunks.len() > 5 && rebuild(&chunks) == text,
                "{name}, {threads} threads"
            );
            assert!(
                built.same_but_for_tail_in(&sequential),
                "{name}, {threads} threads"
            );
        }
    }
}

#[test]
fn bad_gzip_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = fastq(2000, "r");
    let compressed = gzip(&text, 6);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.fq.gz",
            compressed[..compressed.len() / 2].to_vec(),
            "file ends inside compressed data",
        ),
        (
            "no-trailer.fq.gz",
            compressed[..compressed.len() - 4].to_vec(),
            "file ends inside a gzip trailer",
        ),
        (
            "cut-record.fq.gz",
            gzip(&text[..text.len() - 10], 6),
            "file ends inside the record starting at line 7997",
        ),
        (
            "no-plus.fq.gz",
            gzip(b"@r1\nACGT\n+\nIIII\n@r2\nACGT\nIIII\n", 6),
            "no '+' line",
        ),
        (
            "corrupt.fq.gz",
            {
                let mut bad = compressed.clone();
                let n = bad.len();
                bad[n / 2] ^= 0x55;
                bad
            },
            "byte",
        ),
        (
            "bad-crc.fq.gz",
            {
                let mut bad = compressed.clone();
                let n = bad.len();
                bad[n - 8] ^= 1;
                bad
            },
            "CRC",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        // Decoded on threads, the same error (the one-pass decoder says it).
        for threads in [1, 3] {
            let options = PlanOptions {
                threads,
                ..options(1 << 14, Chunking::Count(3))
            };
            let error = plan(&[path.to_str().unwrap().to_string()], &options).unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains(name) && message.contains(expected),
                "{name}, {threads} threads: {message}"
            );
        }
        assert!(
            !dir.path().join(format!("{name}.cwi")).exists(),
            "{name}: no index is left behind"
        );
        // Across workers, whichever step meets the damage says so (exit 65).
        let source = Source::open(path.to_str().unwrap()).unwrap();
        for parts in [1, 3] {
            let error = build_in_parts(&source, parts, 1 << 14).unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains(name) && error.exit_code() == 65,
                "{name} in {parts} parts: {message}"
            );
        }
    }
}

#[test]
fn chunks_n_gives_about_n_chunks_on_a_small_file() {
    // About 1.3 MB of gzip: at the default 1 MiB span it would give 2 chunks.
    let dir = tempfile::tempdir().unwrap();
    let data = test_support::Reads::new(12_000).length(150..=150).bytes();
    let path = dir.path().join("small.fq.gz");
    fs::write(&path, gzip(&data, 6)).unwrap();
    let url = path.display().to_string();
    let planned = plan(&[url], &PlanOptions::new(Chunking::Count(64))).unwrap();
    let count = planned.chunks.len();
    assert!((48..=80).contains(&count), "{count} chunks for 64 asked");
    assert_eq!(rebuild(&planned.chunks), data);
}

/// `pairs` interleaved pairs: mate 1 and mate 2 of each share a name.
fn interleaved(pairs: usize) -> Vec<u8> {
    let reads = String::from_utf8(fastq(pairs * 2, "m")).unwrap();
    let lines: Vec<&str> = reads.lines().collect();
    let mut text = String::new();
    for (i, record) in lines.chunks(4).enumerate() {
        text.push_str(&format!("@pair{}/{}\n", i / 2, i % 2 + 1));
        text.push_str(&record[1..].join("\n"));
        text.push('\n');
    }
    text.into_bytes()
}

fn layout(layout: fastq_gz::Layout, chunking: Chunking) -> PlanOptions {
    PlanOptions {
        layout: Some(layout),
        span: Some(1 << 13),
        ..PlanOptions::new(chunking)
    }
}

#[test]
fn interleaved_pairs_are_never_separated_and_mates_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let data = interleaved(1500);
    for (name, bytes) in [("pairs.fq.gz", gzip(&data, 6)), ("pairs.fq", data.clone())] {
        let path = dir.path().join(name);
        fs::write(&path, &bytes).unwrap();
        let url = path.display().to_string();
        for count in [3, 7, 40] {
            let planned = plan(
                std::slice::from_ref(&url),
                &layout(fastq_gz::Layout::Interleaved, Chunking::Count(count)),
            )
            .unwrap();
            assert!(planned.chunks.len() > 1, "{name}: {count}");
            for chunk in &planned.chunks {
                let first: u64 = chunk.detail["first_record"].as_u64().unwrap();
                let records: u64 = chunk.detail["records"].as_u64().unwrap();
                assert_eq!((first % 2, records % 2), (0, 0), "{name}: {}", chunk.id);
                assert_eq!(chunk.detail["interleaved"], true);
            }
            assert_eq!(rebuild(&planned.chunks), data, "{name}: {count}");
        }
    }
    // Mates whose names disagree fail the chunk; an odd record count fails the plan.
    let broken = String::from_utf8(data.clone())
        .unwrap()
        .replacen("@pair7/2", "@pair8/2", 1);
    let path = dir.path().join("broken.fq");
    fs::write(&path, &broken).unwrap();
    let url = path.display().to_string();
    let planned = plan(
        std::slice::from_ref(&url),
        &layout(fastq_gz::Layout::Interleaved, Chunking::Count(2)),
    )
    .unwrap();
    let error = planned
        .chunks
        .iter()
        .find_map(|chunk| write_chunk(chunk, &mut Vec::new()).err())
        .expect("a chunk with mates out of step");
    assert!(
        error.to_string().contains("not mates: 'pair7' and 'pair8'"),
        "{error}"
    );
    let odd = dir.path().join("odd.fq");
    let mut odd_data = data.clone();
    odd_data.extend_from_slice(b"@lonely/1\nACGT\n+\nIIII\n");
    fs::write(&odd, &odd_data).unwrap();
    let error = plan(
        &[odd.display().to_string()],
        &layout(fastq_gz::Layout::Interleaved, Chunking::Count(2)),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("3001 records, an odd number"),
        "{error}"
    );
}

#[test]
fn many_files_make_one_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let lanes: Vec<(String, Vec<u8>)> = (0..3)
        .map(|lane| {
            let data = fastq(400 + lane * 300, &format!("lane{lane}_"));
            let path = dir.path().join(format!("lane{lane}.fq.gz"));
            fs::write(&path, gzip(&data, 6)).unwrap();
            (path.display().to_string(), data)
        })
        .collect();
    let urls: Vec<String> = lanes.iter().map(|(url, _)| url.clone()).collect();
    let planned = plan(&urls, &layout(fastq_gz::Layout::Single, Chunking::Count(9))).unwrap();
    let chunks = &planned.chunks;
    let ids: std::collections::HashSet<&str> = chunks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), chunks.len(), "ids unique");
    assert!(chunks
        .iter()
        .enumerate()
        .all(|(seq, c)| c.seq == seq as u64 && c.total == chunks.len() as u64));
    assert!(
        (7..=11).contains(&chunks.len()),
        "{} chunks for 9",
        chunks.len()
    );
    let all: Vec<u8> = lanes.iter().flat_map(|(_, data)| data.clone()).collect();
    assert_eq!(rebuild(chunks), all);

    // Two pairs, R1 R2 R1 R2: every chunk holds one pair's mates.
    let pairs = [&urls[0], &urls[0], &urls[1], &urls[1]].map(|url| url.to_string());
    let planned = plan(
        &pairs,
        &layout(fastq_gz::Layout::Paired, Chunking::Count(4)),
    )
    .unwrap();
    assert!(planned
        .chunks
        .iter()
        .all(|c| c.sources.len() == 2 && c.sources[0].url == c.sources[1].url));
    assert!(plan(
        &pairs[..3],
        &layout(fastq_gz::Layout::Paired, Chunking::Count(4))
    )
    .is_err());
    // Without a layout, three inputs are ambiguous.
    let error = plan(&urls, &PlanOptions::new(Chunking::Count(4))).unwrap_err();
    assert!(
        error.to_string().contains("say how they hold reads"),
        "{error}"
    );
}

/// The whole build across workers, each round's results passed through JSON as workers pass
/// them: scans, chain, one build per part, join.
fn build_in_parts(source: &Source, parts: u64, span: u64) -> partition_core::Result<GzIndex> {
    build_in_parts_with(source, parts, span, |_| {})
}

/// [`build_in_parts`] with the scans altered before the chain sees them.
fn build_in_parts_with(
    source: &Source,
    parts: u64,
    span: u64,
    alter: impl FnOnce(&mut Vec<index::parts::PartScan>),
) -> partition_core::Result<GzIndex> {
    let chunks = index::parts::plan(source, parts, span);
    let parts = chunks
        .iter()
        .map(|c| index::parts::Part::of_chunk(c).unwrap())
        .collect();
    build_parts(parts, alter)
}

/// The parts of `source` whose ranges end at `cuts` (and at its end).
fn parts_cut_at(source: &Source, cuts: &[u64], span: u64) -> Vec<index::parts::Part> {
    let size = source.size();
    let starts = [0].iter().chain(cuts);
    let ends = cuts.iter().chain([&size]);
    starts
        .zip(ends)
        .enumerate()
        .map(|(seq, (&start, &end))| index::parts::Part {
            seq: seq as u64,
            url: source.url().to_string(),
            range: partition_core::ByteRange::new(start, end),
            size,
            span,
        })
        .collect()
}

/// Both rounds and both joins over `parts`, the scans altered by `alter` before the chain.
fn build_parts(
    parts: Vec<index::parts::Part>,
    alter: impl FnOnce(&mut Vec<index::parts::PartScan>),
) -> partition_core::Result<GzIndex> {
    use index::parts;
    let mut scans = Vec::new();
    for part in &parts {
        let scan = parts::scan(part)?;
        let json = serde_json::to_string(&scan).unwrap();
        scans.push(serde_json::from_str(&json).unwrap());
    }
    alter(&mut scans);
    let starts = parts::chain(&parts, scans)?;
    let mut built = Vec::new();
    for (part, start) in parts.iter().zip(&starts) {
        let start: parts::PartStart =
            serde_json::from_str(&serde_json::to_string(start).unwrap()).unwrap();
        let share = parts::build_part(part, &start)?;
        built.push(serde_json::from_str(&serde_json::to_string(&share).unwrap()).unwrap());
    }
    parts::join(&parts, &starts, built, true)
}

/// `fastq-split index-parts`: the index joined from parts equals the one-pass index (but
/// for `tail_in`, as on threads) for any number of parts, on one member, many members, BGZF,
/// and gzip -1 (whose blocks the finder also finds).
#[test]
fn an_index_joined_from_parts_equals_the_one_pass_index() {
    let dir = tempfile::tempdir().unwrap();
    let text = fastq(12_000, "r");
    let third = text.len() / 3;
    let mut members = gzip(&text[..third], 6);
    members.extend(gzip(&text[third..], 9));
    let mut bgzf = Vec::new();
    for piece in text.chunks(65_280) {
        bgzf.extend(gzip(piece, 6));
    }
    let mut empty_member = gzip(&text[..third], 6);
    empty_member.extend(gzip(b"", 6));
    empty_member.extend(gzip(&text[third..], 6));
    for (name, file) in [
        ("one.fq.gz", gzip(&text, 6)),
        ("fast.fq.gz", gzip(&text, 1)),
        ("members.fq.gz", members),
        ("empty-member.fq.gz", empty_member),
        ("pieces.fq.gz", bgzf),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, &file).unwrap();
        let source = Source::open(path.to_str().unwrap()).unwrap();
        let one_pass = index::build(&source, 1 << 14, 1, true).unwrap();
        for parts in [1, 2, 3, 7, 40] {
            let joined = build_in_parts(&source, parts, 1 << 14).unwrap();
            assert!(
                joined.same_but_for_tail_in(&one_pass),
                "{name} in {parts} parts"
            );
        }
        // A part whose start was a false block start, and one where none was found: the
        // chain decodes them again from where the part before stopped.
        let joined = build_in_parts_with(&source, 5, 1 << 14, |scans| {
            // (gzip -1 writes blocks the finder does not take: its parts are all redone.)
            if let Some(found) = scans[2].start {
                let bit = found.bit() + 3;
                scans[2].start = Some(index::parts::Place::Block { bit });
            }
            scans[3].start = None;
        })
        .unwrap();
        assert!(joined.same_but_for_tail_in(&one_pass), "{name}: redone");
    }
}

/// Blocks and members that add no output: a sync flush's empty stored block (pigz writes one
/// after every 128 KiB of input), a partial flush's empty fixed-code block and an empty
/// member. Their starts share an output offset with the boundary after them: the one-pass
/// build checkpoints the first of the two, and so must the parts, wherever their ranges end
/// (inside the empty block or member, or such that a part decodes it alone).
#[test]
fn parts_ending_at_an_empty_block_or_member_match_the_one_pass_index() {
    use flate2::FlushCompress;
    let dir = tempfile::tempdir().unwrap();
    let text = fastq(600, "e");
    // Flushed after every 40 records: a part that decodes an empty block alone must pass on
    // that the next part starts a line.
    let records: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let mut pieces = Vec::new();
    let mut at = 0;
    for record_lines in records.chunks(4 * 40) {
        let length: usize = record_lines.iter().map(|line| line.len()).sum();
        pieces.push(&text[at..at + length]);
        at += length;
    }
    let synced = test_support::gzip_flushed(&pieces, 6, FlushCompress::Sync);
    let partial = test_support::gzip_flushed(&pieces, 1, FlushCompress::Partial);
    let mut members = gzip(&text[..text.len() / 2], 6);
    let empty_member_at = members.len() as u64;
    members.extend(gzip(b"", 6));
    members.extend(gzip(&text[text.len() / 2..], 6));
    let stored_at = test_support::empty_stored_blocks(&synced);
    assert!(stored_at.len() > 10);
    let mut partial_boundaries = 0;
    for (name, file) in [
        ("synced.fq.gz", synced),
        ("members.fq.gz", members),
        ("partial.fq.gz", partial),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, &file).unwrap();
        let source = Source::open(path.to_str().unwrap()).unwrap();
        // A span of 1: every boundary is a checkpoint.
        let one_pass = index::build(&source, 1, 1, true).unwrap();
        let cuts: Vec<Vec<u64>> = match name {
            // Inside the stored blocks' length fields.
            "synced.fq.gz" => vec![stored_at.iter().map(|at| at + 1).collect()],
            "members.fq.gz" => vec![vec![empty_member_at + 5]],
            // Around each block boundary: where an empty fixed-code block follows one, the
            // part between the two cuts decodes that block alone.
            _ => one_pass
                .checkpoints
                .iter()
                .filter(|checkpoint| checkpoint.bits > 0)
                .map(|checkpoint| vec![checkpoint.in_byte - 1, checkpoint.in_byte])
                .inspect(|_| partial_boundaries += 1)
                .collect(),
        };
        for cuts in cuts {
            let joined = build_parts(parts_cut_at(&source, &cuts, 1), |_| {}).unwrap();
            assert!(
                joined.same_but_for_tail_in(&one_pass),
                "{name} cut at {cuts:?}"
            );
        }
    }
    assert!(partial_boundaries > 5, "{partial_boundaries}");
}

/// Parts decoded from inside a member cannot check its trailer: the join does, from the CRC32s
/// the parts report, and a mismatch fails it (exit 65).
#[test]
fn the_join_checks_every_members_crc32() {
    let dir = tempfile::tempdir().unwrap();
    // A small member, then one far longer than a part decodes past its end.
    let text = fastq(40_000, "r");
    let cut = text.len() / 40;
    let first = gzip(&text[..cut], 6);
    let mut file = first.clone();
    file.extend(gzip(&text[cut..], 6));
    // The first member's trailer is checked by the decoder of the part that starts with it;
    // the last member's, by the join.
    for (name, at, expected) in [
        (
            "first.fq.gz",
            first.len() - 8,
            "gzip member is corrupt: CRC32",
        ),
        ("last.fq.gz", file.len() - 8, "member 2 (output bytes"),
    ] {
        let mut bad = file.clone();
        bad[at] ^= 1;
        let path = dir.path().join(name);
        fs::write(&path, bad).unwrap();
        let source = Source::open(path.to_str().unwrap()).unwrap();
        let error = build_in_parts(&source, 9, 1 << 14).unwrap_err();
        assert!(
            error.exit_code() == 65 && error.to_string().contains(expected),
            "{name}: {error}"
        );
    }
}

/// Records wrapped over several lines cannot be found by line counts: a part says so, and the
/// join builds the index in one pass.
#[test]
fn wrapped_records_are_joined_by_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    // The reads of `fastq`, each sequence and quality wrapped after 60 characters.
    let mut text = Vec::new();
    for record in fastq(20_000, "w")
        .split_inclusive(|&b| b == b'\n')
        .collect::<Vec<_>>()
        .chunks(4)
    {
        text.extend_from_slice(record[0]);
        for line in [record[1], record[3]] {
            let line = &line[..line.len() - 1];
            text.extend_from_slice(&line[..60]);
            text.push(b'\n');
            text.extend_from_slice(&line[60..]);
            text.push(b'\n');
            if line == &record[1][..record[1].len() - 1] {
                text.extend_from_slice(record[2]);
            }
        }
    }
    let path = dir.path().join("wrapped.fq.gz");
    fs::write(&path, gzip(&text, 6)).unwrap();
    let source = Source::open(path.to_str().unwrap()).unwrap();
    let one_pass = index::build(&source, 1 << 14, 1, true).unwrap();
    assert!(one_pass.checkpoints.len() > 5 && one_pass.records == 20_000);
    let joined = build_in_parts(&source, 4, 1 << 14).unwrap();
    assert!(joined == one_pass);
}
