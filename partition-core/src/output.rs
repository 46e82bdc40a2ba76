//! Outputs that never look complete unless they are.
//!
//! An [`AtomicFile`] is written under a hidden temporary name beside its destination and
//! renamed into place by [`AtomicFile::commit`]; dropped without a commit (an error, a
//! panic, a signal that unwinds), the temporary file is removed and the destination is
//! untouched.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::{Error, Result};

pub struct AtomicFile {
    writer: BufWriter<NamedTempFile>,
    path: PathBuf,
}

impl AtomicFile {
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
            writer: BufWriter::with_capacity(1 << 20, temp),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        let temp = self
            .writer
            .into_inner()
            .map_err(|e| Error::io(path.display(), e.into_error()))?;
        temp.as_file()
            .sync_all()
            .map_err(|e| Error::io(path.display(), e))?;
        temp.persist(&path)
            .map_err(|e| Error::io(path.display(), e.error))?;
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

/// Where a tool writes one output: stdout for `-`, otherwise an [`AtomicFile`].
pub enum Output {
    Stdout(BufWriter<io::Stdout>),
    File(AtomicFile),
}

impl Output {
    pub fn create(path: &str) -> Result<Output> {
        if path == "-" {
            Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 16,
                io::stdout(),
            )))
        } else {
            Ok(Output::File(AtomicFile::create(path)?))
        }
    }

    /// The name errors use for this output.
    pub fn name(&self) -> String {
        match self {
            Output::Stdout(_) => "<stdout>".to_string(),
            Output::File(file) => file.path().display().to_string(),
        }
    }

    pub fn finish(self) -> Result<()> {
        match self {
            Output::Stdout(mut stdout) => stdout.flush().map_err(|e| Error::io("<stdout>", e)),
            Output::File(file) => file.commit(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(stdout) => stdout.write(buf),
            Output::File(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(stdout) => stdout.flush(),
            Output::File(file) => file.flush(),
        }
    }
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
}
