//! The pool: at most `jobs` tasks at once on a per-attempt [`Backend`] (local processes or
//! Lambda invocations), each retried with backoff, stragglers backed up (`--speculate`),
//! outputs printed whole, a failure halting the run as asked, and running processes killed
//! on timeout, halt or interrupt.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use indicatif::ProgressBar;
use partition_core::backoff::sleep_until;
use partition_core::{progress, Chunk, Result};

use crate::backend::{Attempt, Backend, Outcome};
use crate::driver::{Driver, RunContext};
use crate::options::Halt;
use crate::speculate::{Flight, Flights};
use crate::spool::Spool;
use crate::summary::{attempt_line, Summary};

/// How often idle workers look for a straggler to back up.
const LOOK: Duration = Duration::from_millis(20);

/// Runs tasks through a per-attempt backend.
pub struct Pool<'a> {
    pub backend: &'a dyn Backend,
}

impl Driver for Pool<'_> {
    fn drive(&self, run: &RunContext) -> Result<Summary> {
        let options = run.options;
        // A plan's chunks all carry its chunk count.
        let total = run.feed.first().map_or(0, |chunk| chunk.total);
        let work = Work {
            backend: self.backend,
            backend_name: self.backend.name(),
            run,
            bar: progress::items(total, options.quiet, "chunks"),
            flights: Flights::default(),
            stopping: AtomicBool::new(false),
            kill_running: AtomicBool::new(false),
            printer: Mutex::new(Printer::new(options.keep_order)),
            summary: Mutex::default(),
            record_error: Mutex::new(None),
        };
        let finished = AtomicBool::new(false);
        let (interrupted, processes) = (run.interrupted, run.processes);

        thread::scope(|scope| {
            scope.spawn(|| {
                while !finished.load(Ordering::Relaxed) {
                    if interrupted.load(Ordering::Relaxed)
                        || work.kill_running.load(Ordering::Relaxed)
                    {
                        processes.terminate_all();
                    }
                    processes.enforce();
                    thread::sleep(Duration::from_millis(10));
                }
            });
            let workers: Vec<_> = (0..options.jobs.min(total.max(1) as usize).max(1))
                .map(|_| {
                    scope.spawn(|| loop {
                        if interrupted.load(Ordering::Relaxed)
                            || work.stopping.load(Ordering::Relaxed)
                        {
                            break;
                        }
                        if let Some(chunk) = work.next_chunk() {
                            work.primary(chunk);
                            continue;
                        }
                        // Nothing left to start: back up a straggler, or stop.
                        let Some(factor) = options.speculate else {
                            break;
                        };
                        if work.flights.is_empty() {
                            break;
                        }
                        match work.flights.straggler(factor) {
                            Some((flight, number)) => work.backup(&flight, number),
                            None => thread::sleep(LOOK),
                        }
                    })
                })
                .collect();
            for worker in workers {
                let _ = worker.join();
            }
            finished.store(true, Ordering::Relaxed);
        });
        work.bar.finish_and_clear();

        let mut printer = work.printer.into_inner().unwrap_or_else(|e| e.into_inner());
        printer.finish();
        if let Some(error) = printer.error {
            return Err(partition_core::Error::io("<stdout>", error));
        }
        if let Some(error) = work
            .record_error
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
        {
            return Err(error);
        }
        Ok(work.summary.into_inner().unwrap_or_else(|e| e.into_inner()))
    }

    fn usage(&self) -> Option<String> {
        self.backend.usage()
    }
}

/// What the pool's workers share.
struct Work<'a, 'r> {
    backend: &'a dyn Backend,
    backend_name: String,
    run: &'r RunContext<'r>,
    bar: ProgressBar,
    flights: Flights,
    stopping: AtomicBool,
    kill_running: AtomicBool,
    printer: Mutex<Printer>,
    summary: Mutex<Summary>,
    record_error: Mutex<Option<partition_core::Error>>,
}

impl Work<'_, '_> {
    /// The next chunk to run, its place in the output order taken as it is read; none at the
    /// manifest's end or when it cannot be run (the error ends the run).
    fn next_chunk(&self) -> Option<Chunk> {
        self.run.next_chunk(
            |chunk| {
                self.backend.check(chunk)?;
                self.printer
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .expect(chunk.seq);
                Ok(())
            },
            || self.bar.inc(1),
        )
    }

