//! Part coordinates to original coordinates: each input's `@SQ` lines are reference parts named
//! by the name map (`fasta-split plan --map`); a part's position p is the original sequence's
//! position `start + p - 1`.

use std::collections::HashMap;

use fasta::NameMap;
use partition_core::{Error, Result};

/// Where one part lies in the output: the output reference id and the offset to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub reference: usize,
    pub offset: u64,
    /// The original positions the part owns (1-based, inclusive).
    pub own: (u64, u64),
}

/// The output's reference sequences (from the `.fai`), and each part's placement among them.
pub struct Lift {
    map: NameMap,
    names: Vec<String>,
    by_name: HashMap<String, usize>,
}

impl Lift {
    /// `sequences` are the original sequences (name, length) in `.fai` order.
    pub fn new(map: NameMap, sequences: &[(String, u64)], map_name: &str) -> Result<Lift> {
        let by_name: HashMap<String, usize> = sequences
            .iter()
            .enumerate()
            .map(|(index, (name, _))| (name.clone(), index))
            .collect();
        for part in map.parts() {
            let Some(&index) = by_name.get(&part.orig_name) else {
                return Err(Error::bad_file(
                    map_name,
                    format!(
                        "part {} lies on {}, which the .fai does not list: map and .fai of different references?",
                        part.id, part.orig_name
                    ),
                ));
            };
            if part.end > sequences[index].1 {
                return Err(Error::bad_file(
                    map_name,
                    format!(
                        "part {} ends at {} but {} is {} bases long in the .fai",
                        part.id, part.end, part.orig_name, sequences[index].1
                    ),
                ));
            }
        }
        Ok(Lift {
            map,
            names: sequences.iter().map(|(name, _)| name.clone()).collect(),
            by_name,
        })
    }

    pub fn map(&self) -> &NameMap {
        &self.map
    }

    /// The placement of part `id`, None when the map has no such part.
    pub fn place(&self, id: &str) -> Option<Placement> {
        let part = self.map.get(id)?;
        Some(Placement {
            reference: self.by_name[&part.orig_name],
            offset: part.start - 1,
            own: (part.own_start, part.own_end),
        })
    }

    /// The original name of output reference `reference`.
    pub fn name(&self, reference: usize) -> &str {
        &self.names[reference]
    }

    /// Rewrites the `name,pos,...;` entries of an `SA` or `XA` tag into original coordinates.
    /// `pos` may carry a strand sign (`XA`: `+1234`). None when an entry is malformed or names a
    /// sequence the map does not have.
    pub fn tag_entries(&self, value: &str) -> Option<String> {
        let mut lifted = String::with_capacity(value.len() + 16);
        for entry in value.split_terminator(';') {
            let mut fields = entry.splitn(3, ',');
            let (name, position, rest) = (fields.next()?, fields.next()?, fields.next());
            let (sign, digits) = match position.as_bytes().first()? {
                b'+' | b'-' => position.split_at(1),
                _ => ("", position),
            };
            let original = self.map.to_original(name, digits.parse().ok()?)?;
            lifted.push_str(original.name);
            lifted.push(',');
            lifted.push_str(sign);
            lifted.push_str(&original.position.to_string());
            if let Some(rest) = rest {
                lifted.push(',');
                lifted.push_str(rest);
            }
            lifted.push(';');
        }
        Some(lifted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lift() -> Lift {
        let map = NameMap::read(
            "#id\torig_name\tstart\tend\town_start\town_end\n1_1\tchr1\t1\t600\t1\t500\n1_2\tchr1\t401\t1000\t501\t1000\n2\tchr2\t1\t300\t1\t300\n"
                .as_bytes(),
            "m.tsv",
        )
        .unwrap();
        Lift::new(map, &[("chr1".into(), 1000), ("chr2".into(), 300)], "m.tsv").unwrap()
    }

    #[test]
    fn parts_are_placed_by_their_first_base() {
        let lift = lift();
        assert_eq!(
            lift.place("1_2"),
            Some(Placement {
                reference: 0,
                offset: 400,
                own: (501, 1000)
            })
        );
        assert_eq!(lift.place("2").unwrap().reference, 1);
        assert_eq!(lift.place("3"), None);
    }

    #[test]
    fn tag_entries_move_to_original_coordinates() {
        let lift = lift();
        assert_eq!(
            lift.tag_entries("1_2,+10,100M,0;2,-5,50M50S,1;").as_deref(),
            Some("chr1,+410,100M,0;chr2,-5,50M50S,1;")
        );
        assert_eq!(
            lift.tag_entries("1_2,10,+,60M40S,60,0;").as_deref(),
            Some("chr1,410,+,60M40S,60,0;")
        );
        assert_eq!(lift.tag_entries("9,10,+,60M,60,0;"), None);
        assert_eq!(lift.tag_entries("1_2,x,+;"), None);
        // Past the part's end.
        assert_eq!(lift.tag_entries("2,301,+,1M,0,0;"), None);
    }

    #[test]
    fn a_map_of_another_reference_is_refused() {
        let map = NameMap::read("1\tchrZ\t1\t10\t1\t10\n".as_bytes(), "m.tsv").unwrap();
        let error = Lift::new(map, &[("chr1".into(), 10)], "m.tsv")
            .err()
            .unwrap();
        assert!(error.to_string().contains("chrZ"), "{error}");
    }
}
