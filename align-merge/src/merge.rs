//! The merge: every input read in step, one template (the records of one read name) at a time,
//! each segment's best hits kept, mates put back together, records written in read order.

use std::collections::VecDeque;
use std::fmt;
use std::io::BufReader;

use fasta::NameMap;
use noodles_sam::{self as sam, alignment::RecordBuf};
use partition_core::{Error, Result, Source};

use crate::choose::{choose, proper_best_pairs, Choice, Hit, Locus};
use crate::header::output_header;
use crate::hits::{bad_record, first_flags, hit_of, mate_of, segment_of};
use crate::input::{read_name, Input, Record};
use crate::lift::{Lift, Placement};
use crate::mates::{self, Mate, PairRule, HOLD_LIMIT};
use crate::records::{lifted, mark_tied, raise_suboptimal};
use crate::step::{in_part_order, read_in_step};
use crate::writer::{OutputFormat, Writer};

/// What to merge against and where to write.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// The name map of `fasta-split plan --map`.
    pub map: String,
    /// The original reference's `.fai`: the output's `@SQ` lines, in its order.
    pub fai: String,
    /// Local path, `s3://` URL or `-`.
    pub output: String,
    /// None: BAM for a `.bam` output, SAM otherwise.
    pub format: Option<OutputFormat>,
    /// The command line, for align-merge's `@PG CL`.
    pub command_line: String,
}

/// What the merge kept, for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeStats {
    pub templates: u64,
    /// Reads (each mate of a pair counts).
    pub reads: u64,
    pub unique: u64,
    pub tied: u64,
    pub unmapped: u64,
    /// Pairs whose mates were kept from different parts, judged by align-merge.
    pub judged_pairs: u64,
    pub judged_proper: u64,
    /// The insert sizes of the aligner's proper pairs, the rule's range.
    pub insert_range: Option<(u64, u64)>,
}

impl fmt::Display for MergeStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} reads: {} with one best hit, {} tied at several loci (MAPQ 0, XA), {} unmapped in every part",
            self.reads, self.unique, self.tied, self.unmapped
        )?;
        if self.reads > self.templates {
            write!(
                f,
                "; {} pairs with mates from different parts, {} of them proper",
                self.judged_pairs, self.judged_proper
            )?;
            if let Some((smallest, largest)) = self.insert_range {
                write!(
                    f,
                    " (inserts {smallest}-{largest} as the aligner's proper pairs show)"
                )?;
            }
        }
        Ok(())
    }
}

/// Merges the aligner outputs `inputs` (one per reference part, in any order) of one read chunk.
pub fn merge(inputs: &[String], options: &MergeOptions) -> Result<MergeStats> {
    if inputs.iter().filter(|url| *url == "-").count() > 1 {
        return Err(Error::Usage(
            "stdin (-) can be only one of the inputs".to_string(),
        ));
    }
    let map = NameMap::read(
        BufReader::new(Source::open(&options.map)?.reader()?),
        &options.map,
    )?;
    let fai = fasta::fai::read(
        BufReader::new(Source::open(&options.fai)?.reader()?),
        &options.fai,
    )?;
    let sequences: Vec<(String, u64)> = fai.into_iter().map(|r| (r.name, r.length)).collect();
    let lift = Lift::new(map, &sequences, &options.map)?;
    let opened = inputs
        .iter()
        .map(|url| Input::open(url))
        .collect::<Result<Vec<_>>>()?;
    let format = options
        .format
        .unwrap_or_else(|| OutputFormat::of_path(&options.output));
    let mut writer = Writer::create(&options.output, format)?;
    let stats = merge_inputs(
        opened,
        &lift,
        &sequences,
        &options.command_line,
        &mut writer,
    )?;
    writer.finish()?;
    Ok(stats)
}

/// Where merged records go: the output header once, then the records in read order.
pub trait Sink {
    fn header(&mut self, header: &sam::Header) -> Result<()>;
    fn record(&mut self, header: &sam::Header, record: &RecordBuf) -> Result<()>;
}

