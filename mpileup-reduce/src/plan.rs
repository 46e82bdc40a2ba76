//! Position ranges for N reducers, balanced by input bytes, found with a few ranged reads.
//!
//! Each input is sampled at evenly spaced byte offsets (the first line starting after each);
//! the sampled keys are candidate cuts, and the bytes below a cut are estimated from the
//! samples. For each chosen cut, every input's exact byte boundary (the first line at or
//! after the cut) is found by binary search over line starts, reading small windows. So each
//! reducer reads exactly the lines of its range from every input, and every position belongs
//! to one range.

use std::fmt;

use partition_core::{
    ByteRange, Error, Kind, ManifestBuilder, Position, Result, Source, SourceRanges,
};

use crate::detail::MpileupDetail;
use crate::line::{field, parse_position, split_fields};
use crate::merge::Columns;
use crate::order::{Key, Order};

/// Bytes read to find one line (doubled until a whole line fits).
const WINDOW: u64 = 256;

/// How the inputs are read (shared with the reducers through the manifest).
#[derive(Debug, Clone, Default)]
pub struct Setup {
    pub map: Option<String>,
    pub fai: Option<String>,
    pub columns: Columns,
}

impl Setup {
    /// The output order this setup gives.
    pub fn order(&self) -> Result<Order> {
        let fai = match &self.fai {
            Some(url) => Some(fasta::fai::read(
                std::io::BufReader::new(Source::open(url)?.reader()?),
                url,
            )?),
            None => None,
        };
        Ok(match &self.map {
            Some(url) => Order::with_map(
                fasta::NameMap::read(std::io::BufReader::new(Source::open(url)?.reader()?), url)?,
                fai.as_deref(),
            ),
            None => match &fai {
                Some(index) => Order::from_fai(index),
                None => Order::appearance(),
            },
        })
    }
}

/// Reads of one input while planning.
struct Sampled {
    source: Source,
    bytes_read: u64,
}

impl Sampled {
    /// The first line starting at or after `offset` (at `offset` itself when it is 0 or follows
    /// a newline): its start and key; None past the last line.
    fn line_at(&mut self, order: &mut Order, offset: u64) -> Result<Option<(u64, Key)>> {
        let size = self.source.size();
        let mut window = WINDOW;
        loop {
            let start = offset.saturating_sub(1);
            let end = (start + window).min(size);
            let bytes = self.source.read_range(ByteRange::new(start, end))?;
            self.bytes_read += bytes.len() as u64;
            let line_start = if offset == 0 {
                Some(0)
            } else {
                memchr::memchr(b'\n', &bytes).map(|i| start + i as u64 + 1)
            };
            let Some(line_start) = line_start else {
                if end == size {
                    return Ok(None);
                }
                window *= 2;
                continue;
            };
            if line_start >= size {
                return Ok(None);
            }
            let rest = &bytes[(line_start - start) as usize..];
            let line_end = memchr::memchr(b'\n', rest);
            if line_end.is_none() && end < size {
                window *= 2;
                continue;
            }
            let line = &rest[..line_end.unwrap_or(rest.len())];
            return Ok(Some((line_start, self.key(order, line, line_start)?)));
        }
    }

    fn key(&self, order: &mut Order, line: &[u8], offset: u64) -> Result<Key> {
        let mut ranges = Vec::with_capacity(8);
        split_fields(line, &mut ranges);
        let bad =
            |message: String| Error::bad_input(self.source.url(), Position::Byte(offset), message);
        if ranges.len() < 3 {
            return Err(bad("not a pileup line".to_string()));
        }
        let position_text = field(line, &ranges, 1);
        let position = parse_position(position_text).ok_or_else(|| {
            bad(format!(
                "position '{}' is not a number",
                position_text.escape_ascii()
            ))
        })?;
        order
            .sort_key(field(line, &ranges, 0), position)
            .map_err(bad)
    }

