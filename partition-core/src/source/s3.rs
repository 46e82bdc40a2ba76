//! S3 through the AWS SDK, behind a blocking facade: the tools are synchronous (rayon,
//! pipes), so one process-wide tokio runtime runs the requests.
//!
//! Configuration is the standard AWS one (environment, `~/.aws/config` profiles). When an
//! endpoint is set with `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`), requests use path-style
//! addressing, which local S3 servers (ministack, s3s-fs, MinIO) need.

use std::io::{self, Read};
use std::sync::OnceLock;
use std::time::Duration;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::Client;
use bytes::{Buf, Bytes};
use futures::StreamExt;

use crate::aws::{self, runtime};
use crate::{Backoff, ByteRange, Error, Result};

/// Ranges longer than this are fetched as several requests at once.
const PART_SIZE: u64 = 8 << 20;
/// Requests in flight for one `read_range`.
const PARALLEL_PARTS: usize = 8;
/// Parts fetched ahead of a streaming reader (bounds its memory to this many parts).
const PREFETCH_PARTS: usize = 4;
/// Attempts for a ranged GET whose body fails or comes back short; the SDK already retries
/// refused and throttled requests, but not a body cut off in transit.
const BODY_ATTEMPTS: u32 = 3;
/// The wait before each further attempt at a body.
const BODY_BACKOFF: Backoff = Backoff::new(Duration::from_millis(400), Duration::from_secs(10));

pub(crate) fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let mut config = aws_sdk_s3::config::Builder::from(aws::config());
        if aws::custom_endpoint("S3") {
            config = config.force_path_style(true);
        }
        Client::from_conf(config.build())
    })
}

pub(crate) fn delete(bucket: &str, key: &str, url: &str) -> Result<()> {
    runtime()
        .block_on(client().delete_object().bucket(bucket).key(key).send())
        .map_err(|e| storage_error(url, "DELETE", e))?;
    Ok(())
}

pub(crate) fn storage_error(
    url: &str,
    action: &str,
    error: impl std::error::Error + aws::ProvideErrorMetadata,
) -> Error {
    Error::Storage {
        input: url.to_string(),
        message: format!("{action} failed: {}", aws::describe(&error)),
    }
}

pub(super) struct Object {
    bucket: String,
    key: String,
    url: String,
    size: u64,
}

impl Object {
    pub(super) fn head(bucket: String, key: String, url: &str) -> Result<Object> {
        let response = runtime().block_on(client().head_object().bucket(&bucket).key(&key).send());
        let output = match response {
            Ok(output) => output,
            Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => {
                return Err(Error::NotFound {
                    input: url.to_string(),
                })
            }
            Err(error) => return Err(storage_error(url, "HEAD", error)),
        };
        let size = output
            .content_length()
            .and_then(|length| u64::try_from(length).ok())
            .ok_or_else(|| Error::Storage {
                input: url.to_string(),
                message: "HEAD gave no Content-Length".to_string(),
            })?;
        Ok(Object {
            bucket,
            key,
            url: url.to_string(),
            size,
        })
    }

    pub(super) fn size(&self) -> u64 {
        self.size
    }

    pub(super) fn read_range(&self, range: ByteRange) -> Result<Vec<u8>> {
        let parts = split(range);
        let fetched: Vec<Result<Bytes>> = runtime().block_on(
            futures::stream::iter(parts)
                .map(|part| {
                    get_range(
                        self.bucket.clone(),
                        self.key.clone(),
                        self.url.clone(),
                        part,
                    )
                })
                .buffered(PARALLEL_PARTS)
                .collect(),
        );
        let mut data = Vec::with_capacity(usize::try_from(range.len()).unwrap_or(0));
        for part in fetched {
            data.extend_from_slice(&part?);
        }
        Ok(data)
    }

    pub(super) fn range_reader(&self, range: ByteRange) -> Box<dyn Read + Send> {
        let (sender, receiver) = tokio::sync::mpsc::channel(PREFETCH_PARTS);
        let (bucket, key, url) = (self.bucket.clone(), self.key.clone(), self.url.clone());
        runtime().spawn(async move {
            let mut parts = futures::stream::iter(split(range))
                .map(|part| get_range(bucket.clone(), key.clone(), url.clone(), part))
                .buffered(PREFETCH_PARTS);
            while let Some(part) = parts.next().await {
                let failed = part.is_err();
                // A closed channel means the reader was dropped: stop fetching.
                if sender.send(part).await.is_err() || failed {
                    break;
                }
            }
        });
        Box::new(PartReader {
            receiver,
            current: Bytes::new(),
        })
    }
}

fn split(range: ByteRange) -> Vec<ByteRange> {
    let mut parts = Vec::new();
    let mut start = range.start;
    while start < range.end {
        let end = range.end.min(start + PART_SIZE);
        parts.push(ByteRange::new(start, end));
        start = end;
    }
    parts
}

