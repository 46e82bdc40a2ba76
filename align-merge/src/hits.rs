//! What each record of a template says, in original coordinates: its segment, its locus, its
//! score.

use noodles_sam::alignment::record::{data::field::Tag, Flags};
use partition_core::{Error, Result};

use crate::choose::{Hit, Locus};
use crate::input::{read_name, Input, Record};
use crate::lift::Placement;
use crate::mates::Mate;

pub(crate) fn bad_record(input: &Input, error: std::io::Error) -> Error {
    crate::input::record_error(&input.name, input.record_number(), error)
}

/// The flags of the first input's first record: whether the template is paired.
pub(crate) fn first_flags(
    parts: &[(Input, Vec<Placement>)],
    templates: &[Vec<Record>],
) -> Result<Flags> {
    templates[0][0]
        .get()
        .flags()
        .map_err(|e| bad_record(&parts[0].0, e))
}

/// 0 for a single read or the first mate, 1 for the second mate.
pub(crate) fn segment_of(
    input: &Input,
    number: usize,
    record: &Record,
    paired: bool,
) -> Result<usize> {
    let flags = record.get().flags().map_err(|e| bad_record(input, e))?;
    let name = || read_name(record.get().name().expect("named"));
    if flags.is_segmented() != paired {
        return Err(Error::bad_input(
            &input.name,
            input.position_of(number),
            format!(
                "read {}: paired and single records under one read name",
                name()
            ),
        ));
    }
    if !paired {
        return Ok(0);
    }
    match (flags.is_first_segment(), flags.is_last_segment()) {
        (true, false) => Ok(0),
        (false, true) => Ok(1),
        _ => Err(Error::bad_input(
            &input.name,
            input.position_of(number),
            format!(
                "read {}: a paired record that is not either the first (0x40) or the last (0x80) mate",
                name()
            ),
        )),
    }
}

/// What a record says, in original coordinates.
pub(crate) fn hit_of(
    input: &Input,
    placed: &[Placement],
    index: usize,
    number: usize,
    record: &Record,
) -> Result<Hit> {
    let view = record.get();
    let flags = view.flags().map_err(|e| bad_record(input, e))?;
    let bad = |message: &str| {
        Error::bad_input(
            &input.name,
            input.position_of(number),
            format!("read {}: {message}", read_name(view.name().expect("named"))),
        )
    };
    let supplementary = flags.is_supplementary();
    let primary = !flags.is_secondary() && !supplementary;
    let mut hit = Hit {
        input: index,
        record: number,
        primary,
        supplementary,
        locus: None,
        score: 0,
        owned: true,
        proper: flags.is_properly_segmented(),
    };
    if flags.is_unmapped() {
        return Ok(hit);
    }
    let reference = match view.reference_sequence_id(&input.header) {
        Some(Ok(id)) => id,
        _ => return Err(bad("mapped, but with no reference sequence")),
    };
    let start = match view.alignment_start() {
        Some(Ok(start)) => start.get() as u64,
        _ => return Err(bad("mapped, but with no position")),
    };
    let placement = placed
        .get(reference)
        .ok_or_else(|| bad("reference id without an @SQ line"))?;
    let start = start + placement.offset;
    hit.locus = Some(Locus {
        reference: placement.reference,
        start,
        reverse: flags.is_reverse_complemented(),
    });
    hit.owned = (placement.own.0..=placement.own.1).contains(&start);
    if !supplementary {
        let score = view
            .data()
            .get(&Tag::ALIGNMENT_SCORE)
            .and_then(|value| value.ok())
            .and_then(|value| value.as_int());
        hit.score = score.ok_or_else(|| {
            bad("a mapped record without an alignment score (AS tag): align-merge keeps each read's best-scoring hits, so the aligner must write AS (bwa mem and minimap2 -a do)")
        })?;
    }
    Ok(hit)
}

/// A mapped hit as a mate: its locus and the last reference base it covers.
pub(crate) fn mate_of(input: &Input, record: &Record, hit: Hit) -> Result<Option<Mate>> {
    let Some(locus) = hit.locus else {
        return Ok(None);
    };
    let view = record.get();
    let span = match (view.alignment_start(), view.alignment_end()) {
        (Some(start), Some(end)) => {
            let start = start.map_err(|e| bad_record(input, e))?.get() as u64;
            let end = end.map_err(|e| bad_record(input, e))?.get() as u64;
            end.saturating_sub(start)
        }
        _ => 0,
    };
    Ok(Some(Mate {
        reference: locus.reference,
        start: locus.start,
        end: locus.start + span,
        reverse: locus.reverse,
    }))
}
