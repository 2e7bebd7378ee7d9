//! The JSON Schema of the YAML form (docs/formats.md), built from the shape table so it cannot
//! drift from what kac reads: every keyword with its description, the types and ranges of its
//! values, and examples. An editor given `# yaml-language-server: $schema=…` completes keywords
//! and validates values with it.
//!
//! Values that may be written through a definition (`priority: $PRIO`) accept a string holding
//! `$` wherever a number or boolean is expected.

use serde_json::{Map, Value, json};

use super::shape::{Args, Arity, BlockShape, EntryShape, Kind, KwShape, Shapes, Ty, shapes};

/// The pattern of a host condition key (`@lb1`, `@^lb1`).
const COND: &str = "^@\\^?[^\\s@^]\\S*$";
/// The pattern of a definition key (`$NAME`).
const DEF: &str = "^\\$[A-Za-z_][A-Za-z0-9_]*$";
/// The pattern of a sequence key (`~SEQ i 1 3`).
const SEQ: &str = "^~(SEQ|SEQx|LST)\\s+\\S+(\\s+\\S+)+$";
/// The pattern of a conditional statement key (`@lb1 priority`).
const COND_STMT: &str = "^@\\^?\\S+\\s+\\S";

/// The JSON Schema of the YAML form of a configuration, pretty-printed (committed as
/// `schema/config.schema.json`).
pub fn config_schema_json() -> String {
    serde_json::to_string_pretty(&config_schema()).unwrap_or_default()
}

/// The JSON Schema of the YAML form of a configuration.
pub fn config_schema() -> Value {
    let s = shapes();
    let mut defs = Map::new();
    defs.insert(
        "variable".into(),
        json!({
            "type": "string",
            "pattern": "\\$",
            "description": "A value written through a definition (`$NAME` or `${NAME}`), substituted as keepalived does."
        }),
    );
    defs.insert(
        "definition".into(),
        json!({
            "description": "`$NAME: VALUE` defines NAME: a text value substituted where `$NAME` or `${NAME}` appears, or a block of statements expanded where `$NAME:` (null) stands alone. `$NAME:` with no value expands a block definition.",
            "anyOf": [
                {"type": ["string", "number", "boolean", "null"]},
                {"type": ["object", "array"]}
            ]
        }),
    );
    defs.insert(
        "include".into(),
        json!({
            "description": "Include the files a glob pattern matches (relative to this file), in any of the three formats.",
            "anyOf": [
                {"type": "string", "examples": ["conf.d/*.yaml"]},
                {"type": "array", "items": {"type": "string"}}
            ]
        }),
    );
    defs.insert(
        "per_host".into(),
        json!({
            "type": "object",
            "description": "A value per host: keys `@ID` (that host) or `@^ID` (every other host), as keepalived's `@ID` line prefix.",
            "propertyNames": {"pattern": COND},
            "minProperties": 1
        }),
    );
    defs.insert(
        "words".into(),
        json!({"type": "array", "description": "The statement's words, as in keepalived.conf.", "items": {"type": ["string", "number", "boolean"]}}),
    );
    for b in &s.blocks {
        for k in &b.keywords {
            defs.insert(format!("kw.{}.{}", b.id, k.name), keyword_value(&b.id, k));
            if matches!(k.kind, Kind::Leaf | Kind::Script) {
                defs.insert(format!("leaf.{}.{}", b.id, k.name), leaf_forms(&k.args));
            }
        }
    }
    let mut types = std::collections::BTreeMap::new();
    for b in &s.blocks {
        for k in &b.keywords {
            collect_types(&k.args, &mut types);
        }
    }
    for e in &s.entries {
        collect_types(&e.args, &mut types);
    }
    for (key, ty) in types {
        defs.insert(key, ty_def(&ty));
    }
    for b in &s.blocks {
        defs.insert(format!("block.{}", b.id), block_map(s, b));
        defs.insert(
            format!("body.{}", b.id),
            json!({
                "anyOf": [
                    {"$ref": format!("#/$defs/block.{}", b.id)},
                    {
                        "type": "array",
                        "description": "A block written as a list of mappings, to repeat a keyword (the mappings are read in order).",
                        "items": {"anyOf": [
                            {"$ref": format!("#/$defs/block.{}", b.id)},
                            {"$ref": "#/$defs/variable"}
                        ]}
                    },
                    {"type": "null"}
                ]
            }),
        );
    }
    for e in &s.entries {
        defs.insert(format!("entry.{}", e.id), entry(e));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "kac configuration (YAML form)",
        "description": "A keepalived configuration in kac's YAML form (docs/formats.md): the keys of a block are keepalived's keywords (`priority`), or a keyword and its name for named blocks (`vrrp_instance VI_1`); `\"@lb1\"` keys hold what applies on host lb1 only (and `priority: {\"@lb1\": 150, \"@lb2\": 100}` gives a value per host), `$NAME` keys are definitions, `\"~SEQ i 1 3\"` keys repeat their block, `include` includes files.",
        "examples": [example()],
        "$ref": "#/$defs/body.top",
        "$defs": defs
    })
}

