use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use super::mapped::Mapped;
use crate::{ByteRange, Error, Result};

pub(super) struct LocalFile {
    file: Arc<File>,
    url: Arc<str>,
    size: u64,
}

impl LocalFile {
    pub(super) fn open(path: &Path, url: &str) -> Result<LocalFile> {
        let mut file = File::open(path).map_err(|e| Error::io(url, e))?;
        let mut metadata = file.metadata().map_err(|e| Error::io(url, e))?;
        if metadata.is_dir() {
            return Err(Error::bad_file(url, "is a directory, not a file"));
        }
        if !metadata.is_file() {
            // A pipe (`<(...)`), a FIFO or a device has no size and no byte ranges: its bytes
            // are copied to an unnamed temporary file first, so that it reads like any file
            // instead of as an empty one.
            let mut spooled = tempfile::tempfile().map_err(|e| Error::io("temporary file", e))?;
            io::copy(&mut file, &mut spooled).map_err(|e| Error::io(url, e))?;
            metadata = spooled.metadata().map_err(|e| Error::io(url, e))?;
            file = spooled;
        }
        Ok(LocalFile {
            file: Arc::new(file),
            url: Arc::from(url),
            size: metadata.len(),
        })
    }

    pub(super) fn size(&self) -> u64 {
        self.size
    }

    pub(super) fn map_range(&self, range: ByteRange) -> Result<Option<Mapped>> {
        Mapped::new(&self.file, &self.url, range).map_err(|e| Error::io(&self.url, e))
    }

    /// Reads a range into `buffer`, reusing its memory.
    pub(super) fn read_range_into(&self, range: ByteRange, buffer: &mut Vec<u8>) -> Result<()> {
        let length = usize::try_from(range.len())
            .map_err(|_| Error::Usage(format!("{}: {range} does not fit in memory", self.url)))?;
        buffer.resize(length, 0);
        self.file
            .read_exact_at(buffer, range.start)
            .map_err(|e| Error::io(&self.url, e))
    }

    /// Positioned reads, so that several readers of one file never share a file offset.
    pub(super) fn range_reader(&self, range: ByteRange) -> Box<dyn Read + Send> {
        Box::new(PositionedReader {
            file: Arc::clone(&self.file),
            position: range.start,
            end: range.end,
        })
    }
}

struct PositionedReader {
    file: Arc<File>,
    position: u64,
    end: u64,
}

impl Read for PositionedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let wanted = buf
            .len()
            .min(usize::try_from(self.end - self.position).unwrap_or(usize::MAX));
        if wanted == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..wanted], self.position)?;
        self.position += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_reads_whole_not_as_an_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, b"line one\nline two\n").unwrap())
        };
        let file = LocalFile::open(&fifo, "fifo").unwrap();
        writer.join().unwrap();
        assert_eq!(file.size(), 18);
        let mut text = String::new();
        file.range_reader(ByteRange::new(5, 18))
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "one\nline two\n");
    }
}
