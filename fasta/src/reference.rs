//! Opening a reference: its size, its `.fai`, and a clear refusal of compressed input.

use std::io::BufReader;

use partition_core::{progress, ByteRange, Error, Result, Source};

use crate::fai::{self, Record};

/// A FASTA source and its index.
pub struct Reference {
    pub source: Source,
    pub index: Vec<Record>,
    /// What was noticed on the way (an index rebuilt, duplicate names...).
    pub warnings: Vec<String>,
    /// True when the index was built by scanning the file, not loaded.
    pub built: bool,
}

impl Reference {
    /// Opens `url` with the index at `fai_url` (default `<url>.fai`) when it is present and
    /// consistent with the file; otherwise indexes the file (one streaming pass).
    pub fn open(url: &str, fai_url: Option<&str>, quiet: bool) -> Result<Reference> {
        let source = Source::open(url)?;
        refuse_compressed(&source)?;
        let default_fai = format!("{url}.fai");
        let fai_url = fai_url.unwrap_or(&default_fai);
        let mut warnings = Vec::new();
        match Source::open(fai_url) {
            Ok(fai_source) => {
                let records = fai::read(BufReader::new(fai_source.reader()?), fai_url)?;
                match check_index(&source, &records) {
                    Ok(()) => {
                        return Ok(Reference {
                            source,
                            index: records,
                            warnings,
                            built: false,
                        })
                    }
                    Err(problem) => warnings.push(format!(
                        "{fai_url} does not match {url} ({problem}); indexing again"
                    )),
                }
            }
            Err(Error::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
        let reader = progress::reader(source.reader()?, source.size(), quiet, url);
        let built = fai::build(BufReader::with_capacity(1 << 20, reader), url)?;
        warnings.extend(built.warnings);
        Ok(Reference {
            source,
            index: built.records,
            warnings,
            built: true,
        })
    }
}

/// Gzip (and BGZF) input cannot be cut by byte ranges of the file; say what to do instead.
pub fn refuse_compressed(source: &Source) -> Result<()> {
    let head = source.read_range(ByteRange::new(0, source.size().min(18)))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let bgzf = head.len() >= 14 && head[3] & 0x04 != 0 && head[12..14] == *b"BC";
        let message = if bgzf {
            "BGZF-compressed FASTA is not supported yet; decompress it (bgzip -d) and index the plain file"
        } else {
            "gzip-compressed FASTA has no random access; decompress it, or recompress with bgzip -@4 for samtools"
        };
        return Err(Error::bad_file(source.url(), message));
    }
    Ok(())
}

/// Whether an index fits the file: every sequence inside it, in order, each first base right
/// after a line break (checked on the first and last sequence, two small reads).
fn check_index(source: &Source, index: &[Record]) -> std::result::Result<(), String> {
    let mut previous_end = 0;
    for record in index {
        if record.length > 0 && (record.line_bases == 0 || record.line_width < record.line_bases) {
            return Err(format!(
                "sequence '{}' has an impossible line layout",
                record.name
            ));
        }
        let end = if record.length == 0 {
            record.offset
        } else {
            record.byte_of(record.length - 1) + 1
        };
        if record.offset < previous_end || end > source.size() {
            return Err(format!(
                "sequence '{}' lies outside the file or out of order",
                record.name
            ));
        }
        previous_end = end;
    }
    for record in [index.first(), index.last()].into_iter().flatten() {
        if record.offset == 0 {
            return Err(format!(
                "sequence '{}' starts at byte 0, before any header",
                record.name
            ));
        }
        let before = source
            .read_range(ByteRange::new(record.offset - 1, record.offset))
            .map_err(|e| e.to_string())?;
        if before != b"\n" {
            return Err(format!(
                "sequence '{}' does not start after a line break",
                record.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }

    #[test]
    fn uses_a_consistent_index_and_rebuilds_a_stale_one() {
        let dir = tempfile::tempdir().unwrap();
        let url = write(dir.path(), "ref.fa", ">a\nACGT\nAC\n>b\nGG\n");
        // A present, consistent index is used as it is (here with a telltale name).
        write(dir.path(), "ref.fa.fai", "x\t6\t3\t4\t5\nb\t2\t14\t2\t3\n");
        let reference = Reference::open(&url, None, true).unwrap();
        assert!(!reference.built);
        assert_eq!(reference.index[0].name, "x");
        // One that points past the file, or not after a line break, is rebuilt with a warning.
        for stale in ["a\t6\t3\t4\t5\nb\t2\t99\t2\t3\n", "a\t6\t4\t4\t5\n"] {
            write(dir.path(), "ref.fa.fai", stale);
            let reference = Reference::open(&url, None, true).unwrap();
            assert!(reference.built, "{stale}");
            assert_eq!(reference.index.len(), 2);
            assert!(
                reference.warnings[0].contains("does not match"),
                "{:?}",
                reference.warnings
            );
        }
    }
}
