//! How a round's chunks are cut into job arrays: each array covers the seqs
//! `[base, base + size)`, its indices written as Slurm's `--array` ranges.

use std::collections::VecDeque;

use partition_core::Chunk;

/// The arrays of one round: each covers the seqs `[base, base + size)`.
pub(super) struct Arrays {
    pub(super) size: u64,
    /// Each submitted array's base and job id, in seq order.
    pub(super) jobs: Vec<(u64, String)>,
    /// The arrays still to submit: base and `--array` indices.
    pub(super) unsubmitted: VecDeque<(u64, String)>,
    /// Submitted arrays last seen in the queue (the others have left it for good).
    pub(super) queued: Vec<String>,
}

/// Arrays of a round in the queue at once: the one running and the next, so that the
/// cluster holds at most two arrays' job records (each array is at most half of
/// `MaxJobCount`), however many chunks the round has.
pub(super) const QUEUED_ARRAYS: usize = 2;

impl Arrays {
    /// The pending chunks as arrays of at most `size` indices, each covering the seqs
    /// `[base, base + size)`.
    pub(super) fn plan(pending: &[&Chunk], size: u64) -> Arrays {
        let mut seqs: Vec<u64> = pending.iter().map(|chunk| chunk.seq).collect();
        seqs.sort_unstable();
        let mut unsubmitted = VecDeque::new();
        let mut rest = &seqs[..];
        while let Some(first) = rest.first() {
            let base = first - first % size;
            let count = rest.iter().take_while(|&&seq| seq < base + size).count();
            let (these, later) = rest.split_at(count);
            rest = later;
            unsubmitted.push_back((base, array_indices(these.iter().map(|seq| seq - base))));
        }
        Arrays {
            size,
            jobs: Vec::new(),
            unsubmitted,
            queued: Vec::new(),
        }
    }

    pub(super) fn job_of(&self, seq: u64) -> &str {
        let base = seq - seq % self.size;
        self.jobs
            .iter()
            .find(|(b, _)| *b == base)
            .map_or("", |(_, job)| job.as_str())
    }

    pub(super) fn index_of(&self, seq: u64) -> u64 {
        seq % self.size
    }
}

/// `0-3,7,9-10` from ascending positions.
fn array_indices(seqs: impl Iterator<Item = u64>) -> String {
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    for seq in seqs {
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == seq => *end = seq,
            _ => ranges.push((seq, seq)),
        }
    }
    ranges
        .iter()
        .map(|&(start, end)| {
            if start == end {
                start.to_string()
            } else {
                format!("{start}-{end}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_cover_their_seqs_from_their_base() {
        let mut manifest = partition_core::ManifestBuilder::new(partition_core::Kind::Fastq);
        for i in 0..200 {
            manifest.push(&format!("c{i}"), vec![], 0, ());
        }
        let chunks = manifest.finish();
        let pending: Vec<&Chunk> = chunks
            .iter()
            .filter(|c| !(100..150).contains(&c.seq) && c.seq != 3)
            .collect();
        let mut arrays = Arrays::plan(&pending, 50);
        assert_eq!(
            Vec::from(arrays.unsubmitted.clone()),
            [
                (0, "0-2,4-49".to_string()),
                (50, "0-49".to_string()),
                (150, "0-49".to_string())
            ]
        );
        arrays.jobs = vec![(0, "7".into()), (50, "8".into()), (150, "9".into())];
        assert_eq!((arrays.job_of(49), arrays.index_of(49)), ("7", 49));
        assert_eq!((arrays.job_of(50), arrays.index_of(50)), ("8", 0));
        assert_eq!((arrays.job_of(199), arrays.index_of(199)), ("9", 49));
    }

    #[test]
    fn array_indices_are_ranges() {
        assert_eq!(
            array_indices([0, 1, 2, 3, 7, 9, 10].into_iter()),
            "0-3,7,9-10"
        );
        assert_eq!(array_indices([5].into_iter()), "5");
        assert_eq!(array_indices([2, 4, 6].into_iter()), "2,4,6");
    }
}
