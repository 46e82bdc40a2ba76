//! Cutting FASTQ files into record-aligned chunks: plain files by byte ranges, gzip files
//! at checkpoints of their index.

mod compressed;
mod plain;

use partition_core::manifest::url_stem;
use partition_core::{ByteRange, Error, NoStats, Result, Source};

/// A FASTQ plan: chunks of kind `fastq` or `fastq-gz`; no figures beyond them.
pub type Plan = partition_core::Plan<NoStats>;

/// How to cut: into about N chunks, chunks of about N bytes of FASTQ, or every N records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunking {
    Count(u64),
    Size(u64),
    Records(u64),
}

/// How to plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub chunking: Chunking,
    /// Progress bars and log lines on stderr off.
    pub quiet: bool,
    /// Output between checkpoints: an existing index with another span is rebuilt.
    /// None: any existing index will do, and a new one uses the default span.
    pub span: Option<u64>,
    /// Where the index of a single gzip input lives (default: beside it, `<input>.cwi`); a
    /// gztool index with line numbers is read as well ([`crate::gztool::import`]).
    pub index: Option<String>,
}

impl PlanOptions {
    /// `chunking`, quietly, with the index beside the input at whatever span it has.
    pub fn new(chunking: Chunking) -> PlanOptions {
        PlanOptions {
            chunking,
            quiet: true,
            span: None,
            index: None,
        }
    }
}

/// Plans chunks over one FASTQ file, or over paired files cut in step (the same reads in
/// chunk *i* of each). gzip inputs use their checkpoint index, built when missing.
pub fn plan(inputs: &[String], options: &PlanOptions) -> Result<Plan> {
    if inputs.is_empty() || inputs.len() > 2 {
        return Err(Error::Usage(
            "give one FASTQ file, or two for paired reads".to_string(),
        ));
    }
    if inputs.len() > 1 && options.index.is_some() {
        return Err(Error::Usage(
            "an index given by name belongs to a single input, not to a pair".to_string(),
        ));
    }
    let zero = match options.chunking {
        Chunking::Count(n) | Chunking::Size(n) | Chunking::Records(n) => n == 0,
    };
    if zero {
        return Err(Error::Usage(
            "the chunk count, size or records per chunk must be above 0".to_string(),
        ));
    }
    let sources: Vec<Source> = inputs
        .iter()
        .map(|url| Source::open(url))
        .collect::<Result<_>>()?;
    let compressed: Vec<bool> = sources.iter().map(is_gzip).collect::<Result<_>>()?;
    let chunks = match (compressed.iter().all(|&c| c), compressed.iter().any(|&c| c)) {
        (true, _) => compressed::plan(&sources, options.chunking, options)?,
        (false, false) => plain::plan(&sources, options.chunking, options.quiet)?,
        (false, true) => {
            return Err(Error::Usage(
                "paired inputs must both be gzip or both plain".to_string(),
            ))
        }
    };
    Ok(Plan {
        chunks,
        warnings: Vec::new(),
        stats: NoStats,
    })
}

fn is_gzip(source: &Source) -> Result<bool> {
    let head = source.read_range(ByteRange::new(0, source.size().min(2)))?;
    Ok(head == [0x1f, 0x8b])
}

/// `data/reads_1.fastq.gz` -> `reads_1`.
fn stem(url: &str) -> String {
    url_stem(url, &[".gz", ".bgz", ".fastq", ".fq"])
}

#[cfg(test)]
mod tests {
    use super::stem;

    #[test]
    fn stems_drop_fastq_extensions() {
        assert_eq!(stem("s3://b/run/reads_1.fastq.gz"), "reads_1");
        assert_eq!(stem("reads.fq"), "reads");
    }
}
