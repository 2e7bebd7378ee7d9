//! kac's lint rules: findings keepalived itself never reports, and names for the ones it does.
//!
//! One rule per file under [`rules`] (one host) and [`site_rules`] (across the hosts of a
//! site), each with its documentation (What it does / Why is this bad / Example / Use instead /
//! References) that becomes `kac explain` and the generated RULES.md. Rules see only the
//! schema types (the configuration model, the site manifest's interfaces, diagnostics), so
//! they work for every front end.
//!
//! How a host is linted ([`HostLinter`]): each virtual server is handed to the rules as it
//! closes ([`Rule::virtual_server`]; large configurations are never held in memory), then the
//! rules see the whole configuration ([`Rule::config`]) and the front end's diagnostics
//! ([`Rule::front_end`]: problems keepalived reports itself are reported under the rule's name).
//! [`finish_site`] then runs the site rules and applies the [`Selection`] (rule selection and
//! levels) and the inline suppressions (`# kac: allow(rule)`, see [`suppress`]).

pub mod rules;
mod scripts;
pub mod site_rules;
pub mod suppress;

use std::collections::BTreeMap;

use kac_schema::config::{Config, VirtualServer, VsAddress};
use kac_schema::site::Interface;
use kac_schema::{Diagnostic, Severity, Span};

/// What a host's manifest entry and repository tell the rules, known before parsing.
#[derive(Clone, Copy, Default)]
pub struct Facts<'a> {
    /// The host's name (from the manifest, or the config id without one).
    pub host: Option<&'a str>,
    /// The host's interfaces as the site manifest lists them (`None`: not listed).
    pub interfaces: Option<&'a [Interface]>,
    /// The repository's copies of the files the host runs (`None`: no site with a path map).
    pub repo: Option<&'a dyn Repo>,
}

/// The repository a site lives in, as the rules may see it (the binary reads the files).
/// `Sync`: the virtual-server rules run on their own thread while the parser reads on.
pub trait Repo: Sync {
    /// The repository file that is `host_path` on the host (through the site's path map), if
    /// the repository holds it.
    fn file(&self, host_path: &str) -> Option<RepoFile>;
}

/// A file of the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoFile {
    /// Its path as shown in messages.
    pub shown: String,
    /// Its permission bits (`0o777` mask).
    pub mode: u32,
}

/// What a rule needs beyond the configuration to run at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: it always runs.
    Nothing,
    /// The host's interfaces from the site manifest.
    Interfaces,
    /// The subnets of the host's interfaces from the site manifest.
    Subnets,
    /// A site whose path map places the host's files in the repository.
    Repository,
}

impl Needs {
    /// Why a rule with these needs does not run for a host with `facts`, if it does not.
    pub fn unmet(self, facts: &Facts<'_>) -> Option<&'static str> {
        match self {
            Needs::Nothing => None,
            Needs::Interfaces if facts.interfaces.is_none() => {
                Some("the site manifest lists no interfaces for this host")
            }
            Needs::Subnets
                if !facts
                    .interfaces
                    .is_some_and(|l| l.iter().any(|i| !i.subnets.is_empty())) =>
            {
                Some("the site manifest lists no subnets for this host's interfaces")
            }
            Needs::Repository if facts.repo.is_none() => {
                Some("no site manifest with a path map places this host's files in the repository")
            }
            _ => None,
        }
    }
}

/// Everything a configuration-wide check sees.
pub struct Context<'a> {
    /// The host's facts.
    pub facts: &'a Facts<'a>,
    /// Its configuration (virtual servers were handed to [`Rule::virtual_server`] already;
    /// [`Config::virtual_servers`] may hold some or none of them).
    pub config: &'a Config,
    /// Every virtual server of the configuration, in file order, by key.
    pub services: &'a [Service],
}

/// A virtual server as the configuration-wide checks see it (the key and where it is).
#[derive(Clone, Debug)]
pub struct Service {
    /// Address, fwmark or group, and where it is written.
    pub address: kac_schema::config::Spanned<VsAddress>,
    /// The protocol as written.
    pub protocol: Option<kac_schema::config::Protocol>,
    /// `ip_family`, else the family of the first real server (fwmark services).
    pub family: Option<kac_schema::config::Family>,
}

