//! Lambda's on-demand prices, for the cost estimate at the end of a run. Prices change and
//! differ by region and architecture; the table holds the regions at the standard price
//! (USD, 2026), and `--lambda-price` sets any other.

use std::fmt;
use std::str::FromStr;

/// Regions where Lambda's on-demand price is the standard one.
const STANDARD_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "ap-northeast-1",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub per_gb_second: f64,
    pub per_million_requests: f64,
}

impl Price {
    /// The table's price for a region and architecture (`x86_64`, `arm64`).
    pub fn for_region(region: &str, architecture: &str) -> Option<Price> {
        if !STANDARD_REGIONS.contains(&region) {
            return None;
        }
        Some(Price {
            per_gb_second: if architecture == "arm64" {
                0.0000133334
            } else {
                0.0000166667
            },
            per_million_requests: 0.20,
        })
    }

    pub fn cost(&self, usage: &Usage) -> f64 {
        usage.gb_seconds() * self.per_gb_second
            + usage.requests as f64 / 1e6 * self.per_million_requests
    }
}

/// `USD_PER_GB_SECOND[,USD_PER_MILLION_REQUESTS]`, as `--lambda-price` takes it.
impl FromStr for Price {
    type Err = String;

    fn from_str(text: &str) -> Result<Price, String> {
        let number = |part: &str| {
            part.trim()
                .parse::<f64>()
                .ok()
                .filter(|value| value.is_finite() && *value >= 0.0)
                .ok_or_else(|| format!("{part:?} is not a price in USD"))
        };
        let (per_gb_second, per_million_requests) = match text.split_once(',') {
            Some((gb_second, requests)) => (number(gb_second)?, number(requests)?),
            None => (number(text)?, 0.20),
        };
        Ok(Price {
            per_gb_second,
            per_million_requests,
        })
    }
}

/// What a run used: invocations that ran (billed), throttled ones (not billed), and billed time.
#[derive(Debug, Default, Clone)]
pub struct Usage {
    pub requests: u64,
    pub throttled: u64,
    pub billed_ms: u64,
    pub memory_mb: u64,
}

impl Usage {
    pub fn gb_seconds(&self) -> f64 {
        self.billed_ms as f64 / 1000.0 * self.memory_mb as f64 / 1024.0
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests ({} throttled), {:.1} s billed at {} MB = {:.3} GB-s",
            self.requests,
            self.throttled,
            self.billed_ms as f64 / 1000.0,
            self.memory_mb,
            self.gb_seconds()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_of_a_run() {
        let usage = Usage {
            requests: 1_000_000,
            throttled: 7,
            billed_ms: 2_000_000,
            memory_mb: 2048,
        };
        assert_eq!(usage.gb_seconds(), 4000.0);
        let price = Price::for_region("us-east-1", "x86_64").unwrap();
        assert!((price.cost(&usage) - (4000.0 * 0.0000166667 + 0.20)).abs() < 1e-12);
        let arm = Price::for_region("eu-west-1", "arm64").unwrap();
        assert!(arm.cost(&usage) < price.cost(&usage));
        assert_eq!(Price::for_region("af-south-1", "x86_64"), None);
    }

    #[test]
    fn prices_from_the_command_line() {
        assert_eq!(
            "0.00002,0.25".parse::<Price>().unwrap(),
            Price {
                per_gb_second: 0.00002,
                per_million_requests: 0.25
            }
        );
        assert_eq!(
            "0.00002".parse::<Price>().unwrap().per_million_requests,
            0.20
        );
        assert!("cheap".parse::<Price>().is_err());
        assert!("-1".parse::<Price>().is_err());
    }
}