fn example() -> Value {
    json!({
        "global_defs": {"router_id": {"@lb1": "LB1", "@lb2": "LB2"}, "enable_script_security": true},
        "vrrp_instance VI_1": {
            "state": {"@lb1": "MASTER", "@lb2": "BACKUP"},
            "interface": "eth0",
            "virtual_router_id": 51,
            "priority": {"@lb1": 150, "@lb2": 100},
            "virtual_ipaddress": [{"address": "192.0.2.10/24", "dev": "eth0"}]
        }
    })
}

/// The mapping of a block's keywords.
fn block_map(s: &Shapes, b: &BlockShape) -> Value {
    let mut props = Map::new();
    let mut patterns = Map::new();
    for k in s.keywords(b) {
        let owner = owner_of(s, b, &k.name);
        let value = json!({"$ref": format!("#/$defs/kw.{owner}.{}", k.name)});
        if has_header(k) {
            // `vrrp_instance NAME`, `real_server ADDRESS [PORT]`: the header is in the key.
            let extra = k
                .args
                .params
                .iter()
                .map(|p| {
                    if p.arity == Arity::One {
                        "\\s+\\S+"
                    } else {
                        "(\\s+\\S+)?"
                    }
                })
                .collect::<String>();
            patterns.insert(format!("^{}{extra}$", regex_escape(&k.name)), value);
        } else {
            props.insert(k.name.clone(), value);
        }
    }
    patterns.insert(COND.into(), json!({
        "description": "Statements that apply only on the host with this config id (`@ID`), or on every other host (`@^ID`): keepalived's `@ID` line prefix.",
        "$ref": format!("#/$defs/body.{}", b.id)
    }));
    patterns.insert(COND_STMT.into(), json!({
        "description": "A statement for one host (`\"@lb1 priority\": 150`), as keepalived's `@lb1 priority 150`."
    }));
    patterns.insert(DEF.into(), json!({"$ref": "#/$defs/definition"}));
    patterns.insert(SEQ.into(), json!({
        "description": "The block once per value: `~SEQ VAR END`, `~SEQ VAR START END`, `~SEQ VAR START STEP END`, `~SEQx …` (hexadecimal) or `~LST VAR V1 V2 …`; `$VAR` holds the value. The value may be `$NAME`, a block definition to expand.",
        "anyOf": [
            {"$ref": format!("#/$defs/body.{}", b.id)},
            {"$ref": "#/$defs/variable"}
        ]
    }));
    patterns.insert(
        "^include[rmwba]?$".into(),
        json!({"$ref": "#/$defs/include"}),
    );
    json!({
        "type": "object",
        "properties": props,
        "patternProperties": patterns,
        "additionalProperties": false
    })
}

/// The block (`b` or one it includes) whose own keyword `name` is.
fn owner_of<'a>(s: &'a Shapes, b: &'a BlockShape, name: &str) -> &'a str {
    if b.keywords.iter().any(|k| k.name == name) {
        return &b.id;
    }
    for inc in &b.includes {
        if let Some(ib) = s.block(inc)
            && s.keyword(ib, name).is_some()
        {
            return owner_of(s, ib, name);
        }
    }
    &b.id
}

