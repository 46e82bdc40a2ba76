//! fastq-split against samtools on the shared FASTQ samples: every chunk is a FASTQ file
//! samtools accepts, the chunks hold every record once and in order, and they concatenate to
//! the input byte for byte.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use chunkwise_tests::{bin, manifest, require_tool, run_failing, run_ok, shared_data};

/// Record names, in order, as `samtools fqidx` indexes them.
fn samtools_names(fastq: &Path) -> Vec<String> {
    run_ok(Command::new("samtools").arg("fqidx").arg(fastq));
    let fai = fs::read_to_string(format!("{}.fai", fastq.display())).unwrap();
    fai.lines()
        .map(|line| line.split('\t').next().unwrap().to_string())
        .collect()
}

fn check_split(inputs: &[&Path], chunk_options: &[&str]) {
    let work = tempfile::tempdir().unwrap();
    let copies: Vec<_> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let copy = work.path().join(format!("in{i}.fq"));
            fs::copy(input, &copy).unwrap();
            copy
        })
        .collect();
    let stdout = run_ok(
        Command::new(bin("fastq-split"))
            .arg("plan")
            .args(&copies)
            .args(chunk_options),
    );
    let chunks = manifest(&stdout);
    assert!(!chunks.is_empty());
    let manifest_path = work.path().join("chunks.jsonl");
    fs::write(&manifest_path, &stdout).unwrap();

    for (i, copy) in copies.iter().enumerate() {
        let expected = samtools_names(copy);
        let mut names = Vec::new();
        let mut rebuilt = Vec::new();
        for chunk in &chunks {
            let range = chunk.sources[i].ranges[0];
            let piece = work.path().join(format!("{}_{i}.fq", chunk.id));
            let mut bytes = vec![0; range.len() as usize];
            let mut file = fs::File::open(copy).unwrap();
            std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(range.start)).unwrap();
            file.read_exact(&mut bytes).unwrap();
            fs::write(&piece, &bytes).unwrap();
            let piece_names = samtools_names(&piece);
            assert_eq!(
                piece_names.len() as u64,
                chunk.detail["records"].as_u64().unwrap(),
                "{}",
                chunk.id
            );
            names.extend(piece_names);
            rebuilt.extend(bytes);
        }
        assert_eq!(
            names,
            expected,
            "{} {chunk_options:?}: records differ from samtools'",
            inputs[i].display()
        );
        assert!(
            rebuilt == fs::read(copy).unwrap(),
            "chunks do not tile the input"
        );
    }

    // `cat` rebuilds the same bytes (interleaved for pairs, one record of each in turn).
    let cat = run_ok(
        Command::new(bin("fastq-split"))
            .args(["cat", "--interleave"])
            .arg(&manifest_path),
    );
    let whole: Vec<u8> = copies
        .iter()
        .flat_map(|copy| fs::read(copy).unwrap())
        .collect();
    assert_eq!(cat.len(), whole.len());
    if copies.len() == 1 {
        assert!(cat == whole);
    }
}

#[test]
#[ignore = "needs samtools and ../shared/data"]
fn single_files_split_into_records_samtools_accepts() {
    require_tool("samtools");
    for name in [
        "fastqs",
        "interleaved",
        "longline",
        "minimal",
        "multiline",
        "name2",
        "r1",
    ] {
        let input = shared_data(&format!("fastq/htslib__{name}.fq"));
        for options in [
            &["--chunks", "1"][..],
            &["--chunks", "3"],
            &["--chunks", "50"],
            &["--records", "2"],
            &["--chunk-size", "1k"],
        ] {
            check_split(&[&input], options);
        }
    }
}

#[test]
#[ignore = "needs samtools and ../shared/data"]
fn paired_files_split_in_step() {
    require_tool("samtools");
    check_split(
        &[
            &shared_data("fastq/htslib__r1.fq"),
            &shared_data("fastq/htslib__r2.fq"),
        ],
        &["--chunks", "2"],
    );

    // seqkit's real paired-end pair, decompressed (gzip input is fastq-gz's checkpoint index).
    let work = tempfile::tempdir().unwrap();
    let mut plain = Vec::new();
    for mate in [1, 2] {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(
            fs::File::open(shared_data(&format!("fastq/seqkit__reads_{mate}.fq.gz"))).unwrap(),
        )
        .read_to_end(&mut text)
        .unwrap();
        let path = work.path().join(format!("reads_{mate}.fq"));
        fs::write(&path, text).unwrap();
        plain.push(path);
    }
    for options in [&["--chunks", "4"][..], &["--records", "3"]] {
        check_split(&[&plain[0], &plain[1]], options);
    }
}

