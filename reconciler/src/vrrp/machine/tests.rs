//! The transitions keepalived users rely on, with a fake clock (`t(ms)`).

use super::*;

fn base() -> Instant {
    static BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

fn t(ms: u64) -> Instant {
    base() + Duration::from_millis(ms)
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

fn cfg(version: u8, priority: u8, advert_ms: u64) -> Config {
    Config {
        version,
        priority,
        advert_int: Duration::from_millis(advert_ms),
        preempt: true,
        preempt_delay: Duration::ZERO,
        down_timer_adverts: 3,
        garp: GarpTimings {
            master_delay: Duration::from_secs(5),
            master_repeat: 5,
            master_refresh: Duration::ZERO,
            master_refresh_repeat: 1,
            lower_prio_delay: Duration::from_secs(5),
            lower_prio_repeat: 5,
        },
        lower_prio_no_advert: false,
        higher_prio_send_advert: false,
    }
}

fn started(c: Config) -> Machine {
    let mut m = Machine::new(c, ip("10.0.0.2"));
    m.handle(Input::Start, t(0));
    m
}

fn advert(from: &str, priority: u8, interval: u16) -> Input {
    Input::Advert {
        from: ip(from),
        priority,
        interval,
    }
}

fn transitions(actions: &[Action]) -> Vec<(State, State)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Transition { from, to } => Some((*from, *to)),
            _ => None,
        })
        .collect()
}

/// Runs the timers up to `until` (every deadline in order) and returns every action.
fn run_until(m: &mut Machine, until: Instant) -> Vec<Action> {
    let mut out = Vec::new();
    while let Some(d) = m.next_deadline() {
        if d > until {
            break;
        }
        out.extend(m.handle(Input::Timer, d));
    }
    out
}

#[test]
fn the_owner_starts_as_master_at_once() {
    let mut m = Machine::new(cfg(2, 255, 1000), ip("10.0.0.2"));
    let a = m.handle(Input::Start, t(0));
    assert_eq!(
        a,
        vec![
            Action::SendAdvert { priority: 255 },
            Action::Transition {
                from: State::Init,
                to: State::Master
            },
            Action::Garp { repeat: 5 },
        ]
    );
    assert_eq!(m.master(), Some(ip("10.0.0.2")));
}

#[test]
fn a_backup_takes_over_after_the_master_down_interval() {
    let mut m = started(cfg(2, 100, 1000));
    assert_eq!(m.state(), State::Backup);
    // v2: 3 × 1 s + (256 − 100)/256 s = 3.609375 s.
    assert_eq!(m.master_down_interval(), Duration::from_micros(3_609_375));
    assert!(run_until(&mut m, t(3609)).is_empty());
    let a = run_until(&mut m, t(3610));
    assert_eq!(transitions(&a), vec![(State::Backup, State::Master)]);
    assert_eq!(a[0], Action::SendAdvert { priority: 100 });
    // Then one advert per interval.
    let a = run_until(&mut m, t(3610 + 3000));
    let sent = a
        .iter()
        .filter(|x| matches!(x, Action::SendAdvert { .. }))
        .count();
    assert_eq!(sent, 3);
}

#[test]
fn adverts_from_a_higher_master_keep_a_backup_down() {
    let mut m = started(cfg(3, 100, 1000));
    for i in 0..10 {
        let now = t(i * 1000);
        assert!(run_until(&mut m, now).is_empty());
        m.handle(advert("10.0.0.9", 150, 100), now);
    }
    assert_eq!(m.state(), State::Backup);
    assert_eq!(m.master(), Some(ip("10.0.0.9")));
}

#[test]
fn priority_zero_makes_the_backup_take_over_after_skew_time() {
    let mut m = started(cfg(3, 200, 1000));
    m.handle(advert("10.0.0.9", 250, 100), t(500));
    // v3: ((256 − 200) × 100 cs)/256 = 21 cs.
    assert_eq!(m.skew(), Duration::from_millis(210));
    m.handle(advert("10.0.0.9", 0, 100), t(1000));
    assert!(run_until(&mut m, t(1209)).is_empty());
    let a = run_until(&mut m, t(1210));
    assert_eq!(transitions(&a), vec![(State::Backup, State::Master)]);
}

