//! Rust names from spec names.
//!
//! - functions, setters, parameters, fields: lower snake case, `-` and spaces become `_`,
//!   other non-identifier characters are dropped; Rust keywords (and names starting with
//!   a digit) get a trailing `_` (`type_`, `move_`, `match_`).
//! - types: CamelCase of the same words (`client kill` -> `ClientKill`).
//! - clashes inside one scope (the parameters of one function, the setters and fields of
//!   one type, the constructors of one type, all generated type names) are resolved by
//!   [`Scope::claim`]: the first comer keeps the name, a later one becomes
//!   `<name>_<argument name>`, and if that is taken too, gets `_2`, `_3`, ... appended.

use std::collections::BTreeSet;

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop",
    "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe",
    "unsized", "use", "virtual", "where", "while", "yield", "abstract", "become",
];

/// Words of a spec name: split at `-`, `_`, spaces and `|`; other punctuation dropped.
fn words(name: &str) -> Vec<String> {
    name.split(['-', '_', ' ', '|'])
        .map(|w| {
            w.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The bare snake-case form, keywords not yet escaped ("" for `*`, `=`, ...).
pub fn snake_raw(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// A usable snake-case identifier (keywords escaped).
pub fn snake(name: &str) -> String {
    escape(snake_raw(name))
}

pub fn escape(ident: String) -> String {
    if KEYWORDS.contains(&ident.as_str()) || ident.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{ident}_")
    } else {
        ident
    }
}

pub fn camel(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| {
            let lower = w.to_lowercase();
            let mut chars = lower.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// A set of names already used in one scope.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    used: BTreeSet<String>,
}

impl Scope {
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Scope {
            used: reserved.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Claims `wanted`, or `wanted_<fallback>`, or those with `_2`, `_3`, ... appended.
    pub fn claim(&mut self, wanted: &str, fallback: &str) -> String {
        let wanted = if wanted.is_empty() { "arg" } else { wanted };
        let mut candidates = vec![wanted.to_string()];
        let fallback = snake_raw(fallback);
        if !fallback.is_empty() && fallback != wanted.trim_end_matches('_') {
            candidates.push(format!("{}_{fallback}", wanted.trim_end_matches('_')));
        }
        for candidate in candidates {
            let candidate = escape(candidate);
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
        }
        (2..)
            .map(|n| format!("{}_{n}", wanted.trim_end_matches('_')))
            .find(|c| self.used.insert(c.clone()))
            .expect("an unused name")
    }

    /// Claims a CamelCase type name, numbering on clashes.
    pub fn claim_type(&mut self, wanted: &str) -> String {
        if self.used.insert(wanted.to_string()) {
            return wanted.to_string();
        }
        (2..)
            .map(|n| format!("{wanted}{n}"))
            .find(|c| self.used.insert(c.clone()))
            .expect("an unused name")
    }
}
