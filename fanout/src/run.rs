//! The scheduler: runs attempts on at most `jobs` chunks at once through a [`Backend`] (local
//! or Lambda), retries failures with backoff, enforces timeouts, halts on failure as asked,
//! writes the joblog, prints outputs whole, and stops cleanly on SIGINT or SIGTERM. A Slurm
//! run hands its rounds of job arrays to [`crate::slurm`] and shares the joblog, `--resume`
//! and the summary.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use partition_core::output::{create_output_dir, exists, join};
use partition_core::{progress, ByteSize, Chunk, Error, Result};

use crate::backend::{Backend, Outcome};
use crate::joblog::{self, JobLog};
use crate::local::{substitute, Local};
use crate::processes::Processes;
use crate::spool::Spool;

/// What to do when a chunk fails for good (after its retries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    /// Run every chunk regardless.
    Never,
    /// Start no new chunk; let running ones finish.
    Soon,
    /// Kill running chunks and stop.
    Now,
}

/// Where the tasks run.
#[derive(Debug, Clone, PartialEq)]
pub enum Engine {
    /// Child processes of the runner.
    Local,
    /// One invocation of an AWS Lambda function per attempt, outputs in S3.
    Lambda {
        function: String,
        /// Overrides the price table of the cost estimate.
        price: Option<crate::lambda::price::Price>,
    },
    /// One Slurm job array over the manifest; outputs on a filesystem every node shares.
    Slurm { partition: Option<String> },
}

pub struct RunOptions {
    pub engine: Engine,
    /// The command and its arguments, with `{id}`-style placeholders.
    pub command: Vec<String>,
    /// Tasks at once.
    pub jobs: usize,
    /// A folder or an `s3://` prefix.
    pub out_dir: Option<String>,
    /// Appended to the id to name output files.
    pub suffix: String,
    /// Emit outputs in manifest order rather than as tasks finish.
    pub keep_order: bool,
    /// Feed the chunk on stdin (off: the command reads the chunk itself).
    pub feed_stdin: bool,
    pub quiet: bool,
    /// Further attempts after a failure.
    pub retries: u32,
    /// Wait before the first retry; doubled for each later one (at most a minute).
    pub retry_delay: Duration,
    /// Per attempt; the task's whole process group is killed past it.
    pub timeout: Option<Duration>,
    pub halt: Halt,
    pub joblog: Option<PathBuf>,
    /// Skip chunks the joblog records as succeeded (and whose outputs exist).
    pub resume: bool,
    /// Print the commands instead of running them.
    pub dry_run: bool,
}

impl RunOptions {
    /// The wait before attempt `attempt + 1`: `retry_delay`, doubled for each later attempt,
    /// at most a minute.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        self.retry_delay
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(Duration::from_secs(60))
    }
}

