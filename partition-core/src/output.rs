//! Outputs that never look complete unless they are.
//!
//! An [`AtomicFile`] is written under a hidden temporary name beside its destination and
//! renamed into place by [`AtomicFile::commit`]; dropped without a commit (an error, a
//! panic, a signal that unwinds), the temporary file is removed and the destination is
//! untouched.

use std::fs;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::source::Location;
use crate::{Error, Result};

pub struct AtomicFile {
    writer: BufWriter<NamedTempFile>,
    path: PathBuf,
}

impl AtomicFile {
    /// Bytes buffered before they are written to the file.
    pub const BUFFER: usize = 64 << 10;

    pub fn create(path: impl AsRef<Path>) -> Result<AtomicFile> {
        let path = path.as_ref().to_path_buf();
        let name = path
            .file_name()
            .ok_or_else(|| Error::Usage(format!("{}: not a file name", path.display())))?;
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        // Readable like any file the user writes (temporary files start private).
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{}.", name.to_string_lossy()))
            .suffix(".partial")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .tempfile_in(dir)
            .map_err(|e| Error::io(dir.display(), e))?;
        Ok(AtomicFile {
            writer: BufWriter::with_capacity(Self::BUFFER, temp),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(self) -> Result<()> {
        let (temp, path) = self.synced()?;
        temp.persist(&path)
            .map_err(|e| Error::io(path.display(), e.error))?;
        Ok(())
    }

    /// As [`Self::commit`], unless a file is there already: false when one was (the
    /// temporary file is removed).
    pub fn commit_new(self) -> Result<bool> {
        let (temp, path) = self.synced()?;
        match temp.persist_noclobber(&path) {
            Ok(_) => Ok(true),
            Err(error) if error.error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(error) => Err(Error::io(path.display(), error.error)),
        }
    }

    fn synced(self) -> Result<(NamedTempFile, PathBuf)> {
        let path = self.path;
        let temp = self
            .writer
            .into_inner()
            .map_err(|e| Error::io(path.display(), e.into_error()))?;
        temp.as_file()
            .sync_all()
            .map_err(|e| Error::io(path.display(), e))?;
        Ok((temp, path))
    }
}

/// Outputs that can be told their final size before it is written.
pub trait Allocate {
    fn allocate(&mut self, len: u64) -> Result<()>;
}

impl Allocate for AtomicFile {
    /// Tells the file system the file's final size, so that it allocates the space at once
    /// (cheaper than block by block as writes arrive, and a full disk fails here). A hint:
    /// file systems without the call are left to allocate as usual.
    fn allocate(&mut self, len: u64) -> Result<()> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let fd = self.writer.get_ref().as_file().as_raw_fd();
            let len = libc::off_t::try_from(len).unwrap_or(libc::off_t::MAX);
            // The file keeps its size: allocated space past its end is no content.
            // SAFETY: a plain system call on a file descriptor this file owns.
            if unsafe { libc::fallocate(fd, libc::FALLOC_FL_KEEP_SIZE, 0, len) } != 0 {
                let error = io::Error::last_os_error();
                if error.raw_os_error() == Some(libc::ENOSPC) {
                    return Err(Error::io(self.path.display(), error));
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = len;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Seek for AtomicFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.writer.seek(to)
    }
}

/// An output that is written with seeks (a header filled in at the end): a local
/// [`AtomicFile`], or for stdout (`-`) and `s3://` objects a temporary file that is sent
/// on when finished. Dropped unfinished, nothing is left behind.
pub enum SeekableOutput {
    File(AtomicFile),
    Spooled {
        file: BufWriter<fs::File>,
        path: String,
    },
}

impl SeekableOutput {
    pub fn create(path: &str) -> Result<SeekableOutput> {
        if path != "-" {
            if let Location::Local(local) = Location::parse(path)? {
                return Ok(SeekableOutput::File(AtomicFile::create(local)?));
            }
        }
        let file =
            tempfile::tempfile().map_err(|e| Error::io(std::env::temp_dir().display(), e))?;
        Ok(SeekableOutput::Spooled {
            file: BufWriter::with_capacity(1 << 20, file),
            path: path.to_string(),
        })
    }

    pub fn finish(self) -> Result<()> {
        match self {
            SeekableOutput::File(file) => file.commit(),
            SeekableOutput::Spooled { file, path } => {
                let mut file = file
                    .into_inner()
                    .map_err(|e| Error::io(&path, e.into_error()))?;
                file.rewind().map_err(|e| Error::io(&path, e))?;
                write_file(&path, |out| io::copy(&mut file, out).map(drop))
            }
        }
    }
}

impl Allocate for SeekableOutput {
    /// A local file's space is allocated; a spooled output's is not worth it.
    fn allocate(&mut self, len: u64) -> Result<()> {
        match self {
            SeekableOutput::File(file) => file.allocate(len),
            SeekableOutput::Spooled { .. } => Ok(()),
        }
    }
}

impl Allocate for io::Cursor<Vec<u8>> {
    /// Reserves the memory when it can: a size that does not fit (from a damaged count) is
    /// left to the writes, which stop at the data there really is.
    fn allocate(&mut self, len: u64) -> Result<()> {
        let more = usize::try_from(len)
            .unwrap_or(usize::MAX)
            .saturating_sub(self.get_ref().len());
        let _ = self.get_mut().try_reserve_exact(more);
        Ok(())
    }
}

impl Write for SeekableOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            SeekableOutput::File(file) => file.write(buf),
            SeekableOutput::Spooled { file, .. } => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            SeekableOutput::File(file) => file.flush(),
            SeekableOutput::Spooled { file, .. } => file.flush(),
        }
    }
}

impl Seek for SeekableOutput {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            SeekableOutput::File(file) => file.seek(to),
            SeekableOutput::Spooled { file, .. } => file.seek(to),
        }
    }
}