#[test]
fn a_master_yields_to_a_higher_priority() {
    let mut m = started(cfg(2, 255, 1000));
    let a = m.handle(advert("10.0.0.1", 255, 1), t(100));
    // Same priority, lower address: we stay and answer.
    assert!(transitions(&a).is_empty());
    assert!(a.contains(&Action::SendAdvert { priority: 255 }));
    let mut m = started(cfg(2, 100, 1000));
    run_until(&mut m, t(4000));
    assert_eq!(m.state(), State::Master);
    let a = m.handle(advert("10.0.0.1", 101, 1), t(4100));
    assert_eq!(transitions(&a), vec![(State::Master, State::Backup)]);
    assert_eq!(m.master(), Some(ip("10.0.0.1")));
    // No adverts as a backup.
    let a = m.handle(Input::Timer, t(4200));
    assert!(a.is_empty());
}

#[test]
fn equal_priority_goes_to_the_higher_address() {
    let mut m = started(cfg(3, 100, 1000));
    run_until(&mut m, t(4000));
    assert_eq!(m.state(), State::Master);
    let a = m.handle(advert("10.0.0.3", 100, 100), t(4100));
    assert_eq!(transitions(&a), vec![(State::Master, State::Backup)]);
}

#[test]
fn a_master_answers_a_lower_priority_with_an_advert_and_garp() {
    let mut m = started(cfg(3, 150, 1000));
    // Past the second burst after becoming master.
    run_until(&mut m, t(9000));
    let a = m.handle(advert("10.0.0.9", 100, 100), t(9000));
    assert_eq!(
        a,
        vec![
            Action::SendAdvert { priority: 150 },
            Action::Garp { repeat: 5 }
        ]
    );
    // Rate-limited by the lower-priority delay, which also brings the second burst.
    let a = m.handle(advert("10.0.0.9", 100, 100), t(9500));
    assert_eq!(a, vec![Action::SendAdvert { priority: 150 }]);
    let a = run_until(&mut m, t(14_000));
    assert_eq!(
        a.iter()
            .filter(|x| matches!(x, Action::Garp { .. }))
            .collect::<Vec<_>>(),
        vec![&Action::Garp { repeat: 5 }]
    );
}

fn garps(a: &[Action]) -> Vec<u32> {
    a.iter()
        .filter_map(|x| match x {
            Action::Garp { repeat } => Some(*repeat),
            _ => None,
        })
        .collect()
}

fn adverts(a: &[Action]) -> usize {
    a.iter()
        .filter(|x| matches!(x, Action::SendAdvert { .. }))
        .count()
}

#[test]
fn lower_priority_garp_settings_and_lower_prio_no_advert() {
    let mut c = cfg(3, 150, 1000);
    c.garp.lower_prio_repeat = 2;
    c.garp.lower_prio_delay = Duration::ZERO;
    c.lower_prio_no_advert = true;
    let mut m = started(c);
    run_until(&mut m, t(4000));
    assert_eq!(m.state(), State::Master);
    // No advert in answer, a burst of 2, no second burst (delay 0) and no rate limit.
    let a = m.handle(advert("10.0.0.9", 100, 100), t(20_000));
    assert_eq!(a, vec![Action::Garp { repeat: 2 }]);
    assert_eq!(
        garps(&m.handle(advert("10.0.0.9", 100, 100), t(20_100))),
        vec![2]
    );
    // Repeat 0: no burst at all.
    let mut c = cfg(3, 150, 1000);
    c.garp.lower_prio_repeat = 0;
    let mut m = started(c);
    run_until(&mut m, t(20_000));
    let a = m.handle(advert("10.0.0.9", 100, 100), t(20_000));
    assert_eq!(a, vec![Action::SendAdvert { priority: 150 }]);
    assert!(garps(&run_until(&mut m, t(40_000))).is_empty());
}

#[test]
fn higher_prio_send_advert_answers_before_yielding() {
    let mut c = cfg(3, 100, 1000);
    c.higher_prio_send_advert = true;
    let mut m = started(c.clone());
    run_until(&mut m, t(4000));
    let a = m.handle(advert("10.0.0.1", 200, 100), t(4100));
    assert_eq!(
        a.first(),
        Some(&Action::SendAdvert { priority: 100 }),
        "{a:?}"
    );
    assert_eq!(transitions(&a), vec![(State::Master, State::Backup)]);
    c.higher_prio_send_advert = false;
    let mut m = started(c);
    run_until(&mut m, t(4000));
    let a = m.handle(advert("10.0.0.1", 200, 100), t(4100));
    assert_eq!(adverts(&a), 0);
}

#[test]
fn down_timer_adverts_sets_the_master_down_interval() {
    let mut c = cfg(3, 100, 1000);
    c.down_timer_adverts = 5;
    let mut m = started(c);
    // 5 × 1 s + skew (156 × 100 cs / 256 = 60 cs).
    assert_eq!(m.master_down_interval(), Duration::from_millis(5600));
    run_until(&mut m, t(5599));
    assert_eq!(m.state(), State::Backup);
    run_until(&mut m, t(5600));
    assert_eq!(m.state(), State::Master);
}

