//! What every AWS client of the toolkit shares (S3 here, Lambda in `fanout`): one
//! process-wide tokio runtime behind the blocking tools, and the standard AWS configuration
//! (environment, `~/.aws/config` profiles, `AWS_ENDPOINT_URL*`), loaded once.

use std::error::Error;
use std::sync::OnceLock;
use std::time::Duration;

pub use aws_config::SdkConfig;
pub use aws_sdk_s3::error::ProvideErrorMetadata;

/// The region when none is configured, as the AWS CLI's S3 commands assume.
const DEFAULT_REGION: &str = "us-east-1";

pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .thread_name("chunkwise-aws")
            .enable_all()
            .build()
            .expect("the AWS runtime starts")
    })
}

/// The loaded configuration; the region is `us-east-1` when none is configured.
pub fn config() -> &'static SdkConfig {
    static CONFIG: OnceLock<SdkConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        runtime().block_on(async {
            let region = aws_config::meta::region::RegionProviderChain::default_provider()
                .or_else(aws_config::Region::new(DEFAULT_REGION));
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .region(region)
                .timeout_config(
                    aws_config::timeout::TimeoutConfig::builder()
                        .connect_timeout(Duration::from_secs(10))
                        .read_timeout(Duration::from_secs(60))
                        .build(),
                )
                .load()
                .await
        })
    })
}

/// The region requests go to.
pub fn region() -> String {
    config()
        .region()
        .map_or(DEFAULT_REGION.to_string(), ToString::to_string)
}

/// Whether requests to `service` (`S3`, `LAMBDA`) go to an endpoint of the user's
/// (`AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_<SERVICE>`): a local server such as ministack.
pub fn custom_endpoint(service: &str) -> bool {
    config().endpoint_url().is_some()
        || std::env::var_os(format!("AWS_ENDPOINT_URL_{service}")).is_some()
        || std::env::var_os("AWS_ENDPOINT_URL").is_some()
}

/// An SDK error in a line: the service's code and message when it answered with one
/// (`NoSuchBucket: The specified bucket does not exist`), else the chain of causes
/// (`dispatch failure: ... Connection refused`).
pub fn describe(error: &(impl Error + ProvideErrorMetadata)) -> String {
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => causes(error),
    }
}

/// An error and its sources, each once, joined by `: `.
pub fn causes(error: &dyn Error) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}
