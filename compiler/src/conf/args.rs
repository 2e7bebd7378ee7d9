//! Reading keyword arguments the way keepalived's `read_*` helpers do, with diagnostics.

use std::net::IpAddr;

use kac_schema::Diagnostic;
use kac_schema::config::{IpPrefix, Micros, SettingValue};

use super::parser::{Line, Parser};
use crate::codes;

/// Declarative argument spec for generic settings.
#[derive(Debug, Clone, Copy)]
pub enum Arg {
    /// Required unsigned integer in a range.
    U(u64, u64),
    /// Optional unsigned integer in a range.
    OptU(u64, u64),
    /// Required signed integer in a range.
    I(i64, i64),
    /// Required timer in seconds (µs resolution), range in µs.
    T(u64, u64),
    /// Optional boolean (missing = true).
    Bool,
    /// Required word.
    Word,
    /// Optional word.
    OptWord,
    /// Any remaining words.
    Rest,
    /// Required IP address.
    Ip,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// Optionally one of these words.
    OptChoice(&'static [&'static str]),
}

impl Arg {
    /// Reads the argument at `*i` into `out`, advancing `*i`. Returns false when it is invalid.
    pub fn read(
        &self,
        p: &mut Parser<'_>,
        line: &Line,
        i: &mut usize,
        out: &mut Vec<SettingValue>,
    ) -> bool {
        let at = *i;
        let optional = matches!(
            self,
            Arg::OptU(..) | Arg::Bool | Arg::OptWord | Arg::OptChoice(_)
        );
        if optional && line.word(at).is_none() {
            return true;
        }
        if let Arg::Rest = self {
            out.extend((at..line.len()).map(|k| SettingValue::Word(line.w(k).to_string())));
            *i = line.len().max(at);
            return true;
        }
        *i += 1;
        let value = match *self {
            Arg::U(lo, hi) | Arg::OptU(lo, hi) => {
                p.uint(line, at, lo, hi).map(SettingValue::Unsigned)
            }
            Arg::I(lo, hi) => p.int(line, at, lo, hi).map(SettingValue::Signed),
            Arg::T(lo, hi) => p.timer(line, at, lo, hi).map(SettingValue::Micros),
            Arg::Bool => p.boolean(line, at).map(SettingValue::Bool),
            Arg::Word | Arg::OptWord => p.req(line, at).map(|w| SettingValue::Word(w.to_string())),
            Arg::Ip => p.ip(line, at).map(SettingValue::Ip),
            Arg::Choice(set) | Arg::OptChoice(set) => p
                .choice(line, at, set)
                .map(|w| SettingValue::Word(w.to_string())),
            Arg::Rest => None,
        };
        match value {
            Some(v) => {
                out.push(v);
                true
            }
            None => false,
        }
    }
}

