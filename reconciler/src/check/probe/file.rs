//! `FILE_CHECK`: the real server's health and weight from a `track_file`'s number, as
//! keepalived's check_file.c and track_file.c.
//!
//! The file holds an integer (leading whitespace, sign and digits; anything after is ignored;
//! a missing, empty or non-numeric file reads as 0). With weight 0 the check is down while
//! the number is non-zero (`reverse`: while it is zero). Otherwise the real server's weight
//! becomes its configured weight plus number × weight (negated with `reverse`), kept within
//! 0..=65535.

use std::path::PathBuf;

use super::Outcome;

/// The largest IPVS weight.
const IPVS_WEIGHT_MAX: i64 = 65535;

/// A `FILE_CHECK`'s settings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileSpec {
    /// The tracked file.
    pub path: PathBuf,
    /// The weight (the FILE_CHECK's, else the track_file's).
    pub weight: i32,
    /// `reverse`.
    pub reverse: bool,
    /// The real server's configured weight.
    pub base_weight: u32,
}

/// The number in `text` as keepalived reads it (0 when there is none).
pub fn read_number(text: &str) -> i64 {
    let t = text.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    let n: i64 = digits[..end].parse().unwrap_or(0);
    if neg { -n } else { n }
}

/// The outcome for the file's `number`.
pub fn outcome_for(spec: &FileSpec, number: i64) -> Outcome {
    if spec.weight == 0 {
        let down = (number != 0) != spec.reverse;
        return if down {
            Outcome::down(format!("track file {} reads {number}", spec.path.display()))
        } else {
            Outcome::Up
        };
    }
    let sign = if spec.reverse { -1 } else { 1 };
    let delta = number
        .saturating_mul(i64::from(spec.weight))
        .saturating_mul(sign);
    let weight = (i64::from(spec.base_weight) + delta).clamp(0, IPVS_WEIGHT_MAX);
    Outcome::UpWithWeight(weight as u32)
}

/// One read of the file.
pub async fn check(spec: &FileSpec) -> Outcome {
    let number = match tokio::fs::read_to_string(&spec.path).await {
        Ok(text) => read_number(&text),
        Err(_) => 0,
    };
    outcome_for(spec, number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(weight: i32, reverse: bool) -> FileSpec {
        FileSpec {
            path: "/run/kac-test".into(),
            weight,
            reverse,
            base_weight: 10,
        }
    }

    #[test]
    fn numbers_read_like_strtol() {
        assert_eq!(read_number(" 42\n"), 42);
        assert_eq!(read_number("-3 apples"), -3);
        assert_eq!(read_number("none"), 0);
        assert_eq!(read_number(""), 0);
    }

    #[test]
    fn weight_zero_is_up_or_down_and_otherwise_weights() {
        assert_eq!(outcome_for(&spec(0, false), 0), Outcome::Up);
        assert!(!outcome_for(&spec(0, false), 1).is_up());
        assert!(!outcome_for(&spec(0, true), 0).is_up());
        assert_eq!(outcome_for(&spec(2, false), 3), Outcome::UpWithWeight(16));
        assert_eq!(outcome_for(&spec(2, true), 3), Outcome::UpWithWeight(4));
        assert_eq!(outcome_for(&spec(5, true), 9), Outcome::UpWithWeight(0));
    }
}
