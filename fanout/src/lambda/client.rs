//! The client side of the Lambda backend: one synchronous invocation per attempt, with
//! bounded concurrency from the scheduler. Throttling (429) is retried inside the attempt as
//! soon as one of this client's invocations frees a slot (or after a backoff), transient
//! failures after a backoff; a function error (`X-Amz-Function-Error`) or a failed task is a
//! failed attempt, left to the scheduler's `--retries`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_lambda::config::http::HttpResponse;
use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::operation::invoke::InvokeError;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LogType;
use base64::Engine;
use partition_core::backoff::sleep_unless;
use partition_core::source::Location;
use partition_core::{aws, Backoff, Chunk, Error, Result};
use serde::Deserialize;

use crate::backend::{Attempt, Backend, Outcome};
use crate::lambda::gate::Gate;
use crate::lambda::price::{Price, Usage};
use crate::lambda::task::{Reply, Request, Task, PAYLOAD_LIMIT};
use crate::lambda::{configuration, sdk_client};
use crate::task::TaskSpec;

/// Transient failures (connection refused, 5xx) retried within one attempt.
const TRANSIENT_RETRIES: u32 = 4;
/// Waits between invocations of a throttled or failing attempt: from 200 ms, at most 20 s,
/// with up to 25 % jitter so that throttled workers spread out.
const BACKOFF: Backoff =
    Backoff::new(Duration::from_millis(200), Duration::from_secs(20)).with_jitter(0.25);

pub struct Lambda {
    client: aws_sdk_lambda::Client,
    function: String,
    region: String,
    architecture: String,
    /// What every invocation runs (its `out_dir` an `s3://` prefix).
    task: TaskSpec,
    /// The client-side deadline of one invocation (waits for a slot are not in it).
    deadline: Duration,
    price: Option<Price>,
    usage: Mutex<Usage>,
    gate: Gate,
    interrupted: Arc<AtomicBool>,
}

/// What the runner passes to [`Lambda::connect`].
pub struct Settings<'a> {
    pub function: &'a str,
    /// What every invocation runs; its timeout is the client-side deadline of an attempt
    /// (the function's own timeout plus 30 s when absent).
    pub task: &'a TaskSpec,
    /// Overrides the price table.
    pub price: Option<Price>,
    /// Attempts of a chunk may run at once (`--speculate`): see [`TaskSpec::exclusive`].
    pub exclusive: bool,
}

