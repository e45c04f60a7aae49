//! Default reply types from reply schemas.
//!
//! | schema | Rust type |
//! |---|---|
//! | `{"const": "OK"}` or any other string `const` | `()` |
//! | `{"type": "string"}` | `Bytes` (a stored value may be any bytes) |
//! | `{"type": "string", "pattern": ..}` | `String` (the schema pins it to text: stream IDs, `TIME`) |
//! | `{"type": "integer"}`, integer `const`s other than only 0/1 | `i64` |
//! | `{"type": "number"}` | `f64` |
//! | `{"type": "boolean"}`; integer `const`s that are only 0 and 1 | `bool` |
//! | `oneOf`/`anyOf` with `null` alternatives, the others agreeing on `T` | `Option<T>` |
//! | `oneOf`/`anyOf` whose alternatives agree on `T` | `T` |
//! | `array` with `items` of type `T` | `Vec<T>` |
//! | `array` with `items` a list of fixed positions `T1..Tn` (n <= 12) | `(T1, ..., Tn)` |
//! | `object` whose values (`additionalProperties`, `patternProperties`, `properties`) all have type `T` | `HashMap<Bytes, T>` |
//! | anything else, no schema, or disagreeing alternatives | `Frame` |
//!
//! [`OVERRIDES`] replaces a few defaults where the schema describes every option's
//! reply at once but the plain constructor (no options) only ever gets one shape, and
//! where a reply is text the server makes up but the schema says only `string`
//! (`TYPE`'s `string`/`list`/..., `OBJECT ENCODING`, `INFO`, `CLIENT LIST`, a script's
//! SHA1): those are `String`, as `Bytes` has no `Display`. Stored values (`GET`,
//! `LPOP`, `ECHO`, `RANDOMKEY`'s key names) stay `Bytes`: they may be any bytes.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Unit,
    Bool,
    Int,
    /// An integer that is only ever 0 or 1: `bool` unless mixed with other integers.
    Int01,
    Float,
    Bytes,
    /// A string the schema pins to text (a `pattern`).
    Text,
    Frame,
    Option(Box<Ty>),
    Vec(Box<Ty>),
    Map(Box<Ty>),
    Tuple(Vec<Ty>),
}

