//! How a run went: the tally, the line each attempt logs, and the closing summary.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use partition_core::{ByteSize, Error, Result};

use crate::backend::Outcome;
use crate::options::RunOptions;

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

/// Counts the chunks never run, prints the summary (and the engine's usage), and turns failed
/// chunks or an interruption into the run's error.
pub(crate) fn conclude(
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

fn describe(summary: &Summary, wall: Duration) -> String {
    let ours = usage(libc::RUSAGE_SELF);
    let children = usage(libc::RUSAGE_CHILDREN);
    let tasks = (summary.succeeded + summary.failed.len()).max(1);
    format!(
        "{} ok, {} failed, {} skipped, {} not run; in {}, out {}; wall {:.2}s, cpu {:.2}s; \
         fanout itself: cpu {:.2}s ({:.2} ms per task), peak memory {}",
        summary.succeeded,
        summary.failed.len(),
        summary.skipped,
        summary.not_run,
        ByteSize(summary.bytes_in),
        ByteSize(summary.bytes_out),
        wall.as_secs_f64(),
        ours.cpu + children.cpu,
        ours.cpu,
        ours.cpu * 1000.0 / tasks as f64,
        ByteSize(ours.peak_memory)
    )
}

/// CPU seconds (user and system) and peak resident memory in bytes.
struct Usage {
    cpu: f64,
    peak_memory: u64,
}

fn usage(who: libc::c_int) -> Usage {
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Usage {
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        // Linux reports KiB.
        peak_memory: usage.ru_maxrss.max(0) as u64 * 1024,
    }
}
