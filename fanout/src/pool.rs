//! The pool: at most `jobs` tasks at once on a per-attempt [`Backend`] (local processes or
//! Lambda invocations), each retried with backoff, outputs printed whole, a failure halting
//! the run as asked, and running processes killed on timeout, halt or interrupt.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use partition_core::{progress, Chunk, Result};

use crate::backend::{Backend, Outcome};
use crate::driver::{Driver, RunContext};
use crate::options::{Halt, RunOptions};
use crate::spool::Spool;
use crate::summary::{attempt_line, Summary};

/// Runs tasks through a per-attempt backend.
pub struct Pool<'a> {
    pub backend: &'a dyn Backend,
}

impl Driver for Pool<'_> {
    fn drive(&self, todo: &[&Chunk], run: &RunContext) -> Result<Summary> {
        let (backend, options) = (self.backend, run.options);
        let backend_name = backend.name();
        let bar = progress::items(todo.len() as u64, options.quiet, "chunks");
        let stopping = AtomicBool::new(false);
        let kill_running = AtomicBool::new(false);
        let finished = AtomicBool::new(false);
        let next = AtomicUsize::new(0);
        let mut printer = Printer::new(options.keep_order, run.chunks);
        for chunk in run
            .chunks
            .iter()
            .filter(|chunk| run.done.contains(&chunk.id))
        {
            printer.emit(chunk.seq, Spool::new());
        }
        let printer = Mutex::new(printer);
        let summary = Mutex::new(Summary::default());
        let record_error = Mutex::new(None);
        let (interrupted, processes) = (run.interrupted, run.processes);

        thread::scope(|scope| {
            scope.spawn(|| {
                while !finished.load(Ordering::Relaxed) {
                    if interrupted.load(Ordering::Relaxed) || kill_running.load(Ordering::Relaxed) {
                        processes.terminate_all();
                    }
                    processes.enforce();
                    thread::sleep(Duration::from_millis(10));
                }
            });
            let workers: Vec<_> = (0..options.jobs.max(1).min(todo.len().max(1)))
                .map(|_| {
                    scope.spawn(|| loop {
                        if interrupted.load(Ordering::Relaxed) || stopping.load(Ordering::Relaxed) {
                            break;
                        }
                        let Some(chunk) = todo.get(next.fetch_add(1, Ordering::Relaxed)) else {
                            break;
                        };
                        let mut outcome =
                            run_with_retries(backend, chunk, options, interrupted, |outcome| {
                                if let Some(joblog) = run.joblog {
                                    if let Err(error) = joblog.record(&backend_name, outcome) {
                                        record_error
                                            .lock()
                                            .unwrap_or_else(|e| e.into_inner())
                                            .get_or_insert(error);
                                    }
                                }
                                if !options.quiet {
                                    let line = attempt_line(outcome);
                                    let _guard =
                                        run.stderr_lock.lock().unwrap_or_else(|e| e.into_inner());
                                    bar.suspend(|| eprintln!("{line}"));
                                }
                            });
                        bar.inc(1);
                        let stdout = std::mem::take(&mut outcome.stdout);
                        printer
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .emit(outcome.seq, stdout);
                        let mut summary = summary.lock().unwrap_or_else(|e| e.into_inner());
                        summary.bytes_in += outcome.bytes_in;
                        summary.bytes_out += outcome.bytes_out;
                        if outcome.succeeded() {
                            summary.succeeded += 1;
                        } else {
                            summary.failed.push(outcome.id.clone());
                            bar.set_message(format!("chunks ({} failed)", summary.failed.len()));
                            match options.halt {
                                Halt::Never => {}
                                Halt::Soon => stopping.store(true, Ordering::Relaxed),
                                Halt::Now => {
                                    stopping.store(true, Ordering::Relaxed);
                                    kill_running.store(true, Ordering::Relaxed);
                                }
                            }
                        }
                    })
                })
                .collect();
            for worker in workers {
                let _ = worker.join();
            }
            finished.store(true, Ordering::Relaxed);
        });
        bar.finish_and_clear();

        let mut printer = printer.into_inner().unwrap_or_else(|e| e.into_inner());
        printer.finish();
        if let Some(error) = printer.error {
            return Err(partition_core::Error::io("<stdout>", error));
        }
        if let Some(error) = record_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(error);
        }
        Ok(summary.into_inner().unwrap_or_else(|e| e.into_inner()))
    }

    fn usage(&self) -> Option<String> {
        self.backend.usage()
    }
}

/// Runs attempts until one succeeds or the retries are spent; `report` sees every attempt.
fn run_with_retries(
    backend: &dyn Backend,
    chunk: &Chunk,
    options: &RunOptions,
    interrupted: &AtomicBool,
    report: impl Fn(&Outcome),
) -> Outcome {
    let mut attempt = 1;
    loop {
        let outcome = backend.run(chunk, attempt);
        report(&outcome);
        if outcome.succeeded() || attempt > options.retries || interrupted.load(Ordering::Relaxed) {
            return outcome;
        }
        options.retry_backoff().sleep(attempt, interrupted);
        attempt += 1;
    }
}

/// Writes each task's stdout whole, in completion order or in manifest order.
struct Printer {
    keep_order: bool,
    /// Manifest positions still to be printed, in order.
    order: Vec<u64>,
    next: usize,
    waiting: BTreeMap<u64, Spool>,
    error: Option<io::Error>,
}

impl Printer {
    fn new(keep_order: bool, chunks: &[Chunk]) -> Printer {
        let mut order: Vec<u64> = chunks.iter().map(|chunk| chunk.seq).collect();
        order.sort_unstable();
        Printer {
            keep_order,
            order,
            next: 0,
            waiting: BTreeMap::new(),
            error: None,
        }
    }

    fn emit(&mut self, seq: u64, stdout: Spool) {
        if !self.keep_order {
            self.write(stdout);
            return;
        }
        self.waiting.insert(seq, stdout);
        while let Some(stdout) = self
            .order
            .get(self.next)
            .and_then(|seq| self.waiting.remove(seq))
        {
            self.write(stdout);
            self.next += 1;
        }
    }

    /// Prints what still waits behind chunks that never ran (halted, interrupted).
    fn finish(&mut self) {
        for stdout in std::mem::take(&mut self.waiting).into_values() {
            self.write(stdout);
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