/// Where a tool writes one output: stdout for `-`, an `s3://` object (uploaded, appearing
/// only when finished), or a local [`AtomicFile`]. Dropped unfinished, nothing is left behind.
pub enum Output {
    Stdout(BufWriter<io::Stdout>),
    File(AtomicFile),
    #[cfg(feature = "s3")]
    S3(crate::source::s3::Upload),
}

impl Output {
    pub fn create(path: &str) -> Result<Output> {
        if path == "-" {
            return Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 16,
                io::stdout(),
            )));
        }
        match Location::parse(path)? {
            Location::Local(path) => Ok(Output::File(AtomicFile::create(path)?)),
            #[cfg(feature = "s3")]
            Location::S3 { bucket, key } => Ok(Output::S3(crate::source::s3::Upload::new(
                bucket, key, path,
            ))),
            #[cfg(not(feature = "s3"))]
            Location::S3 { .. } => Err(Error::Usage(format!(
                "{path}: this build has no S3 support"
            ))),
            Location::Http(_) => Err(Error::Usage(format!(
                "{path}: HTTP(S) locations are read only"
            ))),
        }
    }

    /// The name errors use for this output.
    pub fn name(&self) -> String {
        match self {
            Output::Stdout(_) => "<stdout>".to_string(),
            Output::File(file) => file.path().display().to_string(),
            #[cfg(feature = "s3")]
            Output::S3(upload) => upload.url().to_string(),
        }
    }

    pub fn finish(self) -> Result<()> {
        match self {
            Output::Stdout(mut stdout) => stdout.flush().map_err(|e| Error::io("<stdout>", e)),
            Output::File(file) => file.commit(),
            #[cfg(feature = "s3")]
            Output::S3(upload) => upload.complete(),
        }
    }

    /// As [`Self::finish`], unless a file or object is under the name already: false when
    /// one is (nothing is written). For outputs that several writers may race to create.
    pub fn finish_new(self) -> Result<bool> {
        match self {
            Output::Stdout(_) => self.finish().map(|()| true),
            Output::File(file) => file.commit_new(),
            #[cfg(feature = "s3")]
            Output::S3(upload) => upload.complete_new(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(stdout) => stdout.write(buf),
            Output::File(file) => file.write(buf),
            #[cfg(feature = "s3")]
            Output::S3(upload) => upload
                .write(buf)
                .map(|()| buf.len())
                .map_err(io::Error::other),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(stdout) => stdout.flush(),
            Output::File(file) => file.flush(),
            #[cfg(feature = "s3")]
            Output::S3(_) => Ok(()),
        }
    }
}

/// Writes a whole output (`-` for stdout, a path atomically, or an `s3://` object) with
/// `write`; nothing is left under the name unless everything was written.
pub fn write_file(path: &str, write: impl FnOnce(&mut Output) -> io::Result<()>) -> Result<()> {
    let mut out = Output::create(path)?;
    write(&mut out).map_err(|e| Error::io(out.name(), e))?;
    out.finish()
}

/// Joins a directory (a path or an `s3://` prefix) and a file name.
pub fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Whether an output already exists (a local file, or an `s3://` object).
pub fn exists(url: &str) -> Result<bool> {
    match crate::Source::open(url) {
        Ok(_) => Ok(true),
        Err(Error::NotFound { .. }) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Removes an output (a local file, or an `s3://` object); one that is not there is not an error.
pub fn remove(url: &str) -> Result<()> {
    match Location::parse(url)? {
        Location::Local(path) => match fs::remove_file(&path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(Error::io(url, error)),
            _ => Ok(()),
        },
        #[cfg(feature = "s3")]
        Location::S3 { bucket, key } => crate::source::s3::delete(&bucket, &key, url),
        #[cfg(not(feature = "s3"))]
        Location::S3 { .. } => Err(Error::Usage(format!("{url}: this build has no S3 support"))),
        Location::Http(_) => Err(Error::Usage(format!(
            "{url}: HTTP(S) locations are read only"
        ))),
    }
}

/// Creates an output directory: local folders and their parents; nothing for an S3 prefix.
pub fn create_output_dir(dir: &str) -> Result<()> {
    if dir.starts_with("s3://") {
        return Ok(());
    }
    create_dir(Path::new(dir))
}

/// Creates a directory and its parents, naming it in the error.
pub fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn commit_puts_the_file_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.fq");
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"@r\nACGT\n+\nIIII\n").unwrap();
        assert_eq!(entries(dir.path()).len(), 1);
        assert!(!path.exists(), "nothing at the final name before commit");
        file.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"@r\nACGT\n+\nIIII\n");
        assert_eq!(entries(dir.path()), ["out.fq"]);
    }

    #[test]
    fn dropping_without_commit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.fq");
        fs::write(&path, b"old complete output").unwrap();
        {
            let mut file = AtomicFile::create(&path).unwrap();
            file.write_all(&[b'x'; 3 << 20]).unwrap();
        }
        assert_eq!(entries(dir.path()), ["out.fq"]);
        assert_eq!(fs::read(&path).unwrap(), b"old complete output");
    }

    #[test]
    fn commit_new_never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.fq");
        let mut first = AtomicFile::create(&path).unwrap();
        first.write_all(b"first").unwrap();
        let mut second = AtomicFile::create(&path).unwrap();
        second.write_all(b"second").unwrap();
        assert!(second.commit_new().unwrap());
        assert!(!first.commit_new().unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(entries(dir.path()), ["out.fq"], "the loser leaves nothing");
    }
}