    /// Runs a chunk's attempts until one succeeds, its retries are spent, or its backup wins.
    fn primary(&self, chunk: Chunk) {
        let options = self.run.options;
        let flight = self.flights.add(chunk);
        let mut failures = 0;
        let outcome = loop {
            let number = flight.primary_attempt();
            let outcome = self.attempt(&flight, number);
            if outcome.succeeded() || flight.race.winner().is_some() {
                break outcome;
            }
            failures += 1;
            if failures > options.retries || self.run.interrupted.load(Ordering::Relaxed) {
                break outcome;
            }
            flight.primary_waits();
            let wait = options.retry_backoff().delay(failures);
            if sleep_until(wait, || {
                self.run.interrupted.load(Ordering::Relaxed) || flight.race.winner().is_some()
            }) {
                break outcome;
            }
        };
        if flight.race.winner().is_none() {
            // A backup still running may yet succeed.
            while flight.backup_running() {
                thread::sleep(LOOK);
            }
        }
        // The attempt that won the race decides the chunk (it may still have failed to
        // publish its output); with no winner, the last attempt does.
        if flight
            .race
            .winner()
            .is_none_or(|winner| winner == outcome.attempt)
        {
            self.settle(&flight, outcome);
        }
        self.flights.remove(&flight);
    }

    /// Runs a straggler's backup attempt; it decides the chunk if it wins the race.
    fn backup(&self, flight: &Arc<Flight>, number: u32) {
        let outcome = self.attempt(flight, number);
        flight.backup_done();
        if flight.race.winner() == Some(number) {
            self.settle(flight, outcome);
        }
    }

    /// One attempt, judged against the others of its chunk and logged.
    fn attempt(&self, flight: &Flight, number: u32) -> Outcome {
        let race = &flight.race;
        flight.attempt_starts();
        let mut outcome = self.backend.run(&flight.chunk, &Attempt { number, race });
        if outcome.succeeded() {
            // Backends running elsewhere (Lambda) publish once by themselves; this claim
            // decides the race here.
            outcome.lost = race.claim(number).is_none();
        }
        flight.attempt_judged();
        if outcome.lost {
            // An attempt elsewhere stops once the winner's output appears, and its answer may
            // reach us before the winner's own: wait for the winner to claim here.
            while race.winner().is_none() && flight.unjudged() > 0 {
                thread::sleep(LOOK);
            }
        }
        if outcome.lost && race.winner().is_none() {
            // No attempt of this run wrote the output that stopped this one.
            outcome.lost = false;
            outcome.error = Some(format!(
                "{} exists already, and with --speculate outputs are only created: remove it, \
                 or --resume",
                self.run.options.task.output_name(&flight.chunk)
            ));
        }
        self.record(&outcome);
        outcome
    }

    fn record(&self, outcome: &Outcome) {
        if let Some(joblog) = self.run.joblog {
            if let Err(error) = joblog.record(&self.backend_name, outcome) {
                self.record_error
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert(error);
            }
        }
        if !self.run.options.quiet {
            let line = attempt_line(outcome);
            let _guard = self
                .run
                .stderr_lock
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            self.bar.suspend(|| eprintln!("{line}"));
        }
    }

    /// Decides a chunk by its last attempt: counted, printed, and halting the run if asked.
    fn settle(&self, flight: &Flight, mut outcome: Outcome) {
        if !flight.settle() {
            return;
        }
        self.bar.inc(1);
        if outcome.succeeded() {
            self.flights.finished(outcome.runtime);
        }
        let stdout = std::mem::take(&mut outcome.stdout);
        self.printer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .emit(outcome.seq, stdout);
        let mut summary = self.summary.lock().unwrap_or_else(|e| e.into_inner());
        summary.bytes_in += outcome.bytes_in;
        summary.bytes_out += outcome.bytes_out;
        if outcome.succeeded() {
            summary.succeeded += 1;
            return;
        }
        summary.failed.push(outcome.id.clone());
        self.bar
            .set_message(format!("chunks ({} failed)", summary.failed.len()));
        match self.run.options.halt {
            Halt::Never => {}
            Halt::Soon => self.stopping.store(true, Ordering::Relaxed),
            Halt::Now => {
                self.stopping.store(true, Ordering::Relaxed);
                self.kill_running.store(true, Ordering::Relaxed);
            }
        }
    }
}

/// Writes each task's stdout whole, in completion order or in manifest order.
struct Printer {
    keep_order: bool,
    /// Chunks started and not yet printed, in manifest order.
    expected: VecDeque<u64>,
    waiting: HashMap<u64, Spool>,
    error: Option<io::Error>,
}

impl Printer {
    fn new(keep_order: bool) -> Printer {
        Printer {
            keep_order,
            expected: VecDeque::new(),
            waiting: HashMap::new(),
            error: None,
        }
    }

    /// A chunk starts: with `keep_order`, its output comes after those of earlier chunks.
    fn expect(&mut self, seq: u64) {
        if self.keep_order {
            self.expected.push_back(seq);
        }
    }

    fn emit(&mut self, seq: u64, stdout: Spool) {
        if !self.keep_order {
            self.write(stdout);
            return;
        }
        self.waiting.insert(seq, stdout);
        while let Some(stdout) = self
            .expected
            .front()
            .and_then(|seq| self.waiting.remove(seq))
        {
            self.write(stdout);
            self.expected.pop_front();
        }
    }

