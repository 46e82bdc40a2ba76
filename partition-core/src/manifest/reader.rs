use std::io::{self, BufRead, BufReader};

use super::Chunk;
use crate::{Error, Position, Result, Source};

/// Reads manifest lines, skipping blank ones, and reports errors with the line number.
pub struct ManifestReader<R> {
    input: R,
    name: String,
    line_number: u64,
    line: String,
}

impl ManifestReader<Box<dyn BufRead + Send>> {
    /// Opens a manifest: `-` is stdin, otherwise a path or an `s3://` URL.
    pub fn open(location: &str) -> Result<Self> {
        let input: Box<dyn BufRead + Send> = if location == "-" {
            Box::new(BufReader::new(io::stdin()))
        } else {
            Box::new(BufReader::new(Source::open(location)?.reader()?))
        };
        let name = if location == "-" { "<stdin>" } else { location };
        Ok(ManifestReader::new(input, name))
    }
}

impl<R: BufRead> ManifestReader<R> {
    /// `name` is how errors refer to the input.
    pub fn new(input: R, name: &str) -> Self {
        ManifestReader {
            input,
            name: name.to_string(),
            line_number: 0,
            line: String::new(),
        }
    }

    /// Reads every remaining chunk, stopping at the first bad line.
    pub fn read_all(self) -> Result<Vec<Chunk>> {
        self.collect()
    }
}

impl<R: BufRead> Iterator for ManifestReader<R> {
    type Item = Result<Chunk>;

    fn next(&mut self) -> Option<Result<Chunk>> {
        loop {
            self.line.clear();
            self.line_number += 1;
            match self.input.read_line(&mut self.line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                    return Some(Err(Error::bad_input(
                        &self.name,
                        Position::Line(self.line_number),
                        "not UTF-8 text",
                    )))
                }
                Err(error) => return Some(Err(Error::io(&self.name, error))),
            }
            if self.line.trim().is_empty() {
                continue;
            }
            return Some(Chunk::from_json(&self.line).map_err(|message| {
                Error::bad_input(&self.name, Position::Line(self.line_number), message)
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ByteRange, Kind, ManifestBuilder, SourceRanges};
    use crate::ManifestWriter;

    fn chunks() -> Vec<Chunk> {
        let mut builder = ManifestBuilder::new(Kind::Fasta);
        for seq in 0..3u64 {
            builder.push(
                "ref",
                vec![SourceRanges {
                    url: "s3://bucket/ref.fa".into(),
                    size: None,
                    ranges: vec![ByteRange::new(seq * 100, seq * 100 + 100)],
                }],
                100,
                serde_json::json!({"parts": [{"id": format!("{}_1", seq + 1)}]}),
            );
        }
        builder.finish()
    }

    #[test]
    fn writer_output_reads_back_identically() {
        let mut text = Vec::new();
        let mut writer = ManifestWriter::new(&mut text);
        for chunk in chunks() {
            writer.write(&chunk).unwrap();
        }
        writer.finish().unwrap();
        assert_eq!(text.iter().filter(|&&b| b == b'\n').count(), 3);
        let back = ManifestReader::new(&text[..], "m.jsonl")
            .read_all()
            .unwrap();
        assert_eq!(back, chunks());
    }

    #[test]
    fn skips_blank_lines_and_counts_them_in_line_numbers() {
        let good = chunks()[0].to_json();
        let text = format!("\n{good}\n   \n{{\"v\":1,\"kind\":\"fasta\"\n");
        let mut reader = ManifestReader::new(text.as_bytes(), "m.jsonl");
        assert!(reader.next().unwrap().is_ok());
        let error = reader.next().unwrap().unwrap_err().to_string();
        assert!(
            error.starts_with("m.jsonl: line 4: not valid JSON"),
            "{error}"
        );
    }

    #[test]
    fn reports_line_of_unknown_kind_and_version() {
        let good = chunks()[0].to_json();
        let text = format!(
            "{good}\n{}\n",
            good.replace("\"kind\":\"fasta\"", "\"kind\":\"vcf\"")
        );
        let error = ManifestReader::new(text.as_bytes(), "m.jsonl")
            .read_all()
            .unwrap_err();
        assert_eq!(error.exit_code(), crate::error::exit::BAD_INPUT);
        assert!(
            error
                .to_string()
                .starts_with("m.jsonl: line 2: unknown kind 'vcf'"),
            "{error}"
        );

        let text = good.replace("\"v\":1", "\"v\":7");
        let error = ManifestReader::new(text.as_bytes(), "m.jsonl")
            .read_all()
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("m.jsonl: line 1: unsupported manifest version 7"),
            "{error}"
        );
    }

    #[test]
    fn reports_non_utf8_lines() {
        let text = b"\xff\xfe\n";
        let error = ManifestReader::new(&text[..], "m.jsonl")
            .read_all()
            .unwrap_err();
        assert_eq!(error.to_string(), "m.jsonl: line 1: not UTF-8 text");
    }
}
