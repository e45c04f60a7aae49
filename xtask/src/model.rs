//! The facts of `spec/commands.json` as Rust values.

use serde_json::Value;

/// One command or subcommand.
#[derive(Debug, Clone)]
pub struct Command {
    /// `SET`, or `KILL` for `CLIENT KILL`.
    pub name: String,
    /// `CLIENT` for `CLIENT KILL`.
    pub container: Option<String>,
    pub group: String,
    pub since: String,
    pub deprecated_since: Option<String>,
    pub arity: i64,
    pub flags: Vec<String>,
    pub acl_categories: Vec<String>,
    pub tips: Vec<String>,
    pub key_specs: Vec<KeySpec>,
    pub args: Vec<Arg>,
    /// False for a command without an `arguments` list at all.
    pub has_args: bool,
    pub reply_schema: Option<Value>,
}

impl Command {
    /// `CLIENT KILL`, `SET`.
    pub fn full_name(&self) -> String {
        match &self.container {
            Some(container) => format!("{container} {}", self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct KeySpec {
    pub flags: Vec<String>,
    pub begin_search: Value,
    pub find_keys: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueType {
    /// `key`, `string`, `pattern`: any `ToArg`.
    Text,
    /// `integer`, `unix-time`: `i64`.
    Integer,
    /// `double`: `f64`.
    Double,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Value(ValueType),
    PureToken,
    OneOf(Vec<Arg>),
    Block(Vec<Arg>),
}

#[derive(Debug, Clone)]
pub struct Arg {
    pub name: String,
    pub kind: Kind,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub multiple_token: bool,
    /// The version that added the argument, when newer than the command.
    pub since: Option<String>,
}

/// `"6.2.0"` as `(6, 2, 0)`.
pub fn version(text: &str) -> (u32, u32, u32) {
    let mut parts = text.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

impl Arg {
    /// The newest `since` among this argument and the ones an example uses below it:
    /// optional ones only if `optional`, and only the first alternative of a oneof.
    pub fn newest_since(&self, optional: bool) -> Option<String> {
        if self.optional && !optional {
            return None;
        }
        let children: Vec<&Arg> = match &self.kind {
            Kind::OneOf(alts) => alts.iter().take(1).collect(),
            Kind::Block(children) => children.iter().collect(),
            _ => Vec::new(),
        };
        children
            .into_iter()
            .map(|c| {
                let mut c = c.clone();
                if matches!(self.kind, Kind::OneOf(_)) {
                    c.optional = false;
                }
                c.newest_since(optional)
            })
            .chain(std::iter::once(self.since.clone()))
            .flatten()
            .max_by_key(|v| version(v))
    }

    /// The argument as the spec's syntax line writes it: `[EX seconds | PX ms]`.
    pub fn syntax(&self) -> String {
        let inner = match &self.kind {
            Kind::PureToken => self.token.clone().unwrap_or_default(),
            Kind::Value(_) => match &self.token {
                Some(token) => format!("{token} {}", self.name),
                None => self.name.clone(),
            },
            Kind::OneOf(alts) => {
                let body = alts.iter().map(Arg::syntax_plain).collect::<Vec<_>>();
                let body = body.join(" | ");
                match &self.token {
                    Some(token) => format!("{token} <{body}>"),
                    None if self.optional => body,
                    None => format!("<{body}>"),
                }
            }
            Kind::Block(children) => {
                let body = children.iter().map(Arg::syntax).collect::<Vec<_>>();
                let body = body.join(" ");
                match &self.token {
                    Some(token) => format!("{token} {body}"),
                    None => body,
                }
            }
        };
        let inner = if self.multiple {
            let again = if self.multiple_token {
                inner.clone()
            } else {
                match (&self.kind, &self.token) {
                    (Kind::Value(_), Some(_)) => self.name.clone(),
                    _ => inner.clone(),
                }
            };
            format!("{inner} [{again} ...]")
        } else {
            inner
        };
        if self.optional {
            format!("[{inner}]")
        } else {
            inner
        }
    }

    fn syntax_plain(&self) -> String {
        let mut arg = self.clone();
        arg.optional = false;
        arg.syntax()
    }
}

pub fn parse(spec: &Value) -> Result<Vec<Command>, String> {
    let commands = spec["commands"]
        .as_array()
        .ok_or("spec: `commands` is not a list")?;
    commands.iter().map(parse_command).collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn text(value: &Value, what: &str) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("spec: missing {what}"))
}

fn parse_command(c: &Value) -> Result<Command, String> {
    let name = text(&c["name"], "command name")?;
    let args = match c.get("arguments").and_then(Value::as_array) {
        Some(args) => args.iter().map(parse_arg).collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    Ok(Command {
        container: c["container"].as_str().map(str::to_string),
        group: text(&c["group"], "group")?,
        since: text(&c["since"], "since")?,
        deprecated_since: c["deprecated_since"].as_str().map(str::to_string),
        arity: c["arity"].as_i64().ok_or("spec: missing arity")?,
        flags: strings(&c["command_flags"]),
        acl_categories: strings(&c["acl_categories"]),
        tips: strings(&c["command_tips"]),
        key_specs: c["key_specs"]
            .as_array()
            .map(|specs| {
                specs
                    .iter()
                    .map(|s| KeySpec {
                        flags: strings(&s["flags"]),
                        begin_search: s["begin_search"].clone(),
                        find_keys: s["find_keys"].clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        has_args: c.get("arguments").is_some(),
        args,
        reply_schema: c.get("reply_schema").cloned(),
        name,
    })
}

fn parse_arg(a: &Value) -> Result<Arg, String> {
    let name = text(&a["name"], "argument name")?;
    let ty = text(&a["type"], "argument type")?;
    let children = || -> Result<Vec<Arg>, String> {
        a["arguments"]
            .as_array()
            .ok_or_else(|| format!("spec: {name} has no arguments"))?
            .iter()
            .map(parse_arg)
            .collect()
    };
    let kind = match ty.as_str() {
        "key" | "string" | "pattern" => Kind::Value(ValueType::Text),
        "integer" | "unix-time" => Kind::Value(ValueType::Integer),
        "double" => Kind::Value(ValueType::Double),
        "pure-token" => Kind::PureToken,
        "oneof" => Kind::OneOf(children()?),
        "block" => Kind::Block(children()?),
        other => return Err(format!("spec: unknown argument type {other}")),
    };
    let mut token = a["token"].as_str().map(str::to_string);
    if matches!(kind, Kind::PureToken) && token.is_none() {
        // A few pure tokens (SENTINEL SIMULATE-FAILURE's) carry their word as the name.
        token = Some(name.to_uppercase());
    }
    if token.as_deref() == Some("\"\"") {
        // MIGRATE's empty-key marker is spelled `""` in the spec: it is an empty argument.
        token = Some(String::new());
    }
    Ok(Arg {
        kind,
        token,
        optional: a["optional"].as_bool().unwrap_or(false),
        multiple: a["multiple"].as_bool().unwrap_or(false),
        multiple_token: a["multiple_token"].as_bool().unwrap_or(false),
        since: a["since"].as_str().map(str::to_string),
        name,
    })
}