/// `zcat FILE...` (the peer for every gzip layout).
fn zcat(files: &[&Path]) -> Vec<u8> {
    run_ok(Command::new("zcat").args(files))
}

fn plan_and_cat(inputs: &[&Path], options: &[&str]) -> (usize, Vec<u8>) {
    let work = tempfile::tempdir().unwrap();
    let stdout = run_ok(
        Command::new(bin("fastq-split"))
            .arg("plan")
            .args(inputs)
            .args(options),
    );
    let manifest_path = work.path().join("chunks.jsonl");
    fs::write(&manifest_path, &stdout).unwrap();
    (
        manifest(&stdout).len(),
        run_ok(
            Command::new(bin("fastq-split"))
                .args(["cat", "--interleave"])
                .arg(&manifest_path),
        ),
    )
}

#[test]
#[ignore = "needs zcat, bgzip and ../shared/data"]
fn gzip_chunks_equal_zcat_on_every_layout() {
    require_tool("bgzip");
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for name in [
        "seqkit__Illimina1.8.fq.gz",
        "seqkit__nanopore.fq.gz",
        "seqkit__reads_1.fq.gz",
    ] {
        let copy = dir.path().join(name);
        fs::copy(shared_data(&format!("fastq/{name}")), &copy).unwrap();
        files.push(copy);
    }
    // A multi-member file and a BGZF file, from the plain multi-line-free samples.
    let multi = dir.path().join("multi.fq.gz");
    let mut joined = Vec::new();
    for name in [
        "seqkit__reads_1.fq.gz",
        "seqkit__reads_2.fq.gz",
        "seqkit__Illimina1.8.fq.gz",
    ] {
        joined.extend(fs::read(shared_data(&format!("fastq/{name}"))).unwrap());
    }
    fs::write(&multi, joined).unwrap();
    files.push(multi);
    let plain = dir.path().join("fastqs.fq");
    fs::copy(shared_data("fastq/htslib__fastqs.fq"), &plain).unwrap();
    run_ok(Command::new("bgzip").arg("-k").arg(&plain));
    files.push(dir.path().join("fastqs.fq.gz"));

    for file in &files {
        let expected = zcat(&[file]);
        for (span, chunks) in [("512", "3"), ("4k", "7"), ("1MiB", "2")] {
            let (count, rebuilt) = plan_and_cat(&[file], &["--chunks", chunks, "--span", span]);
            assert!(count >= 1);
            assert!(
                rebuilt == expected,
                "{} span {span} chunks {chunks}: differs from zcat",
                file.display()
            );
        }
    }
}

#[test]
#[ignore = "needs zcat and ../shared/data"]
fn paired_gzip_chunks_keep_mates_together() {
    let dir = tempfile::tempdir().unwrap();
    let mates: Vec<_> = [1, 2]
        .iter()
        .map(|mate| {
            let copy = dir.path().join(format!("reads_{mate}.fq.gz"));
            fs::copy(
                shared_data(&format!("fastq/seqkit__reads_{mate}.fq.gz")),
                &copy,
            )
            .unwrap();
            copy
        })
        .collect();
    let (count, interleaved) =
        plan_and_cat(&[&mates[0], &mates[1]], &["--chunks", "3", "--span", "1k"]);
    assert!(count >= 2);
    let records = |text: Vec<u8>| -> Vec<String> {
        let text = String::from_utf8(text).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        lines.chunks(4).map(|r| r.join("\n")).collect()
    };
    let (ones, twos) = (records(zcat(&[&mates[0]])), records(zcat(&[&mates[1]])));
    let expected: Vec<String> = ones
        .iter()
        .zip(&twos)
        .flat_map(|(a, b)| [a.clone(), b.clone()])
        .collect();
    assert_eq!(records(interleaved), expected);

    // Without --interleave: each chunk's mates in files of their own, which concatenate to
    // each input exactly; stdout refuses a paired chunk.
    let plan = run_ok(
        Command::new(bin("fastq-split"))
            .arg("plan")
            .args(&mates)
            .args(["--chunks", "3", "--span", "1k"]),
    );
    let manifest_path = dir.path().join("chunks.jsonl");
    fs::write(&manifest_path, &plan).unwrap();
    let out = dir.path().join("out");
    run_ok(
        Command::new(bin("fastq-split"))
            .arg("cat")
            .arg(&manifest_path)
            .arg("--out-dir")
            .arg(&out),
    );
    for (mate, file) in mates.iter().enumerate() {
        let joined: Vec<u8> = manifest(&plan)
            .iter()
            .flat_map(|chunk| fs::read(out.join(format!("{}_{}.fq", chunk.id, mate + 1))).unwrap())
            .collect();
        assert!(
            joined == zcat(&[file]),
            "mate {} differs from zcat",
            mate + 1
        );
    }
    let refused = run_failing(
        Command::new(bin("fastq-split"))
            .arg("cat")
            .arg(&manifest_path),
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("give --interleave"));
}

