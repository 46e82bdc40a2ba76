//! fastq-split against samtools on the shared FASTQ samples: every chunk is a FASTQ file
//! samtools accepts, the chunks hold every record once and in order, and they concatenate to
//! the input byte for byte.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use chunkwise_tests::{bin, manifest, require_tool, run_ok, shared_data};

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
            .arg("cat")
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