fn has_header(k: &KwShape) -> bool {
    matches!(k.kind, Kind::Block(_) | Kind::Values(_))
        && k.args.params.iter().any(|p| p.arity == Arity::One)
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The description of a keyword: what it does and its keepalived form.
fn describe(k: &KwShape) -> String {
    let mut form = k.name.clone();
    for p in &k.args.params {
        form.push(' ');
        let name = p.name.to_uppercase();
        form.push_str(&match p.arity {
            Arity::One => name,
            Arity::Optional => format!("[{name}]"),
            Arity::Many => format!("{name}…"),
        });
    }
    for o in &k.args.options {
        form.push_str(&match &o.ty {
            None => format!(" [{}]", o.name),
            Some(_) => format!(" [{} {}]", o.name, o.name.to_uppercase()),
        });
    }
    match k.kind {
        Kind::Block(_) | Kind::Values(_) => form.push_str(" { … }"),
        _ => {}
    }
    format!("{}\n\nkeepalived: `{form}`", k.doc)
}

fn keyword_value(block: &str, k: &KwShape) -> Value {
    let description = describe(k);
    match &k.kind {
        Kind::Block(id) => json!({
            "description": description,
            "$ref": format!("#/$defs/body.{id}")
        }),
        Kind::Values(id) => json!({
            "description": description,
            "anyOf": [
                {"type": "array", "items": {"$ref": format!("#/$defs/entry.{id}")}},
                {"type": "null"}
            ]
        }),
        Kind::Flag => json!({
            "description": format!("{description}\n\nWrite `{}: true` to set it; leave it out to leave it unset.", k.name),
            "anyOf": [{"const": true}, {"type": "null"}, per_host(json!({"anyOf": [{"const": true}, {"type": "null"}]}))],
            "examples": [true]
        }),
        Kind::Leaf | Kind::Script => {
            let forms = json!({"$ref": format!("#/$defs/leaf.{block}.{}", k.name)});
            let mut v = json!({
                "description": description,
                "anyOf": [forms.clone(), per_host(forms)]
            });
            if let Some(ex) = k.args.params.first().map(|p| example_of(&p.ty))
                && let Some(o) = v.as_object_mut()
            {
                o.insert("examples".into(), json!([ex]));
            }
            v
        }
    }
}

/// `{"@lb1": v, "@lb2": w}`.
fn per_host(v: Value) -> Value {
    json!({"allOf": [{"$ref": "#/$defs/per_host"}, {"additionalProperties": v}]})
}

/// The forms of a leaf's value: its first parameter alone, a list of its words, or a mapping
/// of its named parameters and options; nothing when every parameter is optional.
fn leaf_forms(a: &Args) -> Value {
    let mut forms = Vec::new();
    if let Some(p) = a.params.first() {
        forms.push(ty_schema(&p.ty));
    }
    let several = a.params.len() > 1 || a.params.iter().any(|p| p.arity == Arity::Many);
    if several || !a.options.is_empty() {
        forms.push(json!({"$ref": "#/$defs/words"}));
        forms.push(named(a));
    }
    if a.params.iter().all(|p| p.arity != Arity::One) {
        // The keyword alone: `null`, or an empty list.
        forms.push(json!({"type": "null"}));
        forms.push(json!({"const": []}));
    }
    match forms.len() {
        1 => forms.remove(0),
        _ => json!({"anyOf": forms}),
    }
}

/// The mapping form: named parameters and options.
fn named(a: &Args) -> Value {
    let mut props = Map::new();
    for p in &a.params {
        let v = if p.arity == Arity::Many {
            json!({"anyOf": [ty_schema(&p.ty), {"type": "array", "items": ty_schema(&p.ty)}]})
        } else {
            ty_schema(&p.ty)
        };
        props.insert(p.name.clone(), v);
    }
    for o in &a.options {
        let v = match &o.ty {
            Some(t) => ty_schema(t),
            None => json!({"type": "boolean", "description": format!("The flag `{}`.", o.name)}),
        };
        props.insert(o.name.clone(), v);
    }
    let required: Vec<&str> = a
        .params
        .iter()
        .filter(|p| p.arity == Arity::One)
        .map(|p| p.name.as_str())
        .collect();
    json!({
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false
    })
}

/// An entry of a value block.
fn entry(e: &EntryShape) -> Value {
    let mut forms = Vec::new();
    if let Some(p) = e.args.params.first() {
        forms.push(ty_schema(&p.ty));
    }
    forms.push(json!({"$ref": "#/$defs/words"}));
    forms.push(named(&e.args));
    forms.push(json!({
        "type": "object",
        "description": "An entry for some hosts only (`\"@lb1\": ENTRY`), a repetition (`\"~SEQ i 1 3\": [ENTRIES]`), a definition or an include.",
        "minProperties": 1,
        "maxProperties": 1,
        "patternProperties": {
            COND: {},
            SEQ: {},
            DEF: {},
            "^include[rmwba]?$": {"$ref": "#/$defs/include"}
        },
        "additionalProperties": false
    }));
    json!({"description": e.doc, "anyOf": forms})
}

/// The name of the shared definition of type `ty`.
fn ty_key(ty: &Ty) -> String {
    match ty {
        Ty::Bool => "ty.bool".into(),
        Ty::Uint(None) => "ty.uint".into(),
        Ty::Uint(Some((a, b))) => format!("ty.uint.{a}.{b}"),
        Ty::Int(a, b) => format!("ty.int.{a}.{b}"),
        Ty::Secs(None) => "ty.secs".into(),
        Ty::Secs(Some((a, b))) => format!("ty.secs.{a}.{b}"),
        Ty::Enum(v) => format!("ty.enum.{}", v.join(".")),
        Ty::IEnum(v) => format!("ty.ienum.{}", v.join(".")),
        Ty::Ip => "ty.ip".into(),
        Ty::Prefix => "ty.prefix".into(),
        Ty::Iface => "ty.iface".into(),
        Ty::Cmd => "ty.cmd".into(),
        Ty::Path => "ty.path".into(),
        Ty::Str | Ty::Name => "ty.str".into(),
    }
}

fn collect_types(a: &Args, out: &mut std::collections::BTreeMap<String, Ty>) {
    for t in a
        .params
        .iter()
        .map(|p| &p.ty)
        .chain(a.options.iter().filter_map(|o| o.ty.as_ref()))
    {
        out.insert(ty_key(t), t.clone());
    }
}

/// A reference to the shared definition of type `ty`.
fn ty_schema(ty: &Ty) -> Value {
    json!({"$ref": format!("#/$defs/{}", ty_key(ty))})
}

/// The schema of one value of type `ty` (a definition reference is always accepted).
fn ty_def(ty: &Ty) -> Value {
    let var = json!({"$ref": "#/$defs/variable"});
    match ty {
        Ty::Bool => json!({"anyOf": [
            {"type": "boolean"},
            {"enum": ["yes", "no", "on", "off", "true", "false"]},
            var
        ]}),
        Ty::Uint(r) => {
            let mut n = json!({"type": "integer", "minimum": 0});
            if let Some((lo, hi)) = r {
                n = json!({"type": "integer", "minimum": lo, "maximum": hi});
            }
            json!({"anyOf": [n, var]})
        }
        Ty::Int(lo, hi) => {
            json!({"anyOf": [{"type": "integer", "minimum": lo, "maximum": hi}, var]})
        }
        Ty::Secs(r) => {
            let mut n = json!({"type": "number", "minimum": 0});
            if let Some((lo, hi)) = r {
                n = json!({"type": "number", "minimum": lo, "maximum": hi});
            }
            json!({"anyOf": [n, var]})
        }
        Ty::Enum(vals) => {
            // `1.1` is a number in YAML: accept the numbers too.
            let mut all: Vec<Value> = vals.iter().map(|v| json!(v)).collect();
            all.extend(
                vals.iter()
                    .filter_map(|v| v.parse::<f64>().ok())
                    .map(|f| json!(f)),
            );
            json!({"anyOf": [{"enum": all}, var]})
        }
        Ty::IEnum(vals) => {
            // Case-insensitive: a pattern with both cases of every letter.
            let alts: Vec<String> = vals
                .iter()
                .map(|v| {
                    v.chars()
                        .map(|c| {
                            if c.is_ascii_alphabetic() {
                                format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                            } else {
                                c.to_string()
                            }
                        })
                        .collect()
                })
                .collect();
            json!({"anyOf": [
                {"type": "string", "pattern": format!("^({})$", alts.join("|")), "examples": vals},
                var
            ]})
        }
        Ty::Ip => json!({"type": "string", "examples": ["192.0.2.10"]}),
        Ty::Prefix => json!({"type": "string", "examples": ["192.0.2.10/24"]}),
        Ty::Iface => json!({"type": ["string", "number"], "examples": ["eth0"]}),
        Ty::Cmd => json!({"type": "string", "examples": ["/etc/keepalived/notify.sh"]}),
        Ty::Path => json!({"type": ["string", "number"], "examples": ["/etc/keepalived/file"]}),
        Ty::Str | Ty::Name => json!({"type": ["string", "number"]}),
    }
}

fn example_of(ty: &Ty) -> Value {
    match ty {
        Ty::Bool => json!(true),
        Ty::Uint(Some((lo, _))) => json!(lo),
        Ty::Uint(None) => json!(1),
        Ty::Int(lo, hi) => json!((*lo).max(0).min(*hi)),
        Ty::Secs(Some((lo, _))) => json!(lo.max(1.0)),
        Ty::Secs(None) => json!(1),
        Ty::Enum(v) | Ty::IEnum(v) => json!(v.first()),
        Ty::Ip => json!("192.0.2.10"),
        Ty::Prefix => json!("192.0.2.10/24"),
        Ty::Iface => json!("eth0"),
        Ty::Cmd => json!("/etc/keepalived/notify.sh"),
        Ty::Path => json!("/etc/keepalived/file"),
        Ty::Str | Ty::Name => json!("name"),
    }
}
