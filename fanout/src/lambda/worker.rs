//! What the function runs: the local backend on the chunk of one [`Task`], with the chunk
//! rebuilt from S3 by ranged reads and the command's stdout and stderr uploaded to the task's
//! prefix (the output completed only on success). The task is killed shortly before the
//! invocation's deadline, so that the client gets a report rather than a bare timeout.

use std::time::{Duration, SystemTime};

use crate::backend::Report;
use crate::lambda::task::{Reply, Request, Task};
use crate::local::run_alone;
use crate::task::TaskSpec;

/// Time kept before the deadline to kill the task and send the report.
const MARGIN: Duration = Duration::from_secs(3);

pub fn handle(request: Request, deadline: SystemTime) -> Reply {
    match request {
        Request::Ping => Reply::Pong {
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        Request::Run(task) => Reply::Ran(run(*task, deadline)),
    }
}

fn run(task: Task, deadline: SystemTime) -> Report {
    let left = deadline
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    // The function's deadline bounds the attempt, so that a report always gets out; the
    // run's --timeout is the client's deadline.
    let spec = TaskSpec {
        timeout: Some(left.saturating_sub(MARGIN).max(Duration::from_secs(1))),
        ..task.spec
    };
    let outcome = run_alone(&spec, &task.chunk, task.attempt);
    Report::from_outcome(&outcome)
}
