//! serde (the `serde` feature): JSON values in strings, and structs in hashes.
//!
//! - [`Json<T>`] reads a string reply as JSON (`let user: Json<User> =
//!   conn.returning().get("user:1")?`); [`Json::encode`] turns a value into the JSON
//!   text to send (`conn.set("user:1", Json::encode(&user)?)`).
//! - [`HashStruct<T>`] reads a hash (`HGETALL`) into a struct, each field from its
//!   field's text (`"36"` for a `u32`); [`HashStruct::encode`] turns a struct into the
//!   field-value pairs `HSET` takes.
//!
//! Encoding is a separate, fallible step because serialization can fail (a map whose
//! keys are not strings, a `Serialize` impl that refuses) and an argument has no way
//! to report an error: the failure is a [`serde_json::Error`] before anything is sent,
//! never a panic or a half-written command.
//!
//! ```no_run
//! # fn demo(conn: &mut redis_io_sync::Connection) -> Result<(), Box<dyn std::error::Error>> {
//! use redis_client::prelude::*;
//! use redis_client::{HashStruct, Json};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct User {
//!     name: String,
//!     age: u32,
//!     email: Option<String>,
//! }
//!
//! let user = User { name: "Ada".into(), age: 36, email: None };
//! conn.set("user:1:json", Json::encode(&user)?)?;
//! let Json(back): Json<User> = conn.returning().get("user:1:json")?;
//!
//! conn.hset("user:1", HashStruct::encode(&user)?)?;
//! let HashStruct(back): HashStruct<User> = conn.returning().hgetall("user:1")?;
//! # Ok(()) }
//! ```

use bytes::Bytes;
use redis_sansio::resp::Frame;
use serde::Serialize;
use serde::de::value::{Error as DeError, MapDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use crate::{ConversionError, Error, FromReply};

/// A value stored as JSON text: a reply read as `T` from its JSON, and (with
/// [`Json::encode`]) the text to send. A missing key is `Option<Json<T>>`'s `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

impl<T: Serialize> Json<T> {
    /// `value` as JSON text, ready to send (`SET`, `HSET` values, `LPUSH` elements).
    pub fn encode(value: &T) -> Result<Bytes, serde_json::Error> {
        serde_json::to_vec(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> FromReply for Json<T> {
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        let text = Bytes::from_reply(frame)?;
        serde_json::from_slice(&text).map(Json).map_err(|error| {
            ConversionError::new(std::any::type_name::<T>(), format!("JSON ({error})")).into()
        })
    }
}

/// A struct stored as a hash, one field per struct field: read from `HGETALL`, and
/// (with [`HashStruct::encode`]) written with `HSET`.
///
/// Reading parses each field's text as the struct field's type: numbers, `bool`
/// (`1`/`0`/`true`/`false`), strings, unit enum variants by name; a missing field is
/// `None` for an `Option` (or its `#[serde(default)]`); a nested list or struct is
/// read from JSON text. Writing is the reverse: strings as they are, numbers and
/// `bool`s (`true`/`false`) as text, `None` left out, nested values as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HashStruct<T>(pub T);

impl<T: Serialize> HashStruct<T> {
    /// The field-value pairs of `value`, for `HSET` (`conn.hset(key, pairs)`). An
    /// error if `value` is not a struct or map.
    pub fn encode(value: &T) -> Result<Vec<(String, Bytes)>, serde_json::Error> {
        let serde_json::Value::Object(fields) = serde_json::to_value(value)? else {
            return Err(serde::ser::Error::custom(
                "a hash holds a struct or a map, not a single value",
            ));
        };
        let mut pairs = Vec::with_capacity(fields.len());
        for (field, value) in fields {
            let text = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(text) => Bytes::from(text),
                other @ (serde_json::Value::Bool(_) | serde_json::Value::Number(_)) => {
                    Bytes::from(other.to_string())
                }
                nested => Bytes::from(serde_json::to_vec(&nested)?),
            };
            pairs.push((field, text));
        }
        Ok(pairs)
    }
}

impl<T: DeserializeOwned> FromReply for HashStruct<T> {
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        let pairs = Vec::<(String, String)>::from_reply(frame)?;
        let fields = MapDeserializer::new(pairs.iter().map(|(k, v)| (k.as_str(), FieldText(v))));
        T::deserialize(fields)
            .map(HashStruct)
            .map_err(|error: DeError| {
                ConversionError::new(std::any::type_name::<T>(), format!("hash ({error})")).into()
            })
    }
}

/// One hash field's text, deserialized as whatever the struct field wants.
#[derive(Clone, Copy)]
struct FieldText<'a>(&'a str);

impl<'de> IntoDeserializer<'de, DeError> for FieldText<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// Parses the text as `$t` and visits it with `$visit`.
macro_rules! parsed {
    ($($method:ident $t:ty => $visit:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.0.parse::<$t>() {
                Ok(value) => visitor.$visit(value),
                Err(_) => Err(de::Error::invalid_value(de::Unexpected::Str(self.0), &visitor)),
            }
        }
    )*};
}

