//! A task's captured stdout: in memory while small, in an anonymous temporary file beyond,
//! so the runner's memory does not grow with the outputs it holds for ordering.

use std::fs::File;
use std::io::{self, Read, Seek, Write};

/// Bytes kept in memory before spilling to a file.
const IN_MEMORY: usize = 8 << 20;

#[derive(Debug, Default)]
pub struct Spool {
    memory: Vec<u8>,
    file: Option<File>,
}

impl Spool {
    pub fn new() -> Spool {
        Spool::default()
    }

    pub fn is_empty(&self) -> bool {
        self.memory.is_empty() && self.file.is_none()
    }

    /// Copies everything captured to `output`.
    pub fn copy_to(&mut self, output: &mut impl Write) -> io::Result<()> {
        match &mut self.file {
            Some(file) => {
                file.rewind()?;
                io::copy(file, output)?;
                Ok(())
            }
            None => output.write_all(&self.memory),
        }
    }

    /// Captures a whole stream.
    pub fn capture(&mut self, mut input: impl Read) -> io::Result<u64> {
        io::copy(&mut input, self)
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.file.is_none() && self.memory.len() + buf.len() > IN_MEMORY {
            let mut file = tempfile::tempfile()?;
            file.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.file = Some(file);
        }
        match &mut self.file {
            Some(file) => file.write(buf),
            None => {
                self.memory.extend_from_slice(buf);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spills_to_a_file_and_gives_everything_back() {
        let data: Vec<u8> = (0..(IN_MEMORY + 12345)).map(|i| (i % 251) as u8).collect();
        let mut spool = Spool::new();
        spool.capture(&data[..]).unwrap();
        assert!(spool.file.is_some() && spool.memory.is_empty());
        let mut out = Vec::new();
        spool.copy_to(&mut out).unwrap();
        assert!(out == data);
    }
}