#[test]
fn garp_master_delay_zero_and_repeat_one_send_a_single_packet() {
    let mut c = cfg(3, 255, 1000);
    c.garp.master_delay = Duration::ZERO;
    c.garp.master_repeat = 1;
    let mut m = Machine::new(c, ip("10.0.0.2"));
    let a = m.handle(Input::Start, t(0));
    assert_eq!(garps(&a), vec![1]);
    assert!(garps(&run_until(&mut m, t(60_000))).is_empty());
}

#[test]
fn preempt_takes_over_from_a_lower_master() {
    let mut m = started(cfg(3, 150, 1000));
    // A lower master keeps advertising: ignored, so the down timer runs out.
    let mut all = Vec::new();
    for i in 0..5 {
        all.extend(run_until(&mut m, t(i * 1000)));
        all.extend(m.handle(advert("10.0.0.9", 100, 100), t(i * 1000)));
    }
    all.extend(run_until(&mut m, t(5000)));
    assert_eq!(transitions(&all), vec![(State::Backup, State::Master)]);
}

#[test]
fn nopreempt_keeps_a_higher_backup_down() {
    let mut c = cfg(3, 150, 1000);
    c.preempt = false;
    let mut m = started(c);
    for i in 0..20 {
        assert!(run_until(&mut m, t(i * 1000)).is_empty());
        m.handle(advert("10.0.0.9", 100, 100), t(i * 1000));
    }
    assert_eq!(m.state(), State::Backup);
}

#[test]
fn preempt_delay_holds_preemption_after_start() {
    let mut c = cfg(3, 150, 1000);
    c.preempt_delay = Duration::from_secs(10);
    let mut m = started(c);
    let mut all = Vec::new();
    for i in 0..20 {
        let now = t(i * 1000);
        all.extend(run_until(&mut m, now));
        if m.state() == State::Backup {
            all.extend(m.handle(advert("10.0.0.9", 100, 100), now));
        }
        if i < 10 {
            assert_eq!(m.state(), State::Backup, "at {i} s");
        }
    }
    // After 10 s the lower adverts are ignored; the down interval (3.4 s) later it is master.
    assert_eq!(transitions(&all), vec![(State::Backup, State::Master)]);
    assert_eq!(m.state(), State::Master);
}

#[test]
fn v3_backups_learn_the_master_interval() {
    let mut m = started(cfg(3, 100, 1000));
    m.handle(advert("10.0.0.9", 200, 10), t(0));
    // 3 × 100 ms + (156 × 10 cs)/256 = 300 ms + 6 cs.
    assert_eq!(m.master_down_interval(), Duration::from_millis(360));
    assert!(run_until(&mut m, t(359)).is_empty());
    assert_eq!(
        transitions(&run_until(&mut m, t(360))),
        vec![(State::Backup, State::Master)]
    );
}

#[test]
fn v2_does_not_learn_the_interval() {
    let mut m = started(cfg(2, 100, 1000));
    m.handle(advert("10.0.0.9", 200, 5), t(0));
    assert_eq!(m.master_down_interval(), Duration::from_micros(3_609_375));
}

#[test]
fn fault_stops_a_master_and_recovery_returns_to_backup() {
    let mut m = started(cfg(3, 255, 1000));
    assert_eq!(m.state(), State::Master);
    let a = m.handle(
        Input::Tracking {
            fault: true,
            priority: 255,
        },
        t(100),
    );
    assert_eq!(
        a,
        vec![
            Action::SendAdvert { priority: 0 },
            Action::Transition {
                from: State::Master,
                to: State::Fault
            }
        ]
    );
    assert_eq!(m.next_deadline(), None);
    let a = m.handle(
        Input::Tracking {
            fault: false,
            priority: 100,
        },
        t(200),
    );
    assert_eq!(transitions(&a), vec![(State::Fault, State::Backup)]);
    assert_eq!(m.priority(), 100);
}

#[test]
fn a_lower_tracked_priority_is_advertised() {
    let mut m = started(cfg(3, 150, 1000));
    run_until(&mut m, t(4000));
    m.handle(
        Input::Tracking {
            fault: false,
            priority: 90,
        },
        t(4001),
    );
    let a = run_until(&mut m, t(6000));
    assert!(a.contains(&Action::SendAdvert { priority: 90 }));
    // And a backup of 100 now wins.
    let a = m.handle(advert("10.0.0.1", 100, 100), t(6100));
    assert_eq!(transitions(&a), vec![(State::Master, State::Backup)]);
}

