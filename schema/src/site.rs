//! The site manifest: which hosts a repository configures (`kac.kdl` or `kac.yaml`).
//!
//! A site is the nearest directory, walking up from a linted path, that holds a manifest. The
//! manifest names every host, with the config file it runs (relative to the manifest), its
//! keepalived config id (the `@id` of `keepalived -i`), optionally its interfaces and their
//! subnets, and where absolute include paths (`/etc/keepalived/…`) live in the repository.
//!
//! This module is pure data. The serde form is the YAML form of the manifest (`site`,
//! `path_map`, `hosts`), so `schemars::schema_for!(Manifest)` documents `kac.yaml`. Spans point
//! into the manifest file for diagnostics; they are not serialized and are not part of equality,
//! so a KDL and a YAML manifest that say the same thing compare equal.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::span::Span;

/// The file names a manifest may have, in the order they are looked for.
pub const MANIFEST_FILE_NAMES: [&str; 2] = ["kac.kdl", "kac.yaml"];

/// A site manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Name of the site (informational; shown in messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Where absolute paths that configs expect on the host live in the repository: a map from
    /// the path on the host (`/etc/keepalived`) to a directory relative to the manifest (`lb`).
    /// The longest matching host path wins.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "path_map_as_map"
    )]
    #[schemars(with = "BTreeMap<String, String>")]
    pub path_map: Vec<PathMapping>,
    /// The hosts of the site, in the order written.
    pub hosts: Vec<Host>,
    /// Which lint rules run on the site, and at what level (see docs/lint.md).
    #[serde(default, skip_serializing_if = "LintSettings::is_empty")]
    pub lint: LintSettings,
}

/// The `lint` settings of a site: rule selection and levels for `kac lint`.
///
/// Names are rule names (`peer-vrid-mismatch`) or diagnostic codes and their prefixes
/// (`kac::conf`, `kac::conf::deprecated`). A finding is reported when its code passes
/// `select` (every code when `select` is empty) and no `ignore` entry; `levels` then sets
/// its level. `kac lint --select` replaces `select` and `ignore`; `--ignore` adds to `ignore`.
#[derive(Clone, Debug, Default, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintSettings {
    /// Only these rules and codes run (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select: Vec<String>,
    /// These rules and codes never run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// The level of a rule's findings, instead of its default level.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub levels: BTreeMap<String, RuleLevel>,
    /// Where each name is written (for "no such rule" diagnostics), in the order written.
    #[serde(skip)]
    pub spans: Vec<(String, Span)>,
}

impl LintSettings {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.select.is_empty() && self.ignore.is_empty() && self.levels.is_empty()
    }
}

impl PartialEq for LintSettings {
    fn eq(&self, other: &Self) -> bool {
        self.select == other.select && self.ignore == other.ignore && self.levels == other.levels
    }
}

/// The level a site gives a lint rule's findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    /// The finding fails `kac lint` (exit 1).
    Error,
    /// The finding is reported; it fails `kac lint` only with `--deny-warnings`.
    Warning,
}

impl RuleLevel {
    /// The severity of findings at this level.
    pub fn severity(self) -> crate::Severity {
        match self {
            RuleLevel::Error => crate::Severity::Error,
            RuleLevel::Warning => crate::Severity::Warning,
        }
    }

    /// The level named `s` (`error`, `warning`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "error" => Some(RuleLevel::Error),
            "warning" => Some(RuleLevel::Warning),
            _ => None,
        }
    }
}

impl Manifest {
    /// The host named `name`, if any.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// The host names, in the order written.
    pub fn host_names(&self) -> Vec<&str> {
        self.hosts.iter().map(|h| h.name.as_str()).collect()
    }
}

/// One entry of [`Manifest::path_map`].
#[derive(Clone, Debug, Default, Eq)]
pub struct PathMapping {
    /// The absolute path configs use on the host (`/etc/keepalived`).
    pub host_path: String,
    /// The directory in the repository, relative to the manifest (`lb`).
    pub repo_dir: String,
    /// Where the entry is written.
    pub span: Span,
}

