//! The AWS Lambda backend: one function invocation per chunk attempt, outputs in S3.
//!
//! - [`task`]: what the client sends to the function and what the worker sends back.
//! - [`client`]: the [`Backend`](crate::backend::Backend) that invokes the function with
//!   backoff on throttling, a client-side deadline, and a usage and cost report.
//! - [`worker`]: what the function runs (the `fanout-lambda-worker` binary, deployed as
//!   `bootstrap`): the local backend on one chunk, stdout and stderr uploaded to S3.
//! - [`gate`]: how many invocations the client keeps in flight once it has been throttled.
//! - [`deploy`]: packages the worker into a zip and creates or updates the function.
//! - [`doctor`]: checks credentials, the function and S3 access, and says what is wrong.
//! - [`price`]: Lambda prices per region, for the cost estimate.

pub mod client;
pub mod deploy;
pub mod doctor;
pub mod gate;
pub mod price;
pub mod task;
pub mod worker;

pub use client::Lambda;

use partition_core::{aws, Error};

/// A Lambda client on the shared AWS configuration. Its own retries are off: throttling is
/// retried by [`client`], which counts it, and an invocation may run for up to 15 minutes,
/// so it has no read timeout (the caller's deadline bounds it).
fn sdk_client() -> aws_sdk_lambda::Client {
    let config = aws_sdk_lambda::config::Builder::from(aws::config())
        .retry_config(aws_sdk_lambda::config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_sdk_lambda::config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .build(),
        )
        .build();
    aws_sdk_lambda::Client::from_conf(config)
}

/// The function's configuration: state, memory, timeout, architecture.
fn configuration(
    client: &aws_sdk_lambda::Client,
    function: &str,
) -> partition_core::Result<
    aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput,
> {
    aws::runtime()
        .block_on(
            client
                .get_function_configuration()
                .function_name(function)
                .send(),
        )
        .map_err(|e| lambda_error(function, "GetFunctionConfiguration", e))
}

fn lambda_error(
    function: &str,
    action: &str,
    error: impl std::error::Error + aws::ProvideErrorMetadata,
) -> Error {
    Error::Storage {
        input: format!("lambda:{function}"),
        message: format!("{action} failed: {}", aws::describe(&error)),
    }
}
