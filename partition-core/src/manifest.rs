//! The chunk manifest: JSON Lines, one [`Chunk`] per line (specified in `docs/manifest.md`).
//!
//! ```text
//! {"v":1,"kind":"fastq","id":"reads-1","seq":1,"total":4,"sources":[{"url":"reads.fq","size":98304,"ranges":[[24573,49170]]}],"est_bytes":24597,"detail":{"first_record":100,"records":100}}
//! ```
//!
//! A reader checks `v` before anything else (a newer schema is refused, not misread), then the
//! `kind`, then the fields; unknown fields are ignored so that later versions can add some.

mod builder;
mod reader;
mod writer;

pub use builder::ManifestBuilder;
pub use reader::ManifestReader;
pub use writer::ManifestWriter;

use std::fmt;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::{Error, Result};

/// The manifest schema version this build writes and reads.
pub const VERSION: u64 = 1;

/// What a chunk holds, and so which tool rebuilds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Records of a gzip-compressed FASTQ, resumed from a checkpoint (`fastq-split`).
    FastqGz,
    /// Records of a plain FASTQ, as byte ranges (`fastq-split`).
    Fastq,
    /// Sequences or parts of sequences of a reference (`fasta-split`).
    Fasta,
    /// A spot range of an SRA run (`sra-split`).
    Sra,
    /// A tile of a LAS/LAZ point cloud (`lidar-tile`).
    Las,
    /// A window of a Cloud-Optimized GeoTIFF (`cog-windows`).
    Cog,
    /// A position range of partial mpileups (`mpileup-reduce`).
    Mpileup,
    /// A compressed byte range of a gzip file, one part of an index built across workers
    /// (`fastq-split index-parts`); rebuilt as its compressed bytes.
    GzipRange,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::FastqGz,
        Kind::Fastq,
        Kind::Fasta,
        Kind::Sra,
        Kind::Las,
        Kind::Cog,
        Kind::Mpileup,
        Kind::GzipRange,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::FastqGz => "fastq-gz",
            Kind::Fastq => "fastq",
            Kind::Fasta => "fasta",
            Kind::Sra => "sra",
            Kind::Las => "las",
            Kind::Cog => "cog",
            Kind::Mpileup => "mpileup",
            Kind::GzipRange => "gzip-range",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(text: &str) -> Result<Kind, String> {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.name() == text)
            .ok_or_else(|| {
                let known: Vec<&str> = Kind::ALL.iter().map(|kind| kind.name()).collect();
                format!("unknown kind '{text}' (known: {})", known.join(", "))
            })
    }
}

/// A half-open byte range `[start, end)`, written `[start, end]` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn new(start: u64, end: u64) -> ByteRange {
        assert!(start <= end, "byte range {start}..{end} runs backwards");
        ByteRange { start, end }
    }

    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

impl fmt::Display for ByteRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bytes {}..{}", self.start, self.end)
    }
}

impl Serialize for ByteRange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        [self.start, self.end].serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ByteRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ByteRange, D::Error> {
        let [start, end] = <[u64; 2]>::deserialize(deserializer)?;
        if start > end {
            return Err(serde::de::Error::custom(format!(
                "byte range [{start}, {end}] ends before it starts"
            )));
        }
        Ok(ByteRange { start, end })
    }
}

/// One source a chunk reads: where it is, its size when planned, and the ranges to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRanges {
    /// A local path, an `s3://bucket/key` URL or an `http(s)://` URL.
    pub url: String,
    /// The source's size when the chunk was planned; a worker that sees another size
    /// refuses the chunk (the file changed) instead of returning wrong bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    pub ranges: Vec<ByteRange>,
}

