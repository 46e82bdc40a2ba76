//! Mates put back together: mate fields from the kept mates, and the proper-pair rule for mates
//! kept from different parts.
//!
//! When both mates' records come from one part, the aligner saw them together and its
//! proper-pair flag and TLEN stand. When they come from different parts (or one is unmapped
//! everywhere), the aligner never judged the pair, so align-merge does, by the rule the pairs it
//! did judge show: a pair is proper when both mates are mapped to the same sequence, in an
//! orientation the aligner's proper pairs have (FR for Illumina libraries), with an insert size
//! within the smallest and largest of the aligner's proper pairs. This matters downstream:
//! `samtools mpileup` skips pairs that are not proper unless given `-A`.

use noodles_sam::alignment::record_buf::Cigar;
use noodles_sam::alignment::{record::Flags, RecordBuf};

/// How many proper pairs the rule learns from before it judges (the merge holds the templates
/// it meets before then, up to [`HOLD_LIMIT`]).
pub const WARM_UP: u64 = 200;
/// Templates held at most while the rule warms up.
pub const HOLD_LIMIT: usize = 20_000;

/// A mapped mate, in original coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mate {
    pub reference: usize,
    /// 1-based first and last reference base covered.
    pub start: u64,
    pub end: u64,
    pub reverse: bool,
}

