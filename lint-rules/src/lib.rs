//! kac's lint rules: findings keepalived itself never reports.
//!
//! One rule per file under [`rules`], each with its documentation in the doc comment of its
//! `check` function's module (What it does / Why is this bad / Example / Use instead). Rules
//! see only the schema types, so they work for every front end.
//!
//! This crate starts small (the lint issue grows it to the full library).

pub mod rules;
pub mod site_rules;

use kac_schema::Diagnostic;
use kac_schema::config::Config;

/// One lint rule.
pub struct Rule {
    /// Kebab-case name of the bad thing (the diagnostic code).
    pub name: &'static str,
    /// Default level of its findings.
    pub level: kac_schema::Severity,
    /// Documentation shown by `kac explain`.
    pub doc: &'static str,
    /// Checks one host's configuration.
    pub check: fn(&Config, &mut Vec<Diagnostic>),
}

/// Every rule, in name order.
pub fn registry() -> &'static [Rule] {
    rules::ALL
}

/// Runs every rule whose name passes `enabled` over one host's configuration.
pub fn run(config: &Config, enabled: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in registry() {
        if enabled(r.name) {
            (r.check)(config, &mut out);
        }
    }
    out
}

/// A time in µs as seconds, for messages.
pub(crate) fn secs(us: kac_schema::config::Micros) -> String {
    if us.is_multiple_of(1_000_000) {
        format!("{}s", us / 1_000_000)
    } else {
        format!("{}s", us as f64 / 1e6)
    }
}

/// The rule called `name`.
pub fn find(name: &str) -> Option<&'static Rule> {
    registry().iter().find(|r| r.name == name)
}

/// One host of a site, as the site rules see it.
pub struct HostConfig<'a> {
    /// The host's name (from the manifest, or the config id without one).
    pub host: &'a str,
    /// Its configuration.
    pub config: &'a Config,
}

/// A rule over the hosts of one site (see [`site_rules`] for which instances are peers).
pub struct SiteRule {
    /// Kebab-case name of the bad thing (the diagnostic code).
    pub name: &'static str,
    /// Default level of its findings.
    pub level: kac_schema::Severity,
    /// Documentation shown by `kac explain`.
    pub doc: &'static str,
    /// Checks every host of one site; each finding comes with the host it is reported on
    /// (its spans point into that host's configuration).
    pub check: fn(&[HostConfig<'_>], &mut Vec<(String, Diagnostic)>),
}

/// Every site rule, in name order.
pub fn site_registry() -> &'static [SiteRule] {
    site_rules::ALL
}

/// Runs every site rule whose name passes `enabled` over the hosts of one site; findings
/// come with the host they are reported on.
pub fn run_site(
    hosts: &[HostConfig<'_>],
    enabled: &dyn Fn(&str) -> bool,
) -> Vec<(String, Diagnostic)> {
    let mut out = Vec::new();
    for r in site_registry() {
        if enabled(r.name) {
            (r.check)(hosts, &mut out);
        }
    }
    out
}

/// The site rule called `name`.
pub fn find_site(name: &str) -> Option<&'static SiteRule> {
    site_registry().iter().find(|r| r.name == name)
}

/// The documentation of the rule (single-host or site) called `name`: its name, level and
/// documentation.
pub fn explain(name: &str) -> Option<(&'static str, kac_schema::Severity, &'static str)> {
    find(name)
        .map(|r| (r.name, r.level, r.doc))
        .or_else(|| find_site(name).map(|r| (r.name, r.level, r.doc)))
}

/// The names of every rule, single-host rules first, then site rules.
pub fn all_names() -> Vec<&'static str> {
    registry()
        .iter()
        .map(|r| r.name)
        .chain(site_registry().iter().map(|r| r.name))
        .collect()
}
