//! SNMPv2c traps (RFC 3416 SNMPv2-Trap-PDU, RFC 1901 community message) for the events
//! keepalived's SNMP agent reports: KEEPALIVED-MIB `vrrpInstanceStateChange`,
//! `vrrpSyncGroupStateChange`, `realServerStateChange` and `virtualServerQuorumStateChange`,
//! VRRP-MIB (RFC 2787) `vrrpTrapNewMaster`; and kac's own `kacOperationalEvent`
//! (docs/KAC-MIB.txt) for refused revisions, failed applies and rollbacks. Sent over UDP to a
//! trap sink; there is no SNMP agent (no AgentX, no MIB to walk): only the traps.

use std::net::IpAddr;

use super::ber::{self, Value};
use super::event::{AlertEvent, Operational, VrrpState, VsIdentity};

/// KEEPALIVED-MIB's root, `enterprises.9586.100.5`.
pub const KEEPALIVED_MIB: [u32; 9] = [1, 3, 6, 1, 4, 1, 9586, 100, 5];
/// VRRP-MIB's root, `mib-2.68`.
pub const VRRP_MIB: [u32; 7] = [1, 3, 6, 1, 2, 1, 68];
/// KAC-MIB's root (docs/KAC-MIB.txt): `enterprises.32473`, RFC 5612's enterprise number
/// for documentation, a placeholder until kac has an enterprise number of its own.
pub const KAC_MIB: [u32; 7] = [1, 3, 6, 1, 4, 1, 32473];
/// `sysUpTime.0`.
const SYS_UPTIME: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 3, 0];
/// `snmpTrapOID.0`.
const SNMP_TRAP_OID: [u32; 11] = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
/// DisplayString's limit (RFC 2579): longer details are cut.
const DISPLAY_STRING_MAX: usize = 255;

/// One trap: its notification OID and variables (besides sysUpTime and snmpTrapOID).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    /// The notification's name (`vrrpInstanceStateChange`).
    pub name: &'static str,
    /// The notification's OID.
    pub oid: Vec<u32>,
    /// Its variable bindings.
    pub vars: Vec<(Vec<u32>, Value)>,
}

fn under(root: &[u32], arcs: &[u32]) -> Vec<u32> {
    root.iter().chain(arcs).copied().collect()
}

fn router_id_var(router_id: &str) -> (Vec<u32>, Value) {
    // routerId.0 = keepalived.global.2.0
    (
        under(&KEEPALIVED_MIB, &[1, 2, 0]),
        Value::Octets(router_id.as_bytes().to_vec()),
    )
}

fn inet(addr: IpAddr) -> (Value, Value) {
    match addr {
        IpAddr::V4(a) => (Value::Integer(1), Value::Octets(a.octets().to_vec())),
        IpAddr::V6(a) => (Value::Integer(2), Value::Octets(a.octets().to_vec())),
    }
}

/// `s` as a DisplayString (RFC 2579: NVT ASCII, 255 octets at most): one line of printable
/// ASCII, other characters and runs of white space turned into one space, cut to 255 octets.
fn display_string(s: &str) -> Value {
    let mut out = String::with_capacity(s.len().min(DISPLAY_STRING_MAX));
    for c in s.chars() {
        let c = if c.is_ascii_graphic() { c } else { ' ' };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        if out.len() == DISPLAY_STRING_MAX {
            break;
        }
        out.push(c);
    }
    Value::Octets(out.trim_end().as_bytes().to_vec())
}

/// The virtual server's variables keepalived's checker traps carry, in its order:
/// `virtualServerType`, then the group name, the fwmark or the address type, address and
/// port, then `virtualServerProtocol` (rows of `virtualServerTable`, column `col`).
fn vs_vars(vs_index: u32, identity: &VsIdentity, protocol: Option<&str>) -> Vec<(Vec<u32>, Value)> {
    let vs = |col: u32| under(&KEEPALIVED_MIB, &[3, 3, 1, col, vs_index]);
    let mut vars = Vec::new();
    match identity {
        VsIdentity::Fwmark(mark) => {
            vars.push((vs(2), Value::Integer(1)));
            vars.push((vs(4), Value::Gauge(*mark)));
        }
        VsIdentity::Addr { addr, port } => {
            let (addr_type, addr) = inet(*addr);
            vars.push((vs(2), Value::Integer(2)));
            vars.push((vs(5), addr_type));
            vars.push((vs(6), addr));
            vars.push((vs(7), Value::Gauge(u32::from(*port))));
        }
        VsIdentity::Group(name) => {
            vars.push((vs(2), Value::Integer(3)));
            vars.push((vs(3), Value::Octets(name.as_bytes().to_vec())));
        }
    }
    let proto = match protocol {
        None => 4,
        Some("udp") => 2,
        Some("sctp") => 3,
        Some(_) => 1,
    };
    vars.push((vs(8), Value::Integer(proto)));
    vars
}