/// A check over a whole configuration.
pub type ConfigCheck = fn(&Context<'_>, &mut Vec<Diagnostic>);
/// A check over one virtual server, run as its block closes.
pub type VirtualServerCheck = fn(&Facts<'_>, &VirtualServer, &mut Vec<Diagnostic>);
/// Whether a front-end diagnostic is the problem a rule names.
pub type FrontEndMatch = fn(&Diagnostic) -> bool;

/// One lint rule over one host.
pub struct Rule {
    /// Kebab-case name of the bad thing (the diagnostic code).
    pub name: &'static str,
    /// Default level of its findings.
    pub level: Severity,
    /// Documentation shown by `kac explain`.
    pub doc: &'static str,
    /// What it needs to run.
    pub needs: Needs,
    /// Its check of the whole configuration.
    pub config: Option<ConfigCheck>,
    /// Its check of each virtual server.
    pub virtual_server: Option<VirtualServerCheck>,
    /// The front-end diagnostics it names: keepalived reports these itself, and `kac lint`
    /// shows them under the rule's name (with its level, suppression and documentation).
    pub front_end: Option<FrontEndMatch>,
}

impl Rule {
    /// A rule checking the whole configuration.
    pub const fn config(
        name: &'static str,
        level: Severity,
        doc: &'static str,
        check: ConfigCheck,
    ) -> Rule {
        Rule {
            name,
            level,
            doc,
            needs: Needs::Nothing,
            config: Some(check),
            virtual_server: None,
            front_end: None,
        }
    }

    /// A rule checking each virtual server.
    pub const fn virtual_server(
        name: &'static str,
        level: Severity,
        doc: &'static str,
        check: VirtualServerCheck,
    ) -> Rule {
        Rule {
            name,
            level,
            doc,
            needs: Needs::Nothing,
            config: None,
            virtual_server: Some(check),
            front_end: None,
        }
    }

    /// A rule naming front-end diagnostics.
    pub const fn front_end(
        name: &'static str,
        level: Severity,
        doc: &'static str,
        matches: FrontEndMatch,
    ) -> Rule {
        Rule {
            name,
            level,
            doc,
            needs: Needs::Nothing,
            config: None,
            virtual_server: None,
            front_end: Some(matches),
        }
    }

    /// The same rule with `needs`.
    pub const fn needing(mut self, needs: Needs) -> Rule {
        self.needs = needs;
        self
    }

    /// The same rule also checking each virtual server.
    pub const fn and_virtual_server(mut self, check: VirtualServerCheck) -> Rule {
        self.virtual_server = Some(check);
        self
    }
}

/// Every rule, in name order.
pub fn registry() -> &'static [Rule] {
    rules::ALL
}

/// The rule called `name`.
pub fn find(name: &str) -> Option<&'static Rule> {
    registry().iter().find(|r| r.name == name)
}

/// A time in µs as seconds, for messages.
pub(crate) fn secs(us: kac_schema::config::Micros) -> Secs {
    Secs(us)
}

/// A time in µs shown in seconds (`6s`, `0.5s`), formatted where it is written (no
/// allocation of its own: rules may report it for each of thousands of checkers).
pub(crate) struct Secs(kac_schema::config::Micros);

impl std::fmt::Display for Secs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_multiple_of(1_000_000) {
            // Whole seconds, the usual case, written without a nested `write!` (a rule may
            // format this for each of 200,000 checkers).
            f.write_str(itoa::Buffer::new().format(self.0 / 1_000_000))?;
            f.write_str("s")
        } else {
            write!(f, "{}s", self.0 as f64 / 1e6)
        }
    }
}

#[cfg(test)]
mod secs_tests {
    #[test]
    fn whole_and_fractional_seconds() {
        assert_eq!(super::secs(0).to_string(), "0s");
        assert_eq!(super::secs(6_000_000).to_string(), "6s");
        assert_eq!(super::secs(1_234_000_000).to_string(), "1234s");
        assert_eq!(
            super::secs(u64::MAX / 1_000_000 * 1_000_000).to_string(),
            "18446744073709s"
        );
        assert_eq!(super::secs(500_000).to_string(), "0.5s");
    }
}

/// Which findings are reported, and at what level: a site's `lint` settings combined with
/// `--select`/`--ignore` (see [`kac_schema::site::LintSettings`]).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only these names or code prefixes (all when empty).
    pub select: Vec<String>,
    /// Never these.
    pub ignore: Vec<String>,
    /// Level per name or code prefix.
    pub levels: BTreeMap<String, Severity>,
}

/// Whether `code` is `name` or starts with `name::`.
pub fn code_matches(code: &str, name: &str) -> bool {
    code == name
        || code
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with("::"))
}

impl Selection {
    /// Whether findings with `code` are reported.
    pub fn enabled(&self, code: &str) -> bool {
        (self.select.is_empty() || self.select.iter().any(|s| code_matches(code, s)))
            && !self.ignore.iter().any(|s| code_matches(code, s))
    }

    /// The level set for `code`, if any (the longest matching name wins).
    pub fn level(&self, code: &str) -> Option<Severity> {
        self.levels
            .iter()
            .filter(|(n, _)| code_matches(code, n))
            .max_by_key(|(n, _)| n.len())
            .map(|(_, l)| *l)
    }
}

