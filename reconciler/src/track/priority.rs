//! The effective priority of a VRRP instance from its tracked objects — pure, keepalived's
//! semantics (keepalived 2.2 `vrrp/vrrp_track.c`, `trackers/track_file.c`).
//!
//! Each reference to a tracked object (`track_interface`, `track_script`, `track_process`,
//! `track_bfd`: an up/down state; `track_file`: an integer) carries a weight and `reverse`
//! (the weight written on the reference, else the object's own; the plan has resolved that).
//!
//! * **Weight 0**: the object decides FAULT. A down interface, a failing script, a process
//!   without quorum put the instance in FAULT; with `reverse`, the opposite state does. A
//!   track file with weight 0 faults when its value is not 0 (with `reverse`: when it is 0).
//! * **Up/down with a weight**: a positive weight is added while the object is up, a negative
//!   one while it is down (so it is subtracted); `reverse` negates the amount (a positive
//!   weight is then subtracted while up, a negative one added while down).
//! * **Track file with a weight**: value × weight (× −1 with `reverse`), limited to
//!   −254..=253; −254 (or less) is FAULT, anything else is added.
//! * A script that has not returned its first result yet ([`TrackValue::Pending`]) adds
//!   nothing; with weight 0 it holds the instance in its initial state ([`Effective::pending`]):
//!   keepalived waits for the first result before the instance may leave INIT.
//! * The sum is limited to 1..=254. An address owner (base priority 255) keeps 255 whatever
//!   the weights (keepalived refuses weights on an owner's tracking: the plan has them as 0,
//!   so an owner can still go to FAULT).

/// What a tracked object currently reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackValue {
    /// Up (interface up, script succeeding per rise/fall, process quorum met) or down.
    Up(bool),
    /// A track file's integer (missing, empty or unreadable files read as 0).
    File(i64),
    /// No result yet (a script before its first run ends).
    Pending,
}

/// One reference from an instance to a tracked object, with its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackRef {
    /// The reference's weight (0: the object decides FAULT).
    pub weight: i32,
    /// `reverse`.
    pub reverse: bool,
    /// The object's current state.
    pub value: TrackValue,
}

/// What one reference does to its instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contribution {
    /// Adds this amount to the priority (may be negative or zero).
    Add(i32),
    /// Puts the instance in FAULT.
    Fault,
    /// Holds the instance in its initial state until the object reports.
    Pending,
}

/// The instance's priority and whether tracking lets it run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effective {
    /// The priority to advertise (1..=254, or 255 for an address owner).
    pub priority: u8,
    /// Some tracked object puts the instance in FAULT.
    pub fault: bool,
    /// Some weight-0 tracked object has not reported yet: the instance stays in INIT.
    pub pending: bool,
}

/// The lowest a track file's weighted value goes: at this value the instance is in FAULT.
pub const FILE_FAULT: i64 = -254;
/// The highest a track file's weighted value adds.
pub const FILE_MAX: i64 = 253;
/// An address owner's priority.
pub const OWNER_PRIORITY: u8 = 255;

/// What `r` does to its instance.
pub fn contribution(r: &TrackRef) -> Contribution {
    let sign: i64 = if r.reverse { -1 } else { 1 };
    let weight = i64::from(r.weight);
    match r.value {
        TrackValue::Pending if r.weight == 0 => Contribution::Pending,
        TrackValue::Pending => Contribution::Add(0),
        TrackValue::Up(up) if r.weight == 0 => {
            // Not reversed: down is FAULT; reversed: up is FAULT.
            if up == r.reverse {
                Contribution::Fault
            } else {
                Contribution::Add(0)
            }
        }
        TrackValue::Up(up) => {
            let counts = if up { weight > 0 } else { weight < 0 };
            Contribution::Add(if counts { clamp_i32(weight * sign) } else { 0 })
        }
        TrackValue::File(v) if r.weight == 0 => {
            if (v != 0) != r.reverse {
                Contribution::Fault
            } else {
                Contribution::Add(0)
            }
        }
        TrackValue::File(v) => {
            let status = v.saturating_mul(weight).saturating_mul(sign);
            if status <= FILE_FAULT {
                Contribution::Fault
            } else {
                Contribution::Add(clamp_i32(status.min(FILE_MAX)))
            }
        }
    }
}

fn clamp_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