/// gzip FASTQ of several MiB (gztool places a point every MiB at least): the long-read and
/// the Illumina samples repeated, both as two members, and the Illumina one as BGZF.
fn gztool_samples(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for name in ["seqkit__nanopore.fq.gz", "seqkit__Illimina1.8.fq.gz"] {
        let text = zcat(&[&shared_data(&format!("fastq/{name}"))]);
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        for _ in 0..(6 << 20) / text.len() + 1 {
            encoder.write_all(&text).unwrap();
        }
        let copy = dir.join(name);
        fs::write(&copy, encoder.finish().unwrap()).unwrap();
        files.push(copy);
    }
    let multi = dir.join("multi.fq.gz");
    let mut joined = fs::read(&files[0]).unwrap();
    joined.extend(fs::read(&files[1]).unwrap());
    fs::write(&multi, joined).unwrap();
    let plain = dir.join("bgzf.fq");
    fs::write(&plain, zcat(&[&files[1]])).unwrap();
    run_ok(Command::new("bgzip").arg("-k").arg(&plain));
    files.extend([multi, dir.join("bgzf.fq.gz")]);
    files
}

#[test]
#[ignore = "needs gztool, zcat, bgzip and ../shared/data"]
fn chunks_planned_from_gztool_indexes_equal_zcat() {
    require_tool("gztool");
    require_tool("bgzip");
    let dir = tempfile::tempdir().unwrap();
    let files = gztool_samples(dir.path());

    for file in &files {
        let expected = zcat(&[file]);
        // gztool's own index, with line numbers.
        let index = dir.path().join("theirs.gzi");
        let _ = fs::remove_file(&index);
        run_ok(
            Command::new("gztool")
                .args(["-x", "-s", "1", "-I"])
                .arg(&index)
                .arg(file),
        );
        for chunks in ["1", "3", "9"] {
            let plan = run_ok(
                Command::new(bin("fastq-split"))
                    .args(["plan", "--quiet", "--chunks", chunks, "--index"])
                    .arg(&index)
                    .arg(file),
            );
            let manifest_path = dir.path().join("chunks.jsonl");
            fs::write(&manifest_path, &plan).unwrap();
            let rebuilt = run_ok(
                Command::new(bin("fastq-split"))
                    .arg("cat")
                    .arg(&manifest_path),
            );
            assert!(
                rebuilt == expected,
                "{} from gztool's index, {chunks} chunks: differs from zcat",
                file.display()
            );
        }
        // No fastq-split index was made: the scan was saved.
        assert!(!Path::new(&format!("{}.cwi", file.display())).exists());
    }

    // An index without line numbers (gztool's version 0, "gzipindx") cannot place records.
    let index = dir.path().join("no-lines.gzi");
    let mut v0 = b"\0\0\0\0\0\0\0\0gzipindx".to_vec();
    v0.extend_from_slice(&[0; 32]);
    fs::write(&index, v0).unwrap();
    let refused = run_failing(
        Command::new(bin("fastq-split"))
            .args(["plan", "--chunks", "2", "--index"])
            .arg(&index)
            .arg(&files[1]),
    );
    assert_eq!(refused.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("made without -x"));
}

