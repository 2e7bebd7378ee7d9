//! SNMPv2c traps (RFC 3416 SNMPv2-Trap-PDU, RFC 1901 community message) for the events
//! keepalived's SNMP agent reports: KEEPALIVED-MIB `vrrpInstanceStateChange`,
//! `vrrpSyncGroupStateChange` and `realServerStateChange`, and VRRP-MIB (RFC 2787)
//! `vrrpTrapNewMaster`. Sent over UDP to a trap sink; there is no SNMP agent (no AgentX, no
//! MIB to walk): only the traps.

use std::net::IpAddr;

use super::ber::{self, Value};
use super::event::{AlertEvent, VrrpState};

/// KEEPALIVED-MIB's root, `enterprises.9586.100.5`.
pub const KEEPALIVED_MIB: [u32; 9] = [1, 3, 6, 1, 4, 1, 9586, 100, 5];
/// VRRP-MIB's root, `mib-2.68`.
pub const VRRP_MIB: [u32; 7] = [1, 3, 6, 1, 2, 1, 68];
/// `sysUpTime.0`.
const SYS_UPTIME: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 3, 0];
/// `snmpTrapOID.0`.
const SNMP_TRAP_OID: [u32; 11] = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];

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

/// The traps keepalived sends for `event` (none for operational alerts: keepalived has no
/// such trap).
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
            let (vs_type, proto) = match r.protocol.as_deref() {
                None => (1, 4),
                Some("udp") => (2, 2),
                Some("sctp") => (2, 3),
                Some(_) => (2, 1),
            };
            vec![Trap {
                name: "realServerStateChange",
                oid: under(&KEEPALIVED_MIB, &[3, 5, 0, 1]),
                vars: vec![
                    (rs(3), addr_type),
                    (rs(4), addr),
                    (rs(5), Value::Gauge(u32::from(r.port))),
                    (rs(6), Value::Integer(if r.up { 1 } else { 2 })),
                    (vs(2), Value::Integer(vs_type)),
                    (vs(8), Value::Integer(proto)),
                    (vs(21), Value::Gauge(r.servers_up)),
                    (vs(20), Value::Gauge(r.servers_total)),
                    router_id_var(router_id),
                ],
            }]
        }
        // keepalived has no trap for these; kac sends none (the e-mail and the logs carry
        // them).
        // kac sends no quorum trap yet (keepalived's `virtualServerQuorumStateChange`), nor
        // operational ones (no MIB has them): mail, FIFO and logs carry these.
        // Nor for priority changes (FIFO lines only, as keepalived).
        AlertEvent::Quorum(_) | AlertEvent::Operational(_) | AlertEvent::Priority(_) => Vec::new(),
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