/// Lints one host: virtual servers as they close, then the rest of the configuration.
pub struct HostLinter<'a> {
    facts: Facts<'a>,
    selection: &'a Selection,
    rules: Vec<&'static Rule>,
    services: Vec<Service>,
    findings: Vec<Diagnostic>,
    live: suppress::Live,
    scratch: Vec<Diagnostic>,
}

impl<'a> HostLinter<'a> {
    /// A linter running the rules `selection` enables whose needs `facts` meet.
    pub fn new(facts: Facts<'a>, selection: &'a Selection) -> Self {
        let rules = registry()
            .iter()
            .filter(|r| selection.enabled(r.name) && r.needs.unmet(&facts).is_none())
            .collect();
        HostLinter {
            facts,
            selection,
            rules,
            services: Vec::new(),
            findings: Vec::new(),
            live: suppress::Live::default(),
            scratch: Vec::new(),
        }
    }

    /// Checks one virtual server as its block closes, and hands its findings over final:
    /// at their level, without the ones `selection` drops or a suppression known so far
    /// (`suppressions`, the host's list as read so far) silences, sorted by location, added
    /// to `out`. Streaming large configurations this way keeps no finding in memory; the
    /// names that silenced something are [`HostLinter::used`].
    pub fn virtual_server_final(
        &mut self,
        vs: &VirtualServer,
        suppressions: &[kac_schema::config::Suppression],
        out: &mut Vec<Diagnostic>,
    ) {
        self.record_service(vs);
        let mut found = std::mem::take(&mut self.scratch);
        for r in &self.rules {
            if let Some(check) = r.virtual_server {
                check(&self.facts, vs, &mut found);
            }
        }
        if found.is_empty() {
            self.scratch = found;
            return;
        }
        self.live.update(suppressions);
        let start = out.len();
        for mut d in found.drain(..) {
            if let Some(l) = self.selection.level(&d.code) {
                d.severity = l;
            }
            if self.selection.enabled(&d.code)
                && d.severity != Severity::Advice
                && !self.live.silences(&d)
            {
                out.push(d);
            }
        }
        out[start..].sort_by_key(|d| d.primary_span().map(|s| (s.file, s.offset)));
        self.scratch = found;
    }

    /// The suppressions that silenced findings of [`HostLinter::virtual_server_final`].
    pub fn used(&self) -> Vec<suppress::Used> {
        self.live.used().collect()
    }

    /// Checks one virtual server (call it for each as its block closes); its findings are
    /// returned by [`HostLinter::finish`].
    pub fn virtual_server(&mut self, vs: &VirtualServer) {
        self.record_service(vs);
        for r in &self.rules {
            if let Some(check) = r.virtual_server {
                check(&self.facts, vs, &mut self.findings);
            }
        }
    }

    /// Remembers a virtual server's key for the configuration-wide checks.
    fn record_service(&mut self, vs: &VirtualServer) {
        use kac_schema::config::Family;
        self.services.push(Service {
            address: vs.address.clone(),
            protocol: vs.protocol.as_ref().map(|p| p.value),
            family: vs.ip_family.or_else(|| {
                vs.real_servers.first().map(|r| {
                    if r.addr.is_ipv6() {
                        Family::Inet6
                    } else {
                        Family::Inet
                    }
                })
            }),
        });
    }

    /// Checks the configuration (and the virtual servers it still holds) and names the
    /// front end's diagnostics; returns every finding of the host, front-end diagnostics
    /// included, in the order found. Suppressions and levels are applied by [`finish_site`].
    pub fn finish(mut self, config: &Config, front_end: Vec<Diagnostic>) -> Vec<Diagnostic> {
        for vs in &config.virtual_servers {
            self.virtual_server(vs);
        }
        self.services
            .sort_by_key(|s| (s.address.span.file, s.address.span.offset));
        let cx = Context {
            facts: &self.facts,
            config,
            services: &self.services,
        };
        let mut own = Vec::new();
        for r in &self.rules {
            if let Some(check) = r.config {
                check(&cx, &mut own);
            }
        }
        let mut out: Vec<Diagnostic> = front_end.into_iter().map(name_front_end).collect();
        out.append(&mut self.findings);
        out.append(&mut own);
        out
    }
}

/// A front-end diagnostic under the name of the rule that names it, if one does (at the
/// rule's level: keepalived's own warnings and kac's advice alike).
fn name_front_end(mut d: Diagnostic) -> Diagnostic {
    if let Some(r) = registry()
        .iter()
        .find(|r| r.front_end.is_some_and(|m| m(&d)))
    {
        d.code = r.name.into();
        d.severity = r.level;
    }
    d
}