/// One line of a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// Schema version, [`VERSION`].
    pub v: u64,
    pub kind: Kind,
    /// Stable, unique within the manifest, and safe as a file name.
    pub id: String,
    /// 0-based position in the manifest.
    pub seq: u64,
    /// Number of chunks in the manifest.
    pub total: u64,
    /// Every source the chunk reads, with its byte ranges (two for paired reads).
    pub sources: Vec<SourceRanges>,
    /// Size in bytes of the rebuilt chunk (exact where the kind knows it).
    pub est_bytes: u64,
    /// What the kind needs beyond byte ranges (a checkpoint, a spot range, a window...).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub detail: Value,
    /// In a task of a cross product (`fanout --cross`), the other manifest's chunk it pairs
    /// with (a reference part, say); the fields above are then the pair's: `id` is
    /// `{chunk id}.{cross id}`, `seq`/`total` count pairs, the rest is the chunk's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross: Option<Box<Chunk>>,
}

impl Chunk {
    /// Parses one manifest line; the error says what is wrong, without the line number.
    pub fn from_json(line: &str) -> Result<Chunk, String> {
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
        let Value::Object(fields) = &value else {
            return Err("a manifest line must be a JSON object".to_string());
        };
        match fields.get("v") {
            None => return Err("missing field `v` (the manifest schema version)".to_string()),
            Some(Value::Number(v)) if v.as_u64() == Some(VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "unsupported manifest version {v} (this build reads version {VERSION}; \
                     upgrade chunkwise or re-plan)"
                ))
            }
        }
        match fields.get("kind") {
            None => return Err("missing field `kind`".to_string()),
            Some(Value::String(kind)) => {
                kind.parse::<Kind>()?;
            }
            Some(other) => return Err(format!("`kind` must be a string, not {other}")),
        }
        let chunk: Chunk = serde_json::from_value(value).map_err(|e| e.to_string())?;
        chunk.check()?;
        Ok(chunk)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a chunk serializes to JSON")
    }

    fn check(&self) -> Result<(), String> {
        if !is_safe_id(&self.id) {
            return Err(format!(
                "id '{}' is not safe as a file name (use letters, digits, '.', '_', '-'; \
                 not starting with '.' or '-')",
                self.id
            ));
        }
        if self.seq >= self.total {
            return Err(format!(
                "seq {} is not below total {}",
                self.seq, self.total
            ));
        }
        if self.sources.is_empty() {
            return Err("`sources` is empty".to_string());
        }
        if let Some(cross) = &self.cross {
            if cross.cross.is_some() {
                return Err("`cross` holds a chunk with a `cross` of its own".to_string());
            }
            cross.check().map_err(|e| format!("`cross`: {e}"))?;
        }
        for source in &self.sources {
            if let Some(size) = source.size {
                if let Some(range) = source.ranges.iter().find(|range| range.end > size) {
                    return Err(format!(
                        "{}: range [{}, {}] ends past the source size {size}",
                        source.url, range.start, range.end
                    ));
                }
            }
        }
        Ok(())
    }

    /// The kind-specific part, typed; a mismatch is reported against this chunk.
    pub fn detail<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(&self.detail).map_err(|e| {
            Error::bad_file(
                format!("chunk {}", self.id),
                format!("bad `detail` for kind {}: {e}", self.kind),
            )
        })
    }

    /// Fails unless the chunk is of one of the kinds a tool rebuilds.
    pub fn expect_kind(&self, kinds: &[Kind]) -> Result<()> {
        if kinds.contains(&self.kind) {
            return Ok(());
        }
        let names: Vec<&str> = kinds.iter().map(|kind| kind.name()).collect();
        Err(Error::Usage(format!(
            "chunk {} is of kind {}, this tool rebuilds {}",
            self.id,
            self.kind,
            names.join(", ")
        )))
    }
}

/// True for ids made of ASCII letters, digits, `.`, `_` and `-`, not starting with `.` or `-`.
pub fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && !id.starts_with(['.', '-'])
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A file's name without its directory and without any of `extensions` at its end, in
/// the order given: `url_stem("s3://b/reads_1.fq.gz", &[".gz", ".fq"])` is `reads_1`.
pub fn url_stem(url: &str, extensions: &[&str]) -> String {
    let mut stem = url.rsplit('/').next().unwrap_or(url);
    for extension in extensions {
        stem = stem.strip_suffix(extension).unwrap_or(stem);
    }
    stem.to_string()
}

