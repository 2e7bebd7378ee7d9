//! The IPVS generic netlink message (`linux/ip_vs.h`): a command plus attributes, with the
//! service and destination attributes nested. Wire details that matter: ports are big-endian,
//! addresses are 16-byte `nf_inet_addr`s (IPv4 in the first four bytes), service flags are a
//! `(flags, mask)` pair, and an IPv4 persistence netmask is big-endian while an IPv6 one is a
//! prefix length.

use netlink_packet_core::{
    DecodeError, DefaultNla, Emitable, Nla, NlaBuffer, NlasIterator, Parseable,
    ParseableParametrized, emit_u16, emit_u16_be, emit_u32, parse_u8, parse_u16, parse_u16_be,
    parse_u32,
};
use netlink_packet_generic::{GenlFamily, GenlHeader};

/// IPVS commands (`IPVS_CMD_*`).
pub mod cmd {
    /// Add a service.
    pub const NEW_SERVICE: u8 = 1;
    /// Edit a service.
    pub const SET_SERVICE: u8 = 2;
    /// Delete a service.
    pub const DEL_SERVICE: u8 = 3;
    /// Get (dump) services.
    pub const GET_SERVICE: u8 = 4;
    /// Add a destination.
    pub const NEW_DEST: u8 = 5;
    /// Edit a destination.
    pub const SET_DEST: u8 = 6;
    /// Delete a destination.
    pub const DEL_DEST: u8 = 7;
    /// Get (dump) the destinations of a service.
    pub const GET_DEST: u8 = 8;
    /// Start a connection sync daemon.
    pub const NEW_DAEMON: u8 = 9;
    /// Stop a connection sync daemon.
    pub const DEL_DAEMON: u8 = 10;
    /// Get (dump) the running connection sync daemons.
    pub const GET_DAEMON: u8 = 11;
    /// Set timeouts.
    pub const SET_CONFIG: u8 = 12;
    /// Get timeouts.
    pub const GET_CONFIG: u8 = 13;
    /// Delete every service.
    pub const FLUSH: u8 = 17;
}

/// A service attribute (`IPVS_SVC_ATTR_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SvcAttr {
    /// Address family.
    Af(u16),
    /// IP protocol.
    Protocol(u16),
    /// Address (`nf_inet_addr`).
    Addr([u8; 16]),
    /// Port.
    Port(u16),
    /// Firewall mark.
    Fwmark(u32),
    /// Scheduler.
    SchedName(String),
    /// Flags and the mask of flags to set.
    Flags(u32, u32),
    /// Persistence timeout (s).
    Timeout(u32),
    /// Persistence netmask, as raw attribute bytes (see the module documentation).
    Netmask([u8; 4]),
    /// Persistence engine.
    PeName(String),
    /// Anything else (statistics).
    Other(DefaultNla),
}

/// A destination attribute (`IPVS_DEST_ATTR_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DestAttr {
    /// Address (`nf_inet_addr`).
    Addr([u8; 16]),
    /// Port.
    Port(u16),
    /// Forwarding method.
    FwdMethod(u32),
    /// Weight.
    Weight(u32),
    /// Upper threshold.
    UThresh(u32),
    /// Lower threshold.
    LThresh(u32),
    /// Address family of the address.
    AddrFamily(u16),
    /// Tunnel type (`IP_VS_CONN_F_TUNNEL_TYPE_*`).
    TunType(u8),
    /// Tunnel UDP port (big-endian on the wire).
    TunPort(u16),
    /// Tunnel flags (`IP_VS_TUNNEL_ENCAP_FLAG_*`).
    TunFlags(u16),
    /// Anything else (connection counts, statistics).
    Other(DefaultNla),
}

/// A connection sync daemon attribute (`IPVS_DAEMON_ATTR_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DaemonAttr {
    /// `IP_VS_STATE_MASTER` (1) or `IP_VS_STATE_BACKUP` (2).
    State(u32),
    /// The multicast interface's name.
    McastIfn(String),
    /// The sync id.
    SyncId(u32),
    /// Maximum sync message payload.
    SyncMaxlen(u16),
    /// IPv4 multicast group (network byte order on the wire).
    McastGroup([u8; 4]),
    /// IPv6 multicast group.
    McastGroup6([u8; 16]),
    /// UDP port (host byte order, unlike the service and destination ports).
    McastPort(u16),
    /// Multicast TTL.
    McastTtl(u8),
    /// Anything else.
    Other(DefaultNla),
}