/// One host of a site, as the site rules see it.
pub struct HostConfig<'a> {
    /// The host's name (from the manifest, or the config id without one).
    pub host: &'a str,
    /// Its configuration.
    pub config: &'a Config,
    /// Its facts (interfaces from the site manifest, repository).
    pub facts: Facts<'a>,
    /// Suppressions that silenced findings already handed over ([`HostLinter::used`]).
    pub used: &'a [suppress::Used],
}

/// A rule over the hosts of one site (see [`site_rules`] for which instances are peers).
pub struct SiteRule {
    /// Kebab-case name of the bad thing (the diagnostic code).
    pub name: &'static str,
    /// Default level of its findings.
    pub level: Severity,
    /// Documentation shown by `kac explain`.
    pub doc: &'static str,
    /// Checks every host of one site; each finding comes with the index of the host it is
    /// reported on (its primary span points into that host's configuration; secondary
    /// labels may point into the other hosts').
    pub check: fn(&[HostConfig<'_>], &mut Vec<(usize, Diagnostic)>),
}

/// Every site rule, in name order.
pub fn site_registry() -> &'static [SiteRule] {
    site_rules::ALL
}

/// The site rule called `name`.
pub fn find_site(name: &str) -> Option<&'static SiteRule> {
    site_registry().iter().find(|r| r.name == name)
}

/// The documentation of the rule (single-host or site) called `name`: its name, level and
/// documentation.
pub fn explain(name: &str) -> Option<(&'static str, Severity, &'static str)> {
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

/// The rule name closest to `name` (a likely typo), if any is close.
pub fn closest_name(name: &str) -> Option<&'static str> {
    let dist = |a: &str, b: &str| {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                let sub = prev[j] + usize::from(ca != *cb);
                cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
            }
            prev = cur;
        }
        prev[b.len()]
    };
    all_names()
        .into_iter()
        .map(|n| (dist(name, n), n))
        .filter(|(d, n)| *d <= (n.len() / 4).max(2))
        .min()
        .map(|(_, n)| n)
}

/// Whether `name` is a rule, or a diagnostic code (or code prefix) of kac's front ends.
pub fn is_known_name(name: &str) -> bool {
    explain(name).is_some() || name == "kac" || name.starts_with("kac::")
}

/// Finishes a site: runs the site rules over `hosts` (when there are at least two), adds their
/// findings to `findings[i]` (the findings of host `i`, from [`HostLinter::finish`]), then
/// drops what `selection` does not enable, applies its levels and the hosts' inline
/// suppressions, and reports unused suppressions (rule `unused-suppression`).
///
/// `path_of` names the file of a span (two hosts reading one file have two file ids): a
/// suppression in a shared file is unused only when no host used it.
pub fn finish_site(
    hosts: &[HostConfig<'_>],
    findings: &mut [Vec<Diagnostic>],
    selection: &Selection,
    path_of: &dyn Fn(Span) -> String,
) {
    if hosts.len() > 1 {
        for r in site_registry() {
            if !selection.enabled(r.name) {
                continue;
            }
            let mut found = Vec::new();
            (r.check)(hosts, &mut found);
            for (i, d) in found {
                if let Some(list) = findings.get_mut(i) {
                    list.push(d);
                }
            }
        }
    }
    let levels = |findings: &mut [Vec<Diagnostic>]| {
        for d in findings.iter_mut().flatten() {
            if let Some(l) = selection.level(&d.code) {
                d.severity = l;
            }
        }
    };
    levels(findings);
    // Advice is kac's own remark on a front-end problem; lint reports warnings and errors.
    for list in findings.iter_mut() {
        list.retain(|d| selection.enabled(&d.code) && d.severity != Severity::Advice);
    }
    suppress::apply(hosts, findings, selection, path_of);
    levels(findings);
    // In file order (per host): front-end, per-service and whole-configuration findings
    // interleave as they appear in the text.
    for list in findings.iter_mut() {
        list.sort_by_key(|d| d.primary_span().map(|s| (s.file, s.offset)));
    }
}

/// Lints one host completely (no site rules): the convenience for tests and single files.
pub fn lint_host(
    facts: Facts<'_>,
    config: &Config,
    front_end: Vec<Diagnostic>,
    selection: &Selection,
    path_of: &dyn Fn(Span) -> String,
) -> Vec<Diagnostic> {
    let found = HostLinter::new(facts, selection).finish(config, front_end);
    let mut all = vec![found];
    let host = HostConfig {
        host: facts.host.unwrap_or(""),
        config,
        facts,
        used: &[],
    };
    finish_site(&[host], &mut all, selection, path_of);
    all.pop().unwrap_or_default()
}
