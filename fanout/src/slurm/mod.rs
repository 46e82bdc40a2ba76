//! The Slurm backend: job arrays over the chunks to run, each array task running
//! `fanout worker --seq $((FANOUT_SEQ_BASE + SLURM_ARRAY_TASK_ID))` on a shared copy of the
//! manifest.
//!
//! An array index must stay below the cluster's `MaxArraySize` (1001 by default), so a round
//! over more chunks is cut into arrays of at most that many indices (and at most half of
//! `MaxJobCount`: every task is a job record), each covering the seqs `[base, base + size)`
//! and told its base in the environment. The arrays of a round run one after another, at most
//! `--jobs` tasks at once; two are in the queue at a time (the next depends on the one
//! running), the others submitted as those leave, so that the cluster's job records stay
//! within `MaxJobCount` however many chunks a round has.
//!
//! Everything a round needs sits in `DIR/.fanout-slurm/` of the shared output folder: the
//! manifest, the batch script, Slurm's per-task logs and one result file per task and attempt
//! (a [`Report`](crate::backend::Report) as JSON, written by the worker under a temporary name and renamed).
//! The runner submits the array, waits for it to leave the queue, reads the results (a task
//! that left none failed: killed, out of memory, node lost), writes the joblog, and submits
//! the failed chunks again as a smaller array while `--retries` allow. Ctrl-C cancels the array.
//!
//! - `arrays`: how a round's chunks are cut into arrays and written as `--array` indices.
//! - `worker`: what each array task runs (`fanout worker`), and where it leaves its report.

mod arrays;
mod worker;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use partition_core::backoff::sleep_unless;
use partition_core::output::{create_dir, write_file};
use partition_core::{progress, Chunk, Error, Result};

use crate::backend::Outcome;
use crate::driver::{Driver, RunContext};
use crate::options::Halt;
use crate::summary::{attempt_line, Summary};
use crate::task::shell_quote;

use arrays::{Arrays, QUEUED_ARRAYS};
use worker::{read_report, result_path};
pub use worker::{work, Task};

/// How often the queue is asked whether the array is done.
const POLL: Duration = Duration::from_secs(1);

/// Runs a run's tasks as Slurm job arrays, one per round of attempts.
pub struct Slurm<'a> {
    pub partition: Option<&'a str>,
}

impl Driver for Slurm<'_> {
    /// Runs `todo` as job arrays, one per attempt; the joblog gets one row per task and attempt.
    /// Reads the whole manifest first: a round submits every chunk left to run at once, from
    /// a copy of the manifest on the shared filesystem.
    fn drive(&self, run: &RunContext) -> Result<Summary> {
        let chunks: Vec<Chunk> = std::iter::from_fn(|| run.next_chunk(|_| Ok(()), || {})).collect();
        let todo: Vec<&Chunk> = chunks.iter().collect();
        let mut summary = Summary::default();
        let rounds = Rounds {
            partition: self.partition,
            run,
        };
        rounds.run(&todo, &mut summary)?;
        Ok(summary)
    }
}

/// One Slurm run under way.
struct Rounds<'a> {
    partition: Option<&'a str>,
    run: &'a RunContext<'a>,
}

