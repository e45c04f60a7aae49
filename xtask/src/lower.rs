//! Lowering spec arguments to Rust parameters, statements and generated types.
//!
//! Every statement writes into a variable `c: &mut Cmd`, so the same statements serve
//! command constructors, option setters and the constructors of generated types.
//! The rules, applied recursively, keep the spec's argument order exactly:
//!
//! - `key`, `string`, `pattern` -> `impl ToArg`; `integer`, `unix-time` ->
//!   `impl args::Integer` (any integer type); `double` -> `impl args::Float` (a float
//!   or an integer). A `token` is written before the value.
//! - a required `pure-token` is written automatically (no parameter).
//! - a time span (`seconds`, `milliseconds`, `timeout`, see [`time_type`]) ->
//!   `impl args::Seconds` / `args::Milliseconds` / `args::FractionalSeconds`: integers
//!   or a `Duration`, written in the argument's unit; a point in time
//!   (`unix-time-seconds`, `unix-time-milliseconds`) -> `impl args::UnixSeconds` /
//!   `args::UnixMilliseconds`: integers or a `SystemTime`.
//! - `multiple` -> `impl ToArgs<Shape>`: one element or a collection of them; a
//!   multiple block of two or three plain values has the shape `Pair` or `Triple`
//!   (ZADD's `score member` takes `(1.0, "m")` or `[(1.0, "m"), ...]`), a generated
//!   type is its own shape. `multiple_token` writes the token before every element,
//!   otherwise it is written once.
//! - a required block whose children are all required is flattened into its children's
//!   parameters; one with optional children becomes a generated type (a constructor for
//!   the required children, one setter per optional child).
//! - a required `oneof` becomes a generated type with one constructor per alternative.
//!   When an alternative is itself a `oneof`, it is expanded into one constructor per
//!   inner alternative, named `<outer>_<inner>` (`type_normal`).
//! - optional top-level arguments go into the command's options type: one setter per
//!   optional argument, one per alternative for an optional `oneof` (all writing the
//!   same slot, so they exclude each other), named by the token when there is one.
//! - a generated block type whose required children include exactly one `oneof` gets
//!   one constructor per alternative instead of `new` (`XaddTrim::maxlen(threshold)`).
//! - a count ([`is_count_of`]: `numkeys` before `key [key ...]`) is not a parameter:
//!   the list is collected into an argument-only `Cmd` (inline, no allocation for a
//!   short list), and its length is written before it ([`Lowerer::counted`]).

use crate::model::{Arg, Kind, ValueType};
use crate::names::{self, Scope};

/// A parameter of a generated function, with sample values for the examples.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub ty: String,
    pub sample_min: String,
    pub sample_max: String,
}

/// A function under construction: generics, parameters, statements on `c`.
#[derive(Debug, Default)]
pub struct FnBuilder {
    params_scope: Scope,
    pub generics: Vec<String>,
    pub params: Vec<Param>,
    pub body: Vec<String>,
}

impl FnBuilder {
    pub fn new(reserved: &[&str]) -> Self {
        FnBuilder {
            params_scope: Scope::with_reserved(reserved),
            ..FnBuilder::default()
        }
    }

    fn param(&mut self, name: &str, ty: String, sample_min: String, sample_max: String) -> String {
        let name = self.params_scope.claim(&names::snake(name), "");
        self.params.push(Param {
            name: name.clone(),
            ty,
            sample_min,
            sample_max,
        });
        name
    }

    fn push_token(&mut self, token: &Option<String>) {
        if let Some(token) = token {
            self.body.push(format!("c.push_arg({token:?});"));
        }
    }
}

/// A method of a generated type.
#[derive(Debug, Clone)]
pub struct Method {
    pub name: String,
    /// The syntax it writes, for its doc comment.
    pub doc: String,
    pub generics: Vec<String>,
    pub params: Vec<Param>,
    /// (field, statements): `"0"` for a oneof type's single part.
    pub writes: Vec<(String, Vec<String>)>,
    /// The slot it writes; setters sharing a slot exclude each other.
    pub slot: String,
}

