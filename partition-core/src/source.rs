//! Ranged reads from where the data lives: a local file, an `s3://bucket/key` object, or an
//! `http(s)://` URL on a server that answers byte ranges.
//!
//! Every read is exact: a range that the source cannot fill completely is an error, never a
//! short buffer, so a truncated or replaced input cannot silently produce a short chunk.

#[cfg(feature = "http")]
mod http;
mod local;
mod mapped;

use mapped::Mapped;
#[cfg(feature = "s3")]
pub mod s3;

use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;

use crate::{ByteRange, Error, Result};

/// Where a source lives, parsed from a path or URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    S3 {
        bucket: String,
        key: String,
    },
    /// An `http://` or `https://` URL (read only).
    Http(String),
}

impl Location {
    pub fn parse(url: &str) -> Result<Location> {
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() || key.is_empty() {
                return Err(Error::Usage(format!(
                    "{url}: an S3 URL needs a bucket and a key: s3://bucket/key"
                )));
            }
            return Ok(Location::S3 {
                bucket: bucket.to_string(),
                key: key.to_string(),
            });
        }
        if url.starts_with("http://") || url.starts_with("https://") {
            return Ok(Location::Http(url.to_string()));
        }
        if url.is_empty() {
            return Err(Error::Usage("an empty path is not a source".to_string()));
        }
        Ok(Location::Local(PathBuf::from(url)))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(path) => write!(f, "{}", path.display()),
            Location::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
            Location::Http(url) => f.write_str(url),
        }
    }
}

/// An open source: its size is known, and byte ranges of it can be read.
pub struct Source {
    url: String,
    size: u64,
    backend: Backend,
}

enum Backend {
    Local(local::LocalFile),
    #[cfg(feature = "http")]
    Http(http::HttpObject),
    #[cfg(feature = "s3")]
    S3(s3::Object),
}

