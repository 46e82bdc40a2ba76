//! The local S3 server the interop tests use (`.ci/run` starts ministack and sets
//! `AWS_ENDPOINT_URL`): a client, uploads and lookups that bypass the tools under test.

use aws_sdk_s3::Client;

/// Runs `f` with a client of the local S3 server.
pub fn with_client<T>(f: impl AsyncFnOnce(&Client) -> T) -> T {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "set AWS_ENDPOINT_URL to a local S3 server (see .ci/run)"
    );
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .force_path_style(true)
            .build();
        f(&Client::from_conf(config)).await
    })
}

/// Puts `data` at `bucket/key`, creating the bucket when needed.
pub fn upload(bucket: &str, key: &str, data: Vec<u8>) {
    with_client(async |client| {
        let _ = client.create_bucket().bucket(bucket).send().await;
        client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(aws_sdk_s3::primitives::ByteStream::from(data))
            .send()
            .await
            .unwrap();
    })
}

/// Whether `bucket/key` exists.
pub fn exists(bucket: &str, key: &str) -> bool {
    with_client(async |client| {
        client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .is_ok()
    })
}

/// Multipart uploads started and neither completed nor aborted, under `prefix`.
pub fn pending_uploads(bucket: &str, prefix: &str) -> usize {
    with_client(async |client| {
        let listed = client
            .list_multipart_uploads()
            .bucket(bucket)
            .prefix(prefix)
            .send()
            .await
            .unwrap();
        listed.uploads().len()
    })
}

/// A key prefix of this run's own, so that objects left by earlier runs cannot interfere.
pub fn run_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("run-{}-{nanos}", std::process::id())
}

/// The bytes of `bucket/key`, if it exists.
pub fn get(bucket: &str, key: &str) -> Option<Vec<u8>> {
    with_client(async |client| {
        let object = client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .ok()?;
        Some(object.body.collect().await.unwrap().into_bytes().to_vec())
    })
}

pub fn delete(bucket: &str, key: &str) {
    with_client(async |client| {
        client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap();
    })
}

/// Every object under `prefix` whose key ends with `suffix`, by key: listed page by page,
/// fetched 32 at a time.
pub fn objects(
    bucket: &str,
    prefix: &str,
    suffix: &str,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    with_client(async |client| {
        let mut keys = Vec::new();
        let mut pages = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            keys.extend(
                page.unwrap()
                    .contents()
                    .iter()
                    .filter_map(|object| object.key())
                    .filter(|key| key.ends_with(suffix))
                    .map(String::from),
            );
        }
        let mut objects = std::collections::BTreeMap::new();
        for batch in keys.chunks(32) {
            let mut fetches = tokio::task::JoinSet::new();
            for key in batch {
                let (client, bucket, key) = (client.clone(), bucket.to_string(), key.clone());
                fetches.spawn(async move {
                    let object = client.get_object().bucket(bucket).key(&key).send().await;
                    let body = object.unwrap().body.collect().await.unwrap();
                    (key, body.into_bytes().to_vec())
                });
            }
            while let Some(fetched) = fetches.join_next().await {
                let (key, bytes) = fetched.unwrap();
                objects.insert(key, bytes);
            }
        }
        objects
    })
}
