//! Numbering a manifest: ids, `seq` and `total` assigned once every chunk is known.

use std::collections::HashMap;

use serde::Serialize;

use super::{chunk_id, Chunk, Kind, SourceRanges, VERSION};

/// Collects a plan's chunks in manifest order and numbers them when finished: `seq` and
/// `total` count over the whole manifest, and each id is its stem with the chunk's place
/// among the chunks of that stem (`reads-07`), so several inputs planned into one manifest
/// (the runs of `sra-split`, say) keep ids of their own.
#[derive(Debug)]
pub struct ManifestBuilder {
    kind: Kind,
    drafts: Vec<Draft>,
}

#[derive(Debug)]
struct Draft {
    stem: String,
    sources: Vec<SourceRanges>,
    est_bytes: u64,
    detail: serde_json::Value,
}

impl ManifestBuilder {
    pub fn new(kind: Kind) -> ManifestBuilder {
        ManifestBuilder {
            kind,
            drafts: Vec::new(),
        }
    }

    /// Adds the next chunk: what it reads, the size of its bytes, and its kind's detail.
    pub fn push(
        &mut self,
        stem: &str,
        sources: Vec<SourceRanges>,
        est_bytes: u64,
        detail: impl Serialize,
    ) {
        self.drafts.push(Draft {
            stem: stem.to_string(),
            sources,
            est_bytes,
            detail: serde_json::to_value(detail).expect("chunk details serialize to JSON"),
        });
    }

    /// The chunks, numbered.
    pub fn finish(self) -> Vec<Chunk> {
        let total = self.drafts.len() as u64;
        // Each stem's chunks are numbered among themselves: count them first.
        let mut per_stem: HashMap<&str, (u64, u64)> = HashMap::new();
        for draft in &self.drafts {
            per_stem.entry(&draft.stem).or_default().1 += 1;
        }
        let ids: Vec<String> = self
            .drafts
            .iter()
            .map(|draft| {
                let (placed, count) = per_stem.get_mut(draft.stem.as_str()).expect("counted");
                *placed += 1;
                chunk_id(&draft.stem, *placed - 1, *count)
            })
            .collect();
        self.drafts
            .into_iter()
            .zip(ids)
            .enumerate()
            .map(|(seq, (draft, id))| Chunk {
                v: VERSION,
                kind: self.kind,
                id,
                seq: seq as u64,
                total,
                sources: draft.sources,
                est_bytes: draft.est_bytes,
                detail: draft.detail,
                cross: None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> Vec<SourceRanges> {
        vec![SourceRanges {
            url: "a".into(),
            size: None,
            ranges: vec![],
        }]
    }

    #[test]
    fn numbers_over_the_manifest_and_ids_per_stem() {
        let mut builder = ManifestBuilder::new(Kind::Sra);
        for stem in ["SRR1", "SRR1", "SRR2", "SRR1"] {
            builder.push(stem, source(), 0, ());
        }
        let chunks = builder.finish();
        let ids: Vec<&str> = chunks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["SRR1-0", "SRR1-1", "SRR2-0", "SRR1-2"]);
        assert!(chunks.iter().all(|c| c.total == 4));
        assert_eq!(
            chunks.iter().map(|c| c.seq).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
    }

    #[test]
    fn ids_are_padded_to_their_stems_count() {
        let mut builder = ManifestBuilder::new(Kind::Fastq);
        for _ in 0..11 {
            builder.push("reads", source(), 0, ());
        }
        let chunks = builder.finish();
        assert_eq!(chunks[0].id, "reads-00");
        assert_eq!(chunks[10].id, "reads-10");
    }
}