impl Parser<'_> {
    /// Word `i`, or a missing-parameter error (keepalived stops with exit 2 on this).
    pub fn req<'l>(&mut self, line: &'l Line, i: usize) -> Option<&'l str> {
        match line.word(i) {
            Some(w) => Some(w),
            None => {
                self.report(
                    Diagnostic::error(
                        codes::MISSING_PARAMETER,
                        format!("`{}` is missing a parameter", line.keyword()),
                    )
                    .with_primary(
                        line.span(i),
                        format!("expected a value after `{}`", line.w(i.saturating_sub(1))),
                    )
                    .with_help(
                        "keepalived stops reading the whole configuration at a missing parameter",
                    ),
                );
                None
            }
        }
    }

    fn bad_number(&mut self, line: &Line, i: usize, msg: String, help: String) {
        self.report(
            Diagnostic::error(codes::INVALID_NUMBER, msg)
                .with_primary(line.span(i), "not a decimal number")
                .with_help(help),
        );
    }

    fn out_of_range(&mut self, line: &Line, i: usize, lo: String, hi: String) {
        let w = line.w(i).to_string();
        self.report(
            Diagnostic::error(
                codes::OUT_OF_RANGE,
                format!("`{}` value {w} is out of range", line.keyword()),
            )
            .with_primary(line.span(i), format!("must be between {lo} and {hi}"))
            .with_help(format!("use a value from {lo} to {hi}")),
        );
    }

    /// An unsigned decimal (like `read_unsigned`: leading `+` allowed, no `-`, no junk).
    pub fn uint(&mut self, line: &Line, i: usize, lo: u64, hi: u64) -> Option<u64> {
        let w = self.req(line, i)?;
        // The common case, plain digits, without the general path below.
        if !w.is_empty() && w.len() <= 19 && w.bytes().all(|b| b.is_ascii_digit()) {
            let v = w
                .bytes()
                .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
            if (lo..=hi).contains(&v) {
                return Some(v);
            }
        }
        let t = w.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if t.starts_with('-') {
            self.bad_number(
                line,
                i,
                format!("negative number `{w}`"),
                format!("`{}` takes a value from {lo} to {hi}", line.keyword()),
            );
            return None;
        }
        let digits = t.strip_prefix('+').unwrap_or(t);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            self.bad_number(
                line,
                i,
                format!("invalid number `{w}`"),
                "write a decimal number (no hex, no units)".into(),
            );
            return None;
        }
        match digits.parse::<u64>() {
            Ok(v) if (lo..=hi).contains(&v) => Some(v),
            _ => {
                self.out_of_range(line, i, lo.to_string(), hi.to_string());
                None
            }
        }
    }

    /// A signed decimal (like `read_int`).
    pub fn int(&mut self, line: &Line, i: usize, lo: i64, hi: i64) -> Option<i64> {
        let w = self.req(line, i)?;
        let t = w.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let (neg, digits) = match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            self.bad_number(
                line,
                i,
                format!("invalid number `{w}`"),
                "write a decimal integer".into(),
            );
            return None;
        }
        match digits.parse::<i64>() {
            Ok(v) => {
                let v = if neg { -v } else { v };
                if (lo..=hi).contains(&v) {
                    Some(v)
                } else {
                    self.out_of_range(line, i, lo.to_string(), hi.to_string());
                    None
                }
            }
            Err(_) => {
                self.out_of_range(line, i, lo.to_string(), hi.to_string());
                None
            }
        }
    }

    /// A time in seconds with up to 6 decimal places, returned in µs; range in µs.
    pub fn timer(&mut self, line: &Line, i: usize, lo: Micros, hi: Micros) -> Option<Micros> {
        let w = self.req(line, i)?;
        let t = w.strip_prefix('+').unwrap_or(w);
        let (int_part, frac) = match t.split_once('.') {
            Some((a, b)) => (a, b),
            None => (t, ""),
        };
        let valid = !(int_part.is_empty() && frac.is_empty())
            && int_part.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            self.bad_number(
                line,
                i,
                format!("invalid number `{w}`"),
                "write seconds as a decimal number, e.g. `1` or `0.5`".into(),
            );
            return None;
        }
        if frac.len() > 6 {
            self.report(
                Diagnostic::error(
                    codes::INVALID_NUMBER,
                    format!("number `{w}` has too many decimal places"),
                )
                .with_primary(line.span(i), "more than 6 decimal places")
                .with_help("timers have microsecond resolution: use at most 6 decimal places"),
            );
            return None;
        }
        // Digits only from here on: fold them without allocating; overflow is out of range.
        let secs = int_part.bytes().try_fold(0u64, |acc, b| {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        });
        let frac_us = frac
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(6)
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
        let Some(micros) = secs
            .and_then(|s| s.checked_mul(1_000_000))
            .and_then(|s| s.checked_add(frac_us))
        else {
            self.out_of_range(line, i, fmt_secs(lo), fmt_secs(hi));
            return None;
        };
        if micros < lo || micros > hi {
            self.out_of_range(line, i, fmt_secs(lo), fmt_secs(hi));
            return None;
        }
        Some(micros)
    }

    /// A boolean argument: missing = true; `true|on|yes` / `false|off|no`.
    pub fn boolean(&mut self, line: &Line, i: usize) -> Option<bool> {
        match line.word(i) {
            None => Some(true),
            Some("true" | "on" | "yes") => Some(true),
            Some("false" | "off" | "no") => Some(false),
            Some(w) => {
                let w = w.to_string();
                self.report(
                    Diagnostic::error(
                        codes::INVALID_VALUE,
                        format!("invalid boolean `{w}` for `{}`", line.keyword()),
                    )
                    .with_primary(line.span(i), "not a boolean")
                    .with_help(
                        "use `true`, `on`, `yes`, `false`, `off` or `no`, or no value for true",
                    ),
                );
                None
            }
        }
    }

    /// One of `set` (case-sensitive).
    pub fn choice<'l>(&mut self, line: &'l Line, i: usize, set: &[&str]) -> Option<&'l str> {
        let w = self.req(line, i)?;
        if set.contains(&w) {
            return Some(w);
        }
        let mut d = Diagnostic::error(
            codes::INVALID_VALUE,
            format!("invalid value `{w}` for `{}`", line.keyword()),
        )
        .with_primary(line.span(i), format!("expected one of {}", set.join(", ")));
        if let Some(s) = set.iter().find(|s| s.eq_ignore_ascii_case(w)) {
            d = d.with_help(format!("values are case-sensitive: write `{s}`"));
        } else if let Some(s) = crate::suggest::closest(w, set.iter().copied()) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.report(d);
        None
    }

    /// An IP address.
    pub fn ip(&mut self, line: &Line, i: usize) -> Option<IpAddr> {
        let w = self.req(line, i)?;
        match w.parse::<IpAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                let w = w.to_string();
                self.report(
                    Diagnostic::error(codes::INVALID_ADDRESS, format!("invalid IP address `{w}`"))
                        .with_primary(line.span(i), "not an IPv4 or IPv6 address"),
                );
                None
            }
        }
    }

    /// An address with optional `/prefix`; prefix too long → error (keepalived uses the maximum).
    pub fn prefix(&mut self, line: &Line, i: usize) -> Option<IpPrefix> {
        let w = self.req(line, i)?.to_string();
        let (a, l) = match w.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (w.as_str(), None),
        };
        let Ok(addr) = a.parse::<IpAddr>() else {
            self.report(
                Diagnostic::error(codes::INVALID_ADDRESS, format!("invalid IP address `{w}`"))
                    .with_primary(line.span(i), "not an IPv4 or IPv6 address")
                    .with_help("keepalived skips this entry"),
            );
            return None;
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match l {
            None => None,
            Some(l) => match l.parse::<u8>() {
                Ok(n) if n <= max => Some(n),
                _ => {
                    self.report(
                        Diagnostic::error(
                            codes::OUT_OF_RANGE,
                            format!("invalid prefix length in `{w}`"),
                        )
                        .with_primary(line.span(i), format!("prefix length must be 0 to {max}"))
                        .with_help(format!("keepalived uses /{max} instead")),
                    );
                    Some(max)
                }
            },
        };
        Some(IpPrefix { addr, len })
    }
}

/// Formats µs as seconds for messages.
pub fn fmt_secs(us: Micros) -> String {
    if us.is_multiple_of(1_000_000) {
        format!("{}s", us / 1_000_000)
    } else {
        let s = format!("{:.6}", us as f64 / 1e6);
        format!("{}s", s.trim_end_matches('0'))
    }
}
