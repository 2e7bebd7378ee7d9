//! `UDP_CHECK`: send `payload`; without `require_reply` the check fails only on an ICMP error
//! (port unreachable) within the timeout, silence is success; with `require_reply` a reply is
//! needed, and when it names bytes the reply must be `min_reply_length..=max_reply_length`
//! long and match them (`x` nibbles match anything), as keepalived's check_udp.c.

use std::time::Duration;

use super::socket::{connect_udp, io_reason};
use super::{Endpoint, Outcome, fmt_duration};

/// An `UDP_CHECK`'s settings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UdpSpec {
    /// `payload` bytes (empty: an empty datagram).
    pub payload: Vec<u8>,
    /// `require_reply`: `None` when absent; `Some` with the expected bytes and their masks
    /// (mask bits set = wildcard), possibly empty.
    pub reply: Option<Vec<(u8, u8)>>,
    /// `min_reply_length`.
    pub min_len: u16,
    /// `max_reply_length`.
    pub max_len: u16,
}

/// Parses keepalived's hex strings: pairs of hex digits, `x` for a wildcard nibble (when
/// `wildcards`), spaces ignored. Returns (byte, mask) pairs.
pub fn parse_hex(s: &str, wildcards: bool) -> Result<Vec<(u8, u8)>, String> {
    let nibbles: Vec<(u8, u8)> = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'x' | 'X' if wildcards => Ok((0, 0xf)),
            c => c
                .to_digit(16)
                .map(|d| (d as u8, 0))
                .ok_or_else(|| format!("`{c}` is not a hex digit")),
        })
        .collect::<Result<_, _>>()?;
    if !nibbles.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    Ok(nibbles
        .chunks(2)
        .map(|p| ((p[0].0 << 4) | p[1].0, (p[0].1 << 4) | p[1].1))
        .collect())
}

/// One UDP check of `endpoint`; the wait for a reply or an error is `timeout`.
pub async fn check(endpoint: &Endpoint, spec: &UdpSpec, timeout: Duration) -> Outcome {
    let socket = match connect_udp(endpoint).await {
        Ok(s) => s,
        Err(e) => return Outcome::down(io_reason("socket", &e)),
    };
    if let Err(e) = socket.send(&spec.payload).await {
        return Outcome::down(io_reason("send", &e));
    }
    let mut buf = vec![0u8; 65536];
    let got = tokio::time::timeout(timeout, socket.recv(&mut buf)).await;
    match got {
        Err(_) if spec.reply.is_some() => {
            Outcome::down(format!("no reply within {}", fmt_duration(timeout)))
        }
        Err(_) => Outcome::Up,
        Ok(Err(e)) => Outcome::down(io_reason("reply", &e)),
        Ok(Ok(n)) => match &spec.reply {
            Some(want) if !want.is_empty() => reply_matches(&buf[..n], want, spec),
            _ => Outcome::Up,
        },
    }
}

fn reply_matches(reply: &[u8], want: &[(u8, u8)], spec: &UdpSpec) -> Outcome {
    let len = reply.len();
    if len < usize::from(spec.min_len) || len > usize::from(spec.max_len) {
        return Outcome::down(format!(
            "reply of {len} bytes, outside {}..={}",
            spec.min_len, spec.max_len
        ));
    }
    match reply
        .iter()
        .zip(want)
        .position(|(got, (byte, mask))| (got ^ byte) & !mask != 0)
    {
        Some(i) => Outcome::down(format!("reply differs from require_reply at byte {i}")),
        None => Outcome::Up,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_hex;

    #[test]
    fn hex_strings_with_wildcards_parse() {
        assert_eq!(parse_hex("0a ff", false), Ok(vec![(0x0a, 0), (0xff, 0)]));
        assert_eq!(parse_hex("1x", true), Ok(vec![(0x10, 0x0f)]));
        assert!(parse_hex("1x", false).is_err());
        assert!(parse_hex("abc", false).is_err());
    }
}