/// kac's `kacOperationalEvent` (KAC-MIB): router id, kind (number and word), revision and
/// details.
fn operational_trap(router_id: &str, o: &Operational) -> Trap {
    let obj = |n: u32| under(&KAC_MIB, &[1, n, 0]);
    Trap {
        name: "kacOperationalEvent",
        oid: under(&KAC_MIB, &[0, 1]),
        vars: vec![
            (obj(1), display_string(router_id)),
            (obj(2), Value::Integer(o.kind.mib_value())),
            (obj(3), Value::Octets(o.kind.word().as_bytes().to_vec())),
            (obj(4), display_string(&o.revision)),
            (obj(5), display_string(&o.detail)),
        ],
    }
}

/// The traps keepalived sends for `event`, and kac's own for operational events.
pub fn traps_for(router_id: &str, event: &AlertEvent) -> Vec<Trap> {
    match event {
        AlertEvent::Instance(c) => {
            let row = |col: u32| under(&KEEPALIVED_MIB, &[2, 3, 1, col, c.index]);
            let mut traps = vec![Trap {
                name: "vrrpInstanceStateChange",
                oid: under(&KEEPALIVED_MIB, &[2, 10, 0, 2]),
                vars: vec![
                    (row(2), Value::Octets(c.name.as_bytes().to_vec())),
                    (row(4), Value::Integer(c.to.mib_value())),
                    (row(5), Value::Integer(c.initial.mib_value())),
                    router_id_var(router_id),
                ],
            }];
            if c.to == VrrpState::Master {
                let addr = c.master_address.map(|a| a.octets()).unwrap_or([0; 4]);
                traps.push(Trap {
                    name: "vrrpTrapNewMaster",
                    oid: under(&VRRP_MIB, &[0, 1]),
                    vars: vec![(
                        // vrrpOperMasterIpAddr.ifIndex.vrid
                        under(&VRRP_MIB, &[1, 3, 1, 7, c.ifindex, u32::from(c.vrid)]),
                        Value::IpAddress(addr),
                    )],
                });
            }
            traps
        }
        AlertEvent::Group(g) => {
            let row = |col: u32| under(&KEEPALIVED_MIB, &[2, 1, 1, col, g.index]);
            vec![Trap {
                name: "vrrpSyncGroupStateChange",
                oid: under(&KEEPALIVED_MIB, &[2, 10, 0, 1]),
                vars: vec![
                    (row(2), Value::Octets(g.name.as_bytes().to_vec())),
                    (row(3), Value::Integer(g.to.mib_value())),
                    router_id_var(router_id),
                ],
            }]
        }
        AlertEvent::RealServer(r) => {
            let rs = |col: u32| under(&KEEPALIVED_MIB, &[3, 4, 1, col, r.vs_index, r.rs_index]);
            let vs = |col: u32| under(&KEEPALIVED_MIB, &[3, 3, 1, col, r.vs_index]);
            let (addr_type, addr) = inet(r.address);
            let mut vars = vec![
                (rs(3), addr_type),
                (rs(4), addr),
                (rs(5), Value::Gauge(u32::from(r.port))),
                (rs(6), Value::Integer(if r.up { 1 } else { 2 })),
            ];
            vars.extend(vs_vars(r.vs_index, &r.identity, r.protocol.as_deref()));
            vars.extend([
                (vs(21), Value::Gauge(r.servers_up)),
                (vs(20), Value::Gauge(r.servers_total)),
                router_id_var(router_id),
            ]);
            vec![Trap {
                name: "realServerStateChange",
                oid: under(&KEEPALIVED_MIB, &[3, 5, 0, 1]),
                vars,
            }]
        }
        AlertEvent::Quorum(q) => {
            let vs = |col: u32| under(&KEEPALIVED_MIB, &[3, 3, 1, col, q.vs_index]);
            let mut vars = vs_vars(q.vs_index, &q.identity, q.protocol.as_deref());
            vars.extend([
                // virtualServerQuorumStatus: met(1), notMet(2)
                (vs(23), Value::Integer(if q.up { 1 } else { 2 })),
                (vs(22), Value::Gauge(q.quorum)),
                (vs(21), Value::Gauge(q.servers_up)),
                (vs(20), Value::Gauge(q.servers_total)),
                router_id_var(router_id),
            ]);
            vec![Trap {
                name: "virtualServerQuorumStateChange",
                oid: under(&KEEPALIVED_MIB, &[3, 5, 0, 2]),
                vars,
            }]
        }
        AlertEvent::Operational(o) => vec![operational_trap(router_id, o)],
        // keepalived sends no trap for priority changes (FIFO lines only).
        AlertEvent::Priority(_) => Vec::new(),
    }
}