    /// Prints what still waits behind chunks that never finished (halted, interrupted), in
    /// manifest order.
    fn finish(&mut self) {
        for seq in std::mem::take(&mut self.expected) {
            if let Some(stdout) = self.waiting.remove(&seq) {
                self.write(stdout);
            }
        }
    }

    fn write(&mut self, mut stdout: Spool) {
        if stdout.is_empty() || self.error.is_some() {
            return;
        }
        let mut out = io::stdout().lock();
        if let Err(error) = stdout.copy_to(&mut out).and_then(|()| out.flush()) {
            self.error = Some(error);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::atomic::AtomicBool;
    use std::time::Instant;

    use partition_core::{ByteRange, Kind, ManifestBuilder, SourceRanges};

    use super::*;
    use crate::feed::Feed;
    use crate::joblog::{self, JobLog};
    use crate::options::{Engine, RunOptions};
    use crate::processes::Processes;
    use crate::task::TaskSpec;

    /// Attempts that publish by themselves, as Lambda functions do: the straggler (chunk 2's
    /// first attempt) stops once its backup has published, and answers before the backup does.
    struct Elsewhere {
        published: AtomicBool,
    }

    impl Backend for Elsewhere {
        fn name(&self) -> String {
            "elsewhere".to_string()
        }

        fn run(&self, chunk: &Chunk, attempt: &Attempt) -> Outcome {
            let mut outcome = Outcome::new(chunk, attempt.number);
            match (chunk.seq, attempt.number) {
                (2, 1) => {
                    let since = Instant::now();
                    while !self.published.load(Ordering::Relaxed) {
                        assert!(since.elapsed() < Duration::from_secs(20), "no backup");
                        thread::sleep(Duration::from_millis(5));
                    }
                    outcome.lost = true;
                    outcome.signal = Some(15);
                }
                (2, _) => {
                    self.published.store(true, Ordering::Relaxed);
                    thread::sleep(Duration::from_millis(300));
                    outcome.exit_code = Some(0);
                }
                _ => {
                    thread::sleep(Duration::from_millis(20));
                    outcome.exit_code = Some(0);
                }
            }
            outcome
        }
    }

    #[test]
    fn a_straggler_stopped_by_its_backup_is_lost_even_when_it_answers_first() {
        let mut builder = ManifestBuilder::new(Kind::Fastq);
        for _ in 0..3 {
            let source = SourceRanges {
                url: "reads.fq".to_string(),
                size: Some(30),
                ranges: vec![ByteRange::new(0, 10)],
            };
            builder.push("reads", vec![source], 10, serde_json::Value::Null);
        }
        let chunks = builder.finish().into_iter().map(Ok);
        let feed = Feed::new(Box::new(chunks)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let joblog_path = dir.path().join("run.tsv");
        let options = RunOptions {
            engine: Engine::Local,
            task: TaskSpec {
                command: vec!["true".to_string()],
                out_dir: None,
                suffix: String::new(),
                feed_stdin: false,
                timeout: None,
                exclusive: true,
            },
            jobs: 2,
            keep_order: false,
            quiet: true,
            retries: 0,
            retry_delay: Duration::ZERO,
            halt: Halt::Never,
            speculate: Some(3.0),
            joblog: Some(joblog_path.clone()),
            resume: false,
            dry_run: false,
        };
        let joblog = JobLog::open(&joblog_path).unwrap();
        let (succeeded, interrupted) = (HashSet::new(), AtomicBool::new(false));
        let (processes, stderr_lock) = (Processes::default(), Mutex::new(()));
        let run = RunContext {
            options: &options,
            feed: &feed,
            succeeded: &succeeded,
            joblog: Some(&joblog),
            interrupted: &interrupted,
            processes: &processes,
            stderr_lock: &stderr_lock,
        };
        let backend = Elsewhere {
            published: AtomicBool::new(false),
        };
        let summary = Pool { backend: &backend }.drive(&run).unwrap();
        assert_eq!((summary.succeeded, summary.failed.len()), (3, 0));
        drop(joblog);
        let mut attempts: Vec<(String, u32, String)> = joblog::read(&joblog_path)
            .unwrap()
            .into_iter()
            .map(|row| (row.id, row.attempt, row.result))
            .collect();
        attempts.sort_unstable();
        let expected = [
            ("reads-0", 1, "ok"),
            ("reads-1", 1, "ok"),
            ("reads-2", 1, crate::backend::LOST),
            ("reads-2", 2, "ok"),
        ]
        .map(|(id, attempt, result)| (id.to_string(), attempt, result.to_string()));
        assert_eq!(attempts, expected);
    }
}