/// A top-level attribute (`IPVS_CMD_ATTR_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpvsAttr {
    /// A service.
    Service(Vec<SvcAttr>),
    /// A destination.
    Dest(Vec<DestAttr>),
    /// A connection sync daemon.
    Daemon(Vec<DaemonAttr>),
    /// TCP timeout (s).
    TimeoutTcp(u32),
    /// TCP FIN timeout (s).
    TimeoutTcpFin(u32),
    /// UDP timeout (s).
    TimeoutUdp(u32),
    /// Anything else.
    Other(DefaultNla),
}

/// An IPVS generic netlink message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpvsMessage {
    /// The command ([`cmd`]).
    pub cmd: u8,
    /// The attributes.
    pub attrs: Vec<IpvsAttr>,
}

fn put_str(buf: &mut [u8], s: &str) {
    buf[..s.len()].copy_from_slice(s.as_bytes());
    buf[s.len()] = 0;
}

fn put_u32(buf: &mut [u8], v: u32) {
    let _ = emit_u32(buf, v);
}

impl Nla for SvcAttr {
    fn value_len(&self) -> usize {
        match self {
            SvcAttr::Af(_) | SvcAttr::Protocol(_) | SvcAttr::Port(_) => 2,
            SvcAttr::Addr(_) => 16,
            SvcAttr::Fwmark(_) | SvcAttr::Timeout(_) | SvcAttr::Netmask(_) => 4,
            SvcAttr::Flags(..) => 8,
            SvcAttr::SchedName(s) | SvcAttr::PeName(s) => s.len() + 1,
            SvcAttr::Other(n) => n.value_len(),
        }
    }
    fn kind(&self) -> u16 {
        match self {
            SvcAttr::Af(_) => 1,
            SvcAttr::Protocol(_) => 2,
            SvcAttr::Addr(_) => 3,
            SvcAttr::Port(_) => 4,
            SvcAttr::Fwmark(_) => 5,
            SvcAttr::SchedName(_) => 6,
            SvcAttr::Flags(..) => 7,
            SvcAttr::Timeout(_) => 8,
            SvcAttr::Netmask(_) => 9,
            SvcAttr::PeName(_) => 11,
            SvcAttr::Other(n) => n.kind(),
        }
    }
    fn emit_value(&self, buf: &mut [u8]) {
        match self {
            SvcAttr::Af(v) | SvcAttr::Protocol(v) => {
                let _ = emit_u16(buf, *v);
            }
            SvcAttr::Port(p) => {
                let _ = emit_u16_be(buf, *p);
            }
            SvcAttr::Addr(a) => buf[..16].copy_from_slice(a),
            SvcAttr::Fwmark(v) | SvcAttr::Timeout(v) => put_u32(buf, *v),
            SvcAttr::Netmask(b) => buf[..4].copy_from_slice(b),
            SvcAttr::Flags(f, m) => {
                put_u32(&mut buf[..4], *f);
                put_u32(&mut buf[4..8], *m);
            }
            SvcAttr::SchedName(s) | SvcAttr::PeName(s) => put_str(buf, s),
            SvcAttr::Other(n) => n.emit_value(buf),
        }
    }
}

