//! Alerts against real receivers: mail to an SMTP server (Debian's python3-aiosmtpd) started
//! on 127.0.0.1, SNMPv2c traps to Debian's snmptrapd on 127.0.0.1, notify FIFO lines to a
//! real reader (the FIFO script). No privileges needed; a missing receiver program is a skip
//! (a failure with `KAC_REQUIRE_PRIVILEGED=1`: scripts/test.sh installs them).

use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use kac_reconciler::alert::event::{
    AlertEvent, InstanceChange, Operational, OperationalKind, QuorumChange, RealServerChange,
    VrrpState, VsIdentity,
};
use kac_reconciler::alert::fifo::FifoScope;
use kac_reconciler::alert::queue::RetryPolicy;
use kac_reconciler::alert::smtp::SmtpSettings;
use kac_reconciler::alert::{AlertSettings, Alerter, Channel, FifoSpec, Outcome, TrapSink};
use kac_tests::alert_sinks::{mails as received, smtp_server, snmptrapd, wait_until};
use kac_tests::privileges;

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn free_udp_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.local_addr().expect("addr").port()
}

fn settings(router_id: &str) -> AlertSettings {
    AlertSettings {
        router_id: router_id.into(),
        email: None,
        email_retry: RetryPolicy::default(),
        traps: None,
        trap_retry: RetryPolicy::default(),
        fifos: Vec::new(),
    }
}

fn smtp(port: u16, to: &[&str]) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        helo: "lb1.example".into(),
        from: "kac@lb1.example".into(),
        to: to.iter().map(|s| s.to_string()).collect(),
        timeout: Duration::from_secs(2),
    }
}

fn became_master() -> AlertEvent {
    AlertEvent::Instance(InstanceChange {
        name: "VI_1".into(),
        from: VrrpState::Backup,
        to: VrrpState::Master,
        priority: 150,
        initial: VrrpState::Backup,
        index: 1,
        vrid: 51,
        ifindex: 2,
        master_address: Some(Ipv4Addr::new(192, 0, 2, 10)),
    })
}

fn server_down() -> AlertEvent {
    AlertEvent::RealServer(RealServerChange {
        virtual_server: "[10.0.0.1]:tcp:80".into(),
        vs_index: 1,
        rs_index: 2,
        address: IpAddr::V4(Ipv4Addr::new(10, 1, 0, 7)),
        port: 8080,
        protocol: Some("tcp".into()),
        up: false,
        reason: Some("connection error".into()),
        servers_up: 1,
        servers_total: 2,
        identity: VsIdentity::Addr {
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            port: 80,
        },
    })
}