/// Reads `text` as JSON with one of serde_json's deserializer methods: a nested list
/// or struct stored as JSON text.
fn nested_json<'de, T>(
    text: &'de str,
    read: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::StrRead<'de>>,
    ) -> Result<T, serde_json::Error>,
) -> Result<T, DeError> {
    read(&mut serde_json::Deserializer::from_str(text)).map_err(de::Error::custom)
}

impl<'de> de::Deserializer<'de> for FieldText<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_str(self.0)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            "1" | "true" => visitor.visit_bool(true),
            "0" | "false" => visitor.visit_bool(false),
            other => Err(de::Error::invalid_value(
                de::Unexpected::Str(other),
                &visitor,
            )),
        }
    }

    parsed! {
        deserialize_i8 i8 => visit_i8, deserialize_i16 i16 => visit_i16,
        deserialize_i32 i32 => visit_i32, deserialize_i64 i64 => visit_i64,
        deserialize_i128 i128 => visit_i128, deserialize_u8 u8 => visit_u8,
        deserialize_u16 u16 => visit_u16, deserialize_u32 u32 => visit_u32,
        deserialize_u64 u64 => visit_u64, deserialize_u128 u128 => visit_u128,
        deserialize_f32 f32 => visit_f32, deserialize_f64 f64 => visit_f64,
        deserialize_char char => visit_char,
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        nested_json(self.0, |json| {
            de::Deserializer::deserialize_seq(json, visitor)
        })
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        nested_json(self.0, |json| {
            de::Deserializer::deserialize_map(json, visitor)
        })
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        nested_json(self.0, |json| {
            de::Deserializer::deserialize_struct(json, name, fields, visitor)
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        nested_json(self.0, |json| {
            de::Deserializer::deserialize_tuple(json, len, visitor)
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_enum(self.0.into_deserializer(), name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        str string bytes byte_buf unit unit_struct tuple_struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Plan {
        Free,
        Pro,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct User {
        name: String,
        age: u32,
        active: bool,
        score: f64,
        plan: Plan,
        email: Option<String>,
        tags: Vec<String>,
    }

    fn ada() -> User {
        User {
            name: "Ada".into(),
            age: 36,
            active: true,
            score: 9.5,
            plan: Plan::Pro,
            email: None,
            tags: vec!["math".into()],
        }
    }

    /// The flat RESP2 array `HGETALL` answers with.
    fn hgetall(pairs: &[(String, Bytes)]) -> Frame {
        Frame::Array(
            pairs
                .iter()
                .flat_map(|(k, v)| [Frame::bulk(k.clone()), Frame::BulkString(v.clone())])
                .collect(),
        )
    }

    #[test]
    fn a_struct_goes_to_hash_fields_and_back() {
        let pairs = HashStruct::encode(&ada()).unwrap();
        let text: Vec<(&str, &[u8])> = pairs.iter().map(|(k, v)| (k.as_str(), &v[..])).collect();
        assert!(text.contains(&("age", b"36")));
        assert!(text.contains(&("active", b"true")));
        assert!(
            text.contains(&("plan", b"Pro")),
            "a unit variant by its name"
        );
        assert!(text.contains(&("tags", b"[\"math\"]")));
        assert!(!text.iter().any(|(k, _)| *k == "email"), "None is left out");
        let HashStruct(back) = HashStruct::<User>::from_reply(hgetall(&pairs)).unwrap();
        assert_eq!(back, ada());
    }

    #[test]
    fn hash_text_is_parsed_as_each_field_wants() {
        let pairs: Vec<(String, Bytes)> = [
            ("name", "Bob"),
            ("age", "7"),
            ("active", "0"),
            ("score", "1e2"),
            ("plan", "Free"),
            ("email", "bob@example.com"),
            ("tags", "[]"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Bytes::from(v)))
        .collect();
        let HashStruct(bob) = HashStruct::<User>::from_reply(hgetall(&pairs)).unwrap();
        assert_eq!(bob.age, 7);
        assert!(!bob.active);
        assert_eq!(bob.score, 100.0);
        assert_eq!(bob.plan, Plan::Free);
        assert_eq!(bob.email.as_deref(), Some("bob@example.com"));
    }

    #[test]
    fn bad_text_is_a_conversion_error_not_a_panic() {
        let pairs = vec![("age".to_string(), Bytes::from("old"))];
        let error = HashStruct::<User>::from_reply(hgetall(&pairs)).unwrap_err();
        assert!(matches!(error, Error::Conversion(_)), "{error:?}");
        let error = Json::<User>::from_reply(Frame::bulk("{not json")).unwrap_err();
        assert!(matches!(error, Error::Conversion(_)), "{error:?}");
        assert!(HashStruct::encode(&42).is_err(), "a number is no hash");
        let composite_keys = std::collections::HashMap::from([((1, 2), "x")]);
        assert!(Json::encode(&composite_keys).is_err());
    }

    #[test]
    fn json_round_trips_through_a_string_reply() {
        let text = Json::encode(&ada()).unwrap();
        let Json(back) = Json::<User>::from_reply(Frame::BulkString(text)).unwrap();
        assert_eq!(back, ada());
        let missing = Option::<Json<User>>::from_reply(Frame::Null).unwrap();
        assert!(missing.is_none());
    }
}
