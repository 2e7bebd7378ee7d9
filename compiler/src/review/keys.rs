//! Stable keys of plan objects (how the two sides of a diff are matched) and the one-line
//! descriptions of added and removed objects.

use std::net::IpAddr;

use kac_schema::plan::{
    PlanAddress, PlanChecker, PlanRealServer, PlanRoute, PlanRule, PlanVirtualServer,
    PlanVrrpInstance, PlanVsKey,
};

/// `ADDRESS:PORT`, with IPv6 addresses in brackets.
pub fn endpoint(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// A virtual server's key: `ADDRESS:PORT PROTOCOL`, `fwmark N FAMILY` or `group NAME PROTOCOL`.
pub fn virtual_server(k: &PlanVsKey) -> String {
    match k {
        PlanVsKey::Addr {
            addr,
            port,
            protocol,
        } => format!("{} {protocol}", endpoint(*addr, *port)),
        PlanVsKey::Fwmark { fwmark, family } => format!("fwmark {fwmark} {family}"),
        PlanVsKey::Group { group, protocol } => format!("group {group} {protocol}"),
    }
}

/// A real server's key: `ADDRESS:PORT`.
pub fn real_server(r: &PlanRealServer) -> String {
    endpoint(r.addr, r.port)
}

/// A checker's key without its repeat number: `KIND ADDRESS:PORT`.
pub fn checker(c: &PlanChecker) -> String {
    format!("{} {}", c.kind, endpoint(c.connect_ip, c.connect_port))
}

/// A static address's key: `ADDRESS dev DEV`.
pub fn static_address(a: &PlanAddress) -> String {
    format!("{} dev {}", a.addr, a.dev)
}

/// A route's key: destination, then source, table and metric when they are set.
pub fn route(r: &PlanRoute) -> String {
    let mut s = r.dest.clone();
    if let Some(from) = &r.from {
        s.push_str(&format!(" from {from}"));
    }
    if r.table != "main" && r.table != "254" {
        s.push_str(&format!(" table {}", r.table));
    }
    if let Some(m) = r.metric {
        s.push_str(&format!(" metric {m}"));
    }
    s
}

/// A rule's key: family and preference, then its `from` and `to` selectors when set.
pub fn rule(r: &PlanRule) -> String {
    let mut s = format!("{} pref {}", r.family, r.preference);
    if let Some(from) = &r.from {
        s.push_str(&format!(" from {from}"));
    }
    if let Some(to) = &r.to {
        s.push_str(&format!(" to {to}"));
    }
    s
}

/// `ADDRESS/LEN dev DEV`.
pub fn address_summary(a: &PlanAddress) -> String {
    format!("{}/{} dev {}", a.addr, a.prefix_len, a.dev)
}

/// What a route does: `via GW dev DEV`, or its type.
pub fn route_summary(r: &PlanRoute) -> String {
    let mut parts = Vec::new();
    if r.kind != "unicast" {
        parts.push(r.kind.clone());
    }
    if let Some(v) = r.via {
        parts.push(format!("via {v}"));
    }
    if let Some(d) = &r.dev {
        parts.push(format!("dev {d}"));
    }
    if !r.nexthops.is_empty() {
        parts.push(format!("{} next hops", r.nexthops.len()));
    }
    parts.join(" ")
}

/// What a rule does: `lookup TABLE`, or its action.
pub fn rule_summary(r: &PlanRule) -> String {
    match (&r.table, &r.action) {
        (Some(t), _) => format!("lookup {t}"),
        (None, Some(a)) => a.clone(),
        (None, None) => String::new(),
    }
}

/// `VRID N on DEV, priority P, K VIP(s)`.
pub fn instance_summary(i: &PlanVrrpInstance) -> String {
    let on = i
        .interface
        .as_ref()
        .map_or_else(String::new, |d| format!(" on {d}"));
    let vips = i
        .vips
        .iter()
        .map(|v| format!("{}/{}", v.addr, v.prefix_len))
        .collect::<Vec<_>>();
    let vips = if vips.is_empty() {
        "no VIP".to_string()
    } else {
        format!("VIPs {}", vips.join(", "))
    };
    format!(
        "VRID {}{on}, {}, priority {}, {vips}",
        i.vrid, i.state, i.priority
    )
}

/// `SCHEDULER LB_KIND, N real server(s)`.
pub fn virtual_server_summary(v: &PlanVirtualServer) -> String {
    let n = v.real_servers.len();
    format!(
        "{} {}, {n} real server{}",
        v.scheduler,
        v.lb_kind,
        if n == 1 { "" } else { "s" }
    )
}

/// `weight W, CHECKER…`.
pub fn real_server_summary(r: &PlanRealServer) -> String {
    let mut s = format!("weight {}", r.weight);
    for c in &r.checkers {
        s.push_str(&format!(", {}", c.kind));
    }
    s
}

/// `every Ns, N retries`.
pub fn checker_summary(c: &PlanChecker) -> String {
    format!(
        "every {}, {} retr{}",
        seconds_us(c.delay_loop_us),
        c.retry,
        if c.retry == 1 { "y" } else { "ies" }
    )
}

/// How a secret (a VRRP password) is shown: `password #1a2b`, a short stable fingerprint
/// (FNV-1a folded to 16 bits) that tells two passwords apart without showing them.
pub fn secret_text(secret: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in secret.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("password #{:04x}", (h >> 16) ^ (h & 0xffff))
}

/// Replaces every secret in a serialized plan object (`auth.pass`) by [`secret_text`], so that
/// plans pasted into pull requests do not carry VRRP passwords.
pub fn hide_secrets(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "auth"
                    && let Some(serde_json::Value::String(p)) = x.get_mut("pass")
                {
                    *p = secret_text(p);
                }
                hide_secrets(x);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(hide_secrets),
        _ => {}
    }
}

/// Microseconds as seconds (`1s`, `0.5s`).
pub fn seconds_us(us: u64) -> String {
    if us.is_multiple_of(1_000_000) {
        format!("{}s", us / 1_000_000)
    } else {
        let s = format!("{:.6}", us as f64 / 1e6);
        format!("{}s", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_bracket_ipv6() {
        assert_eq!(
            endpoint("10.0.0.1".parse().expect("address"), 80),
            "10.0.0.1:80"
        );
        assert_eq!(
            endpoint("2001:db8::1".parse().expect("address"), 80),
            "[2001:db8::1]:80"
        );
    }

    #[test]
    fn seconds_drop_trailing_zeros() {
        assert_eq!(seconds_us(1_000_000), "1s");
        assert_eq!(seconds_us(500_000), "0.5s");
        assert_eq!(seconds_us(1_250_000), "1.25s");
    }
}