/// Merges opened inputs against the original `sequences` (`.fai` order) into `sink`.
pub fn merge_inputs(
    inputs: Vec<Input>,
    lift: &Lift,
    sequences: &[(String, u64)],
    command_line: &str,
    sink: &mut dyn Sink,
) -> Result<MergeStats> {
    let mut parts = in_part_order(inputs, lift)?;
    let header = output_header(
        sequences,
        &parts.iter().map(|(input, _)| input).collect::<Vec<_>>(),
        command_line,
    )?;
    sink.header(&header)?;
    let mut merger = Merger {
        header: &header,
        lift,
        rule: PairRule::default(),
        held: VecDeque::new(),
        stats: MergeStats::default(),
    };
    let mut templates: Vec<Vec<Record>> = parts.iter().map(|_| Vec::new()).collect();
    while read_in_step(&mut parts, &mut templates)? {
        let resolved = merger.resolve(&parts, &templates)?;
        merger.emit(resolved, sink)?;
    }
    merger.flush(sink)?;
    merger.stats.insert_range = merger.rule.insert_range();
    Ok(merger.stats)
}

/// One template's kept records, per segment (the primary first), before its mate fields are
/// set.
struct Resolved {
    segments: Vec<Vec<RecordBuf>>,
    /// Mates kept from different parts: align-merge judges the pair.
    judge: bool,
}

struct Merger<'a> {
    header: &'a sam::Header,
    lift: &'a Lift,
    rule: PairRule,
    /// Templates waiting for the pair rule to warm up.
    held: VecDeque<Resolved>,
    stats: MergeStats,
}

