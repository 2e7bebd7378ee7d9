//! Property tests of the diff against the recording fake kernel: for any desired state, any
//! kernel state and any journal, applying the diff's ops (in its order) succeeds, leaves
//! nothing to do, and never touches a foreign object; every op's inverse undoes it; IPVS
//! messages survive emit and parse.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use proptest::prelude::*;

use crate::desired::Desired;
use crate::diff::diff;
use crate::journal::Journal;
use crate::kernel::Kernel;
use crate::kernel::fake::FakeKernel;
use crate::model::*;
use crate::observed::IpvsState;

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

fn address() -> impl Strategy<Value = Address> {
    (
        prop_oneof![Just("eth0"), Just("eth1")],
        1u8..6,
        prop_oneof![Just(24u8), Just(32u8)],
        proptest::option::of(prop_oneof![Just("eth0:a"), Just("eth0:b")]),
        prop_oneof![Just(0u8), Just(scope::HOST)],
    )
        .prop_map(|(dev, last, len, label, scope)| Address {
            key: AddressKey {
                dev: dev.into(),
                addr: ip(last),
                prefix_len: len,
            },
            peer: None,
            broadcast: None,
            label: label.map(str::to_string),
            scope,
            flags: 0,
        })
}

fn route() -> impl Strategy<Value = Route> {
    (
        1u8..5,
        prop_oneof![Just(254u32), Just(100u32)],
        prop_oneof![Just(0u32), Just(5u32)],
        1u8..4,
        prop_oneof![Just(KAC_PROTOCOL), Just(18u8), Just(4u8)],
        proptest::option::of(prop_oneof![Just(1400u32), Just(1300u32)]),
    )
        .prop_map(|(dst, table, metric, gw, protocol, mtu)| Route {
            key: RouteKey {
                table,
                dst: Prefix {
                    addr: IpAddr::V4(Ipv4Addr::new(10, dst, 0, 0)),
                    len: 16,
                },
                tos: 0,
                metric,
                from: None,
            },
            kind: rtn::UNICAST,
            protocol,
            scope: 0,
            gateway: Some(ip(gw)),
            dev: Some("eth0".into()),
            prefsrc: None,
            onlink: false,
            nexthops: vec![],
            metrics: mtu
                .map(|m| (2u16, MetricValue::Number(m)))
                .into_iter()
                .collect(),
            pref: None,
        })
}

fn service() -> impl Strategy<Value = Service> {
    (
        1u16..4,
        prop_oneof![Just("rr"), Just("wrr")],
        proptest::collection::btree_map(
            1u8..5,
            (0i32..3, prop_oneof![Just(0u32), Just(3u32)]),
            0..4,
        ),
    )
        .prop_map(|(port, sched, dests)| Service {
            key: ServiceKey::Addr {
                protocol: 6,
                addr: ip(100),
                port,
            },
            attrs: ServiceAttrs {
                scheduler: sched.into(),
                flags: 0,
                timeout: 0,
                netmask: u32::MAX,
                pe_name: None,
            },
            dests: dests
                .into_iter()
                .map(|(d, (weight, fwd))| {
                    (
                        SocketAddr::new(ip(d), port),
                        DestAttrs {
                            fwd,
                            weight,
                            u_threshold: 0,
                            l_threshold: 0,
                        },
                    )
                })
                .collect(),
        })
}

