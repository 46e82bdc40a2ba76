//! What the function runs: the local backend on the chunk of one [`Task`], with the chunk
//! rebuilt from S3 by ranged reads and the command's stdout and stderr uploaded to the task's
//! prefix (the output completed only on success). The task is killed shortly before the
//! invocation's deadline, so that the client gets a report rather than a bare timeout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, SystemTime};

use crate::backend::Backend;
use crate::lambda::task::{Reply, Report, Request, Task};
use crate::local::Local;
use crate::processes::Processes;

/// Time kept before the deadline to kill the task and send the report.
const MARGIN: Duration = Duration::from_secs(3);

pub fn handle(request: Request, deadline: SystemTime) -> Reply {
    match request {
        Request::Ping => Reply::Pong {
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        Request::Run(task) => Reply::Ran(run(task, deadline)),
    }
}

fn run(task: Task, deadline: SystemTime) -> Report {
    let left = deadline
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    let processes = Processes::default();
    let stderr_lock = Mutex::new(());
    let local = Local {
        command: task.command,
        out_dir: Some(task.out_dir),
        suffix: task.suffix,
        feed_stdin: task.feed_stdin,
        timeout: Some(left.saturating_sub(MARGIN).max(Duration::from_secs(1))),
        processes: &processes,
        stderr_lock: &stderr_lock,
    };
    let done = AtomicBool::new(false);
    let outcome = thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                processes.enforce();
                thread::sleep(Duration::from_millis(20));
            }
        });
        let outcome = local.run(&task.chunk, task.attempt);
        done.store(true, Ordering::Relaxed);
        outcome
    });
    Report::from_outcome(&outcome)
}
