//! A run: checks, `--dry-run`, the output folder, `--resume` from the joblog, Ctrl-C, the
//! manifest's [`Feed`], then the tasks handed to a [`Driver`] (the [`Pool`] for local
//! processes and Lambda invocations, [`Slurm`] for job arrays), and the summary.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use partition_core::output::create_output_dir;
use partition_core::{Chunk, Error, Result};

use crate::driver::{Driver, RunContext};
use crate::feed::{Chunks, Feed};
use crate::joblog::{self, JobLog};
use crate::lambda::client::{Lambda, Settings};
use crate::local::Local;
use crate::options::{Engine, RunOptions};
use crate::pool::Pool;
use crate::processes::Processes;
use crate::slurm::Slurm;
use crate::summary::{conclude, Summary};
use crate::task::{shell_quote, substitute};

/// Runs the command on every chunk the manifest gives (read as workers ask for them); fails,
/// listing them, if any chunk failed for good.
pub fn run(chunks: Chunks, options: &RunOptions) -> Result<Summary> {
    if options.task.command.is_empty() {
        return Err(Error::Usage(
            "no command given: fanout [OPTIONS] -- COMMAND [ARGS...]".to_string(),
        ));
    }
    if options.speculate.is_some() && matches!(options.engine, Engine::Slurm { .. }) {
        return Err(Error::Usage(
            "--speculate runs with --backend local and lambda; on Slurm a straggler's node is \
             the scheduler's to replace: use --timeout with --retries"
                .to_string(),
        ));
    }
    if options.dry_run {
        return dry_run(chunks, options);
    }
    if let Some(dir) = &options.task.out_dir {
        create_output_dir(dir)?;
    }
    let succeeded = match (&options.joblog, options.resume) {
        (Some(path), true) => resumed(path, options)?,
        (None, true) => return Err(Error::Usage("--resume needs --joblog FILE".to_string())),
        _ => HashSet::new(),
    };
    let feed = Feed::new(chunks)?;
    let joblog = options.joblog.as_deref().map(JobLog::open).transpose()?;

    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&interrupted))
            .map_err(|e| Error::io("signal handler", e))?;
    }
    let processes = Processes::default();
    let stderr_lock = Mutex::new(());
    let context = RunContext {
        options,
        feed: &feed,
        succeeded: &succeeded,
        joblog: joblog.as_ref(),
        interrupted: &interrupted,
        processes: &processes,
        stderr_lock: &stderr_lock,
    };
    let started = Instant::now();
    let local;
    let lambda;
    let driver: Box<dyn Driver + '_> = match &options.engine {
        Engine::Local => {
            local = Local {
                task: &options.task,
                processes: &processes,
                stderr_lock: &stderr_lock,
            };
            Box::new(Pool { backend: &local })
        }
        Engine::Lambda { function, price } => {
            let settings = Settings {
                function,
                task: &options.task,
                price: *price,
                // A backup and its straggler cannot see each other's process: each creates
                // the output only if the other has not.
                exclusive: options.speculate.is_some(),
            };
            lambda = Lambda::connect(settings, feed.first().as_ref(), Arc::clone(&interrupted))?;
            Box::new(Pool { backend: &lambda })
        }
        Engine::Slurm { partition } => Box::new(Slurm {
            partition: partition.as_deref(),
        }),
    };
    let summary = driver.drive(&context);
    let usage = driver.usage();
    drop(driver);
    let mut summary = summary?;
    let tally = feed.finish()?;
    summary.skipped = tally.skipped;
    conclude(summary, tally.total, &interrupted, started, options, usage)
}

/// Ids of the chunks the joblog records as succeeded. Leftover temporary outputs of a
/// crashed run are removed.
fn resumed(joblog: &Path, options: &RunOptions) -> Result<HashSet<String>> {
    let succeeded = joblog::succeeded(joblog)?;
    if let Some(dir) = options
        .task
        .out_dir
        .as_ref()
        .filter(|dir| !dir.starts_with("s3://"))
    {
        for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(".partial") {
                fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path().display(), e))?;
            }
        }
    }
    Ok(succeeded)
}

fn dry_run(chunks: impl Iterator<Item = Result<Chunk>>, options: &RunOptions) -> Result<Summary> {
    let mut stdout = io::stdout().lock();
    for chunk in chunks {
        let chunk = chunk?;
        let argv: Vec<String> = options
            .task
            .command
            .iter()
            .map(|arg| shell_quote(&substitute(arg, &chunk)))
            .collect();
        writeln!(stdout, "{}\t{}", chunk.id, argv.join(" "))
            .map_err(|e| Error::io("<stdout>", e))?;
    }
    Ok(Summary::default())
}
