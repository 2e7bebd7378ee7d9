//! The committed JSON Schema of the plan must match the types. Regenerate with
//! `KAC_UPDATE_SCHEMA=1 cargo test -p kac-schema`.

#[test]
fn plan_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/plan.schema.json");
    let fresh = kac_schema::plan_schema_json() + "\n";
    if std::env::var_os("KAC_UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &fresh).expect("write plan.schema.json");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "schema/plan.schema.json is stale: run `KAC_UPDATE_SCHEMA=1 cargo test -p kac-schema`"
    );
}
