//! HTTP(S) sources: the size from HEAD (or from a one-byte ranged GET), then ranged GETs.
//! A server that ignores `Range` is refused rather than read whole.
//!
//! Servers and networks fail for a moment: 5xx and 429 answers, reset connections, timeouts
//! and bodies cut short are retried with backoff, a streaming read resuming where it
//! stopped. What cannot be read whole is an error, never short data.

use std::io::{self, Read};
use std::time::Duration;

use crate::{Backoff, ByteRange, Error, Result};

/// Attempts for a request (or for each stretch of a streamed range) before giving up.
const ATTEMPTS: u32 = 3;
/// The wait before each further attempt.
const BACKOFF: Backoff = Backoff::new(Duration::from_millis(400), Duration::from_secs(10));

pub(super) struct HttpObject {
    url: String,
    size: u64,
    agent: ureq::Agent,
}

/// HTTPS trusts Mozilla's roots (built in), or, as curl and OpenSSL do, only the
/// certificates of the PEM file `SSL_CERT_FILE` names: a site's own or a company's CA.
fn tls() -> Result<ureq::tls::TlsConfig> {
    let Some(path) = std::env::var_os("SSL_CERT_FILE") else {
        return Ok(ureq::tls::TlsConfig::default());
    };
    let name = format!("SSL_CERT_FILE {}", path.to_string_lossy());
    let pem = std::fs::read(&path).map_err(|e| Error::io(&name, e))?;
    let certificates: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(certificate)) => Some(certificate),
            _ => None,
        })
        .collect();
    if certificates.is_empty() {
        return Err(Error::Usage(format!(
            "{name}: no PEM certificate in the file"
        )));
    }
    Ok(ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&certificates))
        .build())
}

/// A failed attempt: the error, and whether another attempt may succeed.
struct Failure {
    error: Error,
    transient: bool,
}

fn request_failure(url: &str, action: &str, error: ureq::Error) -> Failure {
    // A certificate the client does not trust comes as invalid data: trying again is no use.
    let untrusted = matches!(&error, ureq::Error::Io(e) if e.kind() == io::ErrorKind::InvalidData);
    let transient = !untrusted
        && matches!(
            error,
            ureq::Error::StatusCode(429 | 500..=599)
                | ureq::Error::Io(_)
                | ureq::Error::Timeout(_)
                | ureq::Error::ConnectionFailed
        );
    let error = match error {
        ureq::Error::StatusCode(404 | 410) => Error::NotFound {
            input: url.to_string(),
        },
        other if untrusted => Error::Storage {
            input: url.to_string(),
            message: format!(
                "{action} failed: {other} (SSL_CERT_FILE names the certificates to trust)"
            ),
        },
        other => Error::Storage {
            input: url.to_string(),
            message: format!("{action} failed: {other}"),
        },
    };
    Failure { error, transient }
}

/// Runs `attempt` until it succeeds, fails for good, or has failed [`ATTEMPTS`] times.
fn retrying<T>(mut attempt: impl FnMut() -> Result<T, Failure>) -> Result<T> {
    let mut tries = 1;
    loop {
        match attempt() {
            Ok(value) => return Ok(value),
            Err(failure) if failure.transient && tries < ATTEMPTS => {
                std::thread::sleep(BACKOFF.delay(tries));
                tries += 1;
            }
            Err(failure) => return Err(failure.error),
        }
    }
}