impl PartialEq for PathMapping {
    fn eq(&self, other: &Self) -> bool {
        self.host_path == other.host_path && self.repo_dir == other.repo_dir
    }
}

/// (De)serializes the path map as a map from host path to repository directory.
mod path_map_as_map {
    use std::collections::BTreeMap;

    use serde::ser::SerializeMap;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::PathMapping;

    pub fn serialize<S: Serializer>(v: &[PathMapping], s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(v.len()))?;
        for e in v {
            m.serialize_entry(&e.host_path, &e.repo_dir)?;
        }
        m.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathMapping>, D::Error> {
        let m = BTreeMap::<String, String>::deserialize(d)?;
        Ok(m.into_iter()
            .map(|(host_path, repo_dir)| PathMapping {
                host_path,
                repo_dir,
                span: Default::default(),
            })
            .collect())
    }
}

/// One host of the site.
#[derive(Clone, Debug, Default, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// The host name (unique in the site; recorded in its plan, shown with its findings).
    pub name: String,
    /// Its entry config file (keepalived.conf), relative to the manifest.
    pub config: String,
    /// The config id for `@id` lines (keepalived's `-i`); the host name when not written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_id: Option<String>,
    /// The host's network interfaces, when the manifest lists them; every interface the
    /// configuration names must then be one of these. `None`: not listed, not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interfaces: Option<Vec<Interface>>,
    /// Where the host and its values are written.
    #[serde(skip)]
    pub spans: HostSpans,
}

impl Host {
    /// The config id: the one written, else the host name.
    pub fn config_id(&self) -> &str {
        self.config_id.as_deref().unwrap_or(&self.name)
    }

    /// The names of the listed interfaces (`None` when the manifest lists none).
    pub fn interface_names(&self) -> Option<Vec<String>> {
        self.interfaces
            .as_ref()
            .map(|l| l.iter().map(|i| i.name.clone()).collect())
    }
}

impl PartialEq for Host {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.config == other.config
            && self.config_id == other.config_id
            && self.interfaces == other.interfaces
    }
}

/// Where a [`Host`] and its values are written in the manifest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostSpans {
    /// The whole host (KDL node or YAML mapping).
    pub host: Span,
    /// The host name.
    pub name: Span,
    /// The `config` value.
    pub config: Span,
    /// The `config-id`/`config_id` value, when written.
    pub config_id: Option<Span>,
}

/// A network interface of a host.
#[derive(Clone, Debug, Default, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    /// Its name (`eth0`).
    pub name: String,
    /// The subnets on it, as CIDR (`192.0.2.0/24`, `2001:db8::/64`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub subnets: Vec<Subnet>,
    /// Where the interface's name is written.
    #[serde(skip)]
    pub span: Span,
}

impl PartialEq for Interface {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.subnets == other.subnets
    }
}

/// A subnet in CIDR notation. The address is kept as written (host bits may be set, as in
/// `192.0.2.5/24`, the host's own address on the subnet).
#[derive(Clone, Copy, Debug, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Subnet {
    /// The address.
    pub addr: IpAddr,
    /// The prefix length (at most 32 for IPv4, 128 for IPv6).
    pub prefix_len: u8,
    /// Where it is written.
    pub span: Span,
}

