//! The merged output: SAM text or BAM (BGZF compressed on every core), written whole or not
//! at all (partition-core's [`Output`]).

use std::io::Write;
use std::num::NonZero;

use noodles_bam as bam;
use noodles_bgzf as bgzf;
use noodles_sam::{self as sam, alignment::RecordBuf};
use partition_core::output::Output;
use partition_core::{Error, Result};

use crate::merge::Sink;

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Sam,
    Bam,
}

impl OutputFormat {
    /// BAM for a `.bam` path, SAM otherwise (stdout included).
    pub fn of_path(path: &str) -> OutputFormat {
        if path.ends_with(".bam") {
            OutputFormat::Bam
        } else {
            OutputFormat::Sam
        }
    }
}

pub enum Writer {
    Sam(sam::io::Writer<Output>, String),
    Bam(
        bam::io::Writer<bgzf::io::MultithreadedWriter<Output>>,
        String,
    ),
}

impl Writer {
    pub fn create(path: &str, format: OutputFormat) -> Result<Writer> {
        let output = Output::create(path)?;
        let name = output.name();
        Ok(match format {
            OutputFormat::Sam => Writer::Sam(sam::io::Writer::new(output), name),
            OutputFormat::Bam => {
                let threads = std::thread::available_parallelism().unwrap_or(NonZero::<usize>::MIN);
                let bgzf = bgzf::io::MultithreadedWriter::with_worker_count(threads, output);
                Writer::Bam(bam::io::Writer::from(bgzf), name)
            }
        })
    }

    fn name(&self) -> &str {
        match self {
            Writer::Sam(_, name) | Writer::Bam(_, name) => name,
        }
    }

    /// Completes the output (BGZF end-of-file block, rename, upload).
    pub fn finish(self) -> Result<()> {
        let output = match self {
            Writer::Sam(w, name) => {
                let mut output = w.into_inner();
                output.flush().map_err(|e| Error::io(&name, e))?;
                output
            }
            Writer::Bam(w, name) => w.into_inner().finish().map_err(|e| Error::io(&name, e))?,
        };
        output.finish()
    }
}

impl Sink for Writer {
    fn header(&mut self, header: &sam::Header) -> Result<()> {
        let written = match self {
            Writer::Sam(w, _) => w.write_header(header),
            Writer::Bam(w, _) => w.write_header(header),
        };
        written.map_err(|e| Error::io(self.name(), e))
    }

    fn record(&mut self, header: &sam::Header, record: &RecordBuf) -> Result<()> {
        let written = match self {
            Writer::Sam(w, _) => {
                sam::alignment::io::Write::write_alignment_record(w, header, record)
            }
            Writer::Bam(w, _) => {
                sam::alignment::io::Write::write_alignment_record(w, header, record)
            }
        };
        written.map_err(|e| Error::io(self.name(), e))
    }
}
