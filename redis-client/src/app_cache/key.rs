//! Cache keys: the user's key and the arguments its value was computed from, and the
//! identity generators that turn them into a Redis key.

use bytes::Bytes;
use redis_sansio::resp::{ArgBuf, Args, ToArg};

/// What a value is cached under: a name (`"user:profile"`) and the arguments the value
/// was computed from (`42`, `"en"`), in order.
///
/// A plain string or byte string converts into a `Key` without arguments, so every
/// cache method takes `"user:1"` as well as `Key::new("user").arg(1)`.
///
/// ```
/// use redis_client::app_cache::Key;
///
/// let key = Key::new("report").arg(2024).arg("eu");
/// let names: Vec<&[u8]> = key.args().collect();
/// assert_eq!(names, [&b"2024"[..], b"eu"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    name: Bytes,
    args: ArgBuf,
}

impl Key {
    /// A key named `name`, without arguments yet.
    pub fn new(name: impl ToArg) -> Self {
        let mut buf = ArgBuf::new();
        name.write_arg(&mut buf);
        let name = buf.iter().next().map(Bytes::copy_from_slice);
        Key {
            name: name.unwrap_or_default(),
            args: ArgBuf::new(),
        }
    }

    /// Adds an argument the value depends on (an id, a language, a page number).
    #[must_use]
    pub fn arg(mut self, arg: impl ToArg) -> Self {
        arg.write_arg(&mut self.args);
        self
    }

    /// The name, as given.
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The arguments, in order, each as bytes (`42` as `b"42"`).
    pub fn args(&self) -> Args<'_> {
        self.args.iter()
    }

    /// Whether the key has no arguments.
    pub fn has_args(&self) -> bool {
        !self.args.is_empty()
    }

    /// The arguments encoded back to back, each with its length in front (RESP bulk
    /// strings): an unambiguous byte string to hash.
    pub fn encoded_args(&self) -> &[u8] {
        self.args.as_bytes()
    }
}

impl From<&str> for Key {
    fn from(name: &str) -> Self {
        Key::new(name)
    }
}

impl From<String> for Key {
    fn from(name: String) -> Self {
        Key::new(name)
    }
}

impl From<&[u8]> for Key {
    fn from(name: &[u8]) -> Self {
        Key::new(name)
    }
}

impl From<Bytes> for Key {
    fn from(name: Bytes) -> Self {
        Key::new(name)
    }
}

impl From<&Key> for Key {
    fn from(key: &Key) -> Self {
        key.clone()
    }
}

/// Builds the Redis key of a cache entry from the cache's namespace and a [`Key`].
///
/// Two keys must get the same Redis key only when they stand for the same value. A
/// closure `Fn(&[u8], &Key) -> Vec<u8>` (namespace, key) is an `Identity` too.
pub trait Identity: Send + Sync {
    /// The Redis key for `key` in `namespace` (empty when the cache has none).
    fn identity(&self, namespace: &[u8], key: &Key) -> Vec<u8>;
}

impl<F: Fn(&[u8], &Key) -> Vec<u8> + Send + Sync> Identity for F {
    fn identity(&self, namespace: &[u8], key: &Key) -> Vec<u8> {
        self(namespace, key)
    }
}

/// The default identity: `namespace:name`, and when the key has arguments,
/// `namespace:name:<SHA1 of the arguments, hex>`. The arguments can be long or
/// binary; the Redis key stays short and unambiguous. Without a namespace the
/// leading `namespace:` is left out, so with neither namespace nor arguments the
/// Redis key is the name verbatim.
#[derive(Debug, Clone, Copy, Default)]
pub struct HashedArgs;

impl Identity for HashedArgs {
    fn identity(&self, namespace: &[u8], key: &Key) -> Vec<u8> {
        let mut out = prefixed(namespace, key);
        if key.has_args() {
            out.push(b':');
            let digest = sha1_smol::Sha1::from(key.encoded_args()).digest();
            out.extend_from_slice(digest.to_string().as_bytes());
        }
        out
    }
}

/// A readable identity: `namespace:name:arg1:arg2...`, each argument verbatim.
/// Arguments containing `:` can make two keys collide (`("a:b")` and `("a", "b")`);
/// use [`HashedArgs`] when they might.
#[derive(Debug, Clone, Copy, Default)]
pub struct JoinedArgs;

impl Identity for JoinedArgs {
    fn identity(&self, namespace: &[u8], key: &Key) -> Vec<u8> {
        let mut out = prefixed(namespace, key);
        for arg in key.args() {
            out.push(b':');
            out.extend_from_slice(arg);
        }
        out
    }
}

/// `namespace:name`, or `name` without a namespace.
fn prefixed(namespace: &[u8], key: &Key) -> Vec<u8> {
    let mut out = Vec::with_capacity(namespace.len() + key.name().len() + 48);
    if !namespace.is_empty() {
        out.extend_from_slice(namespace);
        out.push(b':');
    }
    out.extend_from_slice(key.name());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_with_and_without_namespace_and_arguments() {
        let plain = Key::new("user:1");
        assert_eq!(HashedArgs.identity(b"", &plain), b"user:1");
        assert_eq!(HashedArgs.identity(b"app", &plain), b"app:user:1");
        let with = Key::new("user").arg(1).arg("en");
        assert_eq!(JoinedArgs.identity(b"app", &with), b"app:user:1:en");
        let hashed = HashedArgs.identity(b"app", &with);
        assert!(hashed.starts_with(b"app:user:"));
        assert_eq!(hashed.len(), b"app:user:".len() + 40);
        // Length-prefixed arguments: ("a:b") and ("a", "b") differ when hashed.
        let one = HashedArgs.identity(b"", &Key::new("k").arg("a:b"));
        let two = HashedArgs.identity(b"", &Key::new("k").arg("a").arg("b"));
        assert_ne!(one, two);
        assert_eq!(
            JoinedArgs.identity(b"", &Key::new("k").arg("a:b")),
            JoinedArgs.identity(b"", &Key::new("k").arg("a").arg("b")),
            "the documented collision of the readable form"
        );
    }

    #[test]
    fn a_closure_is_an_identity() {
        let upper = |ns: &[u8], key: &Key| [ns, b"/", &key.name().to_ascii_uppercase()].concat();
        assert_eq!(upper.identity(b"x", &Key::from("abc")), b"x/ABC");
    }
}