/// The SNMPv2c message carrying `trap` (version 1 = v2c, `community`, SNMPv2-Trap-PDU with
/// sysUpTime.0 and snmpTrapOID.0 first).
pub fn encode(community: &str, request_id: i32, uptime_ticks: u32, trap: &Trap) -> Vec<u8> {
    let mut binds = Vec::new();
    let mut bind = |oid: &[u32], v: &Value| {
        let mut b = Vec::new();
        ber::value(&mut b, &Value::Oid(oid.to_vec()));
        ber::value(&mut b, v);
        ber::tlv(&mut binds, 0x30, &b);
    };
    bind(&SYS_UPTIME, &Value::TimeTicks(uptime_ticks));
    bind(&SNMP_TRAP_OID, &Value::Oid(trap.oid.clone()));
    for (oid, v) in &trap.vars {
        bind(oid, v);
    }
    let mut pdu = Vec::new();
    ber::value(&mut pdu, &Value::Integer(i64::from(request_id)));
    ber::value(&mut pdu, &Value::Integer(0)); // error-status
    ber::value(&mut pdu, &Value::Integer(0)); // error-index
    ber::tlv(&mut pdu, 0x30, &binds);
    let mut msg = Vec::new();
    ber::value(&mut msg, &Value::Integer(1)); // SNMPv2c
    ber::value(&mut msg, &Value::Octets(community.as_bytes().to_vec()));
    ber::tlv(&mut msg, 0xa7, &pdu); // SNMPv2-Trap-PDU
    let mut out = Vec::new();
    ber::tlv(&mut out, 0x30, &msg);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::event::{Operational, OperationalKind, QuorumChange};

    fn ka(arcs: &[u32]) -> Vec<u32> {
        under(&KEEPALIVED_MIB, arcs)
    }

    fn quorum_lost() -> AlertEvent {
        AlertEvent::Quorum(QuorumChange {
            virtual_server: "[10.0.0.1]:tcp:80".into(),
            up: false,
            quorum: 2,
            hysteresis: 0,
            weight: 1,
            vs_index: 3,
            protocol: Some("tcp".into()),
            identity: VsIdentity::Addr {
                addr: "10.0.0.1".parse().expect("ip"),
                port: 80,
            },
            servers_up: 1,
            servers_total: 2,
        })
    }

    /// keepalived's `virtualServerQuorumStateChange` (checkTraps 2): the virtual server's
    /// type and identity, protocol, quorum status, quorum, servers up and total, router id,
    /// in keepalived's order, on row 3.
    #[test]
    fn quorum_trap_has_keepalived_variables() {
        let traps = traps_for("lb1", &quorum_lost());
        assert_eq!(traps.len(), 1);
        let t = &traps[0];
        assert_eq!(t.name, "virtualServerQuorumStateChange");
        assert_eq!(t.oid, [1, 3, 6, 1, 4, 1, 9586, 100, 5, 3, 5, 0, 2]);
        let want = vec![
            (ka(&[3, 3, 1, 2, 3]), Value::Integer(2)),
            (ka(&[3, 3, 1, 5, 3]), Value::Integer(1)),
            (ka(&[3, 3, 1, 6, 3]), Value::Octets(vec![10, 0, 0, 1])),
            (ka(&[3, 3, 1, 7, 3]), Value::Gauge(80)),
            (ka(&[3, 3, 1, 8, 3]), Value::Integer(1)),
            (ka(&[3, 3, 1, 23, 3]), Value::Integer(2)),
            (ka(&[3, 3, 1, 22, 3]), Value::Gauge(2)),
            (ka(&[3, 3, 1, 21, 3]), Value::Gauge(1)),
            (ka(&[3, 3, 1, 20, 3]), Value::Gauge(2)),
            (ka(&[1, 2, 0]), Value::Octets(b"lb1".to_vec())),
        ];
        assert_eq!(t.vars, want);
    }

    /// A fwmark or group virtual server carries its mark or group name instead of the
    /// address; quorum met is 1.
    #[test]
    fn quorum_trap_of_fwmark_and_group_services() {
        let AlertEvent::Quorum(mut q) = quorum_lost() else {
            unreachable!("a quorum event")
        };
        q.up = true;
        q.protocol = None;
        q.identity = VsIdentity::Fwmark(7);
        let t = &traps_for("lb1", &AlertEvent::Quorum(q.clone()))[0];
        assert_eq!(t.vars[0], (ka(&[3, 3, 1, 2, 3]), Value::Integer(1)));
        assert_eq!(t.vars[1], (ka(&[3, 3, 1, 4, 3]), Value::Gauge(7)));
        assert_eq!(t.vars[2], (ka(&[3, 3, 1, 8, 3]), Value::Integer(4)));
        assert_eq!(t.vars[3], (ka(&[3, 3, 1, 23, 3]), Value::Integer(1)));
        q.identity = VsIdentity::Group("web".into());
        q.protocol = Some("udp".into());
        let t = &traps_for("lb1", &AlertEvent::Quorum(q))[0];
        assert_eq!(t.vars[0], (ka(&[3, 3, 1, 2, 3]), Value::Integer(3)));
        assert_eq!(
            t.vars[1],
            (ka(&[3, 3, 1, 3, 3]), Value::Octets(b"web".to_vec()))
        );
        assert_eq!(t.vars[2], (ka(&[3, 3, 1, 8, 3]), Value::Integer(2)));
    }

    /// kac's `kacOperationalEvent` under the RFC 5612 placeholder arc, with its five
    /// variables; the detail becomes one line of printable ASCII of 255 octets at most.
    #[test]
    fn operational_trap_under_the_kac_arc() {
        let detail = format!("error:\n  \u{2502} {}é and more", "x".repeat(300));
        let e = AlertEvent::Operational(Operational {
            kind: OperationalKind::Rollback,
            revision: "0123456789ab".into(),
            detail,
        });
        let t = &traps_for("lb1", &e)[0];
        assert_eq!(t.name, "kacOperationalEvent");
        assert_eq!(t.oid, [1, 3, 6, 1, 4, 1, 32473, 0, 1]);
        let obj = |n: u32| vec![1, 3, 6, 1, 4, 1, 32473, 1, n, 0];
        assert_eq!(t.vars[0], (obj(1), Value::Octets(b"lb1".to_vec())));
        assert_eq!(t.vars[1], (obj(2), Value::Integer(3)));
        assert_eq!(t.vars[2], (obj(3), Value::Octets(b"rollback".to_vec())));
        assert_eq!(t.vars[3], (obj(4), Value::Octets(b"0123456789ab".to_vec())));
        let want = format!("error: {}", "x".repeat(248));
        assert_eq!(t.vars[4], (obj(5), Value::Octets(want.into_bytes())));
        for (k, n, w) in [
            (OperationalKind::RefusedRevision, 1, "refused"),
            (OperationalKind::FailedApply, 2, "failed-apply"),
        ] {
            let e = AlertEvent::Operational(Operational {
                kind: k,
                revision: "r".into(),
                detail: "d".into(),
            });
            let t = &traps_for("lb1", &e)[0];
            assert_eq!(t.vars[1].1, Value::Integer(n));
            assert_eq!(t.vars[2].1, Value::Octets(w.as_bytes().to_vec()));
        }
    }

    /// The encoded message carries the varbind `kacOperationalKind.0 = 3`, worked by hand
    /// from X.690: 32473 is 0x81 0xfd 0x59 in base 128.
    #[test]
    fn operational_trap_encoding() {
        let e = AlertEvent::Operational(Operational {
            kind: OperationalKind::Rollback,
            revision: "r".into(),
            detail: "d".into(),
        });
        let msg = encode("public", 7, 100, &traps_for("lb1", &e)[0]);
        let varbind = [
            0x30, 0x10, 0x06, 0x0b, 0x2b, 6, 1, 4, 1, 0x81, 0xfd, 0x59, 1, 2, 0, 0x02, 1, 3,
        ];
        assert!(
            msg.windows(varbind.len()).any(|w| w == varbind),
            "{msg:02x?}"
        );
        // snmpTrapOID.0 = kacOperationalEvent (enterprises.32473.0.1).
        let trap_oid = [0x06, 0x0a, 0x2b, 6, 1, 4, 1, 0x81, 0xfd, 0x59, 0, 1];
        assert!(
            msg.windows(trap_oid.len()).any(|w| w == trap_oid),
            "{msg:02x?}"
        );
        // An SNMPv2c message: version 1, the community, then the SNMPv2-Trap-PDU's tag.
        let head = b"\x02\x01\x01\x04\x06public\xa7";
        assert!(msg.windows(head.len()).any(|w| w == head), "{msg:02x?}");
    }
}