fn quorum_lost() -> AlertEvent {
    AlertEvent::Quorum(QuorumChange {
        virtual_server: "[10.0.0.1]:tcp:80".into(),
        up: false,
        quorum: 2,
        hysteresis: 0,
        weight: 1,
        vs_index: 1,
        protocol: Some("tcp".into()),
        identity: VsIdentity::Addr {
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            port: 80,
        },
        servers_up: 1,
        servers_total: 2,
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn mails_reach_a_real_smtp_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("mail.jsonl");
    let port = free_port();
    let Some(_server) = smtp_server(None, port, &out) else {
        privileges::skip(
            "mails_reach_a_real_smtp_server",
            "/usr/bin/python3 with aiosmtpd not found (scripts/test.sh installs python3-aiosmtpd)",
        );
        return;
    };
    let rt = runtime();
    rt.block_on(async {
        let mut s = settings("lb1");
        s.email = Some(smtp(port, &["ops@example.org", "oncall@example.org"]));
        let mut alerter = Alerter::start(s).expect("start");
        alerter.alert(&became_master(), true);
        alerter.alert(&server_down(), true);
        // smtp_alert off for this one: no mail.
        alerter.alert(&became_master(), false);
        alerter.alert(
            &AlertEvent::Operational(Operational {
                kind: OperationalKind::RefusedRevision,
                revision: "abc1234".into(),
                detail: "error: unknown keyword `vrrp_instanc`\n.leading dot".into(),
            }),
            true,
        );
        let end = Instant::now() + Duration::from_secs(10);
        while alerter
            .stats()
            .snapshot()
            .total(Channel::Email, Outcome::Sent)
            < 3
            && Instant::now() < end
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let snap = alerter.stats().snapshot();
        assert_eq!(snap.total(Channel::Email, Outcome::Sent), 3, "{snap:?}");
        assert_eq!(snap.total(Channel::Email, Outcome::Failed), 0, "{snap:?}");
        assert_eq!(
            snap.last_sent.as_ref().map(|l| l.what.as_str()),
            Some("[lb1] Revision refused - revision abc1234")
        );
    });
    let mails = received(&out);
    assert_eq!(mails.len(), 3, "{mails:#?}");
    for m in &mails {
        assert_eq!(m["helo"], "lb1.example");
        assert_eq!(m["from"], "kac@lb1.example");
        assert_eq!(
            m["to"],
            serde_json::json!(["ops@example.org", "oncall@example.org"])
        );
    }
    let data: Vec<&str> = mails
        .iter()
        .map(|m| m["data"].as_str().unwrap_or(""))
        .collect();
    let vrrp = data[0];
    assert!(vrrp.contains("From: kac@lb1.example\r\n"), "{vrrp}");
    assert!(
        vrrp.contains("To: ops@example.org, oncall@example.org\r\n"),
        "{vrrp}"
    );
    assert!(
        vrrp.contains("Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\n"),
        "{vrrp}"
    );
    assert!(
        vrrp.contains("\r\nDate: ") || vrrp.starts_with("Date: "),
        "{vrrp}"
    );
    assert!(
        vrrp.contains("\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\nstate: BACKUP -> MASTER, priority 150"),
        "{vrrp}"
    );
    let rs = data[1];
    assert!(
        rs.contains(
            "Subject: [lb1] Realserver [10.1.0.7]:8080 of virtual server [10.0.0.1]:tcp:80 - DOWN\r\n"
        ),
        "{rs}"
    );
    assert!(
        rs.contains("=> CHECK failed on service : connection error <=\r\n\r\nstate: UP -> DOWN, 1 of 2 real servers up"),
        "{rs}"
    );
    let op = data[2];
    assert!(
        op.contains("Subject: [lb1] Revision refused - revision abc1234\r\n"),
        "{op}"
    );
    // The server undoes the dot stuffing: the line arrives as written.
    assert!(
        op.contains("unknown keyword `vrrp_instanc`\r\n.leading dot"),
        "{op}"
    );
}

#[test]
fn undeliverable_mail_is_retried_then_counted_and_a_full_queue_drops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("mail.jsonl");
    let port = free_port();
    let Some(_server) = smtp_server(None, port, &out) else {
        privileges::skip(
            "undeliverable_mail_is_retried_then_counted_and_a_full_queue_drops",
            "/usr/bin/python3 with aiosmtpd not found (scripts/test.sh installs python3-aiosmtpd)",
        );
        return;
    };
    let closed = free_port();
    let rt = runtime();
    rt.block_on(async {
        // A refused recipient: the server answers 550, the mail fails after 2 attempts.
        let mut s = settings("lb1");
        s.email = Some(smtp(port, &["refused@example.org"]));
        s.email_retry = RetryPolicy {
            attempts: 2,
            first_backoff: Duration::from_millis(50),
            capacity: 4,
        };
        let mut alerter = Alerter::start(s).expect("start");
        alerter.alert(&became_master(), true);
        let end = Instant::now() + Duration::from_secs(10);
        while alerter
            .stats()
            .snapshot()
            .total(Channel::Email, Outcome::Failed)
            < 1
            && Instant::now() < end
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let snap = alerter.stats().snapshot();
        assert_eq!(snap.total(Channel::Email, Outcome::Failed), 1, "{snap:?}");
        let why = snap.last_failure.map(|l| l.what).unwrap_or_default();
        assert!(why.contains("refused RCPT TO: 550 no such user"), "{why}");

        // Nobody listening, a queue of 4, 1 s backoff: 100 alerts return at once, at most
        // 5 are kept (4 queued, 1 in delivery) and the rest are dropped and counted.
        let mut s = settings("lb1");
        s.email = Some(smtp(closed, &["ops@example.org"]));
        s.email_retry = RetryPolicy {
            attempts: 3,
            first_backoff: Duration::from_secs(1),
            capacity: 4,
        };
        let mut alerter = Alerter::start(s).expect("start");
        let t = Instant::now();
        for _ in 0..100 {
            alerter.alert(&server_down(), true);
        }
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "{:?}",
            t.elapsed()
        );
        let dropped = alerter
            .stats()
            .snapshot()
            .total(Channel::Email, Outcome::Dropped);
        assert!((95..=96).contains(&dropped), "dropped {dropped}");
        let why = alerter.stats().snapshot().last_failure.map(|l| l.what);
        assert!(why.is_some_and(|w| w.contains("dropped, the queue is full")));
    });
    assert!(received(&out).is_empty());
}

