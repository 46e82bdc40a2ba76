//! The cross product of two manifests: one task per (chunk, other chunk) pair, as a read chunk
//! against every reference part. Each pair is an ordinary manifest line (the chunk's own fields,
//! its id `{chunk id}.{cross id}`, `seq`/`total` over the pairs, the other chunk under
//! `cross`), so every backend, the joblog, `--resume` and the output names work per pair
//! unchanged.

use partition_core::{Chunk, Error, Result};

/// Every chunk of `chunks` paired with every chunk of `crossed`, chunk-major: the pairs of one
/// chunk are consecutive, so the parts of a read chunk finish together.
pub fn pairs(chunks: &[Chunk], crossed: &[Chunk]) -> Result<Vec<Chunk>> {
    if let Some(nested) = chunks
        .iter()
        .chain(crossed)
        .find(|chunk| chunk.cross.is_some())
    {
        return Err(Error::Usage(format!(
            "chunk {} is already a pair: --cross takes two plain manifests",
            nested.id
        )));
    }
    let total = (chunks.len() as u64)
        .checked_mul(crossed.len() as u64)
        .ok_or_else(|| Error::Usage("too many pairs".to_string()))?;
    let mut pairs = Vec::with_capacity(total as usize);
    for chunk in chunks {
        for other in crossed {
            let mut pair = chunk.clone();
            pair.id = format!("{}.{}", chunk.id, other.id);
            pair.seq = pairs.len() as u64;
            pair.total = total;
            pair.cross = Some(Box::new(other.clone()));
            pairs.push(pair);
        }
    }
    let mut ids: Vec<&str> = pairs.iter().map(|pair| pair.id.as_str()).collect();
    ids.sort_unstable();
    if let Some(twice) = ids.windows(2).find(|two| two[0] == two[1]) {
        return Err(Error::Usage(format!(
            "two pairs are both named {}: chunk and part ids that contain '.' collide; re-plan one manifest with other ids",
            twice[0]
        )));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use partition_core::{ByteRange, Kind, ManifestBuilder, SourceRanges};

    fn manifest(kind: Kind, stem: &str, count: usize) -> Vec<Chunk> {
        let mut builder = ManifestBuilder::new(kind);
        for _ in 0..count {
            builder.push(
                stem,
                vec![SourceRanges {
                    url: format!("{stem}.data"),
                    size: Some(100),
                    ranges: vec![ByteRange::new(0, 10)],
                }],
                10,
                serde_json::Value::Null,
            );
        }
        builder.finish()
    }

    #[test]
    fn every_chunk_meets_every_part_once() {
        let reads = manifest(Kind::Fastq, "reads", 2);
        let parts = manifest(Kind::Fasta, "ref", 3);
        let pairs = pairs(&reads, &parts).unwrap();
        let ids: Vec<&str> = pairs.iter().map(|pair| pair.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "reads-0.ref-0",
                "reads-0.ref-1",
                "reads-0.ref-2",
                "reads-1.ref-0",
                "reads-1.ref-1",
                "reads-1.ref-2"
            ]
        );
        assert!(pairs
            .iter()
            .enumerate()
            .all(|(seq, pair)| pair.seq == seq as u64 && pair.total == 6));
        assert_eq!(pairs[4].cross.as_deref(), Some(&parts[1]));
        assert_eq!(pairs[4].sources, reads[1].sources);
        // A pair is a manifest line like any other.
        let line = pairs[4].to_json();
        assert_eq!(Chunk::from_json(&line).unwrap(), pairs[4]);
        assert!(super::pairs(&pairs, &parts).is_err());
    }
}