/// A chunk id from a name stem and a position: `reads-07` of 12. The stem is made safe;
/// the number is zero-padded to the width of the last position so ids sort in order.
pub fn chunk_id(stem: &str, seq: u64, total: u64) -> String {
    let mut safe: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() || safe.starts_with(['.', '-']) {
        safe.insert(0, 'c');
    }
    safe.truncate(180);
    let width = total.saturating_sub(1).max(1).to_string().len();
    format!("{safe}-{seq:0width$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Chunk {
        let mut builder = ManifestBuilder::new(Kind::Fastq);
        for _ in 0..4 {
            builder.push(
                "reads",
                vec![SourceRanges {
                    url: "data/reads.fq".into(),
                    size: Some(1000),
                    ranges: vec![ByteRange::new(10, 500)],
                }],
                490,
                serde_json::json!({"first_record": 1, "records": 2}),
            );
        }
        builder.finish().swap_remove(1)
    }

    #[test]
    fn round_trips_through_json() {
        let chunk = sample();
        let line = chunk.to_json();
        assert_eq!(Chunk::from_json(&line).unwrap(), chunk);
        assert!(line.contains(r#""ranges":[[10,500]]"#), "{line}");
    }

    #[test]
    fn ignores_unknown_fields() {
        let mut value = serde_json::to_value(sample()).unwrap();
        value["added_in_a_later_minor_version"] = serde_json::json!({"x": 1});
        assert_eq!(Chunk::from_json(&value.to_string()).unwrap(), sample());
    }

    #[test]
    fn refuses_unknown_version_before_reading_fields() {
        let error = Chunk::from_json(r#"{"v":2,"kind":"hologram","shape":"new"}"#).unwrap_err();
        assert!(error.contains("unsupported manifest version 2"), "{error}");
        let error = Chunk::from_json(r#"{"kind":"fastq"}"#).unwrap_err();
        assert!(error.contains("missing field `v`"), "{error}");
    }

    #[test]
    fn refuses_unknown_kind_and_names_the_known_ones() {
        let mut value = serde_json::to_value(sample()).unwrap();
        value["kind"] = "hologram".into();
        let error = Chunk::from_json(&value.to_string()).unwrap_err();
        assert!(error.contains("unknown kind 'hologram'"), "{error}");
        assert!(error.contains("fastq-gz"), "{error}");
    }

    #[test]
    fn refuses_unsafe_ids_backwards_ranges_and_bad_positions() {
        for (field, bad, expected) in [
            (
                "id",
                serde_json::json!("../etc/passwd"),
                "not safe as a file name",
            ),
            ("id", serde_json::json!(""), "not safe as a file name"),
            ("seq", serde_json::json!(4), "not below total"),
            ("sources", serde_json::json!([]), "`sources` is empty"),
            (
                "sources",
                serde_json::json!([{"url": "a", "ranges": [[9, 3]]}]),
                "ends before it starts",
            ),
            (
                "sources",
                serde_json::json!([{"url": "a", "size": 5, "ranges": [[0, 6]]}]),
                "past the source size",
            ),
        ] {
            let mut value = serde_json::to_value(sample()).unwrap();
            value[field] = bad;
            let error = Chunk::from_json(&value.to_string()).unwrap_err();
            assert!(error.contains(expected), "{field}: {error}");
        }
    }

    #[test]
    fn ids_are_safe_and_sort_in_order() {
        assert_eq!(chunk_id("reads", 3, 12), "reads-03");
        assert_eq!(chunk_id("reads", 0, 1), "reads-0");
        assert_eq!(chunk_id("my reads/x", 9, 10), "my_reads_x-9");
        assert_eq!(chunk_id(".hidden", 0, 2), "c.hidden-0");
        assert!(is_safe_id(&chunk_id("ünïcode", 5, 100)));
    }
}
