//! The output header: `@SQ` lines of the original reference (from its `.fai`), the inputs'
//! `@RG` and `@PG` lines, and align-merge's own `@PG`.

use std::num::NonZero;

use bstr::{BString, ByteSlice};
use noodles_sam::{
    self as sam,
    header::record::value::{
        map::{self, program::tag as program_tag, Program, ReferenceSequence},
        Map,
    },
};
use partition_core::{Error, Result};

use crate::input::Input;
use crate::lift::{Lift, Placement};

/// Builds the output header; `command_line` goes into align-merge's `@PG CL`.
pub fn output_header(
    sequences: &[(String, u64)],
    inputs: &[&Input],
    command_line: &str,
) -> Result<sam::Header> {
    let mut header = sam::Header::default();
    let mut hd = Map::<map::Header>::default();
    hd.other_fields_mut()
        .insert(map::header::tag::SORT_ORDER, BString::from("unsorted"));
    hd.other_fields_mut()
        .insert(map::header::tag::GROUP_ORDER, BString::from("query"));
    *header.header_mut() = Some(hd);
    for (name, length) in sequences {
        let length = NonZero::new(*length as usize)
            .ok_or_else(|| Error::Usage(format!("the .fai lists {name} with length 0")))?;
        header.reference_sequences_mut().insert(
            BString::from(name.as_str()),
            Map::<ReferenceSequence>::new(length),
        );
    }
    for input in inputs {
        for (id, group) in input.header.read_groups() {
            match header.read_groups().get(id) {
                Some(kept) if kept != group => {
                    return Err(Error::bad_file(
                        &input.name,
                        format!(
                            "@RG {id} differs from the one of another input: outputs of one read chunk carry the same read groups"
                        ),
                    ))
                }
                Some(_) => {}
                None => {
                    header.read_groups_mut().insert(id.clone(), group.clone());
                }
            }
        }
    }
    // The aligner's @PG lines, once when the inputs agree (they differ when the command names
    // each part's index: those keep an input suffix so that no line is lost).
    for (number, input) in inputs.iter().enumerate() {
        let programs = input.header.programs().as_ref();
        let clashes = programs.iter().any(|(id, program)| {
            header
                .programs()
                .as_ref()
                .get(id)
                .is_some_and(|kept| kept != program)
        });
        for (id, program) in programs {
            let (id, program) = if clashes {
                let mut program = program.clone();
                if let Some(previous) = program
                    .other_fields_mut()
                    .get_mut(&program_tag::PREVIOUS_PROGRAM_ID)
                {
                    *previous = suffixed(previous, number);
                }
                (suffixed(id, number), program)
            } else {
                (id.clone(), program.clone())
            };
            header.programs_mut().as_mut().entry(id).or_insert(program);
        }
    }
    let mut own = Map::<Program>::default();
    own.other_fields_mut()
        .insert(program_tag::NAME, BString::from("align-merge"));
    own.other_fields_mut().insert(
        program_tag::VERSION,
        BString::from(env!("CARGO_PKG_VERSION")),
    );
    own.other_fields_mut()
        .insert(program_tag::COMMAND_LINE, BString::from(command_line));
    // One line, after the first part's chain (noodles' `Programs::add` would add one per chain).
    let previous = header
        .programs()
        .leaves()
        .map_err(|e| Error::Usage(format!("the inputs' @PG lines: {e}")))?
        .next()
        .map(|(id, _)| BString::from(id));
    if let Some(previous) = previous {
        own.other_fields_mut()
            .insert(program_tag::PREVIOUS_PROGRAM_ID, previous);
    }
    let mut id = BString::from("align-merge");
    while header.programs().as_ref().contains_key(&id) {
        id.push(b'+');
    }
    header.programs_mut().as_mut().insert(id, own);
    Ok(header)
}

fn suffixed(id: &BString, number: usize) -> BString {
    let mut id = id.clone();
    id.extend_from_slice(format!(".{}", number + 1).as_bytes());
    id
}

/// Each of the input's reference ids placed in the output; refuses an `@SQ` the map does not
/// have, or whose length is not the part's.
pub fn placements(input: &Input, lift: &Lift) -> Result<Vec<Placement>> {
    input
        .header
        .reference_sequences()
        .iter()
        .map(|(name, sequence)| {
            let id = name.to_str_lossy();
            let part = lift.map().get(&id).ok_or_else(|| {
                Error::bad_file(
                    &input.name,
                    format!("@SQ {id} is not in the name map: aligned against another reference, or another map?"),
                )
            })?;
            if sequence.length().get() as u64 != part.len() {
                return Err(Error::bad_file(
                    &input.name,
                    format!(
                        "@SQ {id} is {} bases long, the name map's part {id} {}",
                        sequence.length(),
                        part.len()
                    ),
                ));
            }
            Ok(lift.place(&id).expect("the part is in the map"))
        })
        .collect()
}
