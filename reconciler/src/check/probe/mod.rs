//! One check of one endpoint: the part of a health checker that connects, asks and says up
//! or down. Scheduling (delay_loop, retry, warmup, alpha), per-real-server state and what
//! IPVS receives are the engine's job, not this module's.
//!
//! [`ProbeSpec::from_plan`] builds, once per checker, everything a check needs from the plan
//! (addresses resolved, status ranges parsed, TLS configuration shared); [`probe`] runs one
//! attempt, bounded by the checker's timeout, and never panics.
//!
//! One file per checker type: [`tcp`] (`TCP_CHECK`), [`http`] (`HTTP_GET`, `SSL_GET`, with
//! [`tls`]), [`smtp`] (`SMTP_CHECK`), [`dns`] (`DNS_CHECK`), [`misc`] (`MISC_CHECK`),
//! [`ping`] (`PING_CHECK`), [`udp`] (`UDP_CHECK`), [`file`] (`FILE_CHECK`). The sockets of
//! every type are made by [`socket`] (bindto, bind_port, bind_if, fwmark).

pub mod dns;
pub mod file;
pub mod http;
pub mod misc;
pub mod ping;
pub mod smtp;
pub mod socket;
pub mod tcp;
pub mod tls;
pub mod udp;

use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use kac_schema::plan::{MachineValue, PlanChecker, PlanRealServer, PlanVirtualServer};

use crate::script::RunAs;

/// The result of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The endpoint passed.
    Up,
    /// The endpoint passed and sets the real server's weight (`MISC_CHECK` with
    /// `misc_dynamic`, `FILE_CHECK`).
    UpWithWeight(u32),
    /// The endpoint failed.
    Down {
        /// Why, for logs and `kac status` ("connection refused", "status 500 not in 200-299").
        reason: String,
    },
}

impl Outcome {
    /// A failure with `reason`.
    pub fn down(reason: impl Into<String>) -> Outcome {
        Outcome::Down {
            reason: reason.into(),
        }
    }

    /// Whether the check passed.
    pub fn is_up(&self) -> bool {
        !matches!(self, Outcome::Down { .. })
    }
}

/// A checker in the plan that cannot be turned into a probe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeConfigError {
    /// The checker type has no probe (`BFD_CHECK`, or a type this build does not know).
    #[error("{0} is not supported by kac's health checker")]
    UnsupportedKind(String),
    /// A kind-specific parameter is missing or malformed.
    #[error("{kind}: bad `{param}`: {reason}")]
    BadParam {
        /// The checker type.
        kind: String,
        /// The parameter.
        param: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Where a check connects from and to (keepalived's common connection keywords).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// `connect_ip`:`connect_port` (defaults: the real server's).
    pub connect: SocketAddr,
    /// `bindto`: the source address.
    pub bindto: Option<IpAddr>,
    /// `bind_port`: the source port.
    pub bind_port: Option<u16>,
    /// `bind_if`: the interface the socket is bound to (SO_BINDTODEVICE; needed for IPv6
    /// link-local addresses).
    pub bind_if: Option<String>,
    /// `fwmark`: SO_MARK of the check's packets.
    pub fwmark: Option<u32>,
}

/// What kind of check, with its kind-specific configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ProbeKind {
    /// `TCP_CHECK`: the connection is accepted.
    Tcp,
    /// `HTTP_GET` / `SSL_GET`.
    Http(http::HttpSpec),
    /// `SMTP_CHECK` with its `helo_name`.
    Smtp {
        /// `helo_name`.
        helo_name: String,
    },
    /// `DNS_CHECK`.
    Dns(dns::DnsSpec),
    /// `MISC_CHECK`.
    Misc(misc::MiscSpec),
    /// `PING_CHECK`.
    Ping,
    /// `UDP_CHECK`.
    Udp(udp::UdpSpec),
    /// `FILE_CHECK`.
    File(file::FileSpec),
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SpecInner {
    endpoint: Endpoint,
    timeout: Duration,
    kind: ProbeKind,
}

/// Everything one check needs, built once per checker from the plan; cheap to clone.
#[derive(Clone, Debug)]
pub struct ProbeSpec {
    inner: Arc<SpecInner>,
}

/// Equal for identical checks of the same endpoint (same type, configuration, source and
/// timeout), so the engine can run them once per interval.
#[derive(Clone, Debug)]
pub struct DedupeKey(Arc<SpecInner>);

impl PartialEq for DedupeKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for DedupeKey {}

