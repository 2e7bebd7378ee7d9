//! `DNS_CHECK`: one query of `type` for `name` over UDP (recursion desired, class IN); up when
//! the matching reply's RCODE is 0, as keepalived's check_dns.c (an empty NOERROR answer is up,
//! NXDOMAIN or SERVFAIL is down). Replies with another ID, or queries, are ignored.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use super::socket::{connect_udp, io_reason};
use super::{Endpoint, Outcome};

/// The record types keepalived accepts, with their codes.
pub const TYPES: &[(&str, u16)] = &[
    ("A", 1),
    ("NS", 2),
    ("CNAME", 5),
    ("SOA", 6),
    ("MX", 15),
    ("TXT", 16),
    ("AAAA", 28),
    ("RRSIG", 46),
    ("DNSKEY", 48),
];

/// A query, encoded once per checker (only the ID changes per check).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DnsSpec {
    /// The query without its first two bytes (the ID).
    query_tail: Vec<u8>,
}

impl DnsSpec {
    /// The query of `qtype` (a [`TYPES`] name, case-insensitive) for `name` (`.` or empty is
    /// the root).
    pub fn new(qtype: &str, name: &str) -> Result<DnsSpec, String> {
        let code = TYPES
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(qtype))
            .map(|&(_, c)| c)
            .ok_or_else(|| format!("unknown type `{qtype}`"))?;
        // Header after the ID: flags (RD), QDCOUNT 1, ANCOUNT, NSCOUNT, ARCOUNT 0.
        let mut q = vec![0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        let trimmed = name.strip_suffix('.').unwrap_or(name);
        if !trimmed.is_empty() {
            for label in trimmed.split('.') {
                if label.is_empty() || label.len() > 63 {
                    return Err(format!("bad label in name `{name}`"));
                }
                q.push(label.len() as u8);
                q.extend_from_slice(label.as_bytes());
            }
        }
        q.push(0);
        q.extend_from_slice(&code.to_be_bytes());
        q.extend_from_slice(&1u16.to_be_bytes());
        Ok(DnsSpec { query_tail: q })
    }
}

/// A fresh query ID (not predictable from the previous one).
fn query_id() -> u16 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish() as u16
}

/// The names of the response codes.
fn rcode_name(rcode: u8) -> &'static str {
    match rcode {
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => "error",
    }
}

/// One DNS check of `endpoint`.
pub async fn check(endpoint: &Endpoint, spec: &DnsSpec) -> Outcome {
    let socket = match connect_udp(endpoint).await {
        Ok(s) => s,
        Err(e) => return Outcome::down(io_reason("socket", &e)),
    };
    let id = query_id();
    let mut query = Vec::with_capacity(spec.query_tail.len() + 2);
    query.extend_from_slice(&id.to_be_bytes());
    query.extend_from_slice(&spec.query_tail);
    if let Err(e) = socket.send(&query).await {
        return Outcome::down(io_reason("send query", &e));
    }
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match socket.recv(&mut buf).await {
            Ok(n) => n,
            Err(e) => return Outcome::down(io_reason("read reply", &e)),
        };
        if n < 12 || buf[..2] != id.to_be_bytes() || buf[2] & 0x80 == 0 {
            continue;
        }
        let rcode = buf[3] & 0x0f;
        return if rcode == 0 {
            Outcome::Up
        } else {
            Outcome::down(format!("rcode {rcode} ({})", rcode_name(rcode)))
        };
    }
}

#[cfg(test)]
mod tests {
    use super::DnsSpec;

    #[test]
    fn queries_encode_names_and_types() {
        let q = DnsSpec::new("a", "www.example.test").expect("query");
        let mut want = vec![0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        want.extend_from_slice(b"\x03www\x07example\x04test\x00\x00\x01\x00\x01");
        assert_eq!(q.query_tail, want);
        let root = DnsSpec::new("SOA", ".").expect("query");
        assert_eq!(&root.query_tail[10..], b"\x00\x00\x06\x00\x01");
        assert!(DnsSpec::new("SPF", ".").is_err());
        assert!(DnsSpec::new("A", "a..b").is_err());
    }
}