#[test]
fn traps_reach_snmptrapd() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_udp_port();
    let Some((_server, log)) = snmptrapd(None, port, dir.path()) else {
        privileges::skip(
            "traps_reach_snmptrapd",
            "snmptrapd not found (scripts/test.sh installs snmptrapd)",
        );
        return;
    };
    let rt = runtime();
    rt.block_on(async {
        let mut s = settings("lb1");
        s.traps = Some(TrapSink {
            addr: ([127, 0, 0, 1], port).into(),
            community: "public".into(),
        });
        let mut alerter = Alerter::start(s).expect("start");
        alerter.alert(&became_master(), false);
        alerter.alert(&server_down(), false);
        alerter.alert(&quorum_lost(), false);
        alerter.alert(
            &AlertEvent::Operational(Operational {
                kind: OperationalKind::RefusedRevision,
                revision: "0123456789ab".into(),
                detail: "error: unknown keyword `bogus`".into(),
            }),
            false,
        );
        let end = Instant::now() + Duration::from_secs(5);
        while alerter
            .stats()
            .snapshot()
            .total(Channel::Trap, Outcome::Sent)
            < 5
            && Instant::now() < end
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            alerter
                .stats()
                .snapshot()
                .total(Channel::Trap, Outcome::Sent),
            5
        );
    });
    let ok = wait_until(Duration::from_secs(5), || {
        std::fs::read_to_string(&log).is_ok_and(|s| s.matches("TRAP ").count() >= 5)
    });
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(ok, "{text}");
    let traps: Vec<&str> = text.lines().filter(|l| l.starts_with("TRAP ")).collect();
    let ka = ".1.3.6.1.4.1.9586.100.5";
    let state = traps[0];
    for want in [
        format!(".1.3.6.1.6.3.1.1.4.1.0 = OID: {ka}.2.10.0.2"),
        format!("{ka}.2.3.1.2.1 = STRING: \"VI_1\""),
        format!("{ka}.2.3.1.4.1 = INTEGER: 2"),
        format!("{ka}.2.3.1.5.1 = INTEGER: 1"),
        format!("{ka}.1.2.0 = STRING: \"lb1\""),
    ] {
        assert!(state.contains(&want), "{want} not in {state}");
    }
    let new_master = traps[1];
    for want in [
        ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.2.1.68.0.1".to_string(),
        ".1.3.6.1.2.1.68.1.3.1.7.2.51 = IpAddress: 192.0.2.10".to_string(),
    ] {
        assert!(new_master.contains(&want), "{want} not in {new_master}");
    }
    let rs = traps[2];
    for want in [
        format!(".1.3.6.1.6.3.1.1.4.1.0 = OID: {ka}.3.5.0.1"),
        format!("{ka}.3.4.1.3.1.2 = INTEGER: 1"),
        format!("{ka}.3.4.1.4.1.2 = Hex-STRING: 0A 01 00 07"),
        format!("{ka}.3.4.1.5.1.2 = Gauge32: 8080"),
        format!("{ka}.3.4.1.6.1.2 = INTEGER: 2"),
        format!("{ka}.3.3.1.2.1 = INTEGER: 2"),
        format!("{ka}.3.3.1.5.1 = INTEGER: 1"),
        format!("{ka}.3.3.1.6.1 = Hex-STRING: 0A 00 00 01"),
        format!("{ka}.3.3.1.7.1 = Gauge32: 80"),
        format!("{ka}.3.3.1.8.1 = INTEGER: 1"),
        format!("{ka}.3.3.1.21.1 = Gauge32: 1"),
        format!("{ka}.3.3.1.20.1 = Gauge32: 2"),
    ] {
        assert!(rs.contains(&want), "{want} not in {rs}");
    }
    // virtualServerQuorumStateChange: keepalived's variables, quorum notMet(2).
    let quorum = traps[3];
    for want in [
        format!(".1.3.6.1.6.3.1.1.4.1.0 = OID: {ka}.3.5.0.2"),
        format!("{ka}.3.3.1.2.1 = INTEGER: 2"),
        format!("{ka}.3.3.1.6.1 = Hex-STRING: 0A 00 00 01"),
        format!("{ka}.3.3.1.7.1 = Gauge32: 80"),
        format!("{ka}.3.3.1.8.1 = INTEGER: 1"),
        format!("{ka}.3.3.1.23.1 = INTEGER: 2"),
        format!("{ka}.3.3.1.22.1 = Gauge32: 2"),
        format!("{ka}.3.3.1.21.1 = Gauge32: 1"),
        format!("{ka}.3.3.1.20.1 = Gauge32: 2"),
        format!("{ka}.1.2.0 = STRING: \"lb1\""),
    ] {
        assert!(quorum.contains(&want), "{want} not in {quorum}");
    }
    // kac's own kacOperationalEvent (docs/KAC-MIB.txt, placeholder arc 32473).
    let op = traps[4];
    let kac = ".1.3.6.1.4.1.32473";
    for want in [
        format!(".1.3.6.1.6.3.1.1.4.1.0 = OID: {kac}.0.1"),
        format!("{kac}.1.1.0 = STRING: \"lb1\""),
        format!("{kac}.1.2.0 = INTEGER: 1"),
        format!("{kac}.1.3.0 = STRING: \"refused\""),
        format!("{kac}.1.4.0 = STRING: \"0123456789ab\""),
        format!("{kac}.1.5.0 = STRING: \"error: unknown keyword `bogus`\""),
    ] {
        assert!(op.contains(&want), "{want} not in {op}");
    }
}

