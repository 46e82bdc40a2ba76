//! Cutting FASTQ files into record-aligned chunks: plain files by byte ranges, gzip files
//! at checkpoints of their index.

mod compressed;
mod plain;

pub use compressed::{GzDetail, GzResume};
pub use plain::FastqDetail;

use partition_core::cli::Chunking;
use partition_core::manifest::url_stem;
use partition_core::{ByteRange, Chunk, Error, Result, Source};

/// How to plan, beyond the chunking.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub quiet: bool,
    /// Output between checkpoints: an existing index with another span is rebuilt.
    /// None: any existing index will do, and a new one uses the default span.
    pub span: Option<u64>,
    /// Where the index of a single gzip input lives (default: beside it, `<input>.cwi`); a
    /// gztool index with line numbers is read as well ([`crate::gztool::import`]).
    pub index: Option<String>,
}

impl PlanOptions {
    pub fn quiet() -> PlanOptions {
        PlanOptions {
            quiet: true,
            span: None,
            index: None,
        }
    }
}

/// Plans chunks over one FASTQ file, or over paired files cut in step (the same reads in
/// chunk *i* of each). gzip inputs use their checkpoint index, built when missing.
pub fn plan(inputs: &[String], chunking: Chunking, options: &PlanOptions) -> Result<Vec<Chunk>> {
    if inputs.is_empty() || inputs.len() > 2 {
        return Err(Error::Usage(
            "give one FASTQ file, or two for paired reads".to_string(),
        ));
    }
    if inputs.len() > 1 && options.index.is_some() {
        return Err(Error::Usage(
            "--index names the index of a single input".to_string(),
        ));
    }
    let sources: Vec<Source> = inputs
        .iter()
        .map(|url| Source::open(url))
        .collect::<Result<_>>()?;
    let compressed: Vec<bool> = sources.iter().map(is_gzip).collect::<Result<_>>()?;
    match (compressed.iter().all(|&c| c), compressed.iter().any(|&c| c)) {
        (true, _) => compressed::plan(&sources, chunking, options),
        (false, false) => plain::plan(&sources, chunking, options.quiet),
        (false, true) => Err(Error::Usage(
            "paired inputs must both be gzip or both plain".to_string(),
        )),
    }
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
