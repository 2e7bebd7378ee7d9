//! VRRP advertisements on the wire: VRRPv2 (RFC 3768, IPv4 only, seconds, optional simple
//! password) and VRRPv3 (RFC 5798, IPv4 and IPv6, centiseconds), parsed and built.
//!
//! The checksum is the Internet checksum of the VRRP message alone for v2, and of an IP
//! pseudo-header (source, destination, protocol 112, length) followed by the message for v3,
//! for IPv4 too (keepalived does the same by default). For v3 unicast keepalived before 2.0
//! put the multicast group in the pseudo-header instead of the peer ("old unicast checksum"):
//! [`Advert::parse`] accepts either.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The IP protocol number of VRRP.
pub const PROTOCOL: u8 = 112;
/// The TTL / hop limit every advertisement is sent with and must arrive with (multicast).
pub const TTL: u8 = 255;
/// The IPv4 multicast group (224.0.0.18).
pub const GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The IPv6 multicast group (ff02::12).
pub const GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);

const HEADER: usize = 8;
const AUTH_DATA: usize = 8;

/// VRRPv2 authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// None (type 0).
    None,
    /// Simple text password (type 1), at most 8 bytes, zero-padded on the wire.
    Pass(Vec<u8>),
    /// IP Authentication Header (type 2): not supported by kac.
    Ah,
}

impl Auth {
    fn type_code(&self) -> u8 {
        match self {
            Auth::None => 0,
            Auth::Pass(_) => 1,
            Auth::Ah => 2,
        }
    }
}

/// One advertisement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advert {
    /// 2 or 3.
    pub version: u8,
    /// Virtual router id (1..=255).
    pub vrid: u8,
    /// Sender's priority (0 = the master is stopping, 255 = address owner).
    pub priority: u8,
    /// Advertisement interval: seconds for v2, centiseconds for v3 (12 bits).
    pub interval: u16,
    /// The virtual addresses (all of the advert's family).
    pub addresses: Vec<IpAddr>,
    /// v2 authentication ([`Auth::None`] for v3).
    pub auth: Auth,
}

/// Why a received packet is not a usable advertisement.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Shorter than its header and addresses say.
    #[error("truncated packet ({len} bytes, {need} needed)")]
    Truncated {
        /// Length received.
        len: usize,
        /// Length needed.
        need: usize,
    },
    /// Not version 2 or 3.
    #[error("unknown VRRP version {0}")]
    Version(u8),
    /// Not an advertisement (type 1).
    #[error("unknown VRRP packet type {0}")]
    Type(u8),
    /// VRRPv2 over IPv6 does not exist.
    #[error("VRRPv2 over IPv6")]
    V2OverIpv6,
    /// The checksum does not match.
    #[error("bad checksum")]
    Checksum,
    /// The IP header is malformed (IPv4, raw socket).
    #[error("malformed IP header")]
    IpHeader,
    /// Not protocol 112.
    #[error("not a VRRP packet (IP protocol {0})")]
    NotVrrp(u8),
    /// Unknown v2 authentication type.
    #[error("unknown authentication type {0}")]
    AuthType(u8),
}

/// The Internet checksum (RFC 1071) of `parts`, concatenated.
pub fn internet_checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for part in parts {
        for &b in *part {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn pseudo_header(src: IpAddr, dst: IpAddr, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(40);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p.extend_from_slice(&[0, PROTOCOL]);
            p.extend_from_slice(&(len as u16).to_be_bytes());
        }
        (s, d) => {
            p.extend_from_slice(&v6_octets(s));
            p.extend_from_slice(&v6_octets(d));
            p.extend_from_slice(&(len as u32).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, PROTOCOL]);
        }
    }
    p
}

fn v6_octets(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V6(a) => a.octets(),
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
    }
}

/// The checksum of `msg` (its checksum field zero or not: it is skipped) for `version`.
fn checksum(version: u8, msg: &[u8], src: IpAddr, dst: IpAddr) -> u16 {
    let head = &msg[..6];
    let rest = &msg[8..];
    if version == 2 {
        internet_checksum(&[head, rest])
    } else {
        let ph = pseudo_header(src, dst, msg.len());
        internet_checksum(&[&ph, head, rest])
    }
}

