use std::io::Write;

use super::Chunk;
use crate::{Error, Result};

/// Writes manifest lines. Each line is flushed as it is written, so a consumer
/// (`fanout`) can start on the first chunk while the planner is still working.
pub struct ManifestWriter<W: Write> {
    output: W,
}

impl<W: Write> ManifestWriter<W> {
    pub fn new(output: W) -> Self {
        ManifestWriter { output }
    }

    pub fn write(&mut self, chunk: &Chunk) -> Result<()> {
        let mut line = chunk.to_json();
        line.push('\n');
        self.output
            .write_all(line.as_bytes())
            .and_then(|()| self.output.flush())
            .map_err(|e| Error::io("<manifest output>", e))
    }

    pub fn finish(mut self) -> Result<()> {
        self.output
            .flush()
            .map_err(|e| Error::io("<manifest output>", e))
    }
}