    /// The first line with a key at or after `cut`, between `low` (a line start whose key is
    /// below the cut, or 0) and `high` (a line start at or after the cut, or the size).
    fn lower_bound(
        &mut self,
        order: &mut Order,
        cut: Key,
        mut low: u64,
        mut high: u64,
    ) -> Result<u64> {
        while high - low > 4 * WINDOW {
            let middle = low + (high - low) / 2;
            match self.line_at(order, middle)? {
                Some((start, key)) if start < high => {
                    if key >= cut {
                        high = start;
                    } else {
                        low = start;
                    }
                }
                _ => break,
            }
        }
        // The lines in [low, high) are whole: read them at once and take the first at the cut.
        let bytes = self.source.read_range(ByteRange::new(low, high))?;
        self.bytes_read += bytes.len() as u64;
        let mut start = 0;
        while start < bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            if self.key(order, &bytes[start..end], low + start as u64)? >= cut {
                return Ok(low + start as u64);
            }
            start = end + 1;
        }
        Ok(high)
    }

    /// The start and key of the last line.
    fn last_line(&mut self, order: &mut Order) -> Result<Option<(u64, Key)>> {
        let size = self.source.size();
        let mut window = WINDOW;
        loop {
            let start = size.saturating_sub(window);
            let bytes = self.source.read_range(ByteRange::new(start, size))?;
            self.bytes_read += bytes.len() as u64;
            let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
            match memchr::memrchr(b'\n', body) {
                Some(newline) => {
                    let offset = start + newline as u64 + 1;
                    return Ok(Some((
                        offset,
                        self.key(order, &body[newline + 1..], offset)?,
                    )));
                }
                None if start == 0 => {
                    return if body.is_empty() {
                        Ok(None)
                    } else {
                        Ok(Some((0, self.key(order, body, 0)?)))
                    }
                }
                None => window *= 2,
            }
        }
    }
}

/// How to plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// How many reducers (position ranges of about equal work).
    pub reducers: u64,
    /// How the partials are read; planning needs the reference order (a name map or a `.fai`).
    pub setup: Setup,
}

/// An mpileup plan: the reducers' chunks, and what sampling the partials cost.
pub type Plan = partition_core::Plan<MpileupStats>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MpileupStats {
    pub reducers: u64,
    /// Bytes of the partials read to find the cuts.
    pub bytes_read: u64,
}

impl fmt::Display for MpileupStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} reducers planned from {} bytes of sampled reads",
            self.reducers, self.bytes_read
        )
    }
}