#[test]
fn fifo_lines_reach_the_fifo_script_and_no_reader_never_blocks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("notify.fifo");
    let vrrp_fifo = dir.path().join("vrrp.fifo");
    let copy = dir.path().join("copy.txt");
    let rt = runtime();
    rt.block_on(async {
        let mut s = settings("lb1");
        // The FIFO script (argv, the FIFO's path appended, here as $0): a real reader.
        s.fifos = vec![
            FifoSpec {
                path: fifo.clone(),
                scope: FifoScope::All,
                script: Some(vec![
                    "/bin/sh".into(),
                    "-c".into(),
                    format!("exec cat \"$0\" > {}", copy.display()),
                ]),
                run_as: None,
            },
            FifoSpec {
                path: vrrp_fifo.clone(),
                scope: FifoScope::Vrrp,
                script: None,
                run_as: None,
            },
        ];
        let mut alerter = Alerter::start(s).expect("start");
        alerter.alert(&became_master(), false);
        alerter.alert(&server_down(), false);
        let want = "INSTANCE \"VI_1\" MASTER 150\nRS [10.1.0.7]:8080 [10.0.0.1]:tcp:80 DOWN\n";
        let end = Instant::now() + Duration::from_secs(5);
        while std::fs::read_to_string(&copy).unwrap_or_default() != want && Instant::now() < end {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(std::fs::read_to_string(&copy).unwrap_or_default(), want);

        // vrrp.fifo has no reader: its lines wait in the pipe; once the pipe is full, lines
        // are dropped and counted, and alert() never waits.
        let t = Instant::now();
        for _ in 0..5000 {
            alerter.alert(&became_master(), false);
        }
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        let snap = alerter.stats().snapshot();
        assert!(snap.total(Channel::Fifo, Outcome::Dropped) > 0, "{snap:?}");
        // A reader opening vrrp.fifo now (the writer still open) finds the first lines,
        // in keepalived's format.
        let f = std::fs::File::open(&vrrp_fifo).expect("open the FIFO");
        let mut first = String::new();
        std::io::BufReader::new(f)
            .read_line(&mut first)
            .expect("read");
        assert_eq!(first, "INSTANCE \"VI_1\" MASTER 150\n");
    });
    assert!(std::fs::symlink_metadata(&fifo).is_ok());
}
