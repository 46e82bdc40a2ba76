//! Which alignment of a read survives: the best-scoring hits across all parts.
//!
//! Every part's aligner scored the read (`AS`) against the sequences it saw. The read's best
//! score across parts is what a whole-reference aligner would report; a hit scoring less is a
//! spurious hit on a part that lacks the read's true locus, and is dropped. Hits are compared in
//! original coordinates, so one locus found twice (it lies in the overlap of two consecutive
//! parts) counts once.

use std::collections::BTreeMap;

/// Where an alignment lies in the original reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Locus {
    /// Output reference id (the `.fai` order).
    pub reference: usize,
    /// 1-based start in the original sequence.
    pub start: u64,
    pub reverse: bool,
}

/// One record of one segment (read, or mate) in one input, in original coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub input: usize,
    /// The record's index in its input's template.
    pub record: usize,
    /// Whether it is the input's primary record of the segment (not secondary, not
    /// supplementary).
    pub primary: bool,
    pub supplementary: bool,
    /// None when unmapped.
    pub locus: Option<Locus>,
    /// The aligner's `AS` (mapped records that are not supplementary have one).
    pub score: i64,
    /// Whether the part owns the alignment's first base (of overlapping parts, one owns it).
    pub owned: bool,
    /// The aligner flagged the record as part of a proper pair (0x2).
    pub proper: bool,
}

/// The outcome for one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Unmapped in every part: the first input's record (inputs are in part order).
    Unmapped { kept: Hit },
    /// One best locus: the aligner's record, as it wrote it.
    Unique {
        kept: Hit,
        /// The best score of another locus, where one scored at all (raises `XS`).
        runner_up: Option<i64>,
    },
    /// The best score at several distinct loci: the first of them in reference order is the
    /// primary (MAPQ 0), the others are listed in its `XA` tag.
    Tied { kept: Hit, others: Vec<Hit> },
}

impl Choice {
    pub fn kept(&self) -> Hit {
        match self {
            Choice::Unmapped { kept } | Choice::Unique { kept, .. } | Choice::Tied { kept, .. } => {
                *kept
            }
        }
    }
}

/// Whether a hit competes for best: mapped, and not a supplementary piece of another one.
fn competes(hit: &&Hit) -> bool {
    !hit.supplementary && hit.locus.is_some()
}

/// The best score of a segment's mapped hits (None when unmapped everywhere).
pub fn best_score(hits: &[Hit]) -> Option<i64> {
    hits.iter().filter(competes).map(|hit| hit.score).max()
}

/// The loci of the two mates where a part's aligner paired them properly, both at their best
/// score, from the two mates' hits in every input.
pub fn proper_best_pairs(first: &[Hit], second: &[Hit]) -> Vec<(Locus, Locus)> {
    let (Some(best_first), Some(best_second)) = (best_score(first), best_score(second)) else {
        return Vec::new();
    };
    let mut pairs: Vec<(Locus, Locus)> = Vec::new();
    for hit in first
        .iter()
        .filter(|hit| hit.primary && hit.proper && hit.score == best_first)
    {
        let mate = second
            .iter()
            .find(|mate| mate.input == hit.input && mate.primary && mate.proper);
        if let (Some(a), Some(mate)) = (hit.locus, mate) {
            if let (Some(b), true) = (mate.locus, mate.score == best_second) {
                if !pairs.contains(&(a, b)) {
                    pairs.push((a, b));
                }
            }
        }
    }
    pairs
}

