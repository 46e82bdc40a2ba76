//! Kept records, decoded and moved to original coordinates; the tags that name positions (`SA`,
//! `XA`) moved with them.

use bstr::{BString, ByteSlice};
use noodles_core::Position as SamPosition;
use noodles_sam::alignment::{
    record::{cigar::op::Kind, data::field::Tag, MappingQuality},
    record_buf::data::field::Value,
    RecordBuf,
};
use partition_core::{Error, Result};

use crate::choose::Hit;
use crate::input::{read_name, Input, Record};
use crate::lift::{Lift, Placement};

const XA: Tag = Tag::new(b'X', b'A');
const XS: Tag = Tag::new(b'X', b'S');

/// Decodes `record` of `input` (whose reference ids `placements` maps) in original coordinates.
pub fn lifted(
    input: &Input,
    placements: &[Placement],
    record: &Record,
    lift: &Lift,
) -> Result<RecordBuf> {
    let bad = |message: String| {
        let name = record
            .get()
            .name()
            .map(|n| read_name(n))
            .unwrap_or_default();
        Error::bad_input(
            &input.name,
            input.position_of(0),
            format!("read {name}: {message}"),
        )
    };
    let mut buf = RecordBuf::try_from_alignment_record(&input.header, record.get())
        .map_err(|e| bad(format!("bad record: {e}")))?;
    let place = |id: Option<usize>, start: Option<SamPosition>| -> Result<_> {
        match (id, start) {
            (Some(id), start) => {
                let placement = placements
                    .get(id)
                    .ok_or_else(|| bad(format!("reference id {id} has no @SQ line")))?;
                let start = start
                    .map(|p| SamPosition::try_from(p.get() + placement.offset as usize))
                    .transpose()
                    .map_err(|e| bad(format!("position: {e}")))?;
                Ok((Some(placement.reference), start))
            }
            (None, start) => Ok((None, start)),
        }
    };
    let (reference, start) = place(buf.reference_sequence_id(), buf.alignment_start())?;
    *buf.reference_sequence_id_mut() = reference;
    *buf.alignment_start_mut() = start;
    let (reference, start) = place(buf.mate_reference_sequence_id(), buf.mate_alignment_start())?;
    *buf.mate_reference_sequence_id_mut() = reference;
    *buf.mate_alignment_start_mut() = start;
    for tag in [Tag::OTHER_ALIGNMENTS, XA] {
        if let Some(value) = buf.data_mut().get_mut(&tag) {
            let Value::String(text) = value else {
                return Err(bad(format!("{} is not a string", tag_name(tag))));
            };
            let moved = lift.tag_entries(&text.to_str_lossy()).ok_or_else(|| {
                bad(format!(
                    "{} {} names a position outside the parts of the name map",
                    tag_name(tag),
                    text
                ))
            })?;
            *text = BString::from(moved);
        }
    }
    Ok(buf)
}

fn tag_name(tag: Tag) -> String {
    String::from_utf8_lossy(tag.as_ref()).into_owned()
}

/// Marks `kept` as one of several equally good loci: MAPQ 0 and the `others` in its `XA` tag
/// (`name,±pos,CIGAR,NM;` as bwa writes it), after the alternatives the aligner listed.
pub fn mark_tied(kept: &mut RecordBuf, others: &[(Hit, RecordBuf)], lift: &Lift, best: i64) {
    *kept.mapping_quality_mut() = MappingQuality::new(0);
    let mut listed = match kept.data().get(&XA) {
        Some(Value::String(text)) => text.to_str_lossy().into_owned(),
        _ => String::new(),
    };
    for (hit, other) in others {
        let locus = hit.locus.expect("tied loci are mapped");
        let strand = if locus.reverse { '-' } else { '+' };
        let prefix = format!("{},{strand}{},", lift.name(locus.reference), locus.start);
        if listed
            .split_terminator(';')
            .any(|entry| entry.starts_with(&prefix))
        {
            continue;
        }
        listed.push_str(&prefix);
        listed.push_str(&cigar_text(other));
        listed.push(',');
        if let Some(nm) = other
            .data()
            .get(&Tag::EDIT_DISTANCE)
            .and_then(Value::as_int)
        {
            listed.push_str(&nm.to_string());
        }
        listed.push(';');
    }
    kept.data_mut().insert(XA, Value::String(listed.into()));
    raise_suboptimal(kept, best);
}

/// Raises `XS` (the best score elsewhere) to `score` where the aligner wrote one: the part it
/// saw may have lacked the read's second-best locus.
pub fn raise_suboptimal(record: &mut RecordBuf, score: i64) {
    if let Some(value) = record.data_mut().get_mut(&XS) {
        if value.as_int().is_some_and(|xs| xs < score) {
            *value = Value::from(i32::try_from(score).unwrap_or(i32::MAX));
        }
    }
}

fn cigar_text(record: &RecordBuf) -> String {
    let ops = record.cigar().as_ref();
    if ops.is_empty() {
        return "*".to_string();
    }
    ops.iter()
        .map(|op| {
            let code = match op.kind() {
                Kind::Match => 'M',
                Kind::Insertion => 'I',
                Kind::Deletion => 'D',
                Kind::Skip => 'N',
                Kind::SoftClip => 'S',
                Kind::HardClip => 'H',
                Kind::Pad => 'P',
                Kind::SequenceMatch => '=',
                Kind::SequenceMismatch => 'X',
            };
            format!("{}{code}", op.len())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use noodles_sam::alignment::record::cigar::Op;

    #[test]
    fn cigars_print_as_sam_writes_them() {
        let record = RecordBuf::builder()
            .set_cigar(
                [
                    Op::new(Kind::SoftClip, 5),
                    Op::new(Kind::Match, 90),
                    Op::new(Kind::Deletion, 2),
                ]
                .into_iter()
                .collect(),
            )
            .build();
        assert_eq!(cigar_text(&record), "5S90M2D");
        assert_eq!(cigar_text(&RecordBuf::default()), "*");
    }

    #[test]
    fn suboptimal_scores_only_rise() {
        let mut record = RecordBuf::builder()
            .set_data([(XS, Value::from(40))].into_iter().collect())
            .build();
        raise_suboptimal(&mut record, 55);
        assert_eq!(record.data().get(&XS).and_then(Value::as_int), Some(55));
        raise_suboptimal(&mut record, 30);
        assert_eq!(record.data().get(&XS).and_then(Value::as_int), Some(55));
        let mut without = RecordBuf::default();
        raise_suboptimal(&mut without, 30);
        assert!(without.data().get(&XS).is_none());
    }
}
