//! Cutting FASTQ files into record-aligned chunks: plain files by byte ranges, gzip files
//! at checkpoints of their index.

mod compressed;
mod plain;

use partition_core::manifest::url_stem;
use partition_core::{ByteRange, Error, Kind, ManifestBuilder, NoStats, Result, Source};

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
    /// How the inputs hold reads; None: one input is single-end, two are R1 and R2 of a pair.
    pub layout: Option<Layout>,
    /// Threads that decode a gzip input whose index is built ([`crate::index::build`]).
    pub threads: usize,
}

/// How the inputs hold reads. Every file (or pair of files) is planned into the one manifest,
/// ids per file, `seq`/`total` over the whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Every input is single-end (lanes of one sample, say).
    Single,
    /// Inputs two by two are R1 and R2 of a pair: `L1_R1 L1_R2 L2_R1 L2_R2 ...`.
    Paired,
    /// Every input holds pairs interleaved (mate 1, mate 2, ...): a chunk never separates
    /// mates, and workers check that their names agree.
    Interleaved,
}

impl PlanOptions {
    /// `chunking`, quietly, with the index beside the input at whatever span it has.
    pub fn new(chunking: Chunking) -> PlanOptions {
        PlanOptions {
            chunking,
            quiet: true,
            span: None,
            index: None,
            layout: None,
            threads: crate::index::DEFAULT_THREADS,
        }
    }
}

/// Plans chunks over FASTQ files (see [`Layout`]); gzip inputs use their checkpoint index,
/// built when missing. With `--chunks N` over several files, each gets its share of N by size.
pub fn plan(inputs: &[String], options: &PlanOptions) -> Result<Plan> {
    let zero = match options.chunking {
        Chunking::Count(n) | Chunking::Size(n) | Chunking::Records(n) => n == 0,
    };
    if zero {
        return Err(Error::Usage(
            "the chunk count, size or records per chunk must be above 0".to_string(),
        ));
    }
    let layout = match (options.layout, inputs.len()) {
        (_, 0) => return Err(Error::Usage("no FASTQ input given".to_string())),
        (Some(layout), _) => layout,
        (None, 1) => Layout::Single,
        (None, 2) => Layout::Paired,
        (None, _) => {
            return Err(Error::Usage(
                "more than two inputs: say how they hold reads (single-end files, R1/R2 pairs \
                 two by two, or interleaved pairs)"
                    .to_string(),
            ))
        }
    };
    let sources: Vec<Source> = inputs
        .iter()
        .map(|url| Source::open(url))
        .collect::<Result<_>>()?;
    let units: Vec<&[Source]> = match layout {
        Layout::Paired if sources.len() % 2 == 1 => {
            return Err(Error::Usage(format!(
                "paired inputs come two by two (R1 R2 ...); {} given",
                sources.len()
            )))
        }
        Layout::Paired => sources.chunks(2).collect(),
        Layout::Single | Layout::Interleaved => sources.chunks(1).collect(),
    };
    if units.len() > 1 && options.index.is_some() {
        return Err(Error::Usage(
            "an index given by name belongs to a single input".to_string(),
        ));
    }
    let compressed: Vec<bool> = sources.iter().map(is_gzip).collect::<Result<_>>()?;
    let gzip = compressed[0];
    if compressed.iter().any(|&c| c != gzip) {
        return Err(Error::Usage(
            "the inputs must all be gzip or all plain (one manifest holds one kind)".to_string(),
        ));
    }
    let total_size: u64 = sources.iter().map(Source::size).sum();
    let interleaved = layout == Layout::Interleaved;
    let mut manifest = ManifestBuilder::new(if gzip { Kind::FastqGz } else { Kind::Fastq });
    for unit in units {
        let chunking = match options.chunking {
            Chunking::Count(count) if total_size > 0 => {
                let size: u64 = unit.iter().map(Source::size).sum();
                let share =
                    (count as u128 * size as u128 + total_size as u128 / 2) / total_size as u128;
                Chunking::Count((share as u64).max(1))
            }
            chunking => chunking,
        };
        let unit_plan = Unit {
            sources: unit,
            chunking,
            interleaved,
        };
        if gzip {
            compressed::plan(&unit_plan, options, &mut manifest)?;
        } else {
            plain::plan(&unit_plan, options.quiet, &mut manifest)?;
        }
    }
    Ok(Plan {
        chunks: manifest.finish(),
        warnings: Vec::new(),
        stats: NoStats,
    })
}

/// One file, or one pair of files, to cut.
struct Unit<'a> {
    sources: &'a [Source],
    chunking: Chunking,
    /// Chunks start at even records and tell workers to check mate names.
    interleaved: bool,
}

fn is_gzip(source: &Source) -> Result<bool> {
    let head = source.read_range(ByteRange::new(0, source.size().min(2)))?;
    Ok(head == [0x1f, 0x8b])
}

/// `data/reads_1.fastq.gz` -> `reads_1`.
pub(crate) fn stem(url: &str) -> String {
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
