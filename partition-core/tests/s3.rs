//! `Source` against a real S3 server. Needs `AWS_ENDPOINT_URL` pointing at one on 127.0.0.1
//! (`.ci/run` starts ministack) and test credentials in the environment; run with
//! `cargo test -p partition-core --test s3 -- --ignored`.
#![cfg(feature = "s3")]

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use partition_core::{ByteRange, Error, ManifestReader, Source};
use std::io::Read;

const PART: usize = 5 << 20;

fn client() -> aws_sdk_s3::Client {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "set AWS_ENDPOINT_URL to a local S3 server (see .ci/run)"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    })
}

/// Deterministic bytes that differ at every offset that matters.
fn pattern(len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect()
}

fn upload_multipart(client: &aws_sdk_s3::Client, bucket: &str, key: &str, data: &[u8]) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let _ = client.create_bucket().bucket(bucket).send().await;
        let upload = client
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        let upload_id = upload.upload_id().unwrap();
        let mut parts = Vec::new();
        for (index, part) in data.chunks(PART).enumerate() {
            let number = index as i32 + 1;
            let uploaded = client
                .upload_part()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(part.to_vec()))
                .send()
                .await
                .unwrap();
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(uploaded.e_tag().map(String::from))
                    .build(),
            );
        }
        client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .unwrap();
    });
}

fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str, data: &[u8]) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let _ = client.create_bucket().bucket(bucket).send().await;
        client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(data.to_vec()))
            .send()
            .await
            .unwrap();
    });
}

#[test]
#[ignore = "needs a local S3 server; .ci/run starts one"]
fn ranged_reads_across_multipart_parts() {
    let client = client();
    let data = pattern(3 * PART + 12_345);
    upload_multipart(&client, "chunkwise-test", "multi/object.bin", &data);
    let source = Source::open("s3://chunkwise-test/multi/object.bin").unwrap();
    assert_eq!(source.size(), data.len() as u64);

    // Small ranges that straddle the uploaded parts' edges.
    for (start, end) in [
        (0, 10),
        (PART - 7, PART + 9),
        (2 * PART - 1, 2 * PART + 1),
        (data.len() - 5, data.len()),
    ] {
        let range = ByteRange::new(start as u64, end as u64);
        assert_eq!(
            source.read_range(range).unwrap(),
            &data[start..end],
            "{range}"
        );
    }
    // A range longer than one request part is fetched in parallel pieces and reassembled.
    let long = ByteRange::new(1_000_001, data.len() as u64 - 3);
    assert_eq!(
        source.read_range(long).unwrap(),
        &data[1_000_001..data.len() - 3]
    );

    // Streaming reads give the same bytes.
    let mut streamed = Vec::new();
    source
        .range_reader(long)
        .unwrap()
        .read_to_end(&mut streamed)
        .unwrap();
    assert!(
        streamed == data[1_000_001..data.len() - 3],
        "streamed bytes differ"
    );
    let mut whole = Vec::new();
    source.reader().unwrap().read_to_end(&mut whole).unwrap();
    assert!(whole == data, "whole-object stream differs");

    let error = source
        .read_range(ByteRange::new(0, data.len() as u64 + 1))
        .unwrap_err();
    assert!(
        error.to_string().contains("reaches past the end"),
        "{error}"
    );
}

#[test]
#[ignore = "needs a local S3 server; .ci/run starts one"]
fn missing_objects_are_named() {
    let client = client();
    put(&client, "chunkwise-test", "present.txt", b"here");
    let error = Source::open("s3://chunkwise-test/absent/reads.fq")
        .err()
        .expect("a missing object is an error");
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "s3://chunkwise-test/absent/reads.fq: not found"
    );
    assert_eq!(error.exit_code(), partition_core::error::exit::NOT_FOUND);
}

#[test]
#[ignore = "needs a local S3 server; .ci/run starts one"]
fn manifests_are_read_from_s3() {
    let client = client();
    let line = r#"{"v":1,"kind":"fastq","id":"r-0","seq":0,"total":1,"sources":[{"url":"s3://b/r.fq","ranges":[[0,8]]}],"est_bytes":8}"#;
    put(
        &client,
        "chunkwise-test",
        "plans/m.jsonl",
        format!("{line}\n").as_bytes(),
    );
    let chunks = ManifestReader::open("s3://chunkwise-test/plans/m.jsonl")
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].id, "r-0");
}

#[test]
#[ignore = "needs a local S3 server; .ci/run starts one"]
fn outputs_upload_in_parts_and_vanish_when_dropped() {
    use partition_core::output::{exists, Output};
    use std::io::Write;
    let client = client();
    put(&client, "chunkwise-test", "bucket-exists", b"");
    let data = pattern(2 * PART + 4 * PART / 3 + 77);
    let mut output = Output::create("s3://chunkwise-test/out/big.bin").unwrap();
    for piece in data.chunks(1 << 20) {
        output.write_all(piece).unwrap();
    }
    output.finish().unwrap();
    let source = Source::open("s3://chunkwise-test/out/big.bin").unwrap();
    assert!(
        source
            .read_range(ByteRange::new(0, data.len() as u64))
            .unwrap()
            == data
    );

    // Dropped before finish, past the first part: the multipart upload is aborted.
    {
        let mut output = Output::create("s3://chunkwise-test/out/abandoned.bin").unwrap();
        output.write_all(&data).unwrap();
    }
    assert!(!exists("s3://chunkwise-test/out/abandoned.bin").unwrap());
    // A small output is one PUT.
    let mut output = Output::create("s3://chunkwise-test/out/small.txt").unwrap();
    output.write_all(b"small").unwrap();
    output.finish().unwrap();
    assert_eq!(
        Source::open("s3://chunkwise-test/out/small.txt")
            .unwrap()
            .size(),
        5
    );
}
