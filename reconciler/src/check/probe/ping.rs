//! `PING_CHECK`: one ICMP (IPv4) or ICMPv6 echo request; up when the echo reply arrives
//! within the timeout (keepalived's check_ping.c).

use std::sync::atomic::{AtomicU16, Ordering};

use super::socket::{connect_icmp, io_reason};
use super::{Endpoint, Outcome};

/// What an echo carries after the ICMP header.
const PAYLOAD: &[u8] = b"kac PING_CHECK echo payload....";

/// The internet checksum (RFC 1071) of `data`.
fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request: type, code, checksum, identifier, sequence, payload.
fn echo_request(v6: bool, ident: u16, seq: u16) -> Vec<u8> {
    let mut p = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
    p.extend_from_slice(&ident.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(PAYLOAD);
    if !v6 {
        // The kernel computes ICMPv6 checksums itself (it needs the pseudo-header).
        let c = checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// One ping of `endpoint`.
pub async fn check(endpoint: &Endpoint) -> Outcome {
    static SEQ: AtomicU16 = AtomicU16::new(0);
    let v6 = endpoint.connect.is_ipv6();
    let (socket, raw) = match connect_icmp(endpoint).await {
        Ok(s) => s,
        Err(e) => return Outcome::down(io_reason("icmp socket", &e)),
    };
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    // A datagram socket's identifier is set by the kernel (its "port"); a raw socket's is
    // ours, distinct per check.
    let ident = std::process::id() as u16 ^ seq.rotate_left(8);
    if let Err(e) = socket.send(&echo_request(v6, ident, seq)).await {
        return Outcome::down(io_reason("send echo", &e));
    }
    let reply_type = if v6 { 129 } else { 0 };
    let mut buf = vec![0u8; 2048];
    loop {
        let n = match socket.recv(&mut buf).await {
            Ok(n) => n,
            Err(e) => return Outcome::down(io_reason("echo reply", &e)),
        };
        let mut icmp = &buf[..n];
        if raw && !v6 {
            // Raw IPv4 sockets receive the IP header.
            let ihl = usize::from(icmp.first().map_or(0, |b| b & 0x0f)) * 4;
            icmp = icmp.get(ihl..).unwrap_or_default();
        }
        if icmp.len() < 8 || icmp[0] != reply_type {
            continue;
        }
        let same_seq = icmp[6..8] == seq.to_be_bytes();
        let same_ident = !raw || icmp[4..6] == ident.to_be_bytes();
        if same_seq && same_ident {
            return Outcome::Up;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{checksum, echo_request};

    #[test]
    fn echo_requests_carry_a_valid_checksum() {
        let p = echo_request(false, 0x1234, 7);
        assert_eq!(&p[..2], &[8, 0]);
        assert_eq!(checksum(&p), 0, "a packet with its checksum sums to zero");
        assert_eq!(&echo_request(true, 1, 1)[..4], &[128, 0, 0, 0]);
    }
}
