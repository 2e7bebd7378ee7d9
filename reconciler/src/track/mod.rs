//! Tracking: the objects a VRRP instance follows and the priority they give it.
//!
//! * [`priority`]: the pure effective priority / FAULT of an instance from its tracked
//!   objects' states (keepalived's weight semantics);
//! * [`States`]: the latest state of every tracked object by name, fed by the trackers'
//!   [`Change`]s; [`instance_refs`] turns a plan instance's references and those states into
//!   [`priority::TrackRef`]s;
//! * the trackers, each a task sending [`Change`]s over a channel: [`script`] (`vrrp_script`:
//!   interval, timeout, rise/fall, `init_fail`), [`file`] (`track_file`: inotify plus
//!   re-reads), [`process`] (`vrrp_track_process`: /proc scans, quorum, delays);
//!   [`interface`] (`track_interface`: link up/down fed by the daemon's rtnetlink events);
//! * [`Trackers`]: the trackers a plan needs, running, kept across reloads;
//! * [`debounce`]: `interface_up_down_delays` (pure).

pub mod debounce;
pub mod file;
pub mod interface;
pub mod priority;
pub mod process;
pub mod script;
pub mod set;

use std::collections::BTreeMap;

use kac_schema::plan::{PlanTracked, PlanVrrpInstance};

pub use priority::{Effective, TrackRef, TrackValue, effective_priority};
pub use set::{TrackError, Trackers};

/// Which kind of object a [`Change`] is about (names are unique per kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `track_interface`: a link.
    Interface,
    /// `track_script`: a `vrrp_script`.
    Script,
    /// `track_file`: a `track_file`.
    File,
    /// `track_process`: a `vrrp_track_process`.
    Process,
}

/// A tracked object's new state, as a tracker reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The kind of object.
    pub kind: Kind,
    /// Its name (interface name, `vrrp_script` name, `track_file` name, process name).
    pub name: String,
    /// Its state now.
    pub value: TrackValue,
}

/// The latest state of every tracked object. Objects never reported are `Pending`
/// (interfaces: down until the link is seen up, files: 0).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct States {
    map: BTreeMap<(Kind, String), TrackValue>,
}

impl States {
    /// Records a change; returns whether the state differs from the one recorded.
    pub fn apply(&mut self, change: Change) -> bool {
        let key = (change.kind, change.name);
        self.map.insert(key, change.value) != Some(change.value)
    }

    /// The state of an object.
    pub fn get(&self, kind: Kind, name: &str) -> TrackValue {
        match self.map.get(&(kind, name.to_string())) {
            Some(v) => *v,
            None => match kind {
                Kind::Interface => TrackValue::Up(false),
                Kind::File => TrackValue::File(0),
                Kind::Script | Kind::Process => TrackValue::Pending,
            },
        }
    }
}

/// The tracked references of `inst` with their current states, ready for
/// [`effective_priority`]. `track_primary`: the instance's own interface is tracked with
/// weight 0 (keepalived does unless `dont_track_primary`).
pub fn instance_refs(
    inst: &PlanVrrpInstance,
    states: &States,
    track_primary: bool,
) -> Vec<TrackRef> {
    labelled_refs(inst, states, track_primary)
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

/// [`instance_refs`], each with what it tracks in keepalived's words (`track_interface eth1`,
/// `track_script chk`, `track_group G: address 10.0.0.5/24 on eth1`).
pub fn labelled_refs(
    inst: &PlanVrrpInstance,
    states: &States,
    track_primary: bool,
) -> Vec<(String, TrackRef)> {
    let mut refs = Vec::new();
    if track_primary && let Some(dev) = &inst.interface {
        refs.push((
            format!("interface {dev}"),
            TrackRef {
                weight: 0,
                reverse: false,
                value: states.get(Kind::Interface, dev),
            },
        ));
    }
    let lists: [(Kind, &str, &[PlanTracked]); 4] = [
        (Kind::Interface, "track_interface", &inst.track_interfaces),
        (Kind::Script, "track_script", &inst.track_scripts),
        (Kind::File, "track_file", &inst.track_files),
        (Kind::Process, "track_process", &inst.track_processes),
    ];
    for (kind, word, list) in lists {
        for t in list {
            refs.push((
                format!("{word} {}", t.name),
                TrackRef {
                    weight: t.weight,
                    reverse: t.reverse,
                    value: states.get(kind, &t.name),
                },
            ));
        }
    }
    // `track_group`: the static entry's interface, weight 0.
    for s in &inst.track_static {
        refs.push((
            format!("track_group {}: {} on {}", s.group, s.object, s.interface),
            TrackRef {
                weight: 0,
                reverse: false,
                value: states.get(Kind::Interface, &s.interface),
            },
        ));
    }
    refs
}

/// Why tracking puts `inst` in FAULT, one line per reference that does (empty: none does).
pub fn fault_reasons(inst: &PlanVrrpInstance, states: &States) -> Vec<String> {
    labelled_refs(inst, states, false)
        .into_iter()
        .filter(|(_, r)| priority::contribution(r) == priority::Contribution::Fault)
        .map(|(label, r)| {
            let what = match r.value {
                TrackValue::Up(true) => "up (reverse)".to_string(),
                TrackValue::Up(false) if label.starts_with("track_group") => {
                    "interface down, the entry cannot be restored".to_string()
                }
                TrackValue::Up(false) => "down".to_string(),
                TrackValue::File(v) => format!("value {v}"),
                TrackValue::Pending => "no result yet".to_string(),
            };
            format!("{label}: {what}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_default_per_kind_and_report_changes() {
        let mut s = States::default();
        assert_eq!(s.get(Kind::Interface, "eth0"), TrackValue::Up(false));
        assert_eq!(s.get(Kind::File, "f"), TrackValue::File(0));
        assert_eq!(s.get(Kind::Script, "chk"), TrackValue::Pending);
        let c = Change {
            kind: Kind::Script,
            name: "chk".into(),
            value: TrackValue::Up(true),
        };
        assert!(s.apply(c.clone()));
        assert!(!s.apply(c));
        assert_eq!(s.get(Kind::Script, "chk"), TrackValue::Up(true));
        assert_eq!(s.get(Kind::Process, "chk"), TrackValue::Pending);
    }
}
