//! kac's data model: pure data, no IO.
//!
//! * [`span`]: where a piece of configuration came from (file, line, byte range).
//! * [`diagnostic`]: problems found in configuration, rendered only by binaries.
//! * [`config`]: the configuration model every front end produces, with spans.
//! * [`plan`]: the normalized, span-free, per-host plan the reconciler consumes.
//! * [`site`]: the site manifest (`kac.kdl`/`kac.yaml`): the hosts of a repository.
//! * [`doc`]: the configuration document (any format, every host) and the keyword shapes of
//!   its structured forms (KDL, YAML).
//! * [`plan_diff`]: what `kac plan` reports (changes and hazards between two revisions).
//! * [`status`]: what `kac status --format json` reports about a running daemon.
//!
//! Architecture invariant: this crate does no IO, no async and no netlink.

pub mod config;
pub mod diagnostic;
pub mod doc;
pub mod plan;
pub mod plan_diff;
pub mod site;
pub mod span;
pub mod status;

pub use diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
pub use span::{FileId, SourceFile, SourceMap, Span};

/// The JSON Schema of [`plan::Plan`], pretty-printed (committed as `schema/plan.schema.json`).
pub fn plan_schema_json() -> String {
    let schema = schemars::schema_for!(plan::Plan);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// The JSON Schema of the YAML form of a configuration, pretty-printed (committed as
/// `schema/config.schema.json`; see [`doc::json_schema`]).
pub fn config_schema_json() -> String {
    doc::json_schema::config_schema_json()
}

/// The JSON Schema of [`plan_diff::PlanDiff`] (`kac plan --format json`), pretty-printed
/// (committed as `schema/plan-diff.schema.json`).
pub fn plan_diff_schema_json() -> String {
    let schema = schemars::schema_for!(plan_diff::PlanDiff);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// The JSON Schema of [`status::Status`] (`kac status --format json`), pretty-printed
/// (committed as `schema/status.schema.json`).
pub fn status_schema_json() -> String {
    let schema = schemars::schema_for!(status::Status);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}