/// How a run went.
#[derive(Debug, Default)]
pub struct Summary {
    pub succeeded: usize,
    pub failed: Vec<String>,
    /// Already done according to the joblog.
    pub skipped: usize,
    /// Never started (halted or interrupted).
    pub not_run: usize,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

/// Runs the command on every chunk; fails, listing them, if any chunk failed for good.
pub fn run(chunks: &[Chunk], options: &RunOptions) -> Result<Summary> {
    if options.command.is_empty() {
        return Err(Error::Usage(
            "no command given: fanout [OPTIONS] -- COMMAND [ARGS...]".to_string(),
        ));
    }
    if options.dry_run {
        return dry_run(chunks, options);
    }
    if let Some(dir) = &options.out_dir {
        create_output_dir(dir)?;
    }
    let done = match (&options.joblog, options.resume) {
        (Some(path), true) => already_done(path, chunks, options)?,
        (None, true) => return Err(Error::Usage("--resume needs --joblog FILE".to_string())),
        _ => HashSet::new(),
    };
    let joblog = options.joblog.as_deref().map(JobLog::open).transpose()?;
    let todo: Vec<&Chunk> = chunks
        .iter()
        .filter(|chunk| !done.contains(&chunk.id))
        .collect();

    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&interrupted))
            .map_err(|e| Error::io("signal handler", e))?;
    }
    let processes = Processes::default();
    let stderr_lock = Mutex::new(());
    let backend: Box<dyn Backend> = match &options.engine {
        Engine::Slurm { partition } => {
            let started = Instant::now();
            let mut summary = Summary {
                skipped: done.len(),
                ..Summary::default()
            };
            let slurm = crate::slurm::Slurm {
                partition: partition.as_deref(),
                options,
                joblog: joblog.as_ref(),
                interrupted: &interrupted,
            };
            slurm.run(&todo, &mut summary)?;
            return conclude(summary, chunks.len(), &interrupted, started, options, None);
        }
        Engine::Local => Box::new(Local {
            command: options.command.clone(),
            out_dir: options.out_dir.clone(),
            suffix: options.suffix.clone(),
            feed_stdin: options.feed_stdin,
            timeout: options.timeout,
            processes: &processes,
            stderr_lock: &stderr_lock,
        }),
        Engine::Lambda { function, price } => Box::new(crate::lambda::Lambda::connect(
            crate::lambda::client::Settings {
                function,
                command: &options.command,
                out_dir: options.out_dir.as_deref(),
                suffix: &options.suffix,
                feed_stdin: options.feed_stdin,
                timeout: options.timeout,
                price: *price,
            },
            &todo,
            Arc::clone(&interrupted),
        )?),
    };
    let backend = backend.as_ref();
    let backend_name = backend.name();
    let bar = progress::items(todo.len() as u64, options.quiet, "chunks");
    let started = Instant::now();
    let stopping = AtomicBool::new(false);
    let kill_running = AtomicBool::new(false);
    let finished = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let mut printer = Printer::new(options.keep_order, chunks);
    for chunk in chunks.iter().filter(|chunk| done.contains(&chunk.id)) {
        printer.emit(chunk.seq, Spool::new());
    }
    let printer = Mutex::new(printer);
    let summary = Mutex::new(Summary {
        skipped: done.len(),
        ..Summary::default()
    });
    let record_error = Mutex::new(None);

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
                        run_with_retries(backend, chunk, options, &interrupted, |outcome| {
                            if let Some(joblog) = &joblog {
                                if let Err(error) = joblog.record(&backend_name, outcome) {
                                    record_error
                                        .lock()
                                        .unwrap_or_else(|e| e.into_inner())
                                        .get_or_insert(error);
                                }
                            }
                            if !options.quiet {
                                let line = attempt_line(outcome);
                                let _guard = stderr_lock.lock().unwrap_or_else(|e| e.into_inner());
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

    let summary = summary.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut printer = printer.into_inner().unwrap_or_else(|e| e.into_inner());
    printer.finish();
    if let Some(error) = printer.error {
        return Err(Error::io("<stdout>", error));
    }
    if let Some(error) = record_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(error);
    }
    conclude(
        summary,
        chunks.len(),
        &interrupted,
        started,
        options,
        backend.usage(),
    )
}

/// Counts the chunks never run, prints the summary (and the engine's usage), and turns failed
/// chunks or an interruption into the run's error.
fn conclude(
    mut summary: Summary,
    total: usize,
    interrupted: &AtomicBool,
    started: Instant,
    options: &RunOptions,
    usage: Option<String>,
) -> Result<Summary> {
    summary.not_run = total - summary.skipped - summary.succeeded - summary.failed.len();
    if !options.quiet {
        eprintln!("fanout: {}", describe(&summary, started.elapsed()));
        if let Some(usage) = usage {
            eprintln!("fanout: {usage}");
        }
    }
    if interrupted.load(Ordering::Relaxed) {
        return Err(Error::Interrupted(format!(
            "interrupted: {} chunks not run or not finished; rerun with --resume to finish",
            summary.not_run + summary.failed.len()
        )));
    }
    if !summary.failed.is_empty() {
        let mut shown = summary.failed[..summary.failed.len().min(10)].join(", ");
        if summary.failed.len() > 10 {
            shown.push_str(", ...");
        }
        return Err(Error::Failed(format!(
            "{} of {} chunks failed: {shown}",
            summary.failed.len(),
            total
        )));
    }
    Ok(summary)
}

/// The line `fanout` logs for one attempt.
pub(crate) fn attempt_line(outcome: &Outcome) -> String {
    let attempt = if outcome.attempt > 1 {
        format!(" (attempt {})", outcome.attempt)
    } else {
        String::new()
    };
    format!(
        "fanout: {} {} in {} out {} {:.2}s{attempt}",
        outcome.id,
        outcome.describe(),
        ByteSize(outcome.bytes_in),
        ByteSize(outcome.bytes_out),
        outcome.runtime.as_secs_f64()
    )
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
        sleep_unless(interrupted, options.delay_after(attempt));
        attempt += 1;
    }
}

