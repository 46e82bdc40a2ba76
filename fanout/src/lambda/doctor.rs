//! `fanout lambda doctor`: checks, in order, what a Lambda run needs, and says what is wrong
//! with each: credentials, the function (exists, Active, a custom runtime, answers as a fanout
//! worker), and read-write access to the output prefix.

use std::io::Write;

use aws_sdk_lambda::primitives::Blob;
use partition_core::output::{exists, join, remove, write_file};
use partition_core::{aws, Error, Result};

use crate::lambda::sdk_client;
use crate::lambda::task::{Reply, Request};

/// Runs every check it can, printing one line per check on stdout; fails if any failed.
pub fn doctor(function: &str, out_dir: Option<&str>, out: &mut impl Write) -> Result<()> {
    let mut failed = 0;
    let mut report = |check: &str, result: std::result::Result<String, String>| {
        let line = match result {
            Ok(fine) => format!("ok    {check}: {fine}"),
            Err(problem) => {
                failed += 1;
                format!("FAIL  {check}: {problem}")
            }
        };
        writeln!(out, "{line}").map_err(|e| Error::io("<stdout>", e))
    };
    let config = aws::config();
    report("region", Ok(aws::region()))?;
    report("credentials", credentials(config))?;
    let client = sdk_client();
    let runtime = aws::runtime();
    let function_ready = match runtime.block_on(
        client
            .get_function_configuration()
            .function_name(function)
            .send(),
    ) {
        Err(error) => {
            let problem = if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception())
            {
                "not found; create it with `fanout lambda deploy --function NAME --role ARN`"
                    .to_string()
            } else {
                aws::describe(&error)
            };
            report(&format!("function {function}"), Err(problem))?;
            false
        }
        Ok(configuration) => {
            let state = configuration.state().map_or("?", |s| s.as_str());
            // A container image (docs/fanout.md) has no runtime of its own to name.
            let image = configuration
                .package_type()
                .is_some_and(|package| package.as_str() == "Image");
            let runtime_name = match configuration.runtime() {
                Some(runtime) => runtime.as_str(),
                None if image => "container image",
                None => "?",
            };
            let summary = format!(
                "state {state}, runtime {runtime_name}, {} MB, timeout {} s",
                configuration.memory_size().unwrap_or(0),
                configuration.timeout().unwrap_or(0)
            );
            let result = if state != "Active" {
                Err(format!(
                    "{summary}: not Active ({})",
                    configuration.state_reason().unwrap_or("no reason given")
                ))
            } else if !image && !runtime_name.starts_with("provided") {
                Err(format!(
                    "{summary}: the fanout worker needs a custom runtime (provided.al2023)"
                ))
            } else {
                Ok(summary)
            };
            let ready = result.is_ok();
            report(&format!("function {function}"), result)?;
            ready
        }
    };
    if function_ready {
        let payload = serde_json::to_vec(&Request::Ping).map_err(std::io::Error::other);
        let answer = payload
            .map_err(|e| e.to_string())
            .and_then(|payload| {
                runtime
                    .block_on(
                        client
                            .invoke()
                            .function_name(function)
                            .payload(Blob::new(payload))
                            .send(),
                    )
                    .map_err(|e| aws::describe(&e))
            })
            .and_then(|response| {
                let body = response.payload().map_or(&[][..], |p| p.as_ref());
                match (response.function_error(), serde_json::from_slice::<Reply>(body)) {
                    (None, Ok(Reply::Pong { version })) => Ok(format!("fanout worker {version}")),
                    (Some(kind), _) => Err(format!(
                        "function error ({kind}): {}",
                        String::from_utf8_lossy(body)
                    )),
                    _ => Err(format!(
                        "answers, but not as a fanout worker (redeploy with `fanout lambda deploy`): {}",
                        String::from_utf8_lossy(body)
                    )),
                }
            });
        report("worker answers", answer)?;
    }
    if let Some(dir) = out_dir {
        report(&format!("write, read and delete in {dir}"), s3_access(dir))?;
    }
    if failed > 0 {
        return Err(Error::Failed(format!("{failed} checks failed")));
    }
    Ok(())
}

fn credentials(config: &aws::SdkConfig) -> std::result::Result<String, String> {
    use aws_sdk_lambda::config::ProvideCredentials;
    let provider = config
        .credentials_provider()
        .ok_or("none configured (environment, ~/.aws/credentials or a profile)")?;
    match aws::runtime().block_on(provider.provide_credentials()) {
        Ok(_) => Ok("found".to_string()),
        Err(error) => Err(aws::causes(&error)),
    }
}

fn s3_access(dir: &str) -> std::result::Result<String, String> {
    if !dir.starts_with("s3://") {
        return Err("a Lambda run writes to S3: --out-dir must be s3://BUCKET/PREFIX/".to_string());
    }
    let probe = join(dir, ".fanout-doctor");
    let access = || -> Result<()> {
        write_file(&probe, |out| out.write_all(b"fanout doctor\n"))?;
        if !exists(&probe)? {
            return Err(Error::Storage {
                input: probe.clone(),
                message: "written but not found".to_string(),
            });
        }
        remove(&probe)
    };
    access()
        .map(|()| "fine".to_string())
        .map_err(|e| e.to_string())
}