impl Method {
    fn from_builder(name: String, doc: String, fb: FnBuilder, slot: &str) -> Method {
        Method {
            name,
            doc,
            generics: fb.generics,
            params: fb.params,
            writes: vec![(slot.to_string(), fb.body)],
            slot: slot.to_string(),
        }
    }

    /// `name(sample, ...)` with minimal or maximal samples.
    pub fn call(&self, max: bool) -> String {
        let args: Vec<&str> = self
            .params
            .iter()
            .map(|p| {
                if max {
                    p.sample_max.as_str()
                } else {
                    p.sample_min.as_str()
                }
            })
            .collect();
        format!("{}({})", self.name, args.join(", "))
    }
}

#[derive(Debug, Clone)]
pub enum TypeKind {
    /// `struct Name(Cmd)`, built by one of `ctors`.
    OneOf,
    /// `struct Name { fields }`: constructors for required parts, setters for optional.
    Struct { fields: Vec<String> },
}

/// A generated type in `options`.
#[derive(Debug, Clone)]
pub struct TypeDef {
    pub name: String,
    pub doc: String,
    pub kind: TypeKind,
    pub ctors: Vec<Method>,
    pub setters: Vec<Method>,
    /// An options type: `new()` takes nothing and every part is optional.
    pub is_options: bool,
    /// The element of a repeated argument: it implements `ToArgs<Self>`, so one of
    /// it or a collection of them is accepted.
    pub is_element: bool,
}

impl TypeDef {
    pub fn sample(&self, max: bool) -> String {
        let ctor = match self.ctors.first() {
            Some(ctor) => ctor.call(max),
            None => "new()".to_string(),
        };
        let mut out = format!("options::{}::{ctor}", self.name);
        if max {
            let mut seen = Vec::new();
            for setter in &self.setters {
                if !seen.contains(&setter.slot) {
                    seen.push(setter.slot.clone());
                    out.push('.');
                    out.push_str(&setter.call(true));
                }
            }
        }
        out
    }
}

/// Lowers one command's arguments, collecting the generated types.
pub struct Lowerer<'a> {
    /// CamelCase command name: the prefix of its types (`ClientKill`).
    pub prefix: String,
    /// `[`CLIENT KILL`](https://redis.io/commands/client-kill/)`.
    pub link: String,
    pub types: Vec<TypeDef>,
    pub type_names: &'a mut Scope,
}

fn value_type(t: &ValueType) -> Option<&'static str> {
    match t {
        ValueType::Text => None,
        ValueType::Integer => Some("impl args::Integer"),
        ValueType::Double => Some("impl args::Float"),
    }
}

/// A value that is a time span: its parameter type and the call that turns it into
/// the number sent. The specification has no unit field, so the unit is read from
/// the argument's name and type: `seconds` is whole seconds; `milliseconds`, `ms`,
/// `min-idle-time` and an integer `timeout` (WAIT, CLIENT PAUSE, MIGRATE) are whole
/// milliseconds; a double `timeout` (BLPOP, BZPOPMIN, ...) is seconds with a fraction.
/// Each takes integers or a `Duration` (see `redis_client::args`). A point in time
/// (`unix-time-seconds`, `unix-time-milliseconds`: EXPIREAT, SET's EXAT, ...) takes
/// integers or a `SystemTime`.
fn time_type(arg: &Arg, t: &ValueType) -> Option<(&'static str, &'static str)> {
    match (arg.name.as_str(), t) {
        ("seconds", ValueType::Integer) => Some(("impl args::Seconds", ".whole_seconds()")),
        ("milliseconds" | "ms" | "min-idle-time" | "timeout", ValueType::Integer) => {
            Some(("impl args::Milliseconds", ".whole_milliseconds()"))
        }
        ("timeout", ValueType::Double) => {
            Some(("impl args::FractionalSeconds", ".fractional_seconds()"))
        }
        ("unix-time-seconds", ValueType::Integer) => {
            Some(("impl args::UnixSeconds", ".unix_seconds()"))
        }
        ("unix-time-milliseconds", ValueType::Integer) => {
            Some(("impl args::UnixMilliseconds", ".unix_milliseconds()"))
        }
        _ => None,
    }
}

