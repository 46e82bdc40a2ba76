//! The scheduler: runs tasks on at most `jobs` chunks at once and reports each outcome.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

use partition_core::output::create_dir;
use partition_core::{ByteSize, Chunk, Error, Result};

use crate::task::{Outcome, Task};

pub struct RunOptions {
    /// The command and its arguments, with `{id}`-style placeholders.
    pub command: Vec<String>,
    /// Tasks at once.
    pub jobs: usize,
    pub out_dir: Option<PathBuf>,
    /// Appended to the id to name output files.
    pub suffix: String,
    /// Emit outputs in manifest order rather than as tasks finish.
    pub keep_order: bool,
    /// Feed the chunk on stdin (off: the command reads the chunk itself).
    pub feed_stdin: bool,
    pub quiet: bool,
}

/// Runs the command on every chunk; fails, listing them, if any task failed.
pub fn run(chunks: &[Chunk], options: &RunOptions) -> Result<Vec<Outcome>> {
    if options.command.is_empty() {
        return Err(Error::Usage(
            "no command given: fanout [OPTIONS] -- COMMAND [ARGS...]".to_string(),
        ));
    }
    if let Some(dir) = &options.out_dir {
        create_dir(dir)?;
    }
    let stderr_lock = Mutex::new(());
    let task = Task {
        command: &options.command,
        out_dir: options.out_dir.as_deref(),
        suffix: &options.suffix,
        feed_stdin: options.feed_stdin,
        stderr_lock: &stderr_lock,
    };
    let next = AtomicUsize::new(0);
    let printer = Mutex::new(Printer {
        keep_order: options.keep_order,
        next_seq: chunks.iter().map(|chunk| chunk.seq).min().unwrap_or(0),
        waiting: BTreeMap::new(),
        error: None,
    });
    let outcomes = Mutex::new(Vec::with_capacity(chunks.len()));
    thread::scope(|scope| {
        for _ in 0..options.jobs.max(1).min(chunks.len().max(1)) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(chunk) = chunks.get(index) else {
                    break;
                };
                let mut outcome = task.run(chunk);
                if !options.quiet {
                    let _guard = stderr_lock.lock().unwrap_or_else(|e| e.into_inner());
                    let _ = writeln!(
                        io::stderr().lock(),
                        "fanout: {} {} in {} out {} {:.2}s",
                        outcome.id,
                        outcome.describe(),
                        ByteSize(outcome.bytes_in),
                        ByteSize(outcome.bytes_out),
                        outcome.runtime.as_secs_f64()
                    );
                }
                let stdout = std::mem::take(&mut outcome.stdout);
                printer
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .emit(outcome.seq, stdout);
                outcomes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(outcome);
            });
        }
    });
    let printer = printer.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some(error) = printer.error {
        return Err(Error::io("<stdout>", error));
    }
    let mut outcomes = outcomes.into_inner().unwrap_or_else(|e| e.into_inner());
    outcomes.sort_by_key(|outcome| outcome.seq);
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.succeeded())
        .map(|o| o.id.as_str())
        .collect();
    if !failed.is_empty() {
        let mut shown = failed[..failed.len().min(10)].join(", ");
        if failed.len() > 10 {
            shown.push_str(", ...");
        }
        return Err(Error::Failed(format!(
            "{} of {} chunks failed: {shown}",
            failed.len(),
            outcomes.len()
        )));
    }
    Ok(outcomes)
}

/// Writes each task's stdout whole, in completion order or in manifest order.
struct Printer {
    keep_order: bool,
    next_seq: u64,
    waiting: BTreeMap<u64, Vec<u8>>,
    error: Option<io::Error>,
}

impl Printer {
    fn emit(&mut self, seq: u64, stdout: Vec<u8>) {
        if !self.keep_order {
            self.write(&stdout);
            return;
        }
        self.waiting.insert(seq, stdout);
        while let Some(stdout) = self.waiting.remove(&self.next_seq) {
            self.write(&stdout);
            self.next_seq += 1;
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || self.error.is_some() {
            return;
        }
        let mut stdout = io::stdout().lock();
        if let Err(error) = stdout.write_all(bytes).and_then(|()| stdout.flush()) {
            self.error = Some(error);
        }
    }
}
