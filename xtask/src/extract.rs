//! `extract`: Redis's command JSON files -> the facts-only `spec/commands.json`.
//!
//! Kept: name, container, group, since, deprecated_since, arity, command flags, ACL
//! categories, doc flags, command tips, key specs (flags, begin_search, find_keys),
//! arguments (name, type, token, optional, multiple, multiple_token, since,
//! deprecated_since, key_spec_index, display, nested arguments) and reply schemas
//! (their structure only). Dropped: every prose text (`summary`, `description`,
//! `notes`, `history`, `complexity`, `replaced_by`, schema `description`s and
//! `examples`) and the C function names.

use std::path::Path;

use serde_json::{Map, Value};

/// Where the facts come from, written into the spec file's header.
pub const SOURCE: &str = "Facts extracted by `cargo run -p xtask -- extract` from the Redis 7.2.6 \
command specification (src/commands/*.json in the Redis source tree), Copyright (c) 2006-2020, \
Salvatore Sanfilippo, BSD-3-Clause: see COPYING beside this file. Prose texts (summaries, \
descriptions, notes, history) are not copied; each command's page is https://redis.io/commands/<name>/.";

const COMMAND_FIELDS: &[&str] = &[
    "group",
    "since",
    "deprecated_since",
    "arity",
    "container",
    "command_flags",
    "acl_categories",
    "doc_flags",
    "command_tips",
];

const ARGUMENT_FIELDS: &[&str] = &[
    "name",
    "type",
    "token",
    "optional",
    "multiple",
    "multiple_token",
    "since",
    "deprecated_since",
    "key_spec_index",
    "display",
];

/// Schema keywords kept (the rest, `description` and `examples`, is prose).
const SCHEMA_FIELDS: &[&str] = &[
    "type",
    "const",
    "enum",
    "pattern",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "$ref",
];

pub fn run(dir: &Path, out_dir: &Path) -> Result<(), String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut commands = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let json: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let object = json
            .as_object()
            .ok_or_else(|| format!("{}: not an object", path.display()))?;
        for (name, command) in object {
            commands.push(command_facts(name, command)?);
        }
    }
    commands.sort_by_key(sort_key);
    let count = commands.len();
    let mut spec = Map::new();
    spec.insert("about".into(), Value::String(SOURCE.into()));
    spec.insert("commands".into(), Value::Array(commands));
    let text = serde_json::to_string_pretty(&Value::Object(spec)).expect("json") + "\n";
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let spec_path = out_dir.join("commands.json");
    std::fs::write(&spec_path, text).map_err(|e| format!("{}: {e}", spec_path.display()))?;
    let copying = dir.join("COPYING");
    let license = std::fs::read(&copying).map_err(|e| format!("{}: {e}", copying.display()))?;
    std::fs::write(out_dir.join("COPYING"), license)
        .map_err(|e| format!("{}: {e}", out_dir.display()))?;
    eprintln!(
        "xtask: wrote {} commands from {} files in {} to {}",
        count,
        files.len(),
        dir.display(),
        spec_path.display()
    );
    Ok(())
}

/// (top-level name, subcommand name): containers sort before their subcommands.
fn sort_key(command: &Value) -> (String, String) {
    let name = command["name"].as_str().unwrap_or_default().to_string();
    match command["container"].as_str() {
        Some(container) => (container.to_string(), name),
        None => (name, String::new()),
    }
}

fn command_facts(name: &str, command: &Value) -> Result<Value, String> {
    let mut out = Map::new();
    out.insert("name".into(), Value::String(name.into()));
    for field in COMMAND_FIELDS {
        if let Some(value) = command.get(*field) {
            out.insert((*field).into(), value.clone());
        }
    }
    if let Some(specs) = command.get("key_specs").and_then(Value::as_array) {
        let specs = specs
            .iter()
            .map(|spec| {
                let mut kept = Map::new();
                for field in ["flags", "begin_search", "find_keys"] {
                    if let Some(value) = spec.get(field) {
                        kept.insert(field.into(), value.clone());
                    }
                }
                Value::Object(kept)
            })
            .collect();
        out.insert("key_specs".into(), Value::Array(specs));
    }
    if let Some(args) = command.get("arguments").and_then(Value::as_array) {
        out.insert(
            "arguments".into(),
            Value::Array(args.iter().map(argument_facts).collect()),
        );
    }
    if let Some(schema) = command.get("reply_schema") {
        out.insert("reply_schema".into(), schema_facts(schema));
    }
    Ok(Value::Object(out))
}

fn argument_facts(arg: &Value) -> Value {
    let mut out = Map::new();
    for field in ARGUMENT_FIELDS {
        if let Some(value) = arg.get(*field) {
            out.insert((*field).into(), value.clone());
        }
    }
    if let Some(args) = arg.get("arguments").and_then(Value::as_array) {
        out.insert(
            "arguments".into(),
            Value::Array(args.iter().map(argument_facts).collect()),
        );
    }
    Value::Object(out)
}

/// A reply schema without its prose. Property names are data and are kept, even one
/// called `description`.
fn schema_facts(schema: &Value) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in object {
        let kept = match key.as_str() {
            "oneOf" | "anyOf" => Value::Array(
                value
                    .as_array()
                    .map(|alts| alts.iter().map(schema_facts).collect())
                    .unwrap_or_default(),
            ),
            "items" => match value {
                Value::Array(items) => Value::Array(items.iter().map(schema_facts).collect()),
                other => schema_facts(other),
            },
            "additionalProperties" | "additionalItems" => schema_facts(value),
            "properties" | "patternProperties" => Value::Object(
                value
                    .as_object()
                    .map(|props| {
                        props
                            .iter()
                            .map(|(name, sub)| (name.clone(), schema_facts(sub)))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            other if SCHEMA_FIELDS.contains(&other) => value.clone(),
            _ => continue,
        };
        out.insert(key.clone(), kept);
    }
    Value::Object(out)
}
