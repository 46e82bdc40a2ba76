//! The chunks of a run, read from the manifest as workers ask for them, so that a run holds
//! the chunks in flight rather than the whole manifest: a 100,000-line manifest runs in the
//! memory of a 1,000-line one.

use std::sync::{Mutex, MutexGuard};

use partition_core::{Chunk, Error, Result};

/// A manifest's chunks, one at a time, for the workers of one run.
pub struct Feed {
    state: Mutex<State>,
}

/// What the run does with a chunk as it is read.
pub enum Admit {
    Run,
    /// Already done (`--resume`).
    Skip,
}

/// A manifest's chunks, as [`partition_core::ManifestReader`] reads them.
pub type Chunks = Box<dyn Iterator<Item = Result<Chunk>> + Send>;

struct State {
    chunks: Chunks,
    /// Read but not yet handed out (the first chunk, peeked at before the run starts).
    peeked: Option<Chunk>,
    read: usize,
    skipped: usize,
    /// Why the feed stopped early (a malformed line, a chunk the engine cannot run).
    error: Option<Error>,
    /// No more chunks will be handed out.
    closed: bool,
}

impl Feed {
    /// Reads the first chunk at once, so that a run can check it before it starts
    /// ([`Feed::first`]); an unreadable first line is the run's error.
    pub fn new(mut chunks: Chunks) -> Result<Feed> {
        let peeked = chunks.next().transpose()?;
        Ok(Feed {
            state: Mutex::new(State {
                chunks,
                peeked,
                read: 0,
                skipped: 0,
                error: None,
                closed: false,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The manifest's first chunk, if it has one.
    pub fn first(&self) -> Option<Chunk> {
        self.lock().peeked.clone()
    }

    /// The next chunk to run, in manifest order; chunks `admit` skips are counted and passed
    /// over. None once the manifest is done, or stopped by [`Feed::close`] or by an error
    /// (reading, or from `admit`), which [`Feed::finish`] returns.
    pub fn next(&self, admit: impl Fn(&Chunk) -> Result<Admit>) -> Option<Chunk> {
        let mut state = self.lock();
        while !state.closed {
            let chunk = match state.peeked.take().map(Ok).or_else(|| state.chunks.next()) {
                None => break,
                Some(Err(error)) => {
                    state.error = Some(error);
                    break;
                }
                Some(Ok(chunk)) => chunk,
            };
            state.read += 1;
            match admit(&chunk) {
                Ok(Admit::Run) => return Some(chunk),
                Ok(Admit::Skip) => state.skipped += 1,
                Err(error) => {
                    state.error = Some(error);
                    break;
                }
            }
        }
        state.closed = true;
        None
    }

    /// Hands out no more chunks (halt, interrupt).
    pub fn close(&self) {
        self.lock().closed = true;
    }

    /// The manifest's chunk count and how many were skipped, reading what is left of it to
    /// count it; or why the feed stopped.
    pub fn finish(self) -> Result<Tally> {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(error) = state.error {
            return Err(error);
        }
        let mut total = state.read + usize::from(state.peeked.is_some());
        for chunk in state.chunks {
            chunk?;
            total += 1;
        }
        Ok(Tally {
            total,
            skipped: state.skipped,
        })
    }
}

/// What a run's manifest held.
#[derive(Debug)]
pub struct Tally {
    pub total: usize,
    pub skipped: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(n: u64) -> Vec<Chunk> {
        let mut manifest = partition_core::ManifestBuilder::new(partition_core::Kind::Fastq);
        for i in 0..n {
            manifest.push(&format!("c{i}"), vec![], 0, ());
        }
        manifest.finish()
    }

    #[test]
    fn chunks_come_in_order_skipped_ones_counted() {
        let feed = Feed::new(Box::new(chunks(5).into_iter().map(Ok))).unwrap();
        assert_eq!(feed.first().unwrap().seq, 0);
        let admit = |chunk: &Chunk| {
            Ok(if chunk.seq == 1 {
                Admit::Skip
            } else {
                Admit::Run
            })
        };
        let seqs: Vec<u64> = std::iter::from_fn(|| feed.next(admit))
            .map(|chunk| chunk.seq)
            .collect();
        assert_eq!(seqs, [0, 2, 3, 4]);
        let tally = feed.finish().unwrap();
        assert_eq!((tally.total, tally.skipped), (5, 1));
    }

    #[test]
    fn a_closed_feed_still_counts_the_whole_manifest() {
        let feed = Feed::new(Box::new(chunks(5).into_iter().map(Ok))).unwrap();
        assert!(feed.next(|_| Ok(Admit::Run)).is_some());
        feed.close();
        assert!(feed.next(|_| Ok(Admit::Run)).is_none());
        assert_eq!(feed.finish().unwrap().total, 5);
    }

    #[test]
    fn a_bad_line_stops_the_feed_and_is_the_error() {
        let mut items: Vec<Result<Chunk>> = chunks(3).into_iter().map(Ok).collect();
        items.insert(
            2,
            Err(Error::bad_input(
                "m.jsonl",
                partition_core::Position::Line(3),
                "not JSON",
            )),
        );
        let feed = Feed::new(Box::new(items.into_iter())).unwrap();
        let handed = std::iter::from_fn(|| feed.next(|_| Ok(Admit::Run))).count();
        assert_eq!(handed, 2);
        assert!(feed.finish().unwrap_err().to_string().contains("not JSON"));
    }
}