impl Ty {
    pub fn rust(&self) -> String {
        match self {
            Ty::Unit => "()".into(),
            Ty::Bool | Ty::Int01 => "bool".into(),
            Ty::Int => "i64".into(),
            Ty::Float => "f64".into(),
            Ty::Bytes => "Bytes".into(),
            Ty::Text => "String".into(),
            Ty::Frame => "Frame".into(),
            Ty::Option(t) => format!("Option<{}>", t.rust()),
            Ty::Vec(t) => format!("Vec<{}>", t.rust()),
            Ty::Map(t) => format!("HashMap<Bytes, {}>", t.rust()),
            Ty::Tuple(items) => format!(
                "({})",
                items.iter().map(Ty::rust).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// Which constructor an override applies to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Variant {
    /// `set(key, value)`: required arguments only.
    Plain,
    /// `set_with(key, value, options)`.
    With,
}

/// Overrides: (function name, constructor, Rust type). Each is a case where the schema
/// is right for some option but the listed constructor always gets one shape.
pub const OVERRIDES: &[(&str, Variant, &str)] = &[
    // Without options SET only ever replies OK; with them (GET, NX/XX) a value or nil.
    ("set", Variant::Plain, "()"),
    ("set_with", Variant::With, "Option<Bytes>"),
    // INCRBYFLOAT and HINCRBYFLOAT reply with the new value as a string holding a double.
    ("incrbyfloat", Variant::Plain, "f64"),
    ("hincrbyfloat", Variant::Plain, "f64"),
    // TYPE replies `none` for a missing key (the schema's null is never sent).
    ("type_", Variant::Plain, "String"),
    // Text the server makes up, where the schema says only `string`.
    ("object_encoding", Variant::Plain, "Option<String>"),
    ("info", Variant::Plain, "String"),
    ("info_with", Variant::With, "String"),
    ("client_list", Variant::Plain, "String"),
    ("client_list_with", Variant::With, "String"),
    ("client_info", Variant::Plain, "String"),
    ("script_load", Variant::Plain, "String"),
    ("function_load", Variant::Plain, "String"),
    ("function_load_with", Variant::With, "String"),
    ("cluster_myid", Variant::Plain, "String"),
    ("acl_whoami", Variant::Plain, "String"),
    // The cursor goes in as an integer and comes back as one (the same `u64`).
    ("scan", Variant::Plain, "(u64, Vec<Bytes>)"),
    ("scan_with", Variant::With, "(u64, Vec<Bytes>)"),
    ("sscan", Variant::Plain, "(u64, Vec<Bytes>)"),
    ("sscan_with", Variant::With, "(u64, Vec<Bytes>)"),
    ("hscan", Variant::Plain, "(u64, Vec<Bytes>)"),
    ("hscan_with", Variant::With, "(u64, Vec<Bytes>)"),
    ("zscan", Variant::Plain, "(u64, Vec<Bytes>)"),
    ("zscan_with", Variant::With, "(u64, Vec<Bytes>)"),
    // GEODIST's string holds a distance.
    ("geodist", Variant::Plain, "Option<f64>"),
    ("geodist_with", Variant::With, "Option<f64>"),
    // Without NOMKSTREAM (the only way to get nil): the new entry's ID.
    ("xadd", Variant::Plain, "Bytes"),
    // PONG, or the message given.
    ("ping", Variant::Plain, "Bytes"),
    ("ping_with", Variant::With, "Bytes"),
    // Without WITHSCORE / RANK-COUNT-MAXLEN / LEN-IDX: a rank, a position, the string.
    ("zrank", Variant::Plain, "Option<i64>"),
    ("zrevrank", Variant::Plain, "Option<i64>"),
    ("lpos", Variant::Plain, "Option<i64>"),
    ("lcs", Variant::Plain, "Bytes"),
    // Without WITHSCORES (the only option that changes the shape): plain members.
    ("zrange", Variant::Plain, "Vec<Bytes>"),
    ("zrangebyscore", Variant::Plain, "Vec<Bytes>"),
    ("zrevrange", Variant::Plain, "Vec<Bytes>"),
    ("zrevrangebyscore", Variant::Plain, "Vec<Bytes>"),
    ("zunion", Variant::Plain, "Vec<Bytes>"),
    ("zinter", Variant::Plain, "Vec<Bytes>"),
    ("zdiff", Variant::Plain, "Vec<Bytes>"),
    // Without STORE: the sorted elements (nil for a missing GET pattern's key).
    ("sort", Variant::Plain, "Vec<Option<Bytes>>"),
    // Without options (INCR makes the reply a score): the number of added members.
    ("zadd", Variant::Plain, "i64"),
    // Without a count: one member or nil.
    ("spop", Variant::Plain, "Option<Bytes>"),
    ("srandmember", Variant::Plain, "Option<Bytes>"),
    ("lpop", Variant::Plain, "Option<Bytes>"),
    ("rpop", Variant::Plain, "Option<Bytes>"),
    ("hrandfield", Variant::Plain, "Option<Bytes>"),
    ("zrandmember", Variant::Plain, "Option<Bytes>"),
    // Without WITH* options: plain member names.
    ("georadius", Variant::Plain, "Vec<Bytes>"),
    ("georadius_ro", Variant::Plain, "Vec<Bytes>"),
    ("georadiusbymember", Variant::Plain, "Vec<Bytes>"),
    ("georadiusbymember_ro", Variant::Plain, "Vec<Bytes>"),
    ("geosearch", Variant::Plain, "Vec<Bytes>"),
];

pub fn override_for(fn_name: &str, variant: Variant) -> Option<&'static str> {
    OVERRIDES
        .iter()
        .find(|(name, v, _)| *name == fn_name && *v == variant)
        .map(|(_, _, ty)| *ty)
}

/// The default type for a schema (see the module table).
pub fn default_type(schema: Option<&Value>) -> Ty {
    match schema {
        Some(schema) => finish(map(schema)),
        None => Ty::Frame,
    }
}

/// Turns the internal `Int01` marker into `bool` everywhere it survived.
fn finish(ty: Ty) -> Ty {
    match ty {
        Ty::Int01 => Ty::Bool,
        Ty::Option(t) => Ty::Option(Box::new(finish(*t))),
        Ty::Vec(t) => Ty::Vec(Box::new(finish(*t))),
        Ty::Map(t) => Ty::Map(Box::new(finish(*t))),
        Ty::Tuple(items) => Ty::Tuple(items.into_iter().map(finish).collect()),
        other => other,
    }
}

/// `None` for a `null` alternative.
fn map_alt(schema: &Value) -> Option<Ty> {
    if schema.get("type").and_then(Value::as_str) == Some("null") {
        None
    } else {
        Some(map(schema))
    }
}

fn map(schema: &Value) -> Ty {
    if let Some(value) = schema.get("const") {
        return match value {
            Value::String(_) => Ty::Unit,
            Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => Ty::Int01,
            Value::Number(n) if n.is_i64() => Ty::Int,
            _ => Ty::Frame,
        };
    }
    if let Some(alts) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        let mut nullable = false;
        let mut agreed: Option<Ty> = None;
        for alt in alts {
            match map_alt(alt) {
                None => nullable = true,
                Some(ty) => {
                    agreed = Some(match agreed {
                        None => ty,
                        Some(prev) => match agree(&prev, &ty) {
                            Some(t) => t,
                            None => return Ty::Frame,
                        },
                    })
                }
            }
        }
        return match (agreed, nullable) {
            (Some(Ty::Frame), _) | (None, _) => Ty::Frame,
            (Some(Ty::Option(t)), true) => Ty::Option(t),
            (Some(t), true) => Ty::Option(Box::new(t)),
            (Some(t), false) => t,
        };
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") if schema.get("pattern").is_some() => Ty::Text,
        Some("string") => Ty::Bytes,
        Some("integer") => Ty::Int,
        Some("number") => Ty::Float,
        Some("boolean") => Ty::Bool,
        Some("array") => match schema.get("items") {
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= 12 => {
                let items: Vec<Ty> = items.iter().map(item).collect();
                if items.contains(&Ty::Frame) {
                    Ty::Frame
                } else {
                    Ty::Tuple(items)
                }
            }
            Some(items @ Value::Object(_)) => match item(items) {
                Ty::Frame => Ty::Frame,
                t => Ty::Vec(Box::new(t)),
            },
            _ => Ty::Frame,
        },
        Some("object") => object(schema),
        _ => Ty::Frame,
    }
}

/// An element of an array or a value of an object: a `null` schema there is `Option`.
fn item(schema: &Value) -> Ty {
    map(schema)
}

fn object(schema: &Value) -> Ty {
    let mut values: Vec<Ty> = Vec::new();
    if let Some(additional @ Value::Object(_)) = schema.get("additionalProperties") {
        values.push(map(additional));
    }
    for key in ["properties", "patternProperties"] {
        if let Some(props) = schema.get(key).and_then(Value::as_object) {
            values.extend(props.values().map(map));
        }
    }
    let Some(first) = values.first().cloned() else {
        return Ty::Frame;
    };
    let mut agreed = first;
    for ty in &values[1..] {
        match agree(&agreed, ty) {
            Some(t) => agreed = t,
            None => return Ty::Frame,
        }
    }
    match agreed {
        Ty::Frame => Ty::Frame,
        t => Ty::Map(Box::new(t)),
    }
}

/// The common type of two alternatives, if they have one.
fn agree(a: &Ty, b: &Ty) -> Option<Ty> {
    match (a, b) {
        _ if a == b => Some(a.clone()),
        (Ty::Int01, Ty::Int) | (Ty::Int, Ty::Int01) => Some(Ty::Int),
        (Ty::Text, Ty::Bytes) | (Ty::Bytes, Ty::Text) => Some(Ty::Bytes),
        (Ty::Option(x), y) | (y, Ty::Option(x)) => agree(x, y).map(|t| Ty::Option(Box::new(t))),
        _ => None,
    }
}