prop_compose! {
    fn state()(
        addresses in proptest::collection::vec(address(), 0..6),
        routes in proptest::collection::vec(route(), 0..5),
        services in proptest::collection::vec(service(), 0..3),
    ) -> (BTreeMap<AddressKey, Address>, BTreeMap<RouteKey, Route>, BTreeMap<ServiceKey, Service>) {
        (
            addresses.into_iter().map(|a| (a.key.clone(), a)).collect(),
            routes.into_iter().map(|r| (r.key.clone(), r)).collect(),
            services.into_iter().map(|s| (s.key, s)).collect(),
        )
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn applying_the_diff_converges_and_spares_foreign_objects(
        want in state(),
        have in state(),
        owned_mask in any::<u64>(),
        adopt in any::<bool>(),
    ) {
        // Desired routes are kac's protocol, as Desired::from_plan makes them.
        let desired = Desired {
            addresses: want.0,
            routes: want
                .1
                .into_iter()
                .map(|(k, mut r)| {
                    r.protocol = KAC_PROTOCOL;
                    (k, r)
                })
                .collect(),
            services: want.2,
            ..Default::default()
        };
        let mut kernel = FakeKernel::with_links(&["eth0", "eth1"]);
        kernel.state.addresses = have.0;
        kernel.state.routes = have.1;
        kernel.state.ipvs = Some(IpvsState { services: have.2, timeouts: IpvsTimeouts::default() });
        // The journal owns a random part of what exists.
        let mut journal = Journal::default();
        let mut bit = 0;
        let mut take = || { bit = (bit + 1) % 64; owned_mask & (1 << bit) != 0 };
        for k in kernel.state.addresses.keys() { if take() { journal.addresses.insert(k.clone()); } }
        for k in kernel.state.routes.keys() { if take() { journal.routes.insert(k.clone()); } }
        for k in kernel.state.ipvs.as_ref().map(|i| i.services.keys().copied().collect::<Vec<_>>()).unwrap_or_default() {
            if take() { journal.services.insert(k); }
        }
        let before = kernel.state.clone();
        let d = diff(&desired, &before, &journal, adopt);
        let foreign_addr = |k: &AddressKey| !journal.addresses.contains(k) && !desired.addresses.contains_key(k);
        let foreign_route = |r: &Route| !journal.routes.contains(&r.key) && r.protocol != KAC_PROTOCOL && !desired.routes.contains_key(&r.key);

        if !adopt && !d.conflicts.is_empty() {
            // Refused: the rest still holds for what the diff would do, but apply stops here.
            return Ok(());
        }
        prop_assert!(d.conflicts.is_empty());
        let results = kernel.apply(&d.ops);
        prop_assert_eq!(results.len(), d.ops.len());
        for (op, r) in d.ops.iter().zip(&results) {
            prop_assert!(r.is_ok(), "`{}` failed: {:?}\nops: {:#?}", op, r, d.ops.iter().map(ToString::to_string).collect::<Vec<_>>());
        }
        let again = diff(&desired, &kernel.state, &d.journal, false);
        prop_assert!(again.ops.is_empty() && again.conflicts.is_empty(), "left: {:?}", again.ops.iter().map(ToString::to_string).collect::<Vec<_>>());
        for (k, a) in &before.addresses {
            if foreign_addr(k) {
                prop_assert_eq!(kernel.state.addresses.get(k), Some(a), "foreign address touched");
            }
        }
        for (k, r) in &before.routes {
            if foreign_route(r) {
                prop_assert_eq!(kernel.state.routes.get(k), Some(r), "foreign route touched");
            }
        }
        // Undo restores the kernel exactly.
        let undo: Vec<_> = d.ops.iter().rev().flat_map(crate::op::Op::inverse).collect();
        let results = kernel.apply(&undo);
        prop_assert!(results.iter().all(Result::is_ok), "undo failed: {:?}", results);
        prop_assert_eq!(kernel.state, before);
    }

    #[test]
    fn ipvs_messages_round_trip(
        port in any::<u16>(),
        mark in any::<u32>(),
        sched in "[a-z]{1,15}",
        flags in any::<(u32, u32)>(),
        weight in any::<u32>(),
        addr in any::<[u8; 16]>(),
    ) {
        use crate::ipvs::msg::*;
        use netlink_packet_core::{Emitable, ParseableParametrized};
        use netlink_packet_generic::GenlHeader;
        let m = IpvsMessage {
            cmd: cmd::SET_DEST,
            attrs: vec![
                IpvsAttr::Service(vec![
                    SvcAttr::Af(10),
                    SvcAttr::Fwmark(mark),
                    SvcAttr::SchedName(sched),
                    SvcAttr::Flags(flags.0, flags.1),
                    SvcAttr::Port(port),
                ]),
                IpvsAttr::Dest(vec![DestAttr::Addr(addr), DestAttr::Weight(weight), DestAttr::Port(port)]),
                IpvsAttr::TimeoutTcp(weight),
            ],
        };
        let mut buf = vec![0u8; m.buffer_len()];
        m.emit(&mut buf);
        let header = GenlHeader { cmd: cmd::SET_DEST, version: 1 };
        let back = IpvsMessage::parse_with_param(&buf, header).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, m);
    }
}