/// Chooses among the hits of one segment, from every input. The caller makes sure each input
/// has exactly one primary record of the segment. `paired_at`, when not empty, are the best loci
/// where an aligner paired this segment properly with its mate's best hit: as a whole-reference
/// aligner breaks a tie by the mate, only those loci compete then.
pub fn choose(hits: &[Hit], paired_at: &[Locus]) -> Choice {
    let candidates: Vec<&Hit> = hits.iter().filter(competes).collect();
    let Some(best) = best_score(hits) else {
        let kept = *hits
            .iter()
            .filter(|hit| hit.primary)
            .min_by_key(|hit| hit.input)
            .expect("every input has a primary record of the segment");
        return Choice::Unmapped { kept };
    };
    // One representative per best locus: a primary record before a secondary one, the part
    // that owns the start before one that only overlaps it, then part order.
    let mut loci: BTreeMap<Locus, &Hit> = BTreeMap::new();
    for hit in candidates.iter().filter(|hit| hit.score == best) {
        let locus = hit.locus.expect("candidates are mapped");
        let rank = |hit: &Hit| (!hit.primary, !hit.owned, hit.input);
        loci.entry(locus)
            .and_modify(|kept| {
                if rank(hit) < rank(kept) {
                    *kept = hit;
                }
            })
            .or_insert(hit);
    }
    let competing: Vec<&Hit> = loci
        .values()
        .filter(|hit| paired_at.is_empty() || paired_at.contains(&hit.locus.expect("mapped")))
        .copied()
        .collect();
    if let [kept] = competing[..] {
        let runner_up = candidates
            .iter()
            .filter(|hit| hit.locus != kept.locus)
            .map(|hit| hit.score)
            .max();
        return Choice::Unique {
            kept: *kept,
            runner_up,
        };
    }
    // The primary is the first tied locus an aligner reported as a primary record, so that
    // its sequence and qualities are there whatever the aligner writes for secondaries. A
    // part whose secondary record ties the best has a primary at least as good, but the mates
    // may rule that locus out, and damaged input may score a secondary above its primary:
    // then the first tied locus, as where a secondary record is the one best locus.
    let kept = **competing
        .iter()
        .find(|hit| hit.primary)
        .unwrap_or(&competing[0]);
    let others = loci
        .values()
        .filter(|hit| hit.locus != kept.locus)
        .map(|hit| **hit)
        .collect();
    Choice::Tied { kept, others }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(input: usize, reference: usize, start: u64, score: i64) -> Hit {
        Hit {
            input,
            record: 0,
            primary: true,
            supplementary: false,
            locus: Some(Locus {
                reference,
                start,
                reverse: false,
            }),
            score,
            owned: true,
            proper: false,
        }
    }

    fn unmapped(input: usize) -> Hit {
        Hit {
            locus: None,
            score: 0,
            ..hit(input, 0, 0, 0)
        }
    }

    #[test]
    fn the_best_score_across_parts_wins() {
        let hits = [hit(0, 0, 100, 80), hit(1, 0, 900, 100), hit(2, 1, 5, 60)];
        assert_eq!(
            choose(&hits, &[]),
            Choice::Unique {
                kept: hits[1],
                runner_up: Some(80)
            }
        );
    }

    #[test]
    fn a_locus_in_the_overlap_of_two_parts_is_one_locus() {
        let mut first = hit(0, 0, 500, 100);
        first.owned = false;
        let second = hit(1, 0, 500, 100);
        let hits = [first, second, unmapped(2)];
        assert_eq!(
            choose(&hits, &[]),
            Choice::Unique {
                kept: second,
                runner_up: None
            }
        );
    }

    #[test]
    fn ties_keep_the_first_locus_in_reference_order_whatever_the_input_order() {
        let hits = [hit(0, 1, 50, 100), hit(1, 0, 700, 100), hit(2, 0, 10, 90)];
        let Choice::Tied { kept, others } = choose(&hits, &[]) else {
            panic!()
        };
        assert_eq!(kept, hits[1]);
        assert_eq!(others, vec![hits[0]]);
        let reordered = [hits[2], hits[0], hits[1]];
        assert_eq!(choose(&reordered, &[]).kept(), hits[1]);
    }

    #[test]
    fn a_tie_with_a_secondary_record_keeps_a_primary() {
        let mut secondary = hit(0, 0, 10, 100);
        secondary.primary = false;
        let primary = hit(0, 0, 2000, 100);
        let hits = [secondary, primary, unmapped(1)];
        let Choice::Tied { kept, others } = choose(&hits, &[]) else {
            panic!()
        };
        assert_eq!(kept, primary);
        assert_eq!(others, vec![secondary]);
    }

    /// The mates rule out both parts' primary records, leaving two tied secondary ones.
    #[test]
    fn a_tie_of_secondary_records_only_keeps_the_first() {
        let mut secondaries = [hit(0, 0, 10, 100), hit(1, 1, 10, 100)];
        for secondary in &mut secondaries {
            secondary.primary = false;
        }
        let hits = [
            hit(0, 0, 2000, 100),
            secondaries[0],
            hit(1, 1, 3000, 100),
            secondaries[1],
        ];
        let loci = secondaries.map(|hit| hit.locus.unwrap());
        let Choice::Tied { kept, others } = choose(&hits, &loci) else {
            panic!()
        };
        assert_eq!(kept, secondaries[0]);
        assert_eq!(others.len(), 3);
    }

    #[test]
    fn supplementary_records_do_not_compete() {
        let mut supplementary = hit(1, 0, 10, 200);
        supplementary.supplementary = true;
        supplementary.primary = false;
        let hits = [hit(0, 0, 500, 100), supplementary, unmapped(1)];
        assert_eq!(choose(&hits, &[]).kept(), hits[0]);
    }

    #[test]
    fn a_tie_is_broken_by_the_mate_as_a_whole_reference_aligner_does() {
        // The first mate ties at two loci; one part paired it properly with the second mate's
        // best hit, another paired it with a worse hit of the second mate.
        let proper = |hit: Hit| Hit {
            proper: true,
            ..hit
        };
        let first = vec![proper(hit(0, 0, 100, 100)), proper(hit(1, 1, 50, 100))];
        let second = vec![proper(hit(0, 0, 400, 95)), proper(hit(1, 1, 300, 60))];
        let pairs = proper_best_pairs(&first, &second);
        assert_eq!(
            pairs,
            vec![(first[0].locus.unwrap(), second[0].locus.unwrap())]
        );
        assert_eq!(
            choose(&first, &[pairs[0].0]),
            Choice::Unique {
                kept: first[0],
                runner_up: Some(100)
            }
        );
        // Both copies pair properly: still a tie.
        let second = vec![proper(hit(0, 0, 400, 95)), proper(hit(1, 1, 350, 95))];
        let pairs = proper_best_pairs(&first, &second);
        let loci: Vec<Locus> = pairs.iter().map(|pair| pair.0).collect();
        assert!(matches!(choose(&first, &loci), Choice::Tied { .. }));
    }

    #[test]
    fn unmapped_everywhere_keeps_the_first_parts_record() {
        let hits = [unmapped(1), unmapped(0)];
        assert_eq!(choose(&hits, &[]), Choice::Unmapped { kept: hits[1] });
    }
}