impl Nla for DestAttr {
    fn value_len(&self) -> usize {
        match self {
            DestAttr::Addr(_) => 16,
            DestAttr::TunType(_) => 1,
            DestAttr::Port(_) | DestAttr::AddrFamily(_) | DestAttr::TunPort(_) => 2,
            DestAttr::TunFlags(_) => 2,
            DestAttr::FwdMethod(_)
            | DestAttr::Weight(_)
            | DestAttr::UThresh(_)
            | DestAttr::LThresh(_) => 4,
            DestAttr::Other(n) => n.value_len(),
        }
    }
    fn kind(&self) -> u16 {
        match self {
            DestAttr::Addr(_) => 1,
            DestAttr::Port(_) => 2,
            DestAttr::FwdMethod(_) => 3,
            DestAttr::Weight(_) => 4,
            DestAttr::UThresh(_) => 5,
            DestAttr::LThresh(_) => 6,
            DestAttr::AddrFamily(_) => 11,
            DestAttr::TunType(_) => 13,
            DestAttr::TunPort(_) => 14,
            DestAttr::TunFlags(_) => 15,
            DestAttr::Other(n) => n.kind(),
        }
    }
    fn emit_value(&self, buf: &mut [u8]) {
        match self {
            DestAttr::Addr(a) => buf[..16].copy_from_slice(a),
            DestAttr::Port(p) | DestAttr::TunPort(p) => {
                let _ = emit_u16_be(buf, *p);
            }
            DestAttr::TunType(t) => buf[0] = *t,
            DestAttr::TunFlags(f) => {
                let _ = emit_u16(buf, *f);
            }
            DestAttr::AddrFamily(v) => {
                let _ = emit_u16(buf, *v);
            }
            DestAttr::FwdMethod(v)
            | DestAttr::Weight(v)
            | DestAttr::UThresh(v)
            | DestAttr::LThresh(v) => put_u32(buf, *v),
            DestAttr::Other(n) => n.emit_value(buf),
        }
    }
}

impl Nla for DaemonAttr {
    fn value_len(&self) -> usize {
        match self {
            DaemonAttr::State(_) | DaemonAttr::SyncId(_) | DaemonAttr::McastGroup(_) => 4,
            DaemonAttr::McastIfn(s) => s.len() + 1,
            DaemonAttr::SyncMaxlen(_) | DaemonAttr::McastPort(_) => 2,
            DaemonAttr::McastGroup6(_) => 16,
            DaemonAttr::McastTtl(_) => 1,
            DaemonAttr::Other(n) => n.value_len(),
        }
    }
    fn kind(&self) -> u16 {
        match self {
            DaemonAttr::State(_) => 1,
            DaemonAttr::McastIfn(_) => 2,
            DaemonAttr::SyncId(_) => 3,
            DaemonAttr::SyncMaxlen(_) => 4,
            DaemonAttr::McastGroup(_) => 5,
            DaemonAttr::McastGroup6(_) => 6,
            DaemonAttr::McastPort(_) => 7,
            DaemonAttr::McastTtl(_) => 8,
            DaemonAttr::Other(n) => n.kind(),
        }
    }
    fn emit_value(&self, buf: &mut [u8]) {
        match self {
            DaemonAttr::State(v) | DaemonAttr::SyncId(v) => put_u32(buf, *v),
            DaemonAttr::McastIfn(s) => put_str(buf, s),
            DaemonAttr::SyncMaxlen(v) | DaemonAttr::McastPort(v) => {
                let _ = emit_u16(buf, *v);
            }
            DaemonAttr::McastGroup(a) => buf[..4].copy_from_slice(a),
            DaemonAttr::McastGroup6(a) => buf[..16].copy_from_slice(a),
            DaemonAttr::McastTtl(t) => buf[0] = *t,
            DaemonAttr::Other(n) => n.emit_value(buf),
        }
    }
}

impl Nla for IpvsAttr {
    fn value_len(&self) -> usize {
        match self {
            IpvsAttr::Service(a) => a.as_slice().buffer_len(),
            IpvsAttr::Dest(a) => a.as_slice().buffer_len(),
            IpvsAttr::Daemon(a) => a.as_slice().buffer_len(),
            IpvsAttr::TimeoutTcp(_) | IpvsAttr::TimeoutTcpFin(_) | IpvsAttr::TimeoutUdp(_) => 4,
            IpvsAttr::Other(n) => n.value_len(),
        }
    }
    fn kind(&self) -> u16 {
        match self {
            IpvsAttr::Service(_) => 1,
            IpvsAttr::Dest(_) => 2,
            IpvsAttr::Daemon(_) => 3,
            IpvsAttr::TimeoutTcp(_) => 4,
            IpvsAttr::TimeoutTcpFin(_) => 5,
            IpvsAttr::TimeoutUdp(_) => 6,
            IpvsAttr::Other(n) => n.kind(),
        }
    }
    fn is_nested(&self) -> bool {
        matches!(
            self,
            IpvsAttr::Service(_) | IpvsAttr::Dest(_) | IpvsAttr::Daemon(_)
        )
    }
    fn emit_value(&self, buf: &mut [u8]) {
        match self {
            IpvsAttr::Service(a) => a.as_slice().emit(buf),
            IpvsAttr::Dest(a) => a.as_slice().emit(buf),
            IpvsAttr::Daemon(a) => a.as_slice().emit(buf),
            IpvsAttr::TimeoutTcp(v) | IpvsAttr::TimeoutTcpFin(v) | IpvsAttr::TimeoutUdp(v) => {
                put_u32(buf, *v);
            }
            IpvsAttr::Other(n) => n.emit_value(buf),
        }
    }
}

