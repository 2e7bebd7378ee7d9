//! Pairing the virtual servers of a host's two sides while they compile, so that a service
//! equal on both sides is dropped as soon as both are seen (`kac plan` on large sites).
//!
//! The two sides of a host compile in parallel and hand over each virtual server as its
//! block closes ([`crate::compile_conf_with_sink`]). An unchanged service produces no change
//! in the review, so it is compared with its counterpart and freed at once: the plans handed
//! to the review hold only the services that differ or exist on one side, and the review's
//! output is the same as with the full plans. Memory stays flat, and the review compares only
//! what changed.
//!
//! Within one side the first service with a key wins, as in the plan (`lower::lower_with`
//! keeps the first of services with equal keys): later ones are dropped.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use kac_schema::plan::{Plan, PlanVirtualServer, PlanVsKey};
use kac_schema::plan_diff::Side;

/// The pairing of one host's virtual servers across the two sides.
#[derive(Debug, Default)]
pub struct VsPairing {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Every key seen so far, on either side.
    slots: HashMap<PlanVsKey, Slot>,
    /// Services that differ from their counterpart, by side (0: from, 1: to).
    differ: [Vec<PlanVirtualServer>; 2],
    /// Services of each side found equal by the other side, to be freed by the side that
    /// built them (memory goes back where it came from, and is reused there at once).
    done: [Vec<PlanVirtualServer>; 2],
}

#[derive(Debug)]
enum Slot {
    /// Seen on one side only so far: that side's service, its key held by the map.
    Waiting(usize, Box<PlanVirtualServer>),
    /// Seen on both sides.
    Paired,
}

fn index(side: Side) -> usize {
    match side {
        Side::From => 0,
        Side::To => 1,
    }
}

/// Takes a service's key out (leaving a key that allocates nothing), for a service whose key
/// is held elsewhere.
fn take_key(vs: &mut PlanVirtualServer) -> PlanVsKey {
    std::mem::replace(
        &mut vs.key,
        PlanVsKey::Fwmark {
            fwmark: 0,
            family: String::new(),
        },
    )
}

impl VsPairing {
    /// The state (a panic elsewhere while it was held leaves it consistent: every step
    /// under the lock is a single map or list operation).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes one lowered virtual server of `side`.
    pub fn offer(&self, side: Side, mut vs: PlanVirtualServer) {
        let me = index(side);
        let mut done = Vec::new();
        let mut other = {
            let mut st = self.lock();
            std::mem::swap(&mut done, &mut st.done[me]);
            match st.slots.get_mut(&vs.key) {
                // A later service with a key this side already had: the plan keeps the first.
                Some(Slot::Paired) => return,
                Some(Slot::Waiting(s, _)) if *s == me => return,
                Some(slot) => match std::mem::replace(slot, Slot::Paired) {
                    Slot::Waiting(_, other) => *other,
                    Slot::Paired => return,
                },
                None => {
                    let key = take_key(&mut vs);
                    st.slots.insert(key, Slot::Waiting(me, Box::new(vs)));
                    return;
                }
            }
        };
        // Compared outside the lock (the other side goes on meanwhile), keys aside: the
        // waiting one's is in the map, and they are equal.
        drop(done);
        let key = take_key(&mut vs);
        if other == vs {
            self.lock().done[1 - me].push(other);
            return;
        }
        other.key = key.clone();
        vs.key = key;
        let mut st = self.lock();
        st.differ[me].push(vs);
        st.differ[1 - me].push(other);
    }

    /// Puts the services of `side` that the review must see (those that differ from their
    /// counterpart, and those of this side only) into `plan`, in the plan's order.
    pub fn complete(&self, side: Side, plan: &mut Plan) {
        let me = index(side);
        let mut st = self.lock();
        let mine = std::mem::take(&mut st.differ[me]);
        plan.virtual_servers.extend(mine);
        for (key, slot) in st
            .slots
            .extract_if(|_, slot| matches!(slot, Slot::Waiting(s, _) if *s == me))
        {
            if let Slot::Waiting(_, mut vs) = slot {
                vs.key = key;
                plan.virtual_servers.push(*vs);
            }
        }
        plan.virtual_servers.sort_by(|a, b| a.key.cmp(&b.key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vs(port: u16, scheduler: &str) -> PlanVirtualServer {
        PlanVirtualServer {
            key: PlanVsKey::Addr {
                addr: "192.0.2.1".parse().expect("address"),
                port,
                protocol: "TCP".into(),
            },
            group_members: Vec::new(),
            scheduler: scheduler.into(),
            sched_flags: Vec::new(),
            lb_kind: "NAT".into(),
            persistence_timeout_s: None,
            persistence_granularity: None,
            persistence_engine: None,
            quorum: 1,
            hysteresis: 0,
            alpha: false,
            omega: false,
            sorry_server: None,
            ha_suspend: false,
            quorum_up: None,
            quorum_down: None,
            sorry_server_inhibit: false,
            real_servers: Vec::new(),
            smtp_alert: None,
            script_users: Default::default(),
            sorry_server_lvs_method: None,
            sorry_server_tunnel: None,
        }
    }

    fn plan() -> Plan {
        crate::lower::lower_with(&Default::default(), "h", None, Vec::new())
    }

    fn ports(p: &Plan) -> Vec<(u16, String)> {
        p.virtual_servers
            .iter()
            .map(|v| match &v.key {
                PlanVsKey::Addr { port, .. } => (*port, v.scheduler.clone()),
                _ => (0, String::new()),
            })
            .collect()
    }

    #[test]
    fn equal_services_are_dropped_and_the_rest_kept_in_order() {
        let p = VsPairing::default();
        p.offer(Side::From, vs(80, "wlc"));
        p.offer(Side::From, vs(443, "wlc"));
        p.offer(Side::From, vs(22, "rr"));
        p.offer(Side::To, vs(443, "wlc")); // equal: dropped
        p.offer(Side::To, vs(80, "rr")); // differs: both kept
        p.offer(Side::To, vs(8080, "wlc")); // new side only
        let (mut from, mut to) = (plan(), plan());
        p.complete(Side::From, &mut from);
        p.complete(Side::To, &mut to);
        assert_eq!(ports(&from), [(22, "rr".into()), (80, "wlc".into())]);
        assert_eq!(ports(&to), [(80, "rr".into()), (8080, "wlc".into())]);
    }

    #[test]
    fn the_first_service_with_a_key_wins_on_each_side() {
        let p = VsPairing::default();
        p.offer(Side::From, vs(80, "wlc"));
        p.offer(Side::From, vs(80, "rr")); // a duplicate: ignored, as in the plan
        p.offer(Side::To, vs(80, "wlc"));
        p.offer(Side::To, vs(80, "sh")); // a duplicate after pairing: ignored
        p.offer(Side::To, vs(81, "wlc"));
        p.offer(Side::To, vs(81, "sh"));
        let (mut from, mut to) = (plan(), plan());
        p.complete(Side::From, &mut from);
        p.complete(Side::To, &mut to);
        assert_eq!(ports(&from), []);
        assert_eq!(ports(&to), [(81, "wlc".into())]);
    }
}