impl Hash for DedupeKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl ProbeSpec {
    /// The probe of `checker`, a checker of real server `rs` in virtual server `vs`.
    pub fn from_plan(
        checker: &PlanChecker,
        rs: &PlanRealServer,
        _vs: &PlanVirtualServer,
    ) -> Result<ProbeSpec, ProbeConfigError> {
        let endpoint = Endpoint {
            connect: SocketAddr::new(checker.connect_ip, checker.connect_port),
            bindto: checker.bindto,
            bind_port: checker.bind_port,
            bind_if: checker.bind_if.clone(),
            fwmark: checker.fwmark,
        };
        let mut timeout = Duration::from_micros(checker.connect_timeout_us);
        let p = Params(checker);
        let kind = match &*checker.kind {
            "TCP_CHECK" => ProbeKind::Tcp,
            "PING_CHECK" => ProbeKind::Ping,
            "HTTP_GET" | "SSL_GET" => ProbeKind::Http(p.http(checker.kind == "SSL_GET")?),
            "SMTP_CHECK" => ProbeKind::Smtp {
                helo_name: p
                    .get("helo_name")
                    .unwrap_or("smtpchecker.keepalived.org")
                    .to_string(),
            },
            "DNS_CHECK" => ProbeKind::Dns(
                dns::DnsSpec::new(p.get("type").unwrap_or("SOA"), p.get("name").unwrap_or("."))
                    .map_err(|r| p.bad("name", r))?,
            ),
            "MISC_CHECK" => {
                let (spec, misc_timeout) = p.misc()?;
                timeout = misc_timeout;
                ProbeKind::Misc(spec)
            }
            "UDP_CHECK" => ProbeKind::Udp(p.udp()?),
            "FILE_CHECK" => ProbeKind::File(file::FileSpec {
                path: p
                    .get("file")
                    .ok_or_else(|| p.bad("track_file", "the tracked file has no `file`"))?
                    .into(),
                weight: p.parse("weight")?.unwrap_or(1),
                reverse: p.parse("reverse")?.unwrap_or(false),
                base_weight: rs.weight,
            }),
            other => return Err(ProbeConfigError::UnsupportedKind(other.to_string())),
        };
        Ok(ProbeSpec::new(endpoint, timeout, kind))
    }

    /// A probe from its parts (tests and tools such as `kac genhash`).
    pub fn new(endpoint: Endpoint, timeout: Duration, kind: ProbeKind) -> ProbeSpec {
        ProbeSpec {
            inner: Arc::new(SpecInner {
                endpoint,
                timeout,
                kind,
            }),
        }
    }

    /// Where the check connects.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The bound of one attempt (`connect_timeout`; `misc_timeout` for `MISC_CHECK`).
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The kind and its configuration.
    pub fn kind(&self) -> &ProbeKind {
        &self.inner.kind
    }

    /// A key equal for identical checks of the same endpoint (dedupe).
    pub fn dedupe_key(&self) -> DedupeKey {
        DedupeKey(Arc::clone(&self.inner))
    }
}

/// Runs one attempt of `spec`, bounded by its timeout. Never panics; every failure, the
/// timeout included, is a [`Outcome::Down`] with its reason.
pub async fn probe(spec: &ProbeSpec) -> Outcome {
    let timeout = spec.timeout();
    let endpoint = spec.endpoint();
    match spec.kind() {
        // These bound their own waits: per url, or because silence is an answer.
        ProbeKind::Http(h) => http::check(endpoint, h, timeout).await,
        ProbeKind::Udp(u) => udp::check(endpoint, u, timeout).await,
        ProbeKind::Misc(m) => misc::check(m, timeout).await,
        ProbeKind::File(f) => file::check(f).await,
        ProbeKind::Tcp => bounded(timeout, tcp::check(endpoint)).await,
        ProbeKind::Smtp { helo_name } => bounded(timeout, smtp::check(endpoint, helo_name)).await,
        ProbeKind::Dns(d) => bounded(timeout, dns::check(endpoint, d)).await,
        ProbeKind::Ping => bounded(timeout, ping::check(endpoint)).await,
    }
}

/// `attempt`, or down with a timeout reason after `timeout`.
async fn bounded(timeout: Duration, attempt: impl Future<Output = Outcome>) -> Outcome {
    match tokio::time::timeout(timeout, attempt).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::down(format!("timeout after {}", fmt_duration(timeout))),
    }
}