impl Rounds<'_> {
    fn run(&self, todo: &[&Chunk], summary: &mut Summary) -> Result<()> {
        let options = self.run.options;
        let interrupted = self.run.interrupted;
        let out_dir = match &options.task.out_dir {
            Some(dir) if !dir.contains("://") => dir.clone(),
            _ => {
                return Err(Error::Usage(
                    "--backend slurm needs --out-dir DIR on a filesystem every node shares"
                        .to_string(),
                ))
            }
        };
        if todo.is_empty() {
            return Ok(());
        }
        // Absolute, for tasks that start elsewhere than the submit directory.
        let out_dir = std::path::absolute(&out_dir)
            .map_err(|e| Error::io(&out_dir, e))?
            .display()
            .to_string();
        let work = Path::new(&out_dir).join(".fanout-slurm");
        create_dir(&work.join("results"))?;
        create_dir(&work.join("logs"))?;
        let manifest = work.join("manifest.jsonl");
        write_file(&manifest.display().to_string(), |out| {
            todo.iter()
                .try_for_each(|chunk| writeln!(out, "{}", chunk.to_json()))
        })?;
        let fanout = std::env::current_exe().map_err(|e| Error::io("the fanout executable", e))?;
        let array_size = array_size()?;

        let bar = progress::items(todo.len() as u64, options.quiet, "chunks");
        let mut pending: Vec<&Chunk> = todo.to_vec();
        let mut attempt = 1;
        while !pending.is_empty() && !interrupted.load(Ordering::Relaxed) {
            let script = work.join(format!("attempt-{attempt}.sh"));
            write_file(&script.display().to_string(), |out| {
                out.write_all(
                    self.script(&fanout, &out_dir, &manifest, attempt)
                        .as_bytes(),
                )
            })?;
            // Reports of an earlier run in this folder would pass for this round's.
            for chunk in &pending {
                let stale = result_path(&work, chunk.seq, attempt);
                if let Err(error) = fs::remove_file(&stale) {
                    if error.kind() != std::io::ErrorKind::NotFound {
                        return Err(Error::io(stale.display(), error));
                    }
                }
            }
            let mut arrays = Arrays::plan(&pending, array_size);
            let started = SystemTime::now();
            let clock = Instant::now();
            // A failure is for good in the last round; --halt then stops the array.
            let halting = options.halt != Halt::Never && attempt > options.retries;
            let round = Round {
                script: &script,
                work: &work,
                attempt,
                pending: &pending,
                bar: &bar,
            };
            let cut_short = self.wait(&mut arrays, &round, halting)?;
            if cut_short && options.halt == Halt::Soon && !interrupted.load(Ordering::Relaxed) {
                // The tasks already running finish.
                self.wait(&mut arrays, &round, false)?;
            }
            let mut failed = Vec::new();
            for chunk in pending {
                let job = arrays.job_of(chunk.seq);
                let mut outcome = Outcome::new(chunk, attempt);
                outcome.start = started;
                outcome.runtime = clock.elapsed();
                match read_report(&work, chunk.seq, attempt) {
                    Some(report) => {
                        outcome.runtime = Duration::from_millis(report.runtime_ms);
                        report.fill(&mut outcome);
                    }
                    // Cancelled (Ctrl-C, --halt): counted as not run.
                    None if cut_short => continue,
                    None => {
                        outcome.error = Some(format!(
                            "Slurm task {job}_{} ended without a result (see {})",
                            arrays.index_of(chunk.seq),
                            work.join("logs")
                                .join(format!("{job}_{}.log", arrays.index_of(chunk.seq)))
                                .display()
                        ))
                    }
                }
                if let Some(joblog) = self.run.joblog {
                    joblog.record(&format!("slurm:{job}"), &outcome)?;
                }
                if !options.quiet {
                    bar.suspend(|| eprintln!("{}", attempt_line(&outcome)));
                }
                summary.bytes_in += outcome.bytes_in;
                summary.bytes_out += outcome.bytes_out;
                if outcome.succeeded() {
                    summary.succeeded += 1;
                } else if attempt > options.retries {
                    summary.failed.push(outcome.id.clone());
                } else {
                    failed.push(chunk);
                }
            }
            bar.set_position((summary.succeeded + summary.failed.len()) as u64);
            pending = if cut_short { Vec::new() } else { failed };
            if !pending.is_empty() {
                options.retry_backoff().sleep(attempt, interrupted);
            }
            attempt += 1;
        }
        bar.finish_and_clear();
        Ok(())
    }

    /// The batch script: the worker on the array task's chunk.
    fn script(&self, fanout: &Path, out_dir: &str, manifest: &Path, attempt: u32) -> String {
        let task = &self.run.options.task;
        let mut argv: Vec<String> = vec![
            fanout.display().to_string(),
            "worker".to_string(),
            "--manifest".to_string(),
            manifest.display().to_string(),
            "--attempt".to_string(),
            attempt.to_string(),
            "--out-dir".to_string(),
            out_dir.to_string(),
            "--suffix".to_string(),
            task.suffix.clone(),
        ];
        if !task.feed_stdin {
            argv.push("--no-stdin".to_string());
        }
        if let Some(timeout) = task.timeout {
            argv.push("--timeout".to_string());
            argv.push(format!("{}ms", timeout.as_millis()));
        }
        let command: Vec<String> = task.command.iter().map(|arg| shell_quote(arg)).collect();
        let worker: Vec<String> = argv.iter().map(|arg| shell_quote(arg)).collect();
        format!(
            "#!/bin/sh\n# fanout: attempt {attempt} on the chunk whose seq is the array's base plus its index\n\
             exec {} --seq \"$((FANOUT_SEQ_BASE + SLURM_ARRAY_TASK_ID))\" -- {}\n",
            worker.join(" "),
            command.join(" ")
        )
    }

    /// Submits the next array of the round, depending on the one before while that one is
    /// still queued (so that Slurm starts it as soon as the other ends), at most `--jobs`
    /// tasks at once. A failed submission cancels the arrays already queued.
    fn submit_next(&self, arrays: &mut Arrays, script: &Path, work: &Path) -> Result<()> {
        let Some((base, indices)) = arrays.unsubmitted.pop_front() else {
            return Ok(());
        };
        let mut sbatch = Command::new("sbatch");
        sbatch
            .arg("--parsable")
            .arg("--job-name=fanout")
            .arg(format!("--export=ALL,FANOUT_SEQ_BASE={base}"))
            .arg(format!(
                "--array={indices}%{}",
                self.run.options.jobs.max(1)
            ))
            .arg(format!(
                "--output={}",
                work.join("logs").join("%A_%a.log").display()
            ));
        if let Some((_, previous)) = arrays
            .jobs
            .last()
            .filter(|(_, job)| arrays.queued.contains(job))
        {
            sbatch.arg(format!("--dependency=afterany:{previous}"));
        }
        if let Some(partition) = self.partition {
            sbatch.arg(format!("--partition={partition}"));
        }
        match slurm_command(sbatch.arg(script)).and_then(|output| job_id(&output)) {
            Ok(job) => {
                arrays.queued.push(job.clone());
                arrays.jobs.push((base, job));
                Ok(())
            }
            Err(error) => {
                // The arrays already queued would run unwatched.
                if !arrays.queued.is_empty() {
                    let _ = slurm_command(Command::new("scancel").args(&arrays.queued));
                }
                Err(error)
            }
        }
    }

    /// Asks which of the round's arrays are still in the queue (only those seen there last
    /// time are asked about: Slurm forgets a finished job after `MinJobAge`).
    fn refresh_queued(&self, arrays: &mut Arrays) -> Result<()> {
        if arrays.queued.is_empty() {
            return Ok(());
        }
        let listing = slurm_command(Command::new("squeue").args([
            "-h",
            "-o",
            "%F",
            "-j",
            &arrays.queued.join(","),
        ]));
        arrays.queued = match listing {
            Ok(listing) => {
                let mut jobs: Vec<String> = listing
                    .lines()
                    .map(|line| line.trim().to_string())
                    .collect();
                jobs.sort_unstable();
                jobs.dedup();
                jobs
            }
            // "Invalid job id specified": all of them are gone.
            Err(Error::Failed(message)) if message.contains("Invalid job id") => Vec::new(),
            Err(error) => return Err(error),
        };
        Ok(())
    }

    /// Submits the round's arrays as the queue has room ([`QUEUED_ARRAYS`]) and waits until
    /// they have left it, showing finished tasks on the bar. Ctrl-C cancels the arrays still
    /// queued (an array that has left the queue may be forgotten, and `scancel` would fail on
    /// it); when `halting`, a failed task cancels what has not started (`--halt soon`) or
    /// everything (`--halt now`). True when the arrays were cut short.
    fn wait(&self, arrays: &mut Arrays, round: &Round, halting: bool) -> Result<bool> {
        let Round {
            script,
            work,
            attempt,
            pending,
            bar,
        } = *round;
        let settled = bar.position();
        let mut finished = vec![false; pending.len()];
        loop {
            if self.run.interrupted.load(Ordering::Relaxed) {
                arrays.unsubmitted.clear();
                if !arrays.queued.is_empty() {
                    slurm_command(Command::new("scancel").args(&arrays.queued))?;
                }
                return Ok(true);
            }
            let mut any_failed = false;
            for (chunk, finished) in pending.iter().zip(finished.iter_mut()) {
                if !*finished {
                    if let Some(report) = read_report(work, chunk.seq, attempt) {
                        *finished = true;
                        any_failed |= report.exit_code != Some(0) || report.error.is_some();
                    }
                }
            }
            bar.set_position(settled + finished.iter().filter(|&&f| f).count() as u64);
            if any_failed && halting {
                arrays.unsubmitted.clear();
                let mut scancel = Command::new("scancel");
                if self.run.options.halt == Halt::Soon {
                    scancel.arg("--state=PENDING");
                }
                if !arrays.queued.is_empty() {
                    slurm_command(scancel.args(&arrays.queued))?;
                }
                return Ok(true);
            }
            self.refresh_queued(arrays)?;
            if arrays.queued.len() < QUEUED_ARRAYS && !arrays.unsubmitted.is_empty() {
                self.submit_next(arrays, script, work)?;
                continue;
            }
            if arrays.queued.is_empty() {
                return Ok(false);
            }
            sleep_unless(self.run.interrupted, POLL);
        }
    }
}