#[test]
fn shutdown_sends_priority_zero_once() {
    let mut m = started(cfg(2, 255, 1000));
    let a = m.handle(Input::Shutdown, t(50));
    assert_eq!(
        a,
        vec![
            Action::SendAdvert { priority: 0 },
            Action::Transition {
                from: State::Master,
                to: State::Stopped
            }
        ]
    );
    assert!(m.handle(Input::Shutdown, t(60)).is_empty());
    assert_eq!(m.next_deadline(), None);
    // A backup stops silently.
    let mut b = started(cfg(2, 100, 1000));
    let a = b.handle(Input::Shutdown, t(50));
    assert_eq!(transitions(&a), vec![(State::Backup, State::Stopped)]);
    assert!(!a.contains(&Action::SendAdvert { priority: 0 }));
}

#[test]
fn garp_bursts_follow_the_master_delay_and_refresh() {
    let mut c = cfg(3, 255, 1000);
    c.garp.master_refresh = Duration::from_secs(60);
    c.garp.master_refresh_repeat = 2;
    let mut m = started(c);
    assert!(garps(&run_until(&mut m, t(4999))).is_empty());
    assert_eq!(garps(&run_until(&mut m, t(5000))), vec![5]);
    assert!(garps(&run_until(&mut m, t(64_999))).is_empty());
    assert_eq!(garps(&run_until(&mut m, t(65_000))), vec![2]);
    assert_eq!(garps(&run_until(&mut m, t(125_000))), vec![2]);
}

#[test]
fn sync_moves_members_together() {
    let mut m = started(cfg(3, 100, 1000));
    let a = m.handle(Input::Sync(State::Master), t(10));
    assert_eq!(transitions(&a), vec![(State::Backup, State::Master)]);
    let a = m.handle(Input::Sync(State::Backup), t(20));
    assert_eq!(transitions(&a), vec![(State::Master, State::Backup)]);
    let a = m.handle(Input::Sync(State::Fault), t(30));
    assert_eq!(transitions(&a), vec![(State::Backup, State::Fault)]);
    // Released by the group, its own tracking is fine: back to backup.
    let a = m.handle(Input::Sync(State::Backup), t(40));
    assert_eq!(transitions(&a), vec![(State::Fault, State::Backup)]);
    // Its own fault is not released by the group.
    m.handle(
        Input::Tracking {
            fault: true,
            priority: 100,
        },
        t(50),
    );
    m.handle(Input::Sync(State::Backup), t(60));
    assert_eq!(m.state(), State::Fault);
}

#[test]
fn reconfigure_keeps_the_state() {
    let mut m = started(cfg(3, 255, 1000));
    let deadline = m.next_deadline();
    m.reconfigure(cfg(3, 255, 500));
    assert_eq!(m.state(), State::Master);
    assert_eq!(m.next_deadline(), deadline);
    let a = run_until(&mut m, t(1500));
    let sent = a
        .iter()
        .filter(|x| matches!(x, Action::SendAdvert { .. }))
        .count();
    // 1000 ms (old deadline), then 1500 ms.
    assert_eq!(sent, 2);
}

/// Two machines talking to each other through a perfect wire elect exactly one master, for
/// every pair of priorities and both versions.
#[test]
fn two_machines_elect_one_master() {
    for version in [2u8, 3] {
        for (pa, pb) in [(100, 100), (100, 200), (255, 100), (150, 149), (1, 254)] {
            let mut a = Machine::new(cfg(version, pa, 1000), ip("10.0.0.1"));
            let mut b = Machine::new(cfg(version, pb, 1000), ip("10.0.0.2"));
            let mut qa = a.handle(Input::Start, t(0));
            let mut qb = b.handle(Input::Start, t(0));
            let mut now = 0;
            while now < 20_000 {
                for act in std::mem::take(&mut qa) {
                    if let Action::SendAdvert { priority } = act {
                        qb.extend(b.handle(
                            advert("10.0.0.1", priority, if version == 3 { 100 } else { 1 }),
                            t(now),
                        ));
                    }
                }
                for act in std::mem::take(&mut qb) {
                    if let Action::SendAdvert { priority } = act {
                        qa.extend(a.handle(
                            advert("10.0.0.2", priority, if version == 3 { 100 } else { 1 }),
                            t(now),
                        ));
                    }
                }
                now += 10;
                qa.extend(run_until(&mut a, t(now)));
                qb.extend(run_until(&mut b, t(now)));
            }
            let masters = [a.state(), b.state()]
                .iter()
                .filter(|s| **s == State::Master)
                .count();
            assert_eq!(masters, 1, "v{version} priorities {pa}/{pb}");
            // The higher priority wins; a tie goes to the higher address (b).
            let b_wins = pb >= pa;
            assert_eq!(
                b.state() == State::Master,
                b_wins,
                "v{version} {pa}/{pb}: a={:?} b={:?}",
                a.state(),
                b.state()
            );
        }
    }
}