async fn get_range(bucket: String, key: String, url: String, range: ByteRange) -> Result<Bytes> {
    let mut attempt = 1;
    loop {
        let result = async {
            let response = client()
                .get_object()
                .bucket(&bucket)
                .key(&key)
                .range(format!("bytes={}-{}", range.start, range.end - 1))
                .send()
                .await;
            let output = match response {
                Ok(output) => output,
                Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                    return Err((false, Error::NotFound { input: url.clone() }))
                }
                Err(error) => {
                    return Err((false, storage_error(&url, &format!("GET {range}"), error)))
                }
            };
            let body = output
                .body
                .collect()
                .await
                .map_err(|error| {
                    let message = format!("reading {range} failed: {}", aws::causes(&error));
                    (
                        true,
                        Error::Storage {
                            input: url.clone(),
                            message,
                        },
                    )
                })?
                .into_bytes();
            if body.len() as u64 != range.len() {
                return Err((
                    true,
                    Error::Storage {
                        input: url.clone(),
                        message: format!("short read: {range} returned {} bytes", body.len()),
                    },
                ));
            }
            Ok(body)
        }
        .await;
        match result {
            Ok(body) => return Ok(body),
            Err((true, _)) if attempt < BODY_ATTEMPTS => {
                tokio::time::sleep(BODY_BACKOFF.delay(attempt)).await;
                attempt += 1;
            }
            Err((_, error)) => return Err(error),
        }
    }
}

struct PartReader {
    receiver: tokio::sync::mpsc::Receiver<Result<Bytes>>,
    current: Bytes,
}

impl Read for PartReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.receiver.blocking_recv() {
                None => return Ok(0),
                Some(Ok(part)) => self.current = part,
                Some(Err(error)) => return Err(io::Error::other(error)),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

/// Parts of a multipart upload are at least this large (S3's minimum is 5 MiB).
const UPLOAD_PART: usize = 8 << 20;

/// An object being written: buffered, sent as a single PUT when small, as a multipart upload
/// otherwise; nothing appears under the key unless `complete` succeeds, and an
/// upload dropped before that is aborted.
pub struct Upload {
    bucket: String,
    key: String,
    url: String,
    buffer: Vec<u8>,
    upload_id: Option<String>,
    parts: Vec<aws_sdk_s3::types::CompletedPart>,
}

impl Upload {
    pub(crate) fn new(bucket: String, key: String, url: &str) -> Upload {
        Upload {
            bucket,
            key,
            url: url.to_string(),
            buffer: Vec::new(),
            upload_id: None,
            parts: Vec::new(),
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= UPLOAD_PART {
            self.send_part()?;
        }
        Ok(())
    }

    fn send_part(&mut self) -> Result<()> {
        let client = client();
        if self.upload_id.is_none() {
            let created = runtime()
                .block_on(
                    client
                        .create_multipart_upload()
                        .bucket(&self.bucket)
                        .key(&self.key)
                        .send(),
                )
                .map_err(|e| storage_error(&self.url, "starting a multipart upload", e))?;
            self.upload_id = Some(created.upload_id().unwrap_or_default().to_string());
        }
        let number = self.parts.len() as i32 + 1;
        let body = std::mem::take(&mut self.buffer);
        let sent = runtime()
            .block_on(
                client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(&self.key)
                    .upload_id(self.upload_id.as_deref().unwrap_or_default())
                    .part_number(number)
                    .body(body.into())
                    .send(),
            )
            .map_err(|e| storage_error(&self.url, &format!("uploading part {number}"), e))?;
        self.parts.push(
            aws_sdk_s3::types::CompletedPart::builder()
                .part_number(number)
                .set_e_tag(sent.e_tag().map(String::from))
                .build(),
        );
        Ok(())
    }

    /// Makes the object appear, whole.
    pub(crate) fn complete(self) -> Result<()> {
        self.publish(false).map(|_| ())
    }

    /// Makes the object appear, whole, unless one is there already (S3's `If-None-Match: *`):
    /// false when one was.
    pub(crate) fn complete_new(self) -> Result<bool> {
        self.publish(true)
    }

    fn publish(mut self, only_new: bool) -> Result<bool> {
        let client = client();
        let condition = only_new.then(|| "*".to_string());
        let sent = match self.upload_id.take() {
            None => {
                let body = std::mem::take(&mut self.buffer);
                runtime()
                    .block_on(
                        client
                            .put_object()
                            .bucket(&self.bucket)
                            .key(&self.key)
                            .set_if_none_match(condition)
                            .body(body.into())
                            .send(),
                    )
                    .map(|_| ())
                    .map_err(|e| (exists_already(&e), storage_error(&self.url, "PUT", e)))
            }
            Some(upload_id) => {
                self.upload_id = Some(upload_id.clone());
                if !self.buffer.is_empty() {
                    self.send_part()?;
                }
                let parts = aws_sdk_s3::types::CompletedMultipartUpload::builder()
                    .set_parts(Some(std::mem::take(&mut self.parts)))
                    .build();
                let completed = runtime()
                    .block_on(
                        client
                            .complete_multipart_upload()
                            .bucket(&self.bucket)
                            .key(&self.key)
                            .upload_id(&upload_id)
                            .set_if_none_match(condition)
                            .multipart_upload(parts)
                            .send(),
                    )
                    .map(|_| ())
                    .map_err(|e| {
                        (
                            exists_already(&e),
                            storage_error(&self.url, "completing the multipart upload", e),
                        )
                    });
                if completed.is_ok() {
                    self.upload_id = None;
                }
                completed
            }
        };
        match sent {
            Ok(()) => Ok(true),
            Err((true, _)) if only_new => Ok(false),
            Err((_, error)) => Err(error),
        }
    }
}

/// Whether a conditional write failed because the object exists (412), or because another
/// conditional write of it was under way (409), which then made it exist.
fn exists_already<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    matches!(
        error.code(),
        Some("PreconditionFailed" | "ConditionalRequestConflict")
    )
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(upload_id) = self.upload_id.take() {
            let _ = runtime().block_on(
                client()
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(&self.key)
                    .upload_id(upload_id)
                    .send(),
            );
        }
    }
}
