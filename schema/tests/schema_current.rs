//! The committed JSON Schemas must match the types. Regenerate with
//! `KAC_UPDATE_SCHEMA=1 cargo test -p kac-schema`.

/// Compares (or, with `KAC_UPDATE_SCHEMA`, rewrites) `schema/NAME` with `fresh`.
fn check_current(name: &str, fresh: String) {
    let path = format!("{}/{name}", env!("CARGO_MANIFEST_DIR"));
    let fresh = fresh + "\n";
    if std::env::var_os("KAC_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &fresh).expect("write the schema");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "schema/{name} is stale: run `KAC_UPDATE_SCHEMA=1 cargo test -p kac-schema`"
    );
}

#[test]
fn plan_schema_is_current() {
    check_current("plan.schema.json", kac_schema::plan_schema_json());
}

#[test]
fn plan_diff_schema_is_current() {
    check_current("plan-diff.schema.json", kac_schema::plan_diff_schema_json());
}