/// A checker's kind-specific parameters (the plan's flat `params` map).
struct Params<'a>(&'a PlanChecker);

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.params.get(name).map(String::as_str)
    }

    fn bad(&self, param: &str, reason: impl Into<String>) -> ProbeConfigError {
        ProbeConfigError::BadParam {
            kind: self.0.kind.to_string(),
            param: param.to_string(),
            reason: reason.into(),
        }
    }

    fn parse<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ProbeConfigError> {
        self.get(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| self.bad(name, format!("`{v}` is not valid")))
            })
            .transpose()
    }

    fn http(&self, tls: bool) -> Result<http::HttpSpec, ProbeConfigError> {
        let mut urls = Vec::new();
        for n in 0.. {
            let key = |k: &str| format!("url{n}.{k}");
            let Some(path) = self.get(&key("path")) else {
                break;
            };
            if self.get(&key("regex")).is_some() {
                // keepalived matches the body against a PCRE2 pattern (with `regex_options`,
                // offsets and a match stack); kac has no PCRE engine and does not guess.
                return Err(self.bad(
                    "regex",
                    "matching the body against a PCRE pattern (`regex`, `regex_no_match`) is \
                     not implemented by kac's checker; check the body with `digest`, or remove \
                     the regex",
                ));
            }
            let status = match self.get(&key("status_code")) {
                None => vec![(200, 299)],
                Some(codes) => {
                    parse_status_ranges(codes).map_err(|r| self.bad("status_code", r))?
                }
            };
            let digest = self
                .get(&key("digest"))
                .map(|d| {
                    parse_digest(d)
                        .ok_or_else(|| self.bad("digest", format!("`{d}` is not 32 hex digits")))
                })
                .transpose()?;
            urls.push(http::UrlSpec {
                path: path.to_string(),
                status,
                digest,
                virtualhost: self.get(&key("virtualhost")).map(str::to_string),
            });
        }
        let protocol = match self.get("http_protocol") {
            None => http::HttpProtocol::Http10,
            Some(v) => http::HttpProtocol::parse(v).ok_or_else(|| {
                self.bad("http_protocol", format!("`{v}` is not 1.0, 1.0C or 1.1"))
            })?,
        };
        let tls = if tls {
            if self.get("ssl.password").is_some() {
                return Err(self.bad(
                    "SSL password",
                    "encrypted client keys are not supported; give an unencrypted key",
                ));
            }
            let identity = match (self.get("ssl.certificate"), self.get("ssl.key")) {
                (Some(c), Some(k)) => Some(tls::ClientIdentity {
                    certificate: c.into(),
                    key: k.into(),
                }),
                // keepalived takes the key from the certificate file when none is given.
                (Some(c), None) => Some(tls::ClientIdentity {
                    certificate: c.into(),
                    key: c.into(),
                }),
                _ => None,
            };
            let config = tls::client_config(identity.as_ref())
                .map_err(|e| self.bad("SSL", e.to_string()))?;
            Some(http::TlsSpec {
                sni: self.parse("enable_sni")?.unwrap_or(false),
                identity,
                config,
            })
        } else {
            None
        };
        Ok(http::HttpSpec {
            urls,
            protocol,
            tls,
        })
    }

    fn misc(&self) -> Result<(misc::MiscSpec, Duration), ProbeConfigError> {
        let argv = self
            .0
            .argv
            .clone()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| self.bad("misc_path", "no script"))?;
        let script_security = self.parse("script_security")?.unwrap_or(false);
        let user = match self.get("user") {
            // keepalived's default script user: `keepalived_script` when it exists, else
            // the daemon's own user (root) unless `enable_script_security` forbids it.
            None => MachineValue::DefaultScriptUser,
            Some(u) => MachineValue::Set(match self.get("group") {
                Some(g) => format!("{u}:{g}"),
                None => u.to_string(),
            }),
        };
        let run_as =
            RunAs::resolve(&user, script_security).map_err(|e| self.bad("user", e.to_string()))?;
        let secs: u64 = self.parse("misc_timeout_s")?.unwrap_or(0);
        let timeout = if secs == 0 {
            Duration::from_micros(self.0.delay_loop_us)
        } else {
            Duration::from_secs(secs)
        };
        Ok((
            misc::MiscSpec {
                argv,
                dynamic: self.parse("misc_dynamic")?.unwrap_or(false),
                run_as,
                script_security,
            },
            timeout,
        ))
    }

    fn udp(&self) -> Result<udp::UdpSpec, ProbeConfigError> {
        let payload = match self.get("payload") {
            None => Vec::new(),
            Some(h) => udp::parse_hex(h, false)
                .map_err(|r| self.bad("payload", r))?
                .into_iter()
                .map(|(b, _)| b)
                .collect(),
        };
        let reply = self
            .get("require_reply")
            .map(|h| udp::parse_hex(h, true).map_err(|r| self.bad("require_reply", r)))
            .transpose()?;
        Ok(udp::UdpSpec {
            payload,
            reply,
            min_len: self.parse("min_reply_length")?.unwrap_or(0),
            max_len: self.parse("max_reply_length")?.unwrap_or(255),
        })
    }
}

/// `200-299,301`: inclusive status code ranges.
pub fn parse_status_ranges(s: &str) -> Result<Vec<(u16, u16)>, String> {
    s.split([',', ' '])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (a, b) = p.split_once('-').unwrap_or((p, p));
            match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
                (Ok(a), Ok(b)) if a <= b => Ok((a, b)),
                _ => Err(format!("`{p}` is not a status code or range")),
            }
        })
        .collect()
}

/// 32 hex digits as 16 bytes.
pub fn parse_digest(s: &str) -> Option<[u8; 16]> {
    let s = s.trim();
    if s.len() != 32 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// `1.5s`, `200ms`: durations in reasons.
fn fmt_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}