impl Source {
    /// Opens a local path or an `s3://` URL; a missing one is [`Error::NotFound`].
    pub fn open(url: &str) -> Result<Source> {
        let (backend, size) = match Location::parse(url)? {
            Location::Local(path) => {
                let file = local::LocalFile::open(&path, url)?;
                let size = file.size();
                (Backend::Local(file), size)
            }
            #[cfg(feature = "s3")]
            Location::S3 { bucket, key } => {
                let object = s3::Object::head(bucket, key, url)?;
                let size = object.size();
                (Backend::S3(object), size)
            }
            #[cfg(feature = "http")]
            Location::Http(url) => {
                let object = http::HttpObject::open(&url)?;
                let size = object.size();
                (Backend::Http(object), size)
            }
            #[cfg(not(feature = "http"))]
            Location::Http(_) => {
                return Err(Error::Usage(format!(
                    "{url}: this build has no HTTP support (rebuild with the `http` feature)"
                )))
            }
            #[cfg(not(feature = "s3"))]
            Location::S3 { .. } => {
                return Err(Error::Usage(format!(
                    "{url}: this build has no S3 support (rebuild with the `s3` feature)"
                )))
            }
        };
        Ok(Source {
            url: url.to_string(),
            size,
            backend,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Fails unless the source still has the size it had when a chunk was planned.
    pub fn expect_size(&self, planned: Option<u64>) -> Result<()> {
        match planned {
            Some(size) if size != self.size => Err(Error::bad_file(
                &self.url,
                format!("size is {} bytes, but the chunk was planned for {size}: the source changed, plan again", self.size),
            )),
            _ => Ok(()),
        }
    }

    /// Reads a whole range into memory (large S3 ranges in parallel requests).
    pub fn read_range(&self, range: ByteRange) -> Result<Vec<u8>> {
        let mut buffer = Vec::new();
        self.read_range_into(range, &mut buffer)?;
        Ok(buffer)
    }

    /// Loads a whole range into `bytes`: a local file's range is mapped, read in place;
    /// other ranges are read into memory that `bytes` keeps for the next one.
    pub fn load_range(&self, range: ByteRange, bytes: &mut RangeBytes) -> Result<()> {
        bytes.mapped = None;
        bytes.mapped = self.map_range(range)?;
        if bytes.mapped.is_none() {
            self.read_range_into(range, &mut bytes.read)?;
        }
        Ok(())
    }

    /// A local file's range mapped into memory, to be read without a copy; `None` for
    /// other sources (and when the file cannot be mapped): read those instead.
    fn map_range(&self, range: ByteRange) -> Result<Option<Mapped>> {
        self.check_range(range)?;
        match &self.backend {
            Backend::Local(file) => file.map_range(range),
            #[allow(unreachable_patterns)]
            _ => Ok(None),
        }
    }

    /// Reads a whole range into `buffer`, replacing what it held; a local file's range goes
    /// straight into the buffer's memory, so that a reader of many ranges reuses one.
    fn read_range_into(&self, range: ByteRange, buffer: &mut Vec<u8>) -> Result<()> {
        self.check_range(range)?;
        match &self.backend {
            Backend::Local(file) => file.read_range_into(range, buffer),
            #[cfg(feature = "http")]
            Backend::Http(object) => {
                *buffer = object.read_range(range)?;
                Ok(())
            }
            #[cfg(feature = "s3")]
            Backend::S3(object) => {
                *buffer = object.read_range(range)?;
                Ok(())
            }
        }
    }

    /// Streams a range with bounded memory; the reader fails if the source ends early.
    pub fn range_reader(&self, range: ByteRange) -> Result<Box<dyn Read + Send>> {
        self.check_range(range)?;
        let inner: Box<dyn Read + Send> = match &self.backend {
            Backend::Local(file) => file.range_reader(range),
            #[cfg(feature = "http")]
            Backend::Http(object) => object.range_reader(range)?,
            #[cfg(feature = "s3")]
            Backend::S3(object) => object.range_reader(range),
        };
        Ok(Box::new(ExactReader {
            inner,
            remaining: range.len(),
        }))
    }

    /// Streams the whole source.
    pub fn reader(&self) -> Result<Box<dyn Read + Send>> {
        self.range_reader(ByteRange::new(0, self.size))
    }

    fn check_range(&self, range: ByteRange) -> Result<()> {
        if range.end > self.size {
            return Err(Error::bad_file(
                &self.url,
                format!(
                    "{range} reaches past the end of the source ({} bytes)",
                    self.size
                ),
            ));
        }
        Ok(())
    }
}

/// A range's bytes as [`Source::load_range`] left them: mapped, or read into memory it keeps.
#[derive(Default)]
pub struct RangeBytes {
    mapped: Option<Mapped>,
    read: Vec<u8>,
}

impl RangeBytes {
    pub fn bytes(&self) -> &[u8] {
        match &self.mapped {
            Some(mapped) => mapped,
            None => &self.read,
        }
    }
}

/// Turns an early end of the underlying stream into an error instead of a short read.
struct ExactReader {
    inner: Box<dyn Read + Send>,
    remaining: u64,
}

impl Read for ExactReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        let limit = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..limit])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("source ended {} bytes early", self.remaining),
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn sample_file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    #[test]
    fn reads_exact_local_ranges() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let file = sample_file(&data);
        let source = Source::open(file.path().to_str().unwrap()).unwrap();
        assert_eq!(source.size(), 10_000);
        assert_eq!(
            source.read_range(ByteRange::new(17, 4099)).unwrap(),
            &data[17..4099]
        );
        let mut streamed = Vec::new();
        source
            .range_reader(ByteRange::new(9000, 10_000))
            .unwrap()
            .read_to_end(&mut streamed)
            .unwrap();
        assert_eq!(streamed, &data[9000..]);
        assert!(source.read_range(ByteRange::new(5, 5)).unwrap().is_empty());
    }

    #[test]
    fn refuses_ranges_past_the_end() {
        let file = sample_file(b"0123456789");
        let source = Source::open(file.path().to_str().unwrap()).unwrap();
        let error = source
            .read_range(ByteRange::new(5, 11))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("bytes 5..11 reaches past the end of the source (10 bytes)"),
            "{error}"
        );
    }

    #[test]
    fn notices_a_file_truncated_after_opening() {
        let file = sample_file(&[7u8; 100_000]);
        let source = Source::open(file.path().to_str().unwrap()).unwrap();
        file.as_file().set_len(50_000).unwrap();
        assert!(source.read_range(ByteRange::new(0, 100_000)).is_err());
        let mut sink = Vec::new();
        let error = source.reader().unwrap().read_to_end(&mut sink).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn missing_files_and_bad_urls_are_clear() {
        let error = Source::open("/no/such/reads.fq").err().unwrap();
        assert_eq!(error.to_string(), "/no/such/reads.fq: not found");
        assert_eq!(error.exit_code(), crate::error::exit::NOT_FOUND);
        assert!(Source::open("s3://bucket-only").is_err());
        assert!(Source::open("s3:///key").is_err());
    }

    #[test]
    fn detects_a_changed_size() {
        let file = sample_file(b"abc");
        let source = Source::open(file.path().to_str().unwrap()).unwrap();
        assert!(source.expect_size(Some(3)).is_ok());
        assert!(source.expect_size(None).is_ok());
        let error = source.expect_size(Some(4)).unwrap_err().to_string();
        assert!(error.contains("the source changed"), "{error}");
    }
}