#[test]
#[ignore = "needs gztool, zcat, bgzip and ../shared/data"]
fn gztool_extracts_with_our_index_by_byte_and_by_line() {
    require_tool("gztool");
    require_tool("bgzip");
    let dir = tempfile::tempdir().unwrap();
    let files = gztool_samples(dir.path());

    for file in &files {
        let text = zcat(&[file]);
        let index = dir.path().join("ours.gzi");
        run_ok(
            Command::new(bin("fastq-split"))
                .args(["index", "--quiet", "--format", "gztool", "--span", "256KiB"])
                .arg(file)
                .arg("-o")
                .arg(&index),
        );
        let gztool = |args: &[String]| {
            run_ok(
                Command::new("gztool")
                    .arg("-I")
                    .arg(&index)
                    .args(args)
                    .arg(file),
            )
        };
        // gztool reads the header, the points and the tail.
        let info = String::from_utf8_lossy(&gztool(&["-l".to_string()])).to_string();
        let lines = text.iter().filter(|&&b| b == b'\n').count();
        let listed = info
            .lines()
            .find_map(|line| line.trim().strip_prefix("Number of lines"))
            .and_then(|rest| rest.trim_start_matches([' ', ':']).split(' ').next())
            .and_then(|count| count.parse::<usize>().ok());
        assert_eq!(listed, Some(lines), "{info}");
        for at in [0, 1, text.len() / 3, text.len() / 2 + 7, text.len() - 5] {
            assert!(
                gztool(&["-b".to_string(), at.to_string()]) == text[at..],
                "{}: gztool -b {at} differs",
                file.display()
            );
        }
        let starts: Vec<usize> = std::iter::once(0)
            .chain(
                text.iter()
                    .enumerate()
                    .filter(|(_, &b)| b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .filter(|&i| i < text.len())
            .collect();
        for line in [1, 2, starts.len() / 3, starts.len() / 2 + 1, starts.len()] {
            assert!(
                gztool(&["-L".to_string(), line.to_string()]) == text[starts[line - 1]..],
                "{}: gztool -L {line} differs",
                file.display()
            );
        }
    }
}

/// pigz compresses blocks of input on many threads and ends each with a sync flush: an
/// empty stored block, a boundary that adds no output, every 32 KiB here (`-b 32`). The index
/// built on one thread, on three, and across workers (parts planned, and parts cut inside
/// each of those empty blocks) is the same, and chunks planned from it equal zcat's output.
#[test]
#[ignore = "needs pigz, zcat and ../shared/data"]
fn pigz_files_index_alike_on_threads_and_across_workers() {
    require_tool("pigz");
    let dir = tempfile::tempdir().unwrap();
    let text = zcat(&[&shared_data("fastq/seqkit__Illimina1.8.fq.gz")]);
    let plain = dir.path().join("reads.fq");
    fs::write(&plain, text.repeat((3 << 19) / text.len() + 1)).unwrap();
    run_ok(
        Command::new("pigz")
            .args(["-k", "-b", "32", "-p", "2"])
            .arg(&plain),
    );
    let input = dir.path().join("reads.fq.gz");
    let gz = fs::read(&input).unwrap();
    let stored = test_support::empty_stored_blocks(&gz);
    assert!(stored.len() > 30, "{} empty stored blocks", stored.len());
    let input = input.to_str().unwrap();
    let source = partition_core::Source::open(input).unwrap();
    let span = 32 << 10;
    let one_pass = fastq_gz::index::build(&source, span, 1, true).unwrap();
    assert!(one_pass.checkpoints.len() > 30);
    let threads = fastq_gz::index::build(&source, span, 3, true).unwrap();
    assert!(threads.same_but_for_tail_in(&one_pass), "on three threads");

    let fanout = || Command::new(bin("fanout"));
    let work = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let planned = chunkwise_tests::index_in_parts(input, 7, "32KiB", &work("planned"), &fanout);
    assert!(planned.same_but_for_tail_in(&one_pass), "7 planned parts");
    // One part per stored block, each range ending inside the block's length fields.
    let plan = run_ok(Command::new(bin("fastq-split")).args([
        "index-parts",
        "plan",
        input,
        "--parts",
        &(stored.len() + 1).to_string(),
        "--span",
        "32KiB",
    ]));
    let mut cut = Vec::new();
    let ends = stored.iter().map(|at| at + 1).chain([gz.len() as u64]);
    let mut start = 0;
    for (mut chunk, end) in manifest(&plan).into_iter().zip(ends) {
        chunk.sources[0].ranges = vec![partition_core::ByteRange::new(start, end)];
        start = end;
        cut.extend(serde_json::to_vec(&chunk).unwrap());
        cut.push(b'\n');
    }
    let joined = chunkwise_tests::index_from_parts(&cut, &work("cut"), &fanout);
    assert!(
        joined.same_but_for_tail_in(&one_pass),
        "parts cut in the stored blocks"
    );

    let joined_path = dir.path().join("joined.cwi");
    let mut bytes = Vec::new();
    joined.write(&mut bytes).unwrap();
    fs::write(&joined_path, bytes).unwrap();
    let (count, rebuilt) = plan_and_cat(
        &[Path::new(input)],
        &["--chunks", "9", "--index", joined_path.to_str().unwrap()],
    );
    assert!(count >= 8 && rebuilt == zcat(&[Path::new(input)]));
}