impl HttpObject {
    pub(super) fn open(url: &str) -> Result<HttpObject> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_body(Some(Duration::from_secs(60)))
            .tls_config(tls()?)
            .build()
            .into();
        let head = retrying(|| {
            agent
                .head(url)
                .call()
                .map_err(|e| request_failure(url, "HEAD", e))
        })?;
        let length = head
            .headers()
            .get("content-length")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        let size = match length {
            Some(size) => size,
            None => {
                // No length on HEAD: ask for one byte and read the total from Content-Range.
                let response = retrying(|| {
                    agent
                        .get(url)
                        .header("Range", "bytes=0-0")
                        .call()
                        .map_err(|e| request_failure(url, "GET", e))
                })?;
                response
                    .headers()
                    .get("content-range")
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.rsplit('/').next())
                    .and_then(|total| total.trim().parse().ok())
                    .ok_or_else(|| Error::Storage {
                        input: url.to_string(),
                        message: "the server gives no size (Content-Length or Content-Range)"
                            .to_string(),
                    })?
            }
        };
        Ok(HttpObject {
            url: url.to_string(),
            size,
            agent,
        })
    }

    pub(super) fn size(&self) -> u64 {
        self.size
    }

    /// One attempt at a ranged GET, up to the start of its body.
    fn get(&self, range: ByteRange) -> Result<ureq::Body, Failure> {
        let response = self
            .agent
            .get(&self.url)
            .header("Range", &format!("bytes={}-{}", range.start, range.end - 1))
            .call()
            .map_err(|e| request_failure(&self.url, &format!("GET {range}"), e))?;
        let whole = range.start == 0 && range.end == self.size;
        if response.status() != 206 && !(response.status() == 200 && whole) {
            return Err(Failure {
                error: Error::Storage {
                    input: self.url.clone(),
                    message: format!(
                        "the server answered {} to a Range request: it does not serve byte ranges",
                        response.status()
                    ),
                },
                transient: false,
            });
        }
        Ok(response.into_body())
    }

    pub(super) fn read_range(&self, range: ByteRange) -> Result<Vec<u8>> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        retrying(|| {
            let mut data = Vec::with_capacity(range.len() as usize);
            let read = self
                .get(range)?
                .into_reader()
                .take(range.len())
                .read_to_end(&mut data);
            match read {
                Ok(_) if data.len() as u64 == range.len() => Ok(data),
                Ok(_) => Err(self.cut_short(range, data.len() as u64, None)),
                Err(error) => Err(self.cut_short(range, data.len() as u64, Some(error))),
            }
        })
    }

    /// A body that ended early or broke off: worth another attempt.
    fn cut_short(&self, range: ByteRange, got: u64, error: Option<io::Error>) -> Failure {
        let cause = error.map(|e| format!(": {e}")).unwrap_or_default();
        Failure {
            error: Error::Storage {
                input: self.url.clone(),
                message: format!("short read: {range} returned {got} bytes{cause}"),
            },
            transient: true,
        }
    }

    pub(super) fn range_reader(&self, range: ByteRange) -> Result<Box<dyn Read + Send>> {
        if range.is_empty() {
            return Ok(Box::new(io::empty()));
        }
        let body = retrying(|| self.get(range))?;
        Ok(Box::new(ResumingReader {
            object: HttpObject {
                url: self.url.clone(),
                size: self.size,
                agent: self.agent.clone(),
            },
            range,
            body: Box::new(body.into_reader().take(range.len())),
        }))
    }
}

/// Streams a range; when the body breaks off or ends early, asks again for the rest.
struct ResumingReader {
    object: HttpObject,
    /// What is left to read.
    range: ByteRange,
    body: Box<dyn Read + Send>,
}

impl Read for ResumingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut tries = 1;
        loop {
            if self.range.is_empty() {
                return Ok(0);
            }
            let limit = buf
                .len()
                .min(usize::try_from(self.range.len()).unwrap_or(usize::MAX));
            let failure = match self.body.read(&mut buf[..limit]) {
                Ok(n) if n > 0 => {
                    self.range = ByteRange::new(self.range.start + n as u64, self.range.end);
                    return Ok(n);
                }
                Ok(_) => self.object.cut_short(self.range, 0, None),
                Err(error) => self.object.cut_short(self.range, 0, Some(error)),
            };
            if tries >= ATTEMPTS {
                return Err(io::Error::other(failure.error));
            }
            std::thread::sleep(BACKOFF.delay(tries));
            tries += 1;
            match self.object.get(self.range) {
                Ok(body) => self.body = Box::new(body.into_reader().take(self.range.len())),
                Err(failure) if failure.transient => {}
                Err(failure) => return Err(io::Error::other(failure.error)),
            }
        }
    }
}