fn array<const N: usize>(v: &[u8]) -> Result<[u8; N], DecodeError> {
    v.get(..N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or_else(|| DecodeError::from(format!("IPVS attribute shorter than {N} bytes")))
}

fn string(v: &[u8]) -> String {
    let end = v.iter().position(|b| *b == 0).unwrap_or(v.len());
    String::from_utf8_lossy(&v[..end]).into_owned()
}

fn other(n: &NlaBuffer<&[u8]>) -> Result<DefaultNla, DecodeError> {
    DefaultNla::parse(n)
}

fn parse_svc(n: &NlaBuffer<&[u8]>) -> Result<SvcAttr, DecodeError> {
    let v = n.value();
    Ok(match n.kind() & 0x3fff {
        1 => SvcAttr::Af(parse_u16(v)?),
        2 => SvcAttr::Protocol(parse_u16(v)?),
        3 => SvcAttr::Addr(array(v)?),
        4 => SvcAttr::Port(parse_u16_be(v)?),
        5 => SvcAttr::Fwmark(parse_u32(v)?),
        6 => SvcAttr::SchedName(string(v)),
        7 => SvcAttr::Flags(
            parse_u32(v.get(..4).unwrap_or(&[]))?,
            parse_u32(v.get(4..8).unwrap_or(&[]))?,
        ),
        8 => SvcAttr::Timeout(parse_u32(v)?),
        9 => SvcAttr::Netmask(array(v)?),
        11 => SvcAttr::PeName(string(v)),
        _ => SvcAttr::Other(other(n)?),
    })
}

fn parse_dest(n: &NlaBuffer<&[u8]>) -> Result<DestAttr, DecodeError> {
    let v = n.value();
    Ok(match n.kind() & 0x3fff {
        1 => DestAttr::Addr(array(v)?),
        2 => DestAttr::Port(parse_u16_be(v)?),
        3 => DestAttr::FwdMethod(parse_u32(v)?),
        4 => DestAttr::Weight(parse_u32(v)?),
        5 => DestAttr::UThresh(parse_u32(v)?),
        6 => DestAttr::LThresh(parse_u32(v)?),
        11 => DestAttr::AddrFamily(parse_u16(v)?),
        13 => DestAttr::TunType(parse_u8(v)?),
        14 => DestAttr::TunPort(parse_u16_be(v)?),
        15 => DestAttr::TunFlags(parse_u16(v)?),
        _ => DestAttr::Other(other(n)?),
    })
}

fn parse_daemon(n: &NlaBuffer<&[u8]>) -> Result<DaemonAttr, DecodeError> {
    let v = n.value();
    Ok(match n.kind() & 0x3fff {
        1 => DaemonAttr::State(parse_u32(v)?),
        2 => DaemonAttr::McastIfn(string(v)),
        3 => DaemonAttr::SyncId(parse_u32(v)?),
        4 => DaemonAttr::SyncMaxlen(parse_u16(v)?),
        5 => DaemonAttr::McastGroup(array(v)?),
        6 => DaemonAttr::McastGroup6(array(v)?),
        7 => DaemonAttr::McastPort(parse_u16(v)?),
        8 => DaemonAttr::McastTtl(parse_u8(v)?),
        _ => DaemonAttr::Other(other(n)?),
    })
}

fn nested<T>(
    v: &[u8],
    parse: fn(&NlaBuffer<&[u8]>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    NlasIterator::new(v)
        .map(|n| n.and_then(|n| parse(&n)))
        .collect()
}

fn parse_top(n: &NlaBuffer<&[u8]>) -> Result<IpvsAttr, DecodeError> {
    let v = n.value();
    Ok(match n.kind() & 0x3fff {
        1 => IpvsAttr::Service(nested(v, parse_svc)?),
        2 => IpvsAttr::Dest(nested(v, parse_dest)?),
        3 => IpvsAttr::Daemon(nested(v, parse_daemon)?),
        4 => IpvsAttr::TimeoutTcp(parse_u32(v)?),
        5 => IpvsAttr::TimeoutTcpFin(parse_u32(v)?),
        6 => IpvsAttr::TimeoutUdp(parse_u32(v)?),
        _ => IpvsAttr::Other(other(n)?),
    })
}

impl GenlFamily for IpvsMessage {
    fn family_name() -> &'static str {
        "IPVS"
    }
    fn command(&self) -> u8 {
        self.cmd
    }
    fn version(&self) -> u8 {
        1
    }
}

impl Emitable for IpvsMessage {
    fn buffer_len(&self) -> usize {
        self.attrs.as_slice().buffer_len()
    }
    fn emit(&self, buf: &mut [u8]) {
        self.attrs.as_slice().emit(buf);
    }
}

impl ParseableParametrized<[u8], GenlHeader> for IpvsMessage {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        Ok(IpvsMessage {
            cmd: header.cmd,
            attrs: nested(buf, parse_top)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_service_with_a_destination() {
        let mut addr = [0u8; 16];
        addr[..4].copy_from_slice(&[10, 0, 0, 1]);
        let m = IpvsMessage {
            cmd: cmd::NEW_DEST,
            attrs: vec![
                IpvsAttr::Service(vec![
                    SvcAttr::Af(2),
                    SvcAttr::Protocol(6),
                    SvcAttr::Addr(addr),
                    SvcAttr::Port(8080),
                    SvcAttr::SchedName("wrr".into()),
                    SvcAttr::Flags(1, u32::MAX),
                    SvcAttr::Netmask([255, 255, 255, 0]),
                ]),
                IpvsAttr::Dest(vec![
                    DestAttr::Port(80),
                    DestAttr::Weight(3),
                    DestAttr::TunType(1),
                    DestAttr::TunPort(6080),
                    DestAttr::TunFlags(1),
                ]),
                IpvsAttr::TimeoutUdp(300),
            ],
        };
        let mut buf = vec![0u8; m.buffer_len()];
        m.emit(&mut buf);
        // Ports are big-endian on the wire.
        assert!(buf.windows(2).any(|w| w == [0x1f, 0x90]));
        assert!(buf.windows(2).any(|w| w == [0x17, 0xc0]));
        let back = IpvsMessage::parse_with_param(
            &buf,
            GenlHeader {
                cmd: cmd::NEW_DEST,
                version: 1,
            },
        )
        .expect("parses");
        assert_eq!(back, m);
    }

    #[test]
    fn encodes_a_sync_daemon_as_the_kernel_reads_it() {
        let m = IpvsMessage {
            cmd: cmd::NEW_DAEMON,
            attrs: vec![IpvsAttr::Daemon(vec![
                DaemonAttr::State(1),
                DaemonAttr::McastIfn("eth1".into()),
                DaemonAttr::SyncId(51),
                DaemonAttr::SyncMaxlen(1472),
                DaemonAttr::McastGroup([224, 0, 0, 81]),
                DaemonAttr::McastPort(8848),
                DaemonAttr::McastTtl(2),
            ])],
        };
        let mut buf = vec![0u8; m.buffer_len()];
        m.emit(&mut buf);
        // The nested IPVS_CMD_ATTR_DAEMON (3) carries the NLA_F_NESTED flag.
        assert_eq!(u16::from_ne_bytes([buf[2], buf[3]]), 3 | 0x8000);
        // The interface is NUL-terminated, padded to four bytes (8 + 5 -> 12).
        let ifn = [9u8, 0, 2, 0, b'e', b't', b'h', b'1', 0, 0, 0, 0];
        assert!(buf.windows(ifn.len()).any(|w| w == ifn), "{buf:?}");
        // The port is in host byte order (nla_get_u16), the group in network order.
        let port = 8848u16.to_ne_bytes();
        assert!(
            buf.windows(6).any(|w| w == [6, 0, 7, 0, port[0], port[1]]),
            "{buf:?}"
        );
        assert!(buf.windows(8).any(|w| w == [8, 0, 5, 0, 224, 0, 0, 81]));
        let back = IpvsMessage::parse_with_param(
            &buf,
            GenlHeader {
                cmd: cmd::NEW_DAEMON,
                version: 1,
            },
        )
        .expect("parses");
        assert_eq!(back, m);
    }
}