impl Mate {
    pub fn of(record: &RecordBuf) -> Option<Mate> {
        if record.flags().is_unmapped() {
            return None;
        }
        let start = record.alignment_start()?.get() as u64;
        let end = record.alignment_end().map_or(start, |end| end.get() as u64);
        Some(Mate {
            reference: record.reference_sequence_id()?,
            start,
            end,
            reverse: record.flags().is_reverse_complemented(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Orientation {
    /// The leftmost mate forward, the other reverse: inward.
    Fr,
    /// The leftmost mate reverse, the other forward: outward.
    Rf,
    /// Both on one strand.
    Tandem,
}

impl Orientation {
    fn bit(self) -> u8 {
        match self {
            Orientation::Fr => 1,
            Orientation::Rf => 2,
            Orientation::Tandem => 4,
        }
    }
}

/// The orientation and insert size of two mates on one sequence.
fn shape(a: Mate, b: Mate) -> (Orientation, u64) {
    let (left, right) = if (a.start, a.end) <= (b.start, b.end) {
        (a, b)
    } else {
        (b, a)
    };
    let orientation = match (left.reverse, right.reverse) {
        (false, true) => Orientation::Fr,
        (true, false) => Orientation::Rf,
        _ => Orientation::Tandem,
    };
    (orientation, left.end.max(right.end) - left.start + 1)
}

/// The proper-pair rule, learnt from the pairs the aligner called proper.
#[derive(Debug, Clone, Default)]
pub struct PairRule {
    orientations: u8,
    smallest: u64,
    largest: u64,
    observed: u64,
}

impl PairRule {
    /// Learns from a pair the aligner called proper.
    pub fn observe(&mut self, a: Mate, b: Mate) {
        if a.reference != b.reference {
            return;
        }
        let (orientation, insert) = shape(a, b);
        self.orientations |= orientation.bit();
        if self.observed == 0 {
            (self.smallest, self.largest) = (insert, insert);
        } else {
            self.smallest = self.smallest.min(insert);
            self.largest = self.largest.max(insert);
        }
        self.observed += 1;
    }

    pub fn is_warm(&self) -> bool {
        self.observed >= WARM_UP
    }

    pub fn is_proper(&self, a: Mate, b: Mate) -> bool {
        if a.reference != b.reference || self.observed == 0 {
            return false;
        }
        let (orientation, insert) = shape(a, b);
        self.orientations & orientation.bit() != 0
            && (self.smallest..=self.largest).contains(&insert)
    }

    /// The range of insert sizes learnt, for the summary.
    pub fn insert_range(&self) -> Option<(u64, u64)> {
        (self.observed > 0).then_some((self.smallest, self.largest))
    }
}

/// TLEN of `a` as the SAM specification defines it: from the leftmost to the rightmost base of
/// the two mates, positive for the leftmost mate (the first mate when they start together).
pub fn template_length(a: Mate, b: Mate) -> i32 {
    if a.reference != b.reference {
        return 0;
    }
    let (_, insert) = shape(a, b);
    let length = i32::try_from(insert).unwrap_or(i32::MAX);
    if (a.start, a.end) <= (b.start, b.end) {
        length
    } else {
        -length
    }
}

/// Sets the mate fields of `record` (a kept record of one mate) from `mate` (the other mate's
/// primary record). `pairing` is Some((proper, tlen)) when align-merge judged the pair, None to
/// keep the aligner's flag and TLEN.
pub fn set_mate_fields(record: &mut RecordBuf, mate: &RecordBuf, pairing: Option<(bool, i32)>) {
    let mate_unmapped = mate.flags().is_unmapped();
    let mut flags = record.flags();
    flags.set(Flags::MATE_UNMAPPED, mate_unmapped);
    flags.set(
        Flags::MATE_REVERSE_COMPLEMENTED,
        mate.flags().is_reverse_complemented(),
    );
    if let Some((proper, _)) = pairing {
        flags.set(Flags::PROPERLY_SEGMENTED, proper);
    }
    *record.flags_mut() = flags;
    if let Some((_, length)) = pairing {
        *record.template_length_mut() = length;
    }
    if !mate_unmapped {
        *record.mate_reference_sequence_id_mut() = mate.reference_sequence_id();
        *record.mate_alignment_start_mut() = mate.alignment_start();
    } else if !record.flags().is_unmapped() {
        // An unmapped mate sits at its mapped mate's place (SAM convention), so RNEXT/PNEXT
        // point at this record's own place.
        *record.mate_reference_sequence_id_mut() = record.reference_sequence_id();
        *record.mate_alignment_start_mut() = record.alignment_start();
    } else {
        *record.mate_reference_sequence_id_mut() = None;
        *record.mate_alignment_start_mut() = None;
    }
}

/// An unmapped record whose mate is mapped takes the mate's place (RNAME, POS), as aligners
/// write it, so that sorting keeps the pair together.
pub fn place_unmapped(record: &mut RecordBuf, mate: &RecordBuf) {
    if record.flags().is_unmapped() {
        if mate.flags().is_unmapped() {
            *record.reference_sequence_id_mut() = None;
            *record.alignment_start_mut() = None;
        } else {
            *record.reference_sequence_id_mut() = mate.reference_sequence_id();
            *record.alignment_start_mut() = mate.alignment_start();
        }
        *record.cigar_mut() = Cigar::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mate(start: u64, end: u64, reverse: bool) -> Mate {
        Mate {
            reference: 0,
            start,
            end,
            reverse,
        }
    }

    #[test]
    fn the_rule_is_what_proper_pairs_show() {
        let mut rule = PairRule::default();
        assert!(!rule.is_proper(mate(100, 199, false), mate(300, 399, true)));
        rule.observe(mate(100, 199, false), mate(300, 399, true)); // FR, 300
        rule.observe(mate(1000, 1099, true), mate(800, 899, false)); // FR, 300
        rule.observe(mate(5000, 5099, false), mate(5400, 5499, true)); // FR, 500
        assert_eq!(rule.insert_range(), Some((300, 500)));
        assert!(rule.is_proper(mate(10, 109, false), mate(310, 409, true)));
        // Outward, tandem, too long, other sequence.
        assert!(!rule.is_proper(mate(10, 109, true), mate(310, 409, false)));
        assert!(!rule.is_proper(mate(10, 109, false), mate(310, 409, false)));
        assert!(!rule.is_proper(mate(10, 109, false), mate(900, 999, true)));
        let other = Mate {
            reference: 1,
            ..mate(310, 409, true)
        };
        assert!(!rule.is_proper(mate(10, 109, false), other));
    }

    #[test]
    fn template_length_is_signed_by_the_leftmost_mate() {
        let (a, b) = (mate(100, 199, false), mate(300, 399, true));
        assert_eq!(template_length(a, b), 300);
        assert_eq!(template_length(b, a), -300);
        assert_eq!(template_length(a, Mate { reference: 2, ..b }), 0);
    }
}