fn sample(t: &ValueType) -> String {
    match t {
        ValueType::Text => "\"x\"".into(),
        ValueType::Integer => "1".into(),
        ValueType::Double => "1.0".into(),
    }
}

/// The name a token gives a setter or constructor, if it is an identifier.
fn token_name(token: &Option<String>) -> Option<String> {
    let token = token.as_ref()?;
    let valid = !token.is_empty()
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !token.starts_with(|c: char| c.is_ascii_digit());
    valid.then(|| names::snake(token))
}

/// The method name for an argument: its token; for a block without one, the token
/// of its required first child (`COUNT count [ANY]` -> `count`); else its name.
/// Generated block types are named the same way (`GeoradiusCount`).
///
/// A token that is a Rust keyword gives way to its value's name when that is not one:
/// `MATCH pattern` is `pattern` (as on [`Scan`]), not `match_`.
pub fn arg_method_name(arg: &Arg) -> String {
    token_name(&arg.token)
        .filter(|name| {
            !name.ends_with('_')
                || !matches!(arg.kind, Kind::Value(_))
                || names::snake(&arg.name).ends_with('_')
        })
        .or_else(|| match &arg.kind {
            // A block the spec calls `options` (HRANDFIELD's `count [WITHVALUES]`) would
            // read like the options type: it is named after its first child instead.
            Kind::Block(children) => {
                children
                    .first()
                    .filter(|first| !first.optional)
                    .and_then(|first| {
                        token_name(&first.token)
                            .or_else(|| (arg.name == "options").then(|| names::snake(&first.name)))
                    })
            }
            _ => None,
        })
        .unwrap_or_else(|| names::snake(&arg.name))
}

/// Whether `count` is the number of elements of `list`, the argument right after it:
/// a required, tokenless integer named as a count (`numkeys`, in any casing or
/// spelling such as `num-keys`) before a tokenless repeated argument. In the 7.2
/// specification that is exactly the 18 commands whose key specs find their keys by
/// `keynum` (EVAL, FCALL, SINTERCARD, LMPOP, ZUNIONSTORE, ...); the generator checks
/// that no `keynum` command is missed.
pub fn is_count_of(count: &Arg, list: &Arg) -> bool {
    let name: String = count
        .name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    matches!(count.kind, Kind::Value(ValueType::Integer))
        && !count.optional
        && !count.multiple
        && count.token.is_none()
        && name.starts_with("num")
        && list.multiple
        && list.token.is_none()
}

fn as_required(arg: &Arg) -> Arg {
    let mut arg = arg.clone();
    arg.optional = false;
    arg
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{}_{}", prefix.trim_end_matches('_'), name)
    }
}