impl Merger<'_> {
    fn resolve(
        &mut self,
        parts: &[(Input, Vec<Placement>)],
        templates: &[Vec<Record>],
    ) -> Result<Resolved> {
        let paired = first_flags(parts, templates)?.is_segmented();
        let segments = if paired { 2 } else { 1 };
        let mut hits: Vec<Vec<Hit>> = vec![Vec::new(); segments];
        for (index, ((input, placed), records)) in parts.iter().zip(templates).enumerate() {
            let mut primaries: Vec<Vec<Hit>> = vec![Vec::new(); segments];
            for (number, record) in records.iter().enumerate() {
                let hit = hit_of(input, placed, index, number, record)?;
                let segment = segment_of(input, number, record, paired)?;
                if hit.primary {
                    primaries[segment].push(hit);
                }
                hits[segment].push(hit);
            }
            for (segment, found) in primaries.iter().enumerate() {
                if found.len() != 1 {
                    let what = match (paired, segment) {
                        (false, _) => "the read",
                        (true, 0) => "the first mate",
                        (true, _) => "the second mate",
                    };
                    let name = read_name(records[0].get().name().expect("named"));
                    return Err(Error::bad_input(
                        &input.name,
                        input.position_of(0),
                        format!(
                            "read {name}: {} primary records of {what}, not one (an aligner writes every read once, mapped or not)",
                            found.len()
                        ),
                    ));
                }
            }
            if paired {
                self.observe_pair(input, records, primaries[0][0], primaries[1][0])?;
            }
        }
        let paired_at: Vec<Vec<Locus>> = match &hits[..] {
            [first, second] => {
                let pairs = proper_best_pairs(first, second);
                vec![
                    pairs.iter().map(|pair| pair.0).collect(),
                    pairs.iter().map(|pair| pair.1).collect(),
                ]
            }
            _ => vec![Vec::new()],
        };
        let mut kept = Vec::with_capacity(segments);
        let mut inputs = Vec::with_capacity(segments);
        for (segment_hits, paired_at) in hits.iter().zip(&paired_at) {
            let choice = choose(segment_hits, paired_at);
            let chosen = choice.kept();
            let (input, placed) = &parts[chosen.input];
            let records = &templates[chosen.input];
            let mut primary = lifted(input, placed, &records[chosen.record], self.lift)?;
            self.stats.reads += 1;
            match &choice {
                Choice::Unmapped { .. } => self.stats.unmapped += 1,
                Choice::Unique { runner_up, .. } => {
                    self.stats.unique += 1;
                    if let Some(score) = runner_up {
                        raise_suboptimal(&mut primary, *score);
                    }
                }
                Choice::Tied { others, .. } => {
                    self.stats.tied += 1;
                    let others = others
                        .iter()
                        .map(|hit| {
                            let (input, placed) = &parts[hit.input];
                            let record = &templates[hit.input][hit.record];
                            Ok((*hit, lifted(input, placed, record, self.lift)?))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    mark_tied(&mut primary, &others, self.lift, chosen.score);
                }
            }
            let mut segment_records = vec![primary];
            for hit in segment_hits
                .iter()
                .filter(|hit| hit.input == chosen.input && hit.supplementary)
            {
                segment_records.push(lifted(input, placed, &records[hit.record], self.lift)?);
            }
            kept.push(segment_records);
            inputs.push(chosen.input);
        }
        self.stats.templates += 1;
        Ok(Resolved {
            judge: paired && inputs[0] != inputs[1],
            segments: kept,
        })
    }

    /// Learns the proper-pair rule from a pair the aligner of one part called proper.
    fn observe_pair(
        &mut self,
        input: &Input,
        records: &[Record],
        first: Hit,
        second: Hit,
    ) -> Result<()> {
        let flags = records[first.record]
            .get()
            .flags()
            .map_err(|e| bad_record(input, e))?;
        if !flags.is_properly_segmented() {
            return Ok(());
        }
        let a = mate_of(input, &records[first.record], first)?;
        let b = mate_of(input, &records[second.record], second)?;
        if let (Some(a), Some(b)) = (a, b) {
            self.rule.observe(a, b);
        }
        Ok(())
    }

    /// Writes a resolved template, or holds it while the pair rule warms up (read order kept).
    fn emit(&mut self, resolved: Resolved, sink: &mut dyn Sink) -> Result<()> {
        if self.held.is_empty() && (!resolved.judge || self.rule.is_warm()) {
            return self.write(resolved, sink);
        }
        self.held.push_back(resolved);
        if self.rule.is_warm() || self.held.len() >= HOLD_LIMIT {
            self.flush(sink)?;
        }
        Ok(())
    }

    fn flush(&mut self, sink: &mut dyn Sink) -> Result<()> {
        while let Some(resolved) = self.held.pop_front() {
            self.write(resolved, sink)?;
        }
        Ok(())
    }

    fn write(&mut self, mut resolved: Resolved, sink: &mut dyn Sink) -> Result<()> {
        if resolved.segments.len() == 2 {
            let (first, second) = resolved.segments.split_at_mut(1);
            let (first, second) = (&mut first[0], &mut second[0]);
            mates::place_unmapped(&mut first[0], &second[0]);
            mates::place_unmapped(&mut second[0], &first[0]);
            let (mate_of_second, mate_of_first) = (first[0].clone(), second[0].clone());
            let pairing = if resolved.judge {
                self.stats.judged_pairs += 1;
                let judged = match (Mate::of(&mate_of_second), Mate::of(&mate_of_first)) {
                    (Some(a), Some(b)) => {
                        let proper = self.rule.is_proper(a, b);
                        (
                            proper,
                            mates::template_length(a, b),
                            mates::template_length(b, a),
                        )
                    }
                    _ => (false, 0, 0),
                };
                self.stats.judged_proper += u64::from(judged.0);
                Some(judged)
            } else {
                None
            };
            for record in first.iter_mut() {
                mates::set_mate_fields(record, &mate_of_first, pairing.map(|(p, a, _)| (p, a)));
            }
            for record in second.iter_mut() {
                mates::set_mate_fields(record, &mate_of_second, pairing.map(|(p, _, b)| (p, b)));
            }
        }
        for record in resolved.segments.iter().flatten() {
            sink.record(self.header, record)?;
        }
        Ok(())
    }
}
