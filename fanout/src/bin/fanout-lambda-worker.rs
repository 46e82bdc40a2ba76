//! The `bootstrap` of a fanout Lambda function (custom runtime `provided.al2023`): runs one
//! chunk per invocation; see `fanout::lambda::worker`.

use std::time::{Duration, UNIX_EPOCH};

use fanout::lambda::task::Request;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Request>| async move {
        let deadline = UNIX_EPOCH + Duration::from_millis(event.context.deadline);
        // The work blocks (pipes, child processes, S3 through its own runtime): a thread of its own.
        let (reply, replied) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let _ = reply.send(fanout::lambda::worker::handle(event.payload, deadline));
        });
        Ok::<_, Error>(replied.await?)
    }))
    .await
}
