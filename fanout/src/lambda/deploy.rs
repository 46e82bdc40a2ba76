//! `fanout lambda deploy`: the worker binary, zipped as `bootstrap`, becomes the code of a
//! `provided.al2023` function, created or updated, and ready (Active, update Successful)
//! before the command returns.
//!
//! The function runs the user's command, so the command must be in the function's
//! environment: tools in a layer under `/opt/bin`, or a container image (see `docs/fanout.md`).

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, FunctionCode, Runtime};
use partition_core::{aws, Error, Result};

use crate::lambda::{configuration, lambda_error, sdk_client};

pub struct Deploy {
    pub function: String,
    /// The execution role; needed only to create the function.
    pub role: Option<String>,
    pub memory_mb: i32,
    pub timeout: Duration,
    /// The worker binary; by default `fanout-lambda-worker` beside this executable.
    pub worker: Option<PathBuf>,
}

/// Lambda's limit on a zip sent with the request (larger ones go through S3).
const DIRECT_UPLOAD_LIMIT: usize = 50 * 1000 * 1000;

/// How long a function may take to become ready.
const READY_WITHIN: Duration = Duration::from_secs(300);

pub fn deploy(deploy: &Deploy) -> Result<()> {
    let worker = match &deploy.worker {
        Some(path) => path.clone(),
        None => beside_this_executable("fanout-lambda-worker")?,
    };
    let zip = package(&worker)?;
    if zip.len() > DIRECT_UPLOAD_LIMIT {
        eprintln!(
            "fanout: warning: the worker zip is {}; Lambda takes at most 50 MB directly \
             (build the worker with `cargo build --profile lambda --bin fanout-lambda-worker`)",
            partition_core::ByteSize(zip.len() as u64)
        );
    }
    let function = deploy.function.as_str();
    let timeout = i32::try_from(deploy.timeout.as_secs().max(1)).unwrap_or(i32::MAX);
    let client = sdk_client();
    let runtime = aws::runtime();
    let exists = match runtime.block_on(client.get_function().function_name(function).send()) {
        Ok(_) => true,
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            false
        }
        Err(error) => return Err(lambda_error(function, "GetFunction", error)),
    };
    if exists {
        runtime
            .block_on(
                client
                    .update_function_code()
                    .function_name(function)
                    .zip_file(Blob::new(zip))
                    .send(),
            )
            .map_err(|e| lambda_error(function, "UpdateFunctionCode", e))?;
        wait_until_ready(&client, function)?;
        runtime
            .block_on(
                client
                    .update_function_configuration()
                    .function_name(function)
                    .memory_size(deploy.memory_mb)
                    .timeout(timeout)
                    .send(),
            )
            .map_err(|e| lambda_error(function, "UpdateFunctionConfiguration", e))?;
    } else {
        let role = deploy.role.as_deref().ok_or_else(|| {
            Error::Usage(format!(
                "function {function} does not exist; creating it needs --role ARN (its execution role)"
            ))
        })?;
        runtime
            .block_on(
                client
                    .create_function()
                    .function_name(function)
                    .runtime(Runtime::Providedal2023)
                    .handler("bootstrap")
                    .role(role)
                    .architectures(if cfg!(target_arch = "aarch64") {
                        Architecture::Arm64
                    } else {
                        Architecture::X8664
                    })
                    .memory_size(deploy.memory_mb)
                    .timeout(timeout)
                    .code(FunctionCode::builder().zip_file(Blob::new(zip)).build())
                    .send(),
            )
            .map_err(|e| lambda_error(function, "CreateFunction", e))?;
    }
    wait_until_ready(&client, function)
}

/// A zip holding one executable file, `bootstrap`: the worker.
pub fn package(worker: &Path) -> Result<Vec<u8>> {
    let binary = std::fs::read(worker).map_err(|e| Error::io(worker.display(), e))?;
    if !binary.starts_with(b"\x7fELF") {
        return Err(Error::Usage(format!(
            "{}: not a Linux executable; the worker must be built for Lambda's Linux",
            worker.display()
        )));
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    let zipped = zip
        .start_file("bootstrap", options)
        .and_then(|()| zip.write_all(&binary).map_err(Into::into))
        .and_then(|()| zip.finish());
    match zipped {
        Ok(cursor) => Ok(cursor.into_inner()),
        Err(error) => Err(Error::io("the worker zip", std::io::Error::other(error))),
    }
}

fn beside_this_executable(name: &str) -> Result<PathBuf> {
    let this = std::env::current_exe().map_err(|e| Error::io("the fanout executable", e))?;
    let path = this.with_file_name(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::Usage(format!(
            "{} not found beside {}; build it (cargo build --release -p fanout) or pass --worker PATH",
            name,
            this.display()
        )))
    }
}

/// Waits for the function to be Active with its last update Successful.
fn wait_until_ready(client: &aws_sdk_lambda::Client, function: &str) -> Result<()> {
    let started = Instant::now();
    loop {
        let configuration = configuration(client, function)?;
        let state = configuration.state().map(|state| state.as_str());
        let update = configuration
            .last_update_status()
            .map(|status| status.as_str());
        if matches!(state, Some("Failed")) || matches!(update, Some("Failed")) {
            return Err(Error::Storage {
                input: format!("lambda:{function}"),
                message: format!(
                    "the function failed to become ready: {}",
                    configuration
                        .state_reason()
                        .or(configuration.last_update_status_reason())
                        .unwrap_or("no reason given")
                ),
            });
        }
        if matches!(state, None | Some("Active")) && matches!(update, None | Some("Successful")) {
            return Ok(());
        }
        if started.elapsed() > READY_WITHIN {
            return Err(Error::Storage {
                input: format!("lambda:{function}"),
                message: format!(
                    "not ready after {}s (state {}, last update {})",
                    READY_WITHIN.as_secs(),
                    state.unwrap_or("?"),
                    update.unwrap_or("?")
                ),
            });
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