impl Advert {
    /// The message bytes (without the IP header), checksum filled in for a packet from `src`
    /// to `dst`.
    pub fn build(&self, src: IpAddr, dst: IpAddr) -> Vec<u8> {
        let alen = if src.is_ipv4() { 4 } else { 16 };
        let mut m = Vec::with_capacity(HEADER + self.addresses.len() * alen + AUTH_DATA);
        m.push((self.version << 4) | 1);
        m.push(self.vrid);
        m.push(self.priority);
        m.push(self.addresses.len().min(255) as u8);
        if self.version == 2 {
            m.push(self.auth.type_code());
            m.push(self.interval.min(255) as u8);
        } else {
            m.extend_from_slice(&(self.interval & 0x0fff).to_be_bytes());
        }
        m.extend_from_slice(&[0, 0]);
        for a in self.addresses.iter().take(255) {
            match a {
                IpAddr::V4(a) => m.extend_from_slice(&a.octets()),
                IpAddr::V6(a) => m.extend_from_slice(&a.octets()),
            }
        }
        if self.version == 2 {
            let mut data = [0u8; AUTH_DATA];
            if let Auth::Pass(p) = &self.auth {
                for (d, s) in data.iter_mut().zip(p) {
                    *d = *s;
                }
            }
            m.extend_from_slice(&data);
        }
        let sum = checksum(self.version, &m, src, dst);
        m[6..8].copy_from_slice(&sum.to_be_bytes());
        m
    }

    /// Parses a message (without the IP header) received from `src` on `dst`; `group` is the
    /// multicast group of the family (accepted in the v3 pseudo-header of a unicast advert,
    /// as keepalived before 2.0 computed it).
    pub fn parse(
        msg: &[u8],
        src: IpAddr,
        dst: IpAddr,
        group: IpAddr,
    ) -> Result<Advert, CodecError> {
        if msg.len() < HEADER {
            return Err(CodecError::Truncated {
                len: msg.len(),
                need: HEADER,
            });
        }
        let version = msg[0] >> 4;
        let kind = msg[0] & 0x0f;
        if version != 2 && version != 3 {
            return Err(CodecError::Version(version));
        }
        if kind != 1 {
            return Err(CodecError::Type(kind));
        }
        let v6 = src.is_ipv6();
        if v6 && version == 2 {
            return Err(CodecError::V2OverIpv6);
        }
        let alen = if v6 { 16 } else { 4 };
        let count = usize::from(msg[3]);
        let auth_len = if version == 2 { AUTH_DATA } else { 0 };
        let need = HEADER + count * alen + auth_len;
        if msg.len() < need {
            return Err(CodecError::Truncated {
                len: msg.len(),
                need,
            });
        }
        // The checksum covers the message as received (trailing bytes included for v2, as
        // the sender's length is the IP payload length).
        let wire = u16::from_be_bytes([msg[6], msg[7]]);
        let ok = checksum(version, msg, src, dst) == wire
            || (version == 3 && dst != group && checksum(version, msg, src, group) == wire);
        if !ok {
            return Err(CodecError::Checksum);
        }
        let mut addresses = Vec::with_capacity(count);
        for i in 0..count {
            let at = HEADER + i * alen;
            let b = &msg[at..at + alen];
            addresses.push(if v6 {
                let mut o = [0u8; 16];
                o.copy_from_slice(b);
                IpAddr::V6(Ipv6Addr::from(o))
            } else {
                IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
            });
        }
        let (interval, auth) = if version == 2 {
            let data = &msg[HEADER + count * alen..need];
            let auth = match msg[4] {
                0 => Auth::None,
                1 => {
                    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
                    Auth::Pass(data[..end].to_vec())
                }
                2 => Auth::Ah,
                t => return Err(CodecError::AuthType(t)),
            };
            (u16::from(msg[5]), auth)
        } else {
            (u16::from_be_bytes([msg[4], msg[5]]) & 0x0fff, Auth::None)
        };
        Ok(Advert {
            version,
            vrid: msg[1],
            priority: msg[2],
            interval,
            addresses,
            auth,
        })
    }
}

/// An IPv4 packet as a raw socket delivers it: the header's fields VRRP checks, and the
/// payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ipv4Packet<'a> {
    /// Source.
    pub src: Ipv4Addr,
    /// Destination.
    pub dst: Ipv4Addr,
    /// TTL.
    pub ttl: u8,
    /// The payload (the VRRP message).
    pub payload: &'a [u8],
}