impl Subnet {
    /// Whether `addr` is inside the subnet (same family, same first `prefix_len` bits).
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.addr, addr) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let bits = u32::from(self.prefix_len.min(32));
                let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let bits = u32::from(self.prefix_len.min(128));
                let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl PartialEq for Subnet {
    fn eq(&self, other: &Self) -> bool {
        self.addr == other.addr && self.prefix_len == other.prefix_len
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

/// Why a string is not a [`Subnet`] (the text completes "… is not a subnet: ").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubnetError {
    /// No `/LEN` after the address.
    MissingPrefix,
    /// The part before `/` is not an IPv4 or IPv6 address.
    InvalidAddress,
    /// The prefix length is not a number, or too long for the family (the maximum).
    InvalidPrefix(u8),
}

impl fmt::Display for SubnetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubnetError::MissingPrefix => f.write_str("the prefix length `/LEN` is missing"),
            SubnetError::InvalidAddress => f.write_str("not an IPv4 or IPv6 address"),
            SubnetError::InvalidPrefix(max) => {
                write!(f, "the prefix length must be a number from 0 to {max}")
            }
        }
    }
}

impl FromStr for Subnet {
    type Err = SubnetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, l) = s.split_once('/').ok_or(SubnetError::MissingPrefix)?;
        let addr: IpAddr = a.parse().map_err(|_| SubnetError::InvalidAddress)?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix_len = match l.parse::<u8>() {
            Ok(n) if n <= max && !l.starts_with('+') => n,
            _ => return Err(SubnetError::InvalidPrefix(max)),
        };
        Ok(Subnet {
            addr,
            prefix_len,
            span: Span::default(),
        })
    }
}

impl From<Subnet> for String {
    fn from(s: Subnet) -> String {
        s.to_string()
    }
}

impl TryFrom<String> for Subnet {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
            .map_err(|e: SubnetError| format!("`{s}` is not a subnet: {e}"))
    }
}

/// The JSON Schema of [`Manifest`] (the YAML form, `kac.yaml`), pretty-printed.
pub fn manifest_schema_json() -> String {
    let schema = schemars::schema_for!(Manifest);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_parse_and_contain() {
        let s: Subnet = "192.0.2.0/24".parse().expect("valid");
        assert!(s.contains("192.0.2.77".parse().expect("ip")));
        assert!(!s.contains("192.0.3.1".parse().expect("ip")));
        let s6: Subnet = "2001:db8::/64".parse().expect("valid");
        assert!(s6.contains("2001:db8::5".parse().expect("ip")));
        assert!(!s6.contains("192.0.2.1".parse().expect("ip")));
        let all: Subnet = "0.0.0.0/0".parse().expect("valid");
        assert!(all.contains("198.51.100.1".parse().expect("ip")));
        assert_eq!(
            "192.0.2.0".parse::<Subnet>(),
            Err(SubnetError::MissingPrefix)
        );
        assert_eq!(
            "192.0.2.0/33".parse::<Subnet>(),
            Err(SubnetError::InvalidPrefix(32))
        );
        assert_eq!(
            "eth0/24".parse::<Subnet>(),
            Err(SubnetError::InvalidAddress)
        );
    }

    #[test]
    fn serde_form_is_the_yaml_form() {
        let m = Manifest {
            site: Some("dc1".into()),
            path_map: vec![PathMapping {
                host_path: "/etc/keepalived".into(),
                repo_dir: "lb".into(),
                span: Span::default(),
            }],
            hosts: vec![Host {
                name: "lb1".into(),
                config: "lb/keepalived.conf".into(),
                config_id: None,
                interfaces: Some(vec![Interface {
                    name: "eth0".into(),
                    subnets: vec!["192.0.2.0/24".parse().expect("valid")],
                    span: Span::default(),
                }]),
                spans: HostSpans::default(),
            }],
            lint: LintSettings::default(),
        };
        let json = serde_json::to_value(&m).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({
                "site": "dc1",
                "path_map": {"/etc/keepalived": "lb"},
                "hosts": [{"name": "lb1", "config": "lb/keepalived.conf",
                           "interfaces": [{"name": "eth0", "subnets": ["192.0.2.0/24"]}]}]
            })
        );
        let back: Manifest = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, m);
        assert_eq!(m.hosts[0].config_id(), "lb1");
        assert!(manifest_schema_json().contains("path_map"));
    }
}