/// Plans `options.reducers` position ranges over the partial pileups `inputs`.
pub fn plan(inputs: &[String], options: &PlanOptions) -> Result<Plan> {
    let (setup, reducers) = (&options.setup, options.reducers);
    if setup.map.is_none() && setup.fai.is_none() {
        return Err(Error::Usage(
            "planning needs the reference order: a .fai or a name map".to_string(),
        ));
    }
    if reducers == 0 {
        return Err(Error::Usage(
            "the number of reducers must be above 0".to_string(),
        ));
    }
    let mut order = setup.order()?;
    let mut sampled: Vec<Sampled> = inputs
        .iter()
        .map(|url| {
            Ok(Sampled {
                source: Source::open(url)?,
                bytes_read: 0,
            })
        })
        .collect::<Result<_>>()?;
    // Samples: (offset, key) of the first line after evenly spaced offsets, per input, and of
    // the last line; about 16 per reducer in all.
    let per_input = (reducers * 16 / inputs.len() as u64).clamp(8, 256);
    let mut samples: Vec<Vec<(u64, Key)>> = Vec::with_capacity(sampled.len());
    for input in &mut sampled {
        let size = input.source.size();
        let mut points: Vec<(u64, Key)> = Vec::new();
        for k in 0..per_input {
            if let Some((offset, key)) = input.line_at(&mut order, size * k / per_input)? {
                if points.last().is_none_or(|&(last, _)| offset > last) {
                    points.push((offset, key));
                }
            }
        }
        if let Some(last) = input.last_line(&mut order)? {
            if points.last().is_none_or(|&(offset, _)| last.0 > offset) {
                points.push(last);
            }
        }
        if points.windows(2).any(|pair| pair[1].1 < pair[0].1) {
            return Err(Error::bad_file(
                input.source.url(),
                "lines are not in reference order (unsorted input)",
            ));
        }
        samples.push(points);
    }
    // Bytes below a cut, estimated from the samples.
    let below = |cut: Key| -> u64 {
        sampled
            .iter()
            .zip(&samples)
            .map(|(input, points)| {
                points
                    .iter()
                    .find(|(_, key)| *key >= cut)
                    .map_or(input.source.size(), |&(offset, _)| offset)
            })
            .sum()
    };
    let total: u64 = sampled.iter().map(|input| input.source.size()).sum();
    let mut candidates: Vec<Key> = samples.iter().flatten().map(|&(_, key)| key).collect();
    candidates.sort_unstable();
    candidates.dedup();
    let mut cuts: Vec<Key> = Vec::new();
    for j in 1..reducers {
        let target = total * j / reducers;
        let best = candidates
            .iter()
            .filter(|&&key| cuts.last().is_none_or(|&last| key > last))
            .min_by_key(|&&key| below(key).abs_diff(target));
        if let Some(&key) = best {
            if below(key) > 0 {
                cuts.push(key);
            }
        }
    }
    // Exact byte boundaries of every cut in every input.
    let mut boundaries: Vec<Vec<u64>> = Vec::with_capacity(sampled.len());
    for (input, points) in sampled.iter_mut().zip(&samples) {
        let size = input.source.size();
        let mut offsets = vec![0];
        for &cut in &cuts {
            let low = points
                .iter()
                .rev()
                .find(|(_, key)| *key < cut)
                .map_or(0, |&(offset, _)| offset);
            let high = points
                .iter()
                .find(|(_, key)| *key >= cut)
                .map_or(size, |&(offset, _)| offset);
            let low = low.max(*offsets.last().expect("starts with 0"));
            offsets.push(input.lower_bound(&mut order, cut, low, high.max(low))?);
        }
        offsets.push(size);
        boundaries.push(offsets);
    }
    let name = |key: Key| (order.name(key.rank).to_string(), key.position);
    let ranges: Vec<(Option<Key>, Option<Key>, Vec<SourceRanges>)> = (0..=cuts.len())
        .map(|j| {
            let sources = sampled
                .iter()
                .zip(&boundaries)
                .filter(|(_, offsets)| offsets[j + 1] > offsets[j])
                .map(|(input, offsets)| SourceRanges {
                    url: input.source.url().to_string(),
                    size: Some(input.source.size()),
                    ranges: vec![ByteRange::new(offsets[j], offsets[j + 1])],
                })
                .collect();
            (
                j.checked_sub(1).map(|i| cuts[i]),
                cuts.get(j).copied(),
                sources,
            )
        })
        .filter(|(_, _, sources): &(_, _, Vec<SourceRanges>)| !sources.is_empty())
        .collect();
    let mut manifest = ManifestBuilder::new(Kind::Mpileup);
    for (from, to, sources) in ranges {
        let est_bytes = sources.iter().map(|s| s.ranges[0].len()).sum();
        let detail = MpileupDetail {
            from: from.map(name),
            to: to.map(name),
            map: setup.map.clone(),
            fai: setup.fai.clone(),
            columns: setup.columns,
        };
        manifest.push("pileup", sources, est_bytes, detail);
    }
    let chunks = manifest.finish();
    let stats = MpileupStats {
        reducers: chunks.len() as u64,
        bytes_read: sampled.iter().map(|input| input.bytes_read).sum(),
    };
    Ok(Plan {
        chunks,
        warnings: Vec::new(),
        stats,
    })
}