/// The effective priority of an instance whose configured priority is `base`, tracking
/// `refs` (its own references and its sync group's, as the plan lists them).
pub fn effective_priority(base: u8, refs: &[TrackRef]) -> Effective {
    let mut total = i64::from(base);
    let mut fault = false;
    let mut pending = false;
    for r in refs {
        match contribution(r) {
            Contribution::Add(n) => total += i64::from(n),
            Contribution::Fault => fault = true,
            Contribution::Pending => pending = true,
        }
    }
    let priority = if base == OWNER_PRIORITY {
        OWNER_PRIORITY
    } else {
        u8::try_from(total.clamp(1, 254)).unwrap_or(254)
    };
    Effective {
        priority,
        fault,
        pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn up(weight: i32, reverse: bool, up: bool) -> TrackRef {
        TrackRef {
            weight,
            reverse,
            value: TrackValue::Up(up),
        }
    }

    fn file(weight: i32, reverse: bool, v: i64) -> TrackRef {
        TrackRef {
            weight,
            reverse,
            value: TrackValue::File(v),
        }
    }

    #[test]
    fn up_down_objects_with_every_sign_and_reverse() {
        use Contribution::*;
        // (weight, reverse, up) -> contribution
        let table = [
            (0, false, true, Add(0)),
            (0, false, false, Fault),
            (0, true, true, Fault),
            (0, true, false, Add(0)),
            (10, false, true, Add(10)),
            (10, false, false, Add(0)),
            (10, true, true, Add(-10)),
            (10, true, false, Add(0)),
            (-10, false, true, Add(0)),
            (-10, false, false, Add(-10)),
            (-10, true, true, Add(0)),
            (-10, true, false, Add(10)),
            (253, false, true, Add(253)),
            (-253, false, false, Add(-253)),
        ];
        for (w, rev, u, want) in table {
            assert_eq!(
                contribution(&up(w, rev, u)),
                want,
                "weight {w} reverse {rev} up {u}"
            );
        }
    }

    #[test]
    fn track_files_multiply_and_clamp() {
        use Contribution::*;
        // (weight, reverse, value) -> contribution
        let table = [
            (0, false, 0, Add(0)),
            (0, false, 1, Fault),
            (0, false, -3, Fault),
            (0, true, 0, Fault),
            (0, true, 7, Add(0)),
            (1, false, 0, Add(0)),
            (1, false, 25, Add(25)),
            (1, false, -25, Add(-25)),
            (2, false, 25, Add(50)),
            (-2, false, 25, Add(-50)),
            (2, true, 25, Add(-50)),
            (-2, true, 25, Add(50)),
            (1, false, 253, Add(253)),
            (1, false, 254, Add(253)),
            (10, false, 100, Add(253)),
            (1, false, -253, Add(-253)),
            (1, false, -254, Fault),
            (10, false, -100, Fault),
            (1, true, 254, Fault),
            (254, false, i64::MAX, Add(253)),
            (254, false, i64::MIN, Fault),
        ];
        for (w, rev, v, want) in table {
            assert_eq!(
                contribution(&file(w, rev, v)),
                want,
                "weight {w} reverse {rev} value {v}"
            );
        }
    }

    #[test]
    fn pending_scripts_hold_weight_zero_instances_and_add_nothing_otherwise() {
        let p = |weight| TrackRef {
            weight,
            reverse: false,
            value: TrackValue::Pending,
        };
        assert_eq!(contribution(&p(0)), Contribution::Pending);
        assert_eq!(contribution(&p(5)), Contribution::Add(0));
        assert_eq!(contribution(&p(-5)), Contribution::Add(0));
        let e = effective_priority(100, &[p(0), p(-5)]);
        assert_eq!(
            e,
            Effective {
                priority: 100,
                fault: false,
                pending: true
            }
        );
    }

    #[test]
    fn the_sum_is_clamped_to_1_254() {
        let e = effective_priority(100, &[up(-60, false, false), up(-60, false, false)]);
        assert_eq!(e.priority, 1);
        let e = effective_priority(200, &[up(100, false, true)]);
        assert_eq!(e.priority, 254);
        let e = effective_priority(1, &[up(-1, false, false)]);
        assert_eq!(e.priority, 1);
        let e = effective_priority(254, &[]);
        assert_eq!(e.priority, 254);
        let e = effective_priority(
            100,
            &[
                up(20, false, true),
                up(-30, false, false),
                file(2, false, 5),
            ],
        );
        assert_eq!(e.priority, 100);
        assert!(!e.fault && !e.pending);
    }

    #[test]
    fn an_owner_keeps_255_but_can_fault() {
        let e = effective_priority(255, &[up(-50, false, false), file(1, false, 100)]);
        assert_eq!(e.priority, 255);
        assert!(!e.fault);
        let e = effective_priority(255, &[up(0, false, false)]);
        assert_eq!(
            e,
            Effective {
                priority: 255,
                fault: true,
                pending: false
            }
        );
    }

    #[test]
    fn fault_and_priority_are_independent() {
        let e = effective_priority(100, &[up(0, false, false), up(10, false, true)]);
        assert_eq!(e.priority, 110);
        assert!(e.fault);
    }

    fn value() -> impl Strategy<Value = TrackValue> {
        prop_oneof![
            any::<bool>().prop_map(TrackValue::Up),
            (-1000i64..1000).prop_map(TrackValue::File),
            Just(TrackValue::Pending),
        ]
    }

    fn track_ref() -> impl Strategy<Value = TrackRef> {
        (-254i32..=254, any::<bool>(), value()).prop_map(|(weight, reverse, value)| TrackRef {
            weight,
            reverse,
            value,
        })
    }

    proptest! {
        #[test]
        fn priority_is_always_in_range_and_owners_stay_owners(
            base in 1u8..=255,
            refs in proptest::collection::vec(track_ref(), 0..8),
        ) {
            let e = effective_priority(base, &refs);
            if base == 255 {
                prop_assert_eq!(e.priority, 255);
            } else {
                prop_assert!((1..=254).contains(&e.priority));
            }
        }

        #[test]
        fn order_does_not_matter(
            base in 1u8..=255,
            mut refs in proptest::collection::vec(track_ref(), 0..8),
        ) {
            let a = effective_priority(base, &refs);
            refs.reverse();
            prop_assert_eq!(a, effective_priority(base, &refs));
        }

        #[test]
        fn reverse_negates_a_weighted_up_down_object(w in -254i32..=254, u in any::<bool>()) {
            prop_assume!(w != 0);
            let (Contribution::Add(a), Contribution::Add(b)) =
                (contribution(&up(w, false, u)), contribution(&up(w, true, u)))
            else {
                return Err(TestCaseError::fail("a weighted up/down object never faults"));
            };
            prop_assert_eq!(a, -b);
        }

        #[test]
        fn weight_zero_objects_only_fault_or_add_nothing(r in track_ref()) {
            let r = TrackRef { weight: 0, ..r };
            prop_assert!(matches!(
                contribution(&r),
                Contribution::Fault | Contribution::Pending | Contribution::Add(0)
            ));
        }
    }
}
