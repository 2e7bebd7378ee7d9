//! The alert e-mail: subject and body as keepalived words them (smtp.c and vrrp_notify.c of
//! keepalived 2.2, read for the texts), plus one line with the old and new state, and the
//! RFC 5322 message around them.

use std::time::{SystemTime, UNIX_EPOCH};

use super::event::{AlertEvent, VrrpState};

/// An e-mail ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// The subject line.
    pub subject: String,
    /// The body text (lines separated by `\n`).
    pub body: String,
}

/// The mail for `event` from host `router_id` (keepalived's `[router_id] ...` subjects).
pub fn compose(router_id: &str, event: &AlertEvent) -> Mail {
    match event {
        AlertEvent::Instance(c) => {
            let (what, line) = instance_words(c.to);
            Mail {
                subject: format!("[{router_id}] VRRP Instance {} - {what}", c.name),
                body: format!(
                    "{line}\n\nstate: {} -> {}, priority {}",
                    c.from.name(),
                    c.to.name(),
                    c.priority
                ),
            }
        }
        AlertEvent::Group(g) => {
            let (what, line) = group_words(g.to);
            Mail {
                subject: format!("[{router_id}] VRRP Group {} - {what}", g.name),
                body: format!("{line}\n\nstate: {} -> {}", g.from.name(), g.to.name()),
            }
        }
        AlertEvent::RealServer(r) => {
            let rs = format!("[{}]:{}", r.address, r.port);
            let (state, line, before) = if r.up {
                ("UP", "=> CHECK succeed on service <=".to_string(), "DOWN")
            } else {
                let why = r.reason.as_deref().unwrap_or("check failed");
                (
                    "DOWN",
                    format!("=> CHECK failed on service : {why} <="),
                    "UP",
                )
            };
            Mail {
                subject: format!(
                    "[{router_id}] Realserver {rs} of virtual server {} - {state}",
                    r.virtual_server
                ),
                body: format!(
                    "{line}\n\nstate: {before} -> {state}, {} of {} real servers up",
                    r.servers_up, r.servers_total
                ),
            }
        }
        AlertEvent::Quorum(q) => {
            let (state, before) = if q.up { ("UP", "DOWN") } else { ("DOWN", "UP") };
            let (what, threshold) = if q.up {
                (
                    "Gained quorum",
                    u64::from(q.quorum) + u64::from(q.hysteresis),
                )
            } else {
                (
                    "Lost quorum",
                    u64::from(q.quorum.saturating_sub(q.hysteresis)),
                )
            };
            Mail {
                subject: format!("[{router_id}] Virtualserver {} - {state}", q.virtual_server),
                body: format!(
                    "=> {what} {}+{}={threshold} <= {} <=\n\nstate: {before} -> {state}",
                    q.quorum, q.hysteresis, q.weight
                ),
            }
        }
        // Never mailed (the daemon sends priority changes to FIFOs only); named for logs.
        AlertEvent::Priority(c) => Mail {
            subject: format!(
                "[{router_id}] VRRP Instance {} - priority {}",
                c.name, c.priority
            ),
            body: format!("priority now {}", c.priority),
        },
        AlertEvent::Operational(o) => Mail {
            subject: format!("[{router_id}] {} - revision {}", o.kind.title(), o.revision),
            body: format!("=> {} <=\n\n{}", o.kind.title(), o.detail),
        },
    }
}

fn instance_words(to: VrrpState) -> (&'static str, &'static str) {
    match to {
        VrrpState::Master => (
            "Entering MASTER state",
            "=> VRRP Instance is now owning VRRP VIPs <=",
        ),
        VrrpState::Backup => (
            "Entering BACKUP state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        VrrpState::Fault => (
            "Entering FAULT state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        VrrpState::Stop | VrrpState::Init => ("Stopping", "=> VRRP Instance stopping <="),
    }
}

fn group_words(to: VrrpState) -> (&'static str, &'static str) {
    match to {
        VrrpState::Master => (
            "Entering MASTER state",
            "=> All VRRP group instances are now in MASTER state <=",
        ),
        VrrpState::Backup => (
            "Entering BACKUP state",
            "=> All VRRP group instances are now in BACKUP state <=",
        ),
        VrrpState::Fault => (
            "Entering FAULT state",
            "=> All VRRP group instances are now in FAULT state <=",
        ),
        VrrpState::Stop | VrrpState::Init => (
            "Stopping",
            "=> All VRRP group instances are now stopping <=",
        ),
    }
}

/// The DATA of the message (headers, blank line, body), with CRLF line ends and lines
/// starting with a dot doubled (RFC 5321 §4.5.2), without the final `.` line.
pub fn message_data(mail: &Mail, from: &str, to: &[String], date: SystemTime) -> String {
    let mut out = format!(
        "Date: {}\r\nFrom: {from}\r\nSubject: {}\r\nX-Mailer: kac\r\nTo: {}\r\n\r\n",
        rfc5322_date(date),
        one_line(&mail.subject),
        to.join(", ")
    );
    for line in mail.body.lines() {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// `Mon, 30 Nov 2026 19:56:29 +0000` (UTC).
pub fn rfc5322_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[(days.rem_euclid(7)) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Year, month (1-12), day of the proleptic Gregorian calendar for days since 1970-01-01
/// (Howard Hinnant's well-known algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::event::InstanceChange;
    use std::time::Duration;

    #[test]
    fn dates_are_rfc5322() {
        let t = UNIX_EPOCH + Duration::from_secs(1_796_068_589);
        assert_eq!(rfc5322_date(t), "Mon, 30 Nov 2026 19:56:29 +0000");
        assert_eq!(rfc5322_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 +0000");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc5322_date(leap), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn vrrp_mail_says_host_instance_and_both_states() {
        let m = compose(
            "lb1",
            &AlertEvent::Instance(InstanceChange {
                name: "VI_1".into(),
                from: VrrpState::Backup,
                to: VrrpState::Master,
                priority: 150,
                initial: VrrpState::Backup,
                index: 1,
                vrid: 51,
                ifindex: 2,
                master_address: None,
            }),
        );
        assert_eq!(
            m.subject,
            "[lb1] VRRP Instance VI_1 - Entering MASTER state"
        );
        assert_eq!(
            m.body,
            "=> VRRP Instance is now owning VRRP VIPs <=\n\nstate: BACKUP -> MASTER, priority 150"
        );
    }

    #[test]
    fn dots_are_doubled_and_lines_end_in_crlf() {
        let m = Mail {
            subject: "s\r\nBcc: x".into(),
            body: ".hidden\nok".into(),
        };
        let d = message_data(&m, "a@b", &["c@d".into(), "e@f".into()], UNIX_EPOCH);
        assert!(d.contains("Subject: s  Bcc: x\r\n"), "{d}");
        assert!(d.contains("To: c@d, e@f\r\n\r\n..hidden\r\nok\r\n"), "{d}");
    }
}
