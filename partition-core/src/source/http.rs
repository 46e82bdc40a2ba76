//! HTTP(S) sources: the size from HEAD (or from a one-byte ranged GET), then ranged GETs.
//! A server that ignores `Range` is refused rather than read whole.

use std::io::Read;

use crate::{ByteRange, Error, Result};

pub(super) struct HttpObject {
    url: String,
    size: u64,
    agent: ureq::Agent,
}

fn request_error(url: &str, action: &str, error: ureq::Error) -> Error {
    match error {
        ureq::Error::StatusCode(404 | 410) => Error::NotFound {
            input: url.to_string(),
        },
        other => Error::Storage {
            input: url.to_string(),
            message: format!("{action} failed: {other}"),
        },
    }
}

impl HttpObject {
    pub(super) fn open(url: &str) -> Result<HttpObject> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(std::time::Duration::from_secs(10)))
            .timeout_recv_body(Some(std::time::Duration::from_secs(60)))
            .build()
            .into();
        let head = agent
            .head(url)
            .call()
            .map_err(|e| request_error(url, "HEAD", e))?;
        let length = head
            .headers()
            .get("content-length")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        let size = match length {
            Some(size) => size,
            None => {
                // No length on HEAD: ask for one byte and read the total from Content-Range.
                let response = agent
                    .get(url)
                    .header("Range", "bytes=0-0")
                    .call()
                    .map_err(|e| request_error(url, "GET", e))?;
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

    fn get(&self, range: ByteRange) -> Result<ureq::Body> {
        let response = self
            .agent
            .get(&self.url)
            .header("Range", &format!("bytes={}-{}", range.start, range.end - 1))
            .call()
            .map_err(|e| request_error(&self.url, &format!("GET {range}"), e))?;
        let whole = range.start == 0 && range.end == self.size;
        if response.status() != 206 && !(response.status() == 200 && whole) {
            return Err(Error::Storage {
                input: self.url.clone(),
                message: format!(
                    "the server answered {} to a Range request: it does not serve byte ranges",
                    response.status()
                ),
            });
        }
        Ok(response.into_body())
    }

    pub(super) fn read_range(&self, range: ByteRange) -> Result<Vec<u8>> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let mut data = Vec::with_capacity(range.len() as usize);
        self.get(range)?
            .into_reader()
            .take(range.len())
            .read_to_end(&mut data)
            .map_err(|e| Error::io(&self.url, e))?;
        if data.len() as u64 != range.len() {
            return Err(Error::Storage {
                input: self.url.clone(),
                message: format!("short read: {range} returned {} bytes", data.len()),
            });
        }
        Ok(data)
    }

    pub(super) fn range_reader(&self, range: ByteRange) -> Result<Box<dyn Read + Send>> {
        if range.is_empty() {
            return Ok(Box::new(std::io::empty()));
        }
        Ok(Box::new(self.get(range)?.into_reader().take(range.len())))
    }
}
