//! Durations as the environments file and `--wait` spell them: `90s`, `15m`, `24h`, `7d`, `1h30m`.

use std::fmt;

/// A duration in whole seconds, written as one or more `<number><unit>` parts (`s`, `m`, `h`, `d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    seconds: u64,
}

/// A duration that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Empty, too long, a unit missing or unknown, or a number without digits.
    #[error(
        "'{text}' is not a duration: write whole numbers with the units s, m, h or d, such as 90s, 15m, 24h, 7d or 1h30m"
    )]
    Malformed {
        /// The text as given (at most 64 characters of it).
        text: String,
    },
    /// More than the largest duration this reader accepts (100 years).
    #[error("'{text}' is longer than 100 years")]
    TooLong {
        /// The text as given.
        text: String,
    },
    /// Zero.
    #[error("'{text}' is zero: a duration must be at least one second")]
    Zero {
        /// The text as given.
        text: String,
    },
}

/// 100 years, the longest duration accepted.
const MAX_SECONDS: u64 = 100 * 366 * 86_400;

impl Duration {
    /// A duration of `seconds` seconds.
    #[must_use]
    pub const fn from_secs(seconds: u64) -> Duration {
        Duration { seconds }
    }

    /// Whole seconds.
    #[must_use]
    pub const fn as_secs(self) -> u64 {
        self.seconds
    }

    /// Reads `90s`, `15m`, `24h`, `7d`, `1h30m` (whole numbers, units in any order, at least one second).
    pub fn parse(text: &str) -> Result<Duration, DurationError> {
        let shown: String = text.chars().take(64).collect();
        let malformed = || DurationError::Malformed { text: shown.clone() };
        if text.is_empty() || text.len() > 64 {
            return Err(malformed());
        }
        let mut total: u64 = 0;
        let mut number: Option<u64> = None;
        for c in text.chars() {
            if let Some(d) = c.to_digit(10) {
                let n = number
                    .unwrap_or(0)
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(d)))
                    .ok_or_else(|| DurationError::TooLong { text: shown.clone() })?;
                number = Some(n);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3_600,
                'd' => 86_400,
                _ => return Err(malformed()),
            };
            let n = number.take().ok_or_else(malformed)?;
            total = n
                .checked_mul(unit)
                .and_then(|s| total.checked_add(s))
                .ok_or_else(|| DurationError::TooLong { text: shown.clone() })?;
        }
        if number.is_some() {
            return Err(malformed());
        }
        if total > MAX_SECONDS {
            return Err(DurationError::TooLong { text: shown });
        }
        if total == 0 {
            return Err(DurationError::Zero { text: shown });
        }
        Ok(Duration { seconds: total })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.seconds;
        if rest == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            let n = rest / size;
            if n > 0 {
                write!(f, "{n}{unit}")?;
                rest %= size;
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Duration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Duration::parse(s)
    }
}

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}
