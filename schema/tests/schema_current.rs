//! The committed JSON Schemas (the plan's, the plan diff's, the daemon status's, the YAML
//! config form's) must match the types and the keyword shapes. Regenerate with `KAC_UPDATE_SCHEMA=1 cargo test -p kac-schema`.

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

#[test]
fn status_schema_is_current() {
    check_current("status.schema.json", kac_schema::status_schema_json());
}

#[test]
fn config_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config.schema.json");
    let fresh = kac_schema::config_schema_json() + "\n";
    if std::env::var_os("KAC_UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &fresh).expect("write config.schema.json");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "schema/config.schema.json is stale: run `KAC_UPDATE_SCHEMA=1 cargo test -p kac-schema`"
    );
}

#[test]
fn config_schema_describes_every_keyword() {
    let schema: serde_json::Value =
        serde_json::from_str(&kac_schema::config_schema_json()).expect("JSON");
    let vi = &schema["$defs"]["block.vrrp_instance"]["properties"];
    assert_eq!(vi["priority"]["$ref"], "#/$defs/kw.vrrp_instance.priority");
    let priority = &schema["$defs"]["kw.vrrp_instance.priority"];
    assert!(
        priority["description"]
            .as_str()
            .is_some_and(|d| d.contains("priority PRIORITY")),
        "{priority}"
    );
    assert_eq!(priority["examples"][0], 1);
    for b in &kac_schema::doc::shape::shapes().blocks {
        assert!(
            schema["$defs"][format!("block.{}", b.id)].is_object(),
            "block {} missing",
            b.id
        );
    }
}
