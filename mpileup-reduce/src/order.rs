//! The order of output positions, and where an input line's position goes.
//!
//! Lines come in reference order (the BAM header's, normally the `.fai`'s), not sorted by
//! name. The order is taken from a `.fai`, from a name map (its rows are in reference order),
//! or, failing both, from the order in which chromosomes appear; an input that contradicts
//! the order so learnt is reported, never merged wrongly.

use std::collections::HashMap;

use fasta::fai::Record;
use fasta::NameMap;

/// A position in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// The chromosome's place in the order.
    pub rank: u32,
    /// 1-based position (original coordinates when a name map is used).
    pub position: u64,
}

pub struct Order {
    ranks: HashMap<String, u32>,
    names: Vec<String>,
    /// Whether chromosomes not yet seen may be appended (no `.fai` or map given).
    grows: bool,
    map: Option<NameMap>,
    /// The last input chromosome (or part) looked up, and where it goes: lines come in runs
    /// of one chromosome, so this saves a hash lookup per line.
    last: Option<(Vec<u8>, Placement)>,
}

/// Where an input chromosome (or part) goes.
#[derive(Debug, Clone, Copy)]
struct Placement {
    rank: u32,
    /// Original position of the part's position 1 (1 without a map).
    start: u64,
    /// Length of the part, or u64::MAX without a map.
    length: u64,
    own_start: u64,
    own_end: u64,
}

impl Order {
    /// Chromosomes ranked as they appear.
    pub fn appearance() -> Order {
        Order {
            ranks: HashMap::new(),
            names: Vec::new(),
            grows: true,
            map: None,
            last: None,
        }
    }

    /// The order of a `.fai`.
    pub fn from_fai(index: &[Record]) -> Order {
        let mut order = Order {
            grows: false,
            ..Order::appearance()
        };
        for record in index {
            order.add(&record.name);
        }
        order
    }

    /// Part ids rewritten through `map`; original names ranked by `fai`, else by map order.
    pub fn with_map(map: NameMap, fai: Option<&[Record]>) -> Order {
        let mut order = match fai {
            Some(index) => Order::from_fai(index),
            None => {
                let mut order = Order {
                    grows: false,
                    ..Order::appearance()
                };
                for part in map.parts() {
                    order.add(&part.orig_name);
                }
                order
            }
        };
        order.map = Some(map);
        order
    }

    pub fn is_mapped(&self) -> bool {
        self.map.is_some()
    }

    fn add(&mut self, name: &str) -> u32 {
        if let Some(&rank) = self.ranks.get(name) {
            return rank;
        }
        let rank = self.names.len() as u32;
        self.ranks.insert(name.to_string(), rank);
        self.names.push(name.to_string());
        rank
    }

    /// The output name of a rank.
    pub fn name(&self, rank: u32) -> &str {
        &self.names[rank as usize]
    }

    /// Where an input's (chromosome, position) goes: `Ok(None)` when a name map says this
    /// part does not own the position (another part's line counts it).
    pub fn locate(&mut self, chrom: &[u8], position: u64) -> Result<Option<Key>, String> {
        self.place(chrom, position, true)
    }

    /// Where a line sorts, owned or not (planning cuts position ranges, and a range holds
    /// a position's lines from every part).
    pub fn sort_key(&mut self, chrom: &[u8], position: u64) -> Result<Key, String> {
        Ok(self
            .place(chrom, position, false)?
            .expect("ownership is not checked"))
    }

    fn place(
        &mut self,
        chrom: &[u8],
        position: u64,
        owned_only: bool,
    ) -> Result<Option<Key>, String> {
        let placement = match &self.last {
            Some((name, placement)) if name == chrom => *placement,
            _ => {
                let placement = self.look_up(chrom)?;
                self.last = Some((chrom.to_vec(), placement));
                placement
            }
        };
        if position == 0 || position > placement.length {
            return Err(format!(
                "position {position} is outside part '{}' ({} bases)",
                String::from_utf8_lossy(chrom),
                placement.length
            ));
        }
        let original = placement.start + position - 1;
        if owned_only && !(placement.own_start..=placement.own_end).contains(&original) {
            return Ok(None);
        }
        Ok(Some(Key {
            rank: placement.rank,
            position: original,
        }))
    }

    fn look_up(&mut self, chrom: &[u8]) -> Result<Placement, String> {
        let chrom =
            std::str::from_utf8(chrom).map_err(|_| "chromosome name is not UTF-8".to_string())?;
        let (name, start, length, own_start, own_end) = match &self.map {
            Some(map) => {
                let part = map
                    .get(chrom)
                    .ok_or_else(|| format!("part '{chrom}' is not in the name map"))?;
                (
                    part.orig_name.clone(),
                    part.start,
                    part.len(),
                    part.own_start,
                    part.own_end,
                )
            }
            None => (chrom.to_string(), 1, u64::MAX, 1, u64::MAX),
        };
        let rank = match self.ranks.get(&name) {
            Some(&rank) => rank,
            None if self.grows => self.add(&name),
            None => {
                return Err(format!(
                    "chromosome '{name}' is not in the reference order (.fai or name map)"
                ))
            }
        };
        Ok(Placement {
            rank,
            start,
            length,
            own_start,
            own_end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_parts_back_and_drops_what_they_do_not_own() {
        let map_text =
            "1_1\tchr1\t1\t120\t1\t100\n1_2\tchr1\t81\t300\t101\t300\n2\tchrM\t1\t16\t1\t16\n";
        let map = NameMap::read(map_text.as_bytes(), "m.tsv").unwrap();
        let mut order = Order::with_map(map, None);
        assert_eq!(
            order.locate(b"1_2", 21),
            Ok(Some(Key {
                rank: 0,
                position: 101
            }))
        );
        assert_eq!(order.locate(b"1_2", 20), Ok(None));
        assert_eq!(order.locate(b"1_1", 101), Ok(None));
        assert_eq!(
            order.locate(b"2", 3),
            Ok(Some(Key {
                rank: 1,
                position: 3
            }))
        );
        assert_eq!(order.name(1), "chrM");
        assert!(order
            .locate(b"9", 1)
            .unwrap_err()
            .contains("not in the name map"));
        assert!(order
            .locate(b"2", 17)
            .unwrap_err()
            .contains("outside part '2'"));
    }

    #[test]
    fn a_fai_fixes_the_order_and_appearance_grows_it() {
        let fai = fasta::fai::read(
            "chr2\t10\t6\t10\t11\nchr1\t10\t23\t10\t11\n".as_bytes(),
            "f",
        )
        .unwrap();
        let mut order = Order::from_fai(&fai);
        assert_eq!(
            order.locate(b"chr1", 5),
            Ok(Some(Key {
                rank: 1,
                position: 5
            }))
        );
        assert!(order.locate(b"chrX", 5).is_err());
        let mut order = Order::appearance();
        assert_eq!(
            order.locate(b"b", 1),
            Ok(Some(Key {
                rank: 0,
                position: 1
            }))
        );
        assert_eq!(
            order.locate(b"a", 1),
            Ok(Some(Key {
                rank: 1,
                position: 1
            }))
        );
    }
}
