//! The same rounds on the threads of one process: `fastq-split index -j N`.
//!
//! The file is cut into N parts, the first twice the others' size: its window is known (the
//! file's start), so its scan decodes once where the others decode twice. Each thread takes
//! the next part to build once the chain has reached it, else the next part to scan, so the
//! rounds overlap: the first part is built while the others are still scanned, and no thread
//! waits for a round to end. Every part is decoded in bounded stretches (scan) or streamed
//! (build), so memory is about N times one part's working set whatever the file's size, and
//! nothing runs alone but the chain (milliseconds a part): the time falls with N until the
//! storage's read rate or the memory bandwidth runs out.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use partition_core::{progress, ByteRange, Error, Result, Source};

use super::{build_part, join, scan, Chain, Part, PartIndex, PartScan, PartStart};
use crate::index::GzIndex;

/// The index of `source` built in parts on `threads` threads (`quiet`: no progress bar).
pub fn build_on_threads(
    source: &Source,
    span: u64,
    threads: usize,
    quiet: bool,
) -> Result<GzIndex> {
    build_in_parts_of(source, span, threads, quiet, PART_AT_LEAST)
}

/// [`build_on_threads`] with parts of `part_at_least` compressed bytes at least; exported only
/// to the fuzz target, whose small inputs make several parts only with small ones.
pub fn build_in_parts_of(
    source: &Source,
    span: u64,
    threads: usize,
    quiet: bool,
    part_at_least: u64,
) -> Result<GzIndex> {
    let parts = cut(source, threads as u64, span, part_at_least);
    let work = Work {
        parts: &parts,
        state: Mutex::new(State::new(parts.len())),
        changed: Condvar::new(),
        chain: Mutex::new(Chain::new(&parts[0])?),
        bar: progress::bytes(2 * source.size(), quiet, source.url()),
    };
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, parts.len()) {
            scope.spawn(|| work.run());
        }
    });
    work.bar.finish_and_clear();
    let state = work
        .state
        .into_inner()
        .expect("no thread panics holding it");
    if let Some(error) = state.error {
        return Err(error);
    }
    let starts: Vec<PartStart> = state.starts.into_iter().flatten().collect();
    let built: Vec<PartIndex> = state.built.into_iter().flatten().collect();
    join(&parts, &starts, built, quiet)
}

/// What the threads share.
struct Work<'a> {
    parts: &'a [Part],
    state: Mutex<State>,
    /// A part became ready to build, or the work failed.
    changed: Condvar,
    /// Taken by one thread at a time (the one that set `State::chaining`).
    chain: Mutex<Chain>,
    bar: progress::ProgressBar,
}

struct State {
    next_scan: usize,
    /// Scans the chain has not reached yet.
    scans: Vec<Option<PartScan>>,
    /// Parts whose start the chain has found.
    chained: usize,
    /// A thread is extending the chain: it takes every scan that comes next in order.
    chaining: bool,
    next_build: usize,
    starts: Vec<Option<PartStart>>,
    built: Vec<Option<PartIndex>>,
    error: Option<Error>,
}

impl State {
    fn new(parts: usize) -> State {
        State {
            next_scan: 0,
            scans: vec![None; parts],
            chained: 0,
            chaining: false,
            next_build: 0,
            starts: vec![None; parts],
            built: vec![None; parts],
            error: None,
        }
    }
}

enum Task {
    Scan(usize),
    Build(usize, PartStart),
}

impl Work<'_> {
    /// One thread's share: tasks until every part is built or one fails.
    fn run(&self) {
        let _wakes_the_others = OnPanic(self);
        while let Some(task) = self.next_task() {
            match task {
                Task::Scan(k) => {
                    let scanned = scan(&self.parts[k]);
                    self.bar.inc(self.parts[k].range.len());
                    let mut state = self.lock();
                    match scanned {
                        Ok(scanned) => state.scans[k] = Some(scanned),
                        Err(error) => self.fail(&mut state, error),
                    }
                    self.extend_chain(state);
                }
                Task::Build(k, start) => {
                    let built = build_part(&self.parts[k], &start);
                    self.bar.inc(self.parts[k].range.len());
                    let mut state = self.lock();
                    match built {
                        Ok(built) => state.built[k] = Some(built),
                        Err(error) => self.fail(&mut state, error),
                    }
                }
            }
        }
    }

    /// The next part ready to build, else the next to scan; waits while neither is there but
    /// builds are still to come. `None` once there is nothing left to take, or on failure.
    fn next_task(&self) -> Option<Task> {
        let mut state = self.lock();
        loop {
            if state.error.is_some() || state.next_build == self.parts.len() {
                return None;
            }
            if state.next_build < state.chained {
                let k = state.next_build;
                state.next_build += 1;
                let start = state.starts[k].clone().expect("chained parts have a start");
                return Some(Task::Build(k, start));
            }
            if state.next_scan < self.parts.len() {
                state.next_scan += 1;
                return Some(Task::Scan(state.next_scan - 1));
            }
            state = self
                .changed
                .wait(state)
                .expect("no thread panics holding it");
        }
    }

    /// Chains every scan that is next in order, unless another thread is at it (it will take
    /// this one's too); the chain itself runs unlocked, since a part with a false start is
    /// decoded again there.
    fn extend_chain<'s>(&'s self, mut state: MutexGuard<'s, State>) {
        while !state.chaining && state.error.is_none() {
            let k = state.chained;
            let Some(scanned) = state.scans.get_mut(k).and_then(Option::take) else {
                return;
            };
            state.chaining = true;
            drop(state);
            let start = self
                .chain
                .lock()
                .expect("no thread panics holding it")
                .next(&self.parts[k], scanned);
            state = self.lock();
            state.chaining = false;
            match start {
                Ok(start) => {
                    state.starts[k] = Some(start);
                    state.chained += 1;
                    self.changed.notify_all();
                }
                Err(error) => self.fail(&mut state, error),
            }
        }
    }

    fn fail(&self, state: &mut State, error: Error) {
        state.error.get_or_insert(error);
        self.changed.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("no thread panics holding it")
    }
}

/// Compressed bytes a part takes at least: a smaller one may hold no deflate block start, and
/// the chain then decodes it again, alone.
const PART_AT_LEAST: u64 = 64 << 10;

/// `count` parts of `source`, the first of twice the others' size (fewer where parts would be
/// smaller than `at_least` bytes).
fn cut(source: &Source, count: u64, span: u64, at_least: u64) -> Vec<Part> {
    let size = source.size();
    let count = count.min(size / at_least.max(1)).max(1);
    // Shares of the file: two for the first part, one for each other.
    let shares = count + 1;
    let start = |part: u64| match part {
        0 => 0,
        part => size * (part + 1) / shares,
    };
    (0..count)
        .map(|seq| Part {
            seq,
            url: source.url().to_string(),
            range: ByteRange::new(start(seq), start(seq + 1)),
            size,
            span,
        })
        .collect()
}

/// Fails the work if its thread panics, so that the others stop waiting for a part it will
/// never chain (the scope then passes the panic on).
struct OnPanic<'w, 'a>(&'w Work<'a>);

impl Drop for OnPanic<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let work = self.0;
            let mut state = work.state.lock().unwrap_or_else(PoisonError::into_inner);
            let error = Error::Failed("a thread building the index panicked".to_string());
            work.fail(&mut state, error);
        }
    }
}
