//! The inputs in part order, and read in step: one template of every input at a time, all of
//! the same read.

use std::collections::HashMap;

use partition_core::{Error, Position, Result};

use crate::header::placements;
use crate::input::{read_name, Input, Record};
use crate::lift::{Lift, Placement};

/// Places the inputs' `@SQ` lines and orders the inputs by part, so that the output does not
/// depend on the order of the command line. Every part of the map is in exactly one input.
pub(crate) fn in_part_order(
    inputs: Vec<Input>,
    lift: &Lift,
) -> Result<Vec<(Input, Vec<Placement>)>> {
    let order: HashMap<&str, usize> = lift
        .map()
        .parts()
        .iter()
        .enumerate()
        .map(|(index, part)| (part.id.as_str(), index))
        .collect();
    let mut holder: Vec<Option<usize>> = vec![None; order.len()];
    let mut parts: Vec<(usize, Input, Vec<Placement>)> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let placed = placements(&input, lift)?;
        let mut first = usize::MAX;
        for name in input.header.reference_sequences().keys() {
            let index = order[name.to_string().as_str()];
            if let Some(other) = holder[index] {
                return Err(Error::bad_file(
                    &input.name,
                    format!(
                        "part {name} is also in {}: each part's output once, of one read chunk",
                        parts[other].1.name
                    ),
                ));
            }
            holder[index] = Some(parts.len());
            first = first.min(index);
        }
        if first == usize::MAX {
            return Err(Error::bad_file(
                &input.name,
                "no @SQ lines: which part was this aligned against?",
            ));
        }
        parts.push((first, input, placed));
    }
    if let Some(missing) = holder.iter().position(Option::is_none) {
        return Err(Error::Usage(format!(
            "part {} of the name map is in none of the inputs: give the outputs of one read chunk against every part",
            lift.map().parts()[missing].id
        )));
    }
    parts.sort_by_key(|(first, _, _)| *first);
    Ok(parts
        .into_iter()
        .map(|(_, input, placed)| (input, placed))
        .collect())
}

/// Reads the next template of every input; false when all ended together. Inputs that end at
/// different reads or disagree on the read name are an error: a wrong output is never written.
pub(crate) fn read_in_step(
    parts: &mut [(Input, Vec<Placement>)],
    templates: &mut [Vec<Record>],
) -> Result<bool> {
    let mut more = Vec::with_capacity(parts.len());
    for ((input, _), records) in parts.iter_mut().zip(templates.iter_mut()) {
        more.push(input.read_template(records)?);
    }
    if more.iter().all(|more| !more) {
        return Ok(false);
    }
    let reference = more.iter().position(|more| *more).expect("one has more");
    let name = read_name(templates[reference][0].get().name().expect("named"));
    for (index, (input, _)) in parts.iter().enumerate() {
        if !more[index] {
            return Err(Error::bad_file(
                &input.name,
                format!(
                    "ends where {} has read {name}: a read missing from one input, or outputs of different read chunks",
                    parts[reference].0.name
                ),
            ));
        }
        let here = read_name(templates[index][0].get().name().expect("named"));
        if here != name {
            return Err(Error::bad_input(
                &input.name,
                Position::Record(input.record_number() + 1 - templates[index].len() as u64),
                format!(
                    "read {here} where {} has read {name}: inputs out of step (a read missing from one input, or outputs of different read chunks)",
                    parts[reference].0.name
                ),
            ));
        }
    }
    Ok(true)
}