/// Splits an IPv4 packet from a raw socket into its header fields and payload.
pub fn parse_ipv4(p: &[u8]) -> Result<Ipv4Packet<'_>, CodecError> {
    if p.len() < 20 || p[0] >> 4 != 4 {
        return Err(CodecError::IpHeader);
    }
    let ihl = usize::from(p[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([p[2], p[3]]));
    if ihl < 20 || p.len() < ihl || total < ihl {
        return Err(CodecError::IpHeader);
    }
    if p[9] != PROTOCOL {
        return Err(CodecError::NotVrrp(p[9]));
    }
    let end = total.min(p.len());
    Ok(Ipv4Packet {
        src: Ipv4Addr::new(p[12], p[13], p[14], p[15]),
        dst: Ipv4Addr::new(p[16], p[17], p[18], p[19]),
        ttl: p[8],
        payload: &p[ihl..end],
    })
}

/// An IPv4 header for a VRRP packet (for a raw socket with `IP_HDRINCL`; the kernel fills in
/// the header checksum and the id): TTL 255, TOS internetwork control (0xc0), as keepalived
/// sends them.
pub fn ipv4_header(src: Ipv4Addr, dst: Ipv4Addr, ttl: u8, payload_len: usize) -> [u8; 20] {
    let mut h = [0u8; 20];
    h[0] = 0x45;
    h[1] = 0xc0;
    h[2..4].copy_from_slice(&((20 + payload_len) as u16).to_be_bytes());
    h[6] = 0x40; // don't fragment
    h[8] = ttl;
    h[9] = PROTOCOL;
    h[12..16].copy_from_slice(&src.octets());
    h[16..20].copy_from_slice(&dst.octets());
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v4(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    /// The RFC 3768 §5.1 layout: VRID 51, priority 100, one VIP 192.168.200.16, PASS "1111"
    /// (zero-padded to 8 bytes), advert_int 1.
    #[test]
    fn v2_pass_matches_a_known_packet() {
        let a = Advert {
            version: 2,
            vrid: 51,
            priority: 100,
            interval: 1,
            addresses: vec![v4("192.168.200.16")],
            auth: Auth::Pass(b"1111".to_vec()),
        };
        let src = v4("10.0.0.1");
        let bytes = a.build(src, IpAddr::V4(GROUP_V4));
        assert_eq!(&bytes[..6], &[0x21, 51, 100, 1, 1, 1]);
        assert_eq!(&bytes[8..12], &[192, 168, 200, 16]);
        assert_eq!(&bytes[12..], b"1111\0\0\0\0");
        // Summing the whole message, checksum included, gives zero.
        assert_eq!(internet_checksum(&[&bytes]), 0);
        let back = Advert::parse(&bytes, src, IpAddr::V4(GROUP_V4), IpAddr::V4(GROUP_V4));
        assert_eq!(back, Ok(a));
    }

    #[test]
    fn v3_checksum_covers_the_pseudo_header() {
        let a = Advert {
            version: 3,
            vrid: 7,
            priority: 150,
            interval: 10,
            addresses: vec![v4("10.1.1.1"), v4("10.1.1.2")],
            auth: Auth::None,
        };
        let (src, dst) = (v4("10.0.0.1"), IpAddr::V4(GROUP_V4));
        let bytes = a.build(src, dst);
        assert_eq!(&bytes[4..6], &[0, 10]);
        let ph = pseudo_header(src, dst, bytes.len());
        assert_eq!(internet_checksum(&[&ph, &bytes]), 0);
        // Another source address makes it wrong.
        assert_eq!(
            Advert::parse(&bytes, v4("10.0.0.2"), dst, dst),
            Err(CodecError::Checksum)
        );
    }

    #[test]
    fn v3_unicast_accepts_the_old_group_checksum() {
        let a = Advert {
            version: 3,
            vrid: 9,
            priority: 100,
            interval: 100,
            addresses: vec![v4("10.9.9.9")],
            auth: Auth::None,
        };
        let group = IpAddr::V4(GROUP_V4);
        let (src, peer) = (v4("10.0.0.1"), v4("10.0.0.2"));
        let old = a.build(src, group);
        assert_eq!(Advert::parse(&old, src, peer, group), Ok(a.clone()));
        let new = a.build(src, peer);
        assert_eq!(Advert::parse(&new, src, peer, group), Ok(a));
    }

    #[test]
    fn malformed_packets_are_refused() {
        let g = IpAddr::V4(GROUP_V4);
        let s = v4("10.0.0.1");
        assert!(matches!(
            Advert::parse(&[0x31, 1, 100], s, g, g),
            Err(CodecError::Truncated { .. })
        ));
        assert_eq!(
            Advert::parse(&[0x41, 1, 100, 0, 0, 0, 0, 0], s, g, g),
            Err(CodecError::Version(4))
        );
        assert_eq!(
            Advert::parse(&[0x32, 1, 100, 0, 0, 0, 0, 0], s, g, g),
            Err(CodecError::Type(2))
        );
        // Count says two addresses, one present.
        assert!(matches!(
            Advert::parse(&[0x31, 1, 100, 2, 0, 100, 0, 0, 10, 0, 0, 1], s, g, g),
            Err(CodecError::Truncated { need: 16, .. })
        ));
        let six: IpAddr = "fe80::1".parse().expect("v6");
        assert_eq!(
            Advert::parse(&[0x21, 1, 100, 0, 0, 1, 0, 0], six, six, six),
            Err(CodecError::V2OverIpv6)
        );
    }

    #[test]
    fn ipv4_header_round_trips() {
        let h = ipv4_header(Ipv4Addr::new(10, 0, 0, 1), GROUP_V4, 255, 12);
        let mut p = h.to_vec();
        p.extend_from_slice(&[1; 12]);
        let parsed = parse_ipv4(&p).expect("parses");
        assert_eq!(parsed.ttl, 255);
        assert_eq!(parsed.dst, GROUP_V4);
        assert_eq!(parsed.payload.len(), 12);
        p[9] = 6;
        assert_eq!(parse_ipv4(&p), Err(CodecError::NotVrrp(6)));
    }

    fn arb_advert() -> impl Strategy<Value = (Advert, IpAddr, IpAddr)> {
        (any::<bool>(), any::<bool>()).prop_flat_map(|(v6, v2)| {
            let v2 = v2 && !v6;
            let addr = if v6 {
                any::<[u8; 16]>()
                    .prop_map(|o| IpAddr::V6(Ipv6Addr::from(o)))
                    .boxed()
            } else {
                any::<[u8; 4]>()
                    .prop_map(|o| IpAddr::V4(Ipv4Addr::from(o)))
                    .boxed()
            };
            let auth = if v2 {
                prop_oneof![
                    Just(Auth::None),
                    proptest::collection::vec(1u8..=255, 1..=8).prop_map(Auth::Pass),
                    Just(Auth::Ah),
                ]
                .boxed()
            } else {
                Just(Auth::None).boxed()
            };
            let interval = if v2 {
                (0u16..=255).boxed()
            } else {
                (0u16..4096).boxed()
            };
            (
                1u8..=255,
                any::<u8>(),
                interval,
                proptest::collection::vec(addr.clone(), 0..20),
                auth,
                addr.clone(),
                addr,
            )
                .prop_map(
                    move |(vrid, priority, interval, addresses, auth, src, dst)| {
                        (
                            Advert {
                                version: if v2 { 2 } else { 3 },
                                vrid,
                                priority,
                                interval,
                                addresses,
                                auth,
                            },
                            src,
                            dst,
                        )
                    },
                )
        })
    }

    proptest! {
        #[test]
        fn build_then_parse_is_identity((a, src, dst) in arb_advert()) {
            let bytes = a.build(src, dst);
            prop_assert_eq!(Advert::parse(&bytes, src, dst, dst), Ok(a));
        }

        #[test]
        fn a_flipped_bit_is_caught((a, src, dst) in arb_advert(), bit in 0usize..64) {
            let mut bytes = a.build(src, dst);
            let at = (bit / 8) % bytes.len();
            bytes[at] ^= 1 << (bit % 8);
            let parsed = Advert::parse(&bytes, src, dst, dst);
            prop_assert!(parsed != Ok(a));
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), v6 in any::<bool>()) {
            let a = if v6 { "fe80::1".parse().expect("v6") } else { v4("10.0.0.1") };
            let _ = Advert::parse(&bytes, a, a, a);
            let _ = parse_ipv4(&bytes);
        }
    }
}