/// Sleeps for `duration` or until `interrupted` is set; true when interrupted.
pub(crate) fn sleep_unless(interrupted: &AtomicBool, duration: Duration) -> bool {
    let until = Instant::now() + duration;
    while Instant::now() < until {
        if interrupted.load(Ordering::Relaxed) {
            return true;
        }
        thread::sleep((until - Instant::now()).min(Duration::from_millis(20)));
    }
    interrupted.load(Ordering::Relaxed)
}

/// Chunks the joblog records as succeeded, whose outputs (with `--out-dir`) exist. Leftover
/// temporary outputs of a crashed run are removed.
fn already_done(joblog: &Path, chunks: &[Chunk], options: &RunOptions) -> Result<HashSet<String>> {
    let succeeded = joblog::succeeded(joblog)?;
    let Some(dir) = &options.out_dir else {
        return Ok(succeeded);
    };
    if !dir.starts_with("s3://") {
        for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(".partial") {
                fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path().display(), e))?;
            }
        }
    }
    let mut done = HashSet::new();
    for chunk in chunks.iter().filter(|chunk| succeeded.contains(&chunk.id)) {
        if exists(&join(dir, &format!("{}{}", chunk.id, options.suffix)))? {
            done.insert(chunk.id.clone());
        }
    }
    Ok(done)
}

fn dry_run(chunks: &[Chunk], options: &RunOptions) -> Result<Summary> {
    let mut stdout = io::stdout().lock();
    for chunk in chunks {
        let argv: Vec<String> = options
            .command
            .iter()
            .map(|arg| shell_quote(&substitute(arg, chunk)))
            .collect();
        writeln!(stdout, "{}\t{}", chunk.id, argv.join(" "))
            .map_err(|e| Error::io("<stdout>", e))?;
    }
    Ok(Summary::default())
}

/// A word for `sh`: single-quoted unless plainly safe.
pub(crate) fn shell_quote(argument: &str) -> String {
    let plain = !argument.is_empty()
        && argument
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%{}".contains(&b));
    if plain {
        argument.to_string()
    } else {
        format!("'{}'", argument.replace('\'', "'\\''"))
    }
}

fn describe(summary: &Summary, wall: Duration) -> String {
    // SAFETY: getrusage fills the struct it is given.
    let cpu = |who| unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        seconds(usage.ru_utime) + seconds(usage.ru_stime)
    };
    let cpu = cpu(libc::RUSAGE_SELF) + cpu(libc::RUSAGE_CHILDREN);
    format!(
        "{} ok, {} failed, {} skipped, {} not run; in {}, out {}; wall {:.2}s, cpu {:.2}s",
        summary.succeeded,
        summary.failed.len(),
        summary.skipped,
        summary.not_run,
        ByteSize(summary.bytes_in),
        ByteSize(summary.bytes_out),
        wall.as_secs_f64(),
        cpu
    )
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