impl Lambda {
    /// Checks that the function is ready, and that it can reach the first chunk's sources
    /// (the others are checked as they come, [`Backend::check`]) and the output prefix.
    pub fn connect(
        settings: Settings<'_>,
        first: Option<&Chunk>,
        interrupted: Arc<AtomicBool>,
    ) -> Result<Lambda> {
        let out_dir =
            match settings.task.out_dir.as_deref() {
                Some(dir) if dir.starts_with("s3://") => dir.to_string(),
                _ => return Err(Error::Usage(
                    "--backend lambda needs --out-dir s3://BUCKET/PREFIX/: the function writes \
                     each chunk's output to S3"
                        .to_string(),
                )),
            };
        if let Some(chunk) = first {
            readable_remotely(chunk)?;
        }
        let function = settings.function;
        let client = sdk_client();
        let configuration = configuration(&client, function).map_err(|mut error| {
            if let Error::Storage { message, .. } = &mut error {
                message.push_str("; `fanout lambda doctor` checks the set-up");
            }
            error
        })?;
        if let Some(state) = configuration.state() {
            if state.as_str() != "Active" {
                return Err(Error::Storage {
                    input: format!("lambda:{function}"),
                    message: format!(
                        "the function is {} ({}), not Active",
                        state.as_str(),
                        configuration.state_reason().unwrap_or("no reason given")
                    ),
                });
            }
        }
        let region = aws::region();
        let architecture = configuration
            .architectures()
            .first()
            .map_or("x86_64", |architecture| architecture.as_str())
            .to_string();
        let function_timeout =
            Duration::from_secs(configuration.timeout().unwrap_or(3).max(1) as u64);
        Ok(Lambda {
            client,
            function: function.to_string(),
            price: settings
                .price
                .or_else(|| Price::for_region(&region, &architecture)),
            region,
            architecture,
            // The run's timeout is this client's deadline; the function keeps its own.
            task: TaskSpec {
                out_dir: Some(out_dir),
                timeout: None,
                exclusive: settings.exclusive,
                ..settings.task.clone()
            },
            deadline: settings
                .task
                .timeout
                .unwrap_or(function_timeout + Duration::from_secs(30)),
            gate: Gate::default(),
            usage: Mutex::new(Usage {
                memory_mb: configuration.memory_size().unwrap_or(128).max(0) as u64,
                ..Usage::default()
            }),
            interrupted,
        })
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Usage> {
        self.usage.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a billed invocation, in the run's usage and in the attempt's outcome (the
    /// joblog's `billed` and `cost`).
    fn bill(&self, outcome: &mut Outcome, billed: Duration) {
        let mut usage = self.tally();
        let billed_ms = billed.as_millis().max(1) as u64;
        usage.requests += 1;
        usage.billed_ms += billed_ms;
        let invocation = Usage {
            requests: 1,
            billed_ms,
            memory_mb: usage.memory_mb,
            ..Usage::default()
        };
        outcome.billed = Some(Duration::from_millis(billed_ms));
        outcome.cost = self.price.map(|price| price.cost(&invocation));
    }

    /// One attempt; the error is the attempt's failure as the joblog shows it.
    fn attempt(&self, chunk: &Chunk, attempt: u32, outcome: &mut Outcome) -> Result<(), String> {
        let request = Request::Run(Box::new(Task {
            chunk: chunk.clone(),
            attempt,
            spec: self.task.clone(),
        }));
        let payload = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
        if payload.len() > PAYLOAD_LIMIT {
            return Err(format!(
                "the invocation payload of chunk {} is {} bytes, over Lambda's limit of {} \
                 (a manifest line this large carries inline data; plan with smaller windows)",
                chunk.id,
                payload.len(),
                PAYLOAD_LIMIT
            ));
        }
        let (mut throttled, mut transient) = (0u32, 0u32);
        loop {
            // The attempt's time is the invocation's: waits for a slot are not in it.
            if !self.gate.enter(&self.interrupted) {
                return Err("interrupted".to_string());
            }
            outcome.start = SystemTime::now();
            let invoked = Instant::now();
            let call = self
                .client
                .invoke()
                .function_name(&self.function)
                .log_type(LogType::Tail)
                .payload(Blob::new(payload.clone()))
                .send();
            let sent = aws::runtime().block_on(async {
                tokio::select! {
                    sent = tokio::time::timeout(self.deadline, call) => Some(sent),
                    () = until(&self.interrupted) => None,
                }
            });
            self.gate
                .leave(matches!(sent, Some(Ok(Err(ref error))) if throttling(error)));
            let error = match sent {
                None => return Err("interrupted while the function ran".to_string()),
                Some(Err(_)) => {
                    outcome.timed_out = true;
                    return Err(format!(
                        "no reply within {:.0}s (the client-side deadline)",
                        self.deadline.as_secs_f64()
                    ));
                }
                Some(Ok(Ok(response))) => {
                    let body = response
                        .payload()
                        .map_or(&[][..], |payload| payload.as_ref());
                    let billed = response.log_result().and_then(billed_in_log);
                    if let Some(kind) = response.function_error() {
                        self.bill(outcome, billed.unwrap_or(invoked.elapsed()));
                        return Err(function_error(kind, body, outcome));
                    }
                    return match serde_json::from_slice::<Reply>(body) {
                        Ok(Reply::Ran(report)) => {
                            let ran = Duration::from_millis(report.runtime_ms.max(1));
                            self.bill(outcome, billed.unwrap_or(ran));
                            report.fill(outcome);
                            Ok(())
                        }
                        _ => Err(format!(
                            "the function's reply is not a fanout worker's: {}",
                            clip(body)
                        )),
                    };
                }
                Some(Ok(Err(error))) => error,
            };
            let status = error.raw_response().map(|raw| raw.status().as_u16());
            let wait = if throttling(&error) {
                // Others hold the slots this client's gate now waits for; this attempt also
                // backs off, in case they are not this client's.
                self.tally().throttled += 1;
                throttled += 1;
                BACKOFF.delay(throttled)
            } else if let Some(body) = error
                .raw_response()
                .and_then(|raw| raw.body().bytes())
                .filter(|body| status == Some(500) && looks_like_function_error(body))
            {
                // `cargo lambda watch` answers a function error with a 500.
                self.bill(outcome, invoked.elapsed());
                return Err(function_error("Unhandled", body, outcome));
            } else if transient < TRANSIENT_RETRIES && is_transient(&error, status) {
                transient += 1;
                BACKOFF.delay(transient)
            } else {
                return Err(format!(
                    "invoking lambda:{} failed: {}",
                    self.function,
                    aws::describe(&error)
                ));
            };
            if sleep_unless(&self.interrupted, wait) {
                return Err("interrupted".to_string());
            }
        }
    }
}

impl Backend for Lambda {
    fn name(&self) -> String {
        format!("lambda:{}", self.function)
    }

    fn check(&self, chunk: &Chunk) -> Result<()> {
        readable_remotely(chunk)
    }

    fn run(&self, chunk: &Chunk, attempt: &Attempt) -> Outcome {
        let mut outcome = Outcome::new(chunk, attempt.number);
        if let Err(error) = self.attempt(chunk, attempt.number, &mut outcome) {
            outcome.error = Some(error);
        }
        outcome.runtime = outcome.start.elapsed().unwrap_or_default();
        outcome
    }

    fn usage(&self) -> Option<String> {
        let usage = self.tally().clone();
        let cost = match &self.price {
            Some(price) => format!(
                "estimated ${:.6} (at ${}/GB-s and ${}/1M requests)",
                price.cost(&usage),
                price.per_gb_second,
                price.per_million_requests
            ),
            None => format!(
                "no price known for {} {}; set one with --lambda-price",
                self.region, self.architecture
            ),
        };
        Some(format!(
            "lambda:{} in {}: {usage}; {cost}",
            self.function, self.region
        ))
    }
}

/// A Lambda function reads only `s3://` and `https://` sources.
fn readable_remotely(chunk: &Chunk) -> Result<()> {
    let remote = |url: &str| {
        matches!(
            Location::parse(url),
            Ok(Location::S3 { .. } | Location::Http(_))
        )
    };
    match chunk.sources.iter().find(|source| !remote(&source.url)) {
        None => Ok(()),
        Some(source) => Err(Error::Usage(format!(
            "chunk {}: source {} is a local path; a Lambda function reads only s3:// and \
             https:// sources (plan from the uploaded files)",
            chunk.id, source.url
        ))),
    }
}

/// Resolves once `flag` is set.
async fn until(flag: &AtomicBool) {
    while !flag.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Lambda's answer when the function's (or the account's) concurrency is full.
fn throttling(error: &SdkError<InvokeError, HttpResponse>) -> bool {
    error.raw_response().map(|raw| raw.status().as_u16()) == Some(429)
        || matches!(
            error.code(),
            Some("TooManyRequestsException" | "EC2ThrottledException")
        )
}

fn is_transient<E, R>(error: &SdkError<E, R>, status: Option<u16>) -> bool {
    matches!(
        error,
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_)
    ) || status.is_some_and(|status| status >= 500)
}

#[derive(Deserialize)]
struct FunctionError {
    #[serde(rename = "errorType", default)]
    error_type: String,
    #[serde(rename = "errorMessage", default)]
    error_message: String,
}

fn looks_like_function_error(body: &[u8]) -> bool {
    serde_json::from_slice::<FunctionError>(body).is_ok_and(|error| !error.error_type.is_empty())
}

/// The attempt's failure for a function error; a Lambda timeout also marks it timed out.
fn function_error(kind: &str, body: &[u8], outcome: &mut Outcome) -> String {
    let Ok(error) = serde_json::from_slice::<FunctionError>(body) else {
        return format!("function error ({kind}): {}", clip(body));
    };
    if error.error_type == "Sandbox.Timedout" || error.error_message.contains("timed out") {
        outcome.timed_out = true;
        return format!("the function timed out: {}", error.error_message);
    }
    format!(
        "function error ({kind}): {}: {}",
        error.error_type, error.error_message
    )
}

/// The billed duration in the tail of an invocation's log (`LogType: Tail`, base64), whose
/// last line Lambda writes as `REPORT RequestId: ... Billed Duration: 120 ms ...`. Emulators
/// may leave it out; the caller falls back on the worker's own time.
fn billed_in_log(log: &str) -> Option<Duration> {
    let log = base64::engine::general_purpose::STANDARD.decode(log).ok()?;
    let log = String::from_utf8_lossy(&log);
    let report = log.lines().rev().find(|line| line.starts_with("REPORT "))?;
    let ms = report
        .split('\t')
        .find_map(|field| field.trim().strip_prefix("Billed Duration: "))?
        .strip_suffix(" ms")?
        .parse()
        .ok()?;
    Some(Duration::from_millis(ms))
}

/// A reply shown in an error, at most 300 characters.
fn clip(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut clipped: String = text.chars().take(300).collect();
    if clipped.len() < text.len() {
        clipped.push_str("...");
    }
    clipped.replace(['\n', '\t'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome() -> Outcome {
        let mut manifest = partition_core::ManifestBuilder::new(partition_core::Kind::Fastq);
        manifest.push("c", vec![], 0, ());
        Outcome::new(&manifest.finish()[0], 1)
    }

    #[test]
    fn function_errors_are_named_and_timeouts_marked() {
        let mut timed_out = outcome();
        let message = function_error(
            "Unhandled",
            br#"{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 4.00 seconds"}"#,
            &mut timed_out,
        );
        assert!(timed_out.timed_out);
        assert_eq!(
            message,
            "the function timed out: Task timed out after 4.00 seconds"
        );

        let mut crashed = outcome();
        let message = function_error(
            "Unhandled",
            br#"{"errorType":"Runtime.ExitError","errorMessage":"exit status 1"}"#,
            &mut crashed,
        );
        assert!(!crashed.timed_out);
        assert_eq!(
            message,
            "function error (Unhandled): Runtime.ExitError: exit status 1"
        );
        assert_eq!(
            function_error("Handled", b"not json\n", &mut crashed),
            "function error (Handled): not json "
        );
        assert!(looks_like_function_error(
            br#"{"errorType":"x","errorMessage":"y"}"#
        ));
        assert!(!looks_like_function_error(b"<html>"));
    }

    #[test]
    fn the_billed_duration_comes_from_the_report_line() {
        use base64::Engine;
        let log = "START RequestId: 6f1b Version: $LATEST\nsome stderr\nEND RequestId: 6f1b\n\
                   REPORT RequestId: 6f1b\tDuration: 1234.56 ms\tBilled Duration: 1307 ms\t\
                   Memory Size: 2048 MB\tMax Memory Used: 91 MB\tInit Duration: 71.9 ms\t\n";
        let encoded = base64::engine::general_purpose::STANDARD.encode(log);
        assert_eq!(billed_in_log(&encoded), Some(Duration::from_millis(1307)));
        let quiet = base64::engine::general_purpose::STANDARD.encode("just stderr\n");
        assert_eq!(billed_in_log(&quiet), None);
        assert_eq!(billed_in_log("not base64!"), None);
    }
}