#[test]
fn a_held_backup_wants_master_until_it_hears_one() {
    let mut m = started(cfg(3, 100, 1000));
    let due = m.next_deadline().expect("down timer");
    assert!(m.master_due(due));
    m.hold(due);
    assert!(m.wants_master());
    assert_eq!(m.state(), State::Backup);
    assert_eq!(m.next_deadline(), Some(due + m.master_down_interval()));
    m.handle(advert("10.0.0.9", 200, 100), due);
    assert!(!m.wants_master());
}

#[test]
fn resume_starts_as_master_and_yields_to_a_higher_priority() {
    let mut m = Machine::new(cfg(2, 150, 1000), ip("10.0.0.2"));
    let a = m.handle(Input::Resume, t(0));
    assert_eq!(a.first(), Some(&Action::SendAdvert { priority: 150 }));
    assert_eq!(transitions(&a), vec![(State::Init, State::Master)]);
    let a = m.handle(advert("10.0.0.9", 200, 1), t(500));
    assert_eq!(transitions(&a), vec![(State::Master, State::Backup)]);
    // In FAULT, it does not take the addresses.
    let mut m = Machine::new(cfg(2, 150, 1000), ip("10.0.0.2"));
    m.handle(
        Input::Tracking {
            fault: true,
            priority: 150,
        },
        t(0),
    );
    let a = m.handle(Input::Resume, t(0));
    assert_eq!(transitions(&a), vec![(State::Init, State::Fault)]);
}

/// `vrrp_startup_delay 5`: a backup (v3, advert 1 s, priority 100: master-down 3.6 s) stays
/// backup until 5 s + 3.6 s even with no master heard; an owner until 5 s; a master heard
/// during the delay keeps a lower backup a backup; without the delay nothing changes.
#[test]
fn the_startup_delay_holds_instances_as_backups() {
    let mut m = Machine::new(cfg(3, 100, 1000), ip("10.0.0.2"));
    m.delay_start(t(5000));
    let a = m.handle(Input::Start, t(0));
    assert_eq!(transitions(&a), vec![(State::Init, State::Backup)]);
    assert_eq!(m.master_down_interval(), Duration::from_millis(3600));
    assert_eq!(m.next_deadline(), Some(t(8600)));
    assert!(!m.master_due(t(8599)));
    assert!(transitions(&run_until(&mut m, t(8599))).is_empty());
    assert_eq!(m.state(), State::Backup);
    assert_eq!(
        transitions(&run_until(&mut m, t(8600))),
        vec![(State::Backup, State::Master)]
    );

    let mut owner = Machine::new(cfg(3, 255, 1000), ip("10.0.0.2"));
    owner.delay_start(t(5000));
    let a = owner.handle(Input::Start, t(0));
    assert_eq!(transitions(&a), vec![(State::Init, State::Backup)]);
    assert!(!a.iter().any(|x| matches!(x, Action::SendAdvert { .. })));
    assert!(transitions(&run_until(&mut owner, t(4999))).is_empty());
    assert_eq!(
        transitions(&run_until(&mut owner, t(5000))),
        vec![(State::Backup, State::Master)]
    );

    // A master (200) advertising through the delay keeps a backup of 100 a backup; when it
    // stops, the backup takes over a master-down interval after its last advert.
    let mut b = Machine::new(cfg(3, 100, 1000), ip("10.0.0.2"));
    b.delay_start(t(5000));
    b.handle(Input::Start, t(0));
    for s in 0..10 {
        b.handle(advert("10.0.0.9", 200, 100), t(s * 1000));
        assert!(transitions(&run_until(&mut b, t(s * 1000 + 999))).is_empty());
    }
    assert_eq!(b.state(), State::Backup);
    assert!(transitions(&run_until(&mut b, t(12_599))).is_empty());
    let a = run_until(&mut b, t(12_600));
    assert_eq!(transitions(&a), vec![(State::Backup, State::Master)]);

    // After the delay has passed, a restart of the same machine's timers is not held.
    let mut late = Machine::new(cfg(3, 255, 1000), ip("10.0.0.2"));
    late.delay_start(t(0));
    let a = late.handle(Input::Start, t(10));
    assert_eq!(transitions(&a), vec![(State::Init, State::Master)]);
}
