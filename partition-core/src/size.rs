//! Human byte sizes: `64MiB`, `1.5G`, `512k`, `4096`.
//!
//! Like samtools and GNU `sort -S`, a bare unit letter (`k`, `M`, `G`, `T`) and the `KiB`
//! spellings are powers of 1024; the `kB`, `MB`, `GB`, `TB` spellings are powers of 1000, as
//! `split -b` reads them.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(text: &str) -> Result<ByteSize, String> {
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        let unit = unit.trim();
        let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kib" => 1 << 10,
            "m" | "mib" => 1 << 20,
            "g" | "gib" => 1 << 30,
            "t" | "tib" => 1 << 40,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            "tb" => 1_000_000_000_000,
            _ => {
                return Err(format!(
                    "'{text}': unknown size unit '{unit}' (use k, M, G, T, KiB, MB ...)"
                ))
            }
        };
        if number.is_empty() {
            return Err(format!("'{text}': a size needs a number, like 64MiB"));
        }
        let value = if number.contains('.') {
            let value: f64 = number
                .parse()
                .map_err(|_| format!("'{text}': not a size"))?;
            let bytes = (value * multiplier as f64).round();
            if !bytes.is_finite() || bytes > u64::MAX as f64 {
                return Err(format!("'{text}': size too large"));
            }
            bytes as u64
        } else {
            let value: u64 = number
                .parse()
                .map_err(|_| format!("'{text}': not a size"))?;
            value
                .checked_mul(multiplier)
                .ok_or_else(|| format!("'{text}': size too large"))?
        };
        Ok(ByteSize(value))
    }
}

impl fmt::Display for ByteSize {
    /// Shortest exact binary spelling when there is one (`64MiB`), otherwise one decimal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let mut value = self.0 as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit + 1 < UNITS.len() {
            value /= 1024.0;
            unit += 1;
        }
        if value.fract() == 0.0 {
            write!(f, "{}{}", value as u64, UNITS[unit])
        } else {
            write!(f, "{:.1}{}", value, UNITS[unit])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ByteSize;

    fn parse(text: &str) -> Result<u64, String> {
        text.parse::<ByteSize>().map(ByteSize::bytes)
    }

    #[test]
    fn parses_binary_and_decimal_units() {
        assert_eq!(parse("4096"), Ok(4096));
        assert_eq!(parse("64MiB"), Ok(64 << 20));
        assert_eq!(parse("64M"), Ok(64 << 20));
        assert_eq!(parse("512k"), Ok(512 << 10));
        assert_eq!(parse("1.5G"), Ok(3 << 29));
        assert_eq!(parse("2GB"), Ok(2_000_000_000));
        assert_eq!(parse("10 kB"), Ok(10_000));
        assert_eq!(parse("1TiB"), Ok(1 << 40));
    }

    #[test]
    fn rejects_nonsense() {
        assert!(parse("").is_err());
        assert!(parse("MiB").is_err());
        assert!(parse("12 parsecs").is_err());
        assert!(parse("1.2.3M").is_err());
        assert!(parse("99999999999999T").is_err());
    }

    #[test]
    fn displays_compactly() {
        assert_eq!(ByteSize(64 << 20).to_string(), "64MiB");
        assert_eq!(ByteSize(1536).to_string(), "1.5KiB");
        assert_eq!(ByteSize(17).to_string(), "17B");
    }
}