impl Lowerer<'_> {
    /// Writes a required argument (its `optional` flag ignored) into `fb`.
    pub fn required(&mut self, arg: &Arg, fb: &mut FnBuilder) {
        if arg.multiple {
            self.multiple(arg, fb);
            return;
        }
        match &arg.kind {
            Kind::PureToken => fb.push_token(&arg.token),
            Kind::Value(t) => {
                fb.push_token(&arg.token);
                let (ty, convert) = match time_type(arg, t) {
                    Some((ty, convert)) => (ty.to_string(), convert),
                    None => (value_type(t).unwrap_or("impl ToArg").to_string(), ""),
                };
                let name = fb.param(&arg.name, ty, sample(t), sample(t));
                fb.body.push(format!("c.push_arg({name}{convert});"));
            }
            Kind::Block(children) if children.iter().all(|c| !c.optional) => {
                fb.push_token(&arg.token);
                for child in children {
                    self.required(child, fb);
                }
            }
            Kind::Block(_) | Kind::OneOf(_) => {
                fb.push_token(&arg.token);
                let def = self.gen_type(arg);
                let name = fb.param(
                    &arg.name,
                    format!("options::{}", def.name),
                    def.sample(false),
                    def.sample(true),
                );
                fb.body.push(format!("{name}.write_to(c);"));
                self.types.push(def);
            }
        }
    }

    /// Writes a repeated argument preceded by its count (the argument before it, see
    /// [`is_count_of`]), which is computed rather than asked for: the elements go into
    /// an argument-only `Cmd` named `counted` (inline up to its inline capacity, like
    /// the command itself), then its length and its arguments are written to `c`.
    /// RESP writes the count as text before the elements, so it cannot be patched in
    /// afterwards; and a bound like `ExactSizeIterator` would both refuse ordinary
    /// iterators (`filter`, `chain`) and trust a `len()` nothing checks. Returns the
    /// list's parameter name.
    ///
    /// The buffer's length counts arguments, so each element must be one argument (a
    /// plain value, as every counted list of the specification is): a counted list of
    /// blocks is refused rather than miscounted.
    pub fn counted(&mut self, list: &Arg, fb: &mut FnBuilder) -> Result<String, String> {
        if !matches!(list.kind, Kind::Value(_)) || list.token.is_some() {
            return Err(format!(
                "{}: the count before `{}` counts elements of more than one argument each, which the generator cannot compute",
                self.link, list.name
            ));
        }
        let before = fb.body.len();
        let params_before = fb.params.len();
        self.required(&as_required(list), fb);
        let stmts = fb.body.split_off(before);
        let [push] = &stmts[..] else {
            unreachable!("a repeated value is written by one statement: {stmts:?}")
        };
        let push = push
            .strip_prefix("c.")
            .expect("a statement on `c`, not a loop");
        fb.body
            .push("let mut counted = Cmd::default();".to_string());
        fb.body.push(format!("counted.{push}"));
        fb.body.push("c.push_arg(counted.len());".to_string());
        fb.body.push("c.extend_from(&counted);".to_string());
        Ok(fb.params[params_before].name.clone())
    }

    /// A repeated argument: one `impl ToArgs<Shape>` parameter that takes one element
    /// or a collection of them (see `redis_sansio::resp::ToArgs`). The shape is
    /// `Single` for a value, `Pair` or `Triple` for a block of two or three plain
    /// values (`score member`), and the generated type itself for a block or oneof
    /// that gets one. A token repeated before every element is written between the
    /// elements: they are written into an argument-only `Cmd` first, then copied
    /// one element (one to three arguments) at a time.
    fn multiple(&mut self, arg: &Arg, fb: &mut FnBuilder) {
        // (shape, arguments per element, sample)
        let plain_values = |children: &[Arg]| {
            children
                .iter()
                .all(|c| !c.optional && !c.multiple && c.token.is_none())
                && children.iter().all(|c| matches!(c.kind, Kind::Value(_)))
        };
        let (shape, width, sample_min, sample_max) = match &arg.kind {
            Kind::Value(t) => ("ToArgs".to_string(), 1, sample(t), sample(t)),
            Kind::Block(children)
                if plain_values(children) && (2..=3).contains(&children.len()) =>
            {
                let samples: Vec<String> = children
                    .iter()
                    .map(|c| match &c.kind {
                        Kind::Value(t) => sample(t),
                        _ => unreachable!("plain values only"),
                    })
                    .collect();
                let shape = if children.len() == 2 {
                    "Pair"
                } else {
                    "Triple"
                };
                let s = format!("({})", samples.join(", "));
                (format!("ToArgs<{shape}>"), children.len(), s.clone(), s)
            }
            _ => {
                let mut single = arg.clone();
                single.multiple = false;
                single.multiple_token = false;
                single.token = None;
                let mut def = self.gen_type(&single);
                def.is_element = true;
                let out = (
                    format!("ToArgs<options::{}>", def.name),
                    0,
                    def.sample(false),
                    def.sample(true),
                );
                self.types.push(def);
                out
            }
        };
        // A generated type whose token comes before every element (none in Redis 7.2):
        // its elements cannot be told apart once written, so it takes an iterator.
        if let (Some(token), true, 0) = (&arg.token, arg.multiple_token, width) {
            let item = shape.trim_start_matches("ToArgs<").trim_end_matches('>');
            let name = fb.param(
                &arg.name,
                format!("impl IntoIterator<Item = {item}>"),
                format!("[{sample_min}]"),
                format!("[{sample_max}]"),
            );
            fb.body.push(format!(
                "for e in {name} {{ c.push_arg({token:?}); c.push_all(&e); }}"
            ));
            return;
        }
        let name = fb.param(
            &arg.name,
            format!("impl {shape}"),
            format!("[{sample_min}]"),
            format!("[{sample_max}]"),
        );
        match (&arg.token, arg.multiple_token) {
            (Some(token), true) => {
                // Every element after its token: `GET pattern GET pattern`.
                fb.body.push("let mut each = Cmd::default();".to_string());
                fb.body.push(format!("each.push_all(&{name});"));
                let body = if width == 1 {
                    format!("for e in each.args() {{ c.push_arg({token:?}); c.push_arg(e); }}")
                } else {
                    format!(
                        "let mut args = each.args(); while let Some(e) = args.next() {{ c.push_arg({token:?}); c.push_arg(e); for e in args.by_ref().take({}) {{ c.push_arg(e); }} }}",
                        width.saturating_sub(1)
                    )
                };
                fb.body.push(body);
            }
            (token, _) => {
                fb.push_token(token);
                fb.body.push(format!("c.push_all(&{name});"));
            }
        }
    }

    /// Generated type for a oneof or a block (its token, `optional` and `multiple` are
    /// handled by the caller).
    fn gen_type(&mut self, arg: &Arg) -> TypeDef {
        // Blocks are named like their setters (`GeoradiusCount`), oneofs by their name.
        let own = match &arg.kind {
            Kind::Block(_) => names::camel(&arg_method_name(arg)),
            _ => names::camel(&arg.name),
        };
        let name = self
            .type_names
            .claim_type(&format!("{}{}", self.prefix, own));
        let doc = format!(
            "`{}`: the `{}` argument of {}.",
            as_required(arg).syntax(),
            arg.name,
            self.link
        );
        match &arg.kind {
            Kind::OneOf(alts) => {
                let mut scope = Scope::with_reserved(&["write_to"]);
                let mut ctors = Vec::new();
                for alt in alts {
                    self.alternative(alt, "", &[], "0", &mut scope, &mut ctors);
                }
                TypeDef {
                    name,
                    doc,
                    kind: TypeKind::OneOf,
                    ctors,
                    setters: Vec::new(),
                    is_options: false,
                    is_element: false,
                }
            }
            Kind::Block(children) => self.block_type(name, doc, children),
            _ => unreachable!("only oneofs and blocks get types"),
        }
    }

    fn block_type(&mut self, name: String, doc: String, children: &[Arg]) -> TypeDef {
        let mut field_scope = Scope::default();
        let fields: Vec<String> = children
            .iter()
            .map(|c| field_scope.claim(&names::snake(&c.name), ""))
            .collect();
        let mut method_scope = Scope::with_reserved(&["write_to", "new"]);
        // Constructors: one per alternative of the only required oneof child, if any.
        let oneofs: Vec<usize> = children
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.optional && !c.multiple && matches!(c.kind, Kind::OneOf(_)))
            .map(|(i, _)| i)
            .collect();
        let mut ctors = Vec::new();
        if let [split] = oneofs[..] {
            let Kind::OneOf(alts) = &children[split].kind else {
                unreachable!()
            };
            let prefix = token_name(&children[split].token).unwrap_or_default();
            for alt in alts {
                let mut fb = FnBuilder::new(&[]);
                let mut writes = Vec::new();
                for (i, child) in children.iter().enumerate() {
                    if child.optional {
                        continue;
                    }
                    if i == split {
                        fb.push_token(&child.token);
                        self.required(&as_required(alt), &mut fb);
                    } else {
                        self.required(child, &mut fb);
                    }
                    writes.push((fields[i].clone(), std::mem::take(&mut fb.body)));
                }
                let method = join(&prefix, &arg_method_name(alt));
                ctors.push(Method {
                    name: method_scope.claim(&method, &alt.name),
                    doc: as_required(alt).syntax(),
                    generics: fb.generics,
                    params: fb.params,
                    writes,
                    slot: String::new(),
                });
            }
        } else {
            let mut fb = FnBuilder::new(&[]);
            let mut writes = Vec::new();
            let mut syntax = Vec::new();
            for (i, child) in children.iter().enumerate() {
                if child.optional {
                    continue;
                }
                syntax.push(child.syntax());
                self.required(child, &mut fb);
                writes.push((fields[i].clone(), std::mem::take(&mut fb.body)));
            }
            // A constructor without parameters is named by the block's leading token
            // (`XinfoStreamFull::full()`), as `new()` would suggest a `Default`.
            let name = match (fb.params.is_empty(), children.first()) {
                (true, Some(first)) if !first.optional => {
                    token_name(&first.token).unwrap_or_else(|| "new".into())
                }
                _ => "new".into(),
            };
            ctors.push(Method {
                name,
                doc: syntax.join(" "),
                generics: fb.generics,
                params: fb.params,
                writes,
                slot: String::new(),
            });
        }
        let mut setters = Vec::new();
        for (i, child) in children.iter().enumerate() {
            if child.optional {
                self.setters(child, &fields[i], &mut method_scope, &mut setters);
            }
        }
        TypeDef {
            name,
            doc,
            kind: TypeKind::Struct { fields },
            ctors,
            setters,
            is_options: false,
            is_element: false,
        }
    }

    /// The methods for one alternative of a oneof: one, or one per inner alternative
    /// when the alternative is itself a (non-repeated) oneof.
    fn alternative(
        &mut self,
        alt: &Arg,
        prefix: &str,
        pre: &[String],
        slot: &str,
        scope: &mut Scope,
        out: &mut Vec<Method>,
    ) {
        let own = arg_method_name(alt);
        if let (Kind::OneOf(inner), false) = (&alt.kind, alt.multiple) {
            let mut pre = pre.to_vec();
            if let Some(token) = &alt.token {
                pre.push(format!("c.push_arg({token:?});"));
            }
            let prefix = join(prefix, &own);
            for inner_alt in inner {
                self.alternative(inner_alt, &prefix, &pre, slot, scope, out);
            }
            return;
        }
        let mut fb = FnBuilder::new(&[]);
        fb.body.extend(pre.iter().cloned());
        self.required(&as_required(alt), &mut fb);
        let tokens: Vec<String> = pre
            .iter()
            .filter_map(|s| {
                s.strip_prefix("c.push_arg(")
                    .and_then(|s| s.strip_suffix(");"))
                    .map(|s| s.trim_matches('"').to_string())
            })
            .collect();
        let mut doc = tokens.join(" ");
        if !doc.is_empty() {
            doc.push(' ');
        }
        doc.push_str(&as_required(alt).syntax());
        let name = scope.claim(&join(prefix, &own), &alt.name);
        out.push(Method::from_builder(name, doc, fb, slot));
    }

    /// Setters for an optional argument writing `slot`.
    pub fn setters(&mut self, arg: &Arg, slot: &str, scope: &mut Scope, out: &mut Vec<Method>) {
        if let (Kind::OneOf(alts), false) = (&arg.kind, arg.multiple) {
            let mut pre = Vec::new();
            if let Some(token) = &arg.token {
                pre.push(format!("c.push_arg({token:?});"));
            }
            let prefix = token_name(&arg.token).unwrap_or_default();
            for alt in alts {
                self.alternative(alt, &prefix, &pre, slot, scope, out);
            }
            return;
        }
        let mut fb = FnBuilder::new(&[]);
        self.required(&as_required(arg), &mut fb);
        let name = scope.claim(&arg_method_name(arg), &arg.name);
        out.push(Method::from_builder(
            name,
            as_required(arg).syntax(),
            fb,
            slot,
        ));
    }
}