/// What one attempt round waits on.
#[derive(Clone, Copy)]
struct Round<'r> {
    script: &'r Path,
    work: &'r Path,
    attempt: u32,
    pending: &'r [&'r Chunk],
    bar: &'r indicatif::ProgressBar,
}

/// The job id in what `sbatch --parsable` printed: "JOBID" or "JOBID;CLUSTER".
fn job_id(output: &str) -> Result<String> {
    let job = output.split(';').next().unwrap_or_default().trim();
    if job.is_empty() || !job.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Failed(format!(
            "sbatch printed {output:?}, not a job id"
        )));
    }
    Ok(job.to_string())
}

/// How many indices one array may hold: the cluster's `MaxArraySize` (indices stay below it),
/// and no more than half its `MaxJobCount`, since every task of a running array becomes a job
/// record of its own.
fn array_size() -> Result<u64> {
    let config = slurm_command(Command::new("scontrol").args(["show", "config"]))?;
    let value = |key: &str| {
        config.lines().find_map(|line| {
            let (name, value) = line.split_once('=')?;
            (name.trim() == key).then(|| value.trim().parse::<u64>().ok())?
        })
    };
    let max_array = value("MaxArraySize")
        .ok_or_else(|| Error::Failed("scontrol show config printed no MaxArraySize".to_string()))?;
    let max_jobs = value("MaxJobCount").unwrap_or(u64::MAX);
    Ok(max_array.min(max_jobs / 2).max(1))
}

/// Runs a Slurm client command; its stdout, or its stderr as the error.
fn slurm_command(command: &mut Command) -> Result<String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::ToolMissing {
            program: program.clone(),
            hint: "--backend slurm runs on a Slurm submit host (sbatch, squeue, scancel)"
                .to_string(),
        },
        _ => Error::io(&program, e),
    })?;
    if !output.status.success() {
        return Err(Error::Failed(format!(
            "{program} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_read_from_sbatch_parsable() {
        assert_eq!(job_id("123;cluster\n").unwrap(), "123");
        assert!(job_id("Submitted batch job 5").is_err());
    }
}
