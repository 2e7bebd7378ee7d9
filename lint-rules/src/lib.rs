//! kac's lint rules: findings keepalived itself never reports.
//!
//! One rule per file under [`rules`], each with its documentation in the doc comment of its
//! `check` function's module (What it does / Why is this bad / Example / Use instead). Rules
//! see only the schema types, so they work for every front end.
//!
//! This crate starts small (the lint issue grows it to the full library).

pub mod rules;

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

/// The rule called `name`.
pub fn find(name: &str) -> Option<&'static Rule> {
    registry().iter().find(|r| r.name == name)
}
