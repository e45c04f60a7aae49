//! Values that stand for one argument or many: what a repeated argument takes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;

use bytes::Bytes;

use super::arg_buf::ArgBuf;
use super::encode::ToArg;

/// The shape of an element that is one argument (a key, a list element, a member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Single {}

/// The shape of an element that is two arguments: a tuple `(a, b)` or a map's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pair {}

/// The shape of an element that is three arguments: a tuple `(a, b, c)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Triple {}

/// One element of shape `S`, or any number of them: the type of a repeated argument.
///
/// Where the specification lets an argument repeat (`LPUSH key element [element ...]`,
/// `DEL key [key ...]`, `HSET key field value [field value ...]`), a command takes an
/// `impl ToArgs<Shape>`: one value or a collection of them. One value counts as one
/// element, so a `String` is one list element, never its bytes:
///
/// ```
/// use redis_sansio::Cmd;
/// use redis_sansio::resp::Single;
///
/// let job = String::from("job:1");
/// let mut one = Cmd::new("LPUSH");
/// one.push_all(&"queue");
/// one.push_all(&job);
/// assert_eq!(one.len(), 3);
///
/// let mut many = Cmd::new("DEL");
/// many.push_all(&vec![job.clone(), "job:2".to_string()]);
/// many.push_all(&["job:3"]);
/// many.push_all::<Single>(&()); // nothing: a script without keys
/// assert_eq!(many.len(), 4);
/// ```
///
/// A byte string (`&[u8]`, `Vec<u8>`, `b"..."`, `Bytes`) is one value too. There is no
/// implementation for `u8` alone, so an iterator of bytes (`s.bytes()`) is refused at
/// compile time instead of being sent one byte per element:
///
/// ```compile_fail
/// use redis_sansio::Cmd;
/// let mut cmd = Cmd::new("LPUSH");
/// cmd.push_all(&redis_sansio::resp::Each("job".bytes()));
/// ```
///
/// The shape says what one element is: [`Single`] (one argument), [`Pair`] (`field
/// value`, `score member`) or [`Triple`] (`longitude latitude member`). A tuple is one
/// pair or triple, a map is many pairs, and collections of either work alike:
///
/// ```
/// use std::collections::BTreeMap;
/// use redis_sansio::Cmd;
///
/// let mut hset = Cmd::new("HSET");
/// hset.push_all(&"user:1");
/// hset.push_all(&("name", "Ada"));
/// hset.push_all(&BTreeMap::from([("age", 36)]));
/// assert_eq!(hset.len(), 6);
/// ```
///
/// An iterator computed on the fly goes in [`Each`]. Your own [`ToArg`] type becomes
/// a single value with a two-line implementation:
///
/// ```
/// use redis_sansio::resp::{ArgBuf, ToArg, ToArgs};
///
/// struct UserId(u32);
/// impl ToArg for UserId {
///     fn write_arg(&self, out: &mut ArgBuf) {
///         out.push_bulk(format!("user:{}", self.0).as_bytes());
///     }
/// }
/// impl ToArgs for UserId {
///     fn write_args(&self, out: &mut ArgBuf) {
///         self.write_arg(out);
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not one argument element or a collection of them",
    note = "pass one value, a slice, array, Vec, set or map; wrap an iterator in `Each(..)`",
    note = "a `u8` is not an element: a string's `.bytes()` would send one element per byte"
)]
pub trait ToArgs<S = Single> {
    /// Appends every argument this value stands for, in order.
    fn write_args(&self, out: &mut ArgBuf);
}

/// Writes `items` one after the other; when the iterator knows how many follow the
/// first, the buffer is sized once for that many of the first one's size (and a
/// quarter more, as later keys tend to be longer: `key:9` then `key:10`) instead of
/// growing step by step.
pub(crate) fn write_each<T>(
    out: &mut ArgBuf,
    items: impl IntoIterator<Item = T>,
    mut write: impl FnMut(&mut ArgBuf, T),
) {
    /// The most a guess reserves: a wrong guess wastes at most this.
    const MOST_GUESSED: usize = 1 << 20;
    let mut items = items.into_iter();
    let Some(first) = items.next() else {
        return;
    };
    let before = out.byte_len();
    write(out, first);
    let (more, _) = items.size_hint();
    if more > 0 {
        let guess = (out.byte_len() - before).saturating_mul(more);
        out.reserve(guess.saturating_add(guess / 4).min(MOST_GUESSED));
    }
    for item in items {
        write(out, item);
    }
}

/// Single values: each is written as its one [`ToArg`] argument.
macro_rules! single_values {
    ($($t:ty)*) => {$(
        impl ToArgs<Single> for $t {
            #[inline]
            fn write_args(&self, out: &mut ArgBuf) {
                self.write_arg(out);
            }
        }
    )*};
}
single_values!(
    str String [u8] Vec<u8> Bytes bool f32 f64
    i8 i16 i32 i64 i128 isize u16 u32 u64 u128 usize
);

impl<const N: usize> ToArgs<Single> for [u8; N] {
    #[inline]
    fn write_args(&self, out: &mut ArgBuf) {
        self.write_arg(out);
    }
}

impl<A: ToArg, B: ToArg> ToArgs<Pair> for (A, B) {
    fn write_args(&self, out: &mut ArgBuf) {
        self.0.write_arg(out);
        self.1.write_arg(out);
    }
}

impl<A: ToArg, B: ToArg, C: ToArg> ToArgs<Triple> for (A, B, C) {
    fn write_args(&self, out: &mut ArgBuf) {
        self.0.write_arg(out);
        self.1.write_arg(out);
        self.2.write_arg(out);
    }
}

/// No element at all, of any shape: `EVAL`'s keys when a script takes none.
impl<S> ToArgs<S> for () {
    #[inline]
    fn write_args(&self, _: &mut ArgBuf) {}
}

impl<S, T: ToArgs<S> + ?Sized> ToArgs<S> for &T {
    #[inline]
    fn write_args(&self, out: &mut ArgBuf) {
        (**self).write_args(out);
    }
}

/// The element if there is one, nothing otherwise.
impl<S, T: ToArgs<S>> ToArgs<S> for Option<T> {
    #[inline]
    fn write_args(&self, out: &mut ArgBuf) {
        if let Some(value) = self {
            value.write_args(out);
        }
    }
}

/// Collections: every element in order.
macro_rules! collections {
    ($([$($generics:tt)*] $t:ty;)*) => {$(
        impl<S, $($generics)*> ToArgs<S> for $t {
            fn write_args(&self, out: &mut ArgBuf) {
                write_each(out, self.iter(), |out, item| item.write_args(out));
            }
        }
    )*};
}
collections! {
    [T: ToArgs<S>] [T];
    [T: ToArgs<S>] Vec<T>;
    [T: ToArgs<S>, const N: usize] [T; N];
    [T: ToArgs<S>] VecDeque<T>;
    [T: ToArgs<S>] BTreeSet<T>;
    [T: ToArgs<S>, H: BuildHasher] HashSet<T, H>;
}

impl<K: ToArg, V: ToArg> ToArgs<Pair> for BTreeMap<K, V> {
    fn write_args(&self, out: &mut ArgBuf) {
        write_each(out, self, |out, pair| pair.write_args(out));
    }
}

impl<K: ToArg, V: ToArg, H: BuildHasher> ToArgs<Pair> for HashMap<K, V, H> {
    fn write_args(&self, out: &mut ArgBuf) {
        write_each(out, self, |out, pair| pair.write_args(out));
    }
}

/// The elements an iterator yields, for a list computed on the fly:
/// `Each(ids.iter().map(|id| format!("job:{id}")))`. The iterator is cloned to be
/// walked, so a command can be written more than once (a retry, a cluster split).
#[derive(Debug, Clone, Copy)]
pub struct Each<I>(pub I);

impl<S, I> ToArgs<S> for Each<I>
where
    I: IntoIterator + Clone,
    I::Item: ToArgs<S>,
{
    fn write_args(&self, out: &mut ArgBuf) {
        write_each(out, self.0.clone(), |out, item| item.write_args(out));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written<S>(value: impl ToArgs<S>) -> Vec<Vec<u8>> {
        let mut out = ArgBuf::new();
        value.write_args(&mut out);
        out.iter().map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn a_string_is_one_element_and_bytes_are_one_value() {
        assert_eq!(written(String::from("job")), [b"job".to_vec()]);
        assert_eq!(written("job"), [b"job".to_vec()]);
        assert_eq!(written(b"job"), [b"job".to_vec()]);
        assert_eq!(written(b"job".to_vec()), [b"job".to_vec()]);
        assert_eq!(written(&b"job"[..]), [b"job".to_vec()]);
        assert_eq!(written(Bytes::from_static(b"job")), [b"job".to_vec()]);
    }

    #[test]
    fn collections_write_every_element_in_order() {
        let owned = vec!["a".to_string(), "b".to_string()];
        assert_eq!(written(&owned), [b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(written(&owned[..]), [b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(written(["a", "b"]), [b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(written(vec![b"ab".to_vec()]), [b"ab".to_vec()]);
        assert_eq!(
            written(Each(1..=3)),
            [b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]
        );
        assert_eq!(written(Some(7)), [b"7".to_vec()]);
        assert!(written::<Single>(None::<i64>).is_empty());
        assert!(written::<Single>(()).is_empty());
    }

    #[test]
    fn pairs_and_triples_keep_their_order() {
        assert_eq!(written((1.5, "m")), [b"1.5".to_vec(), b"m".to_vec()]);
        assert_eq!(
            written([("f", "v"), ("g", "w")]),
            [b"f".to_vec(), b"v".to_vec(), b"g".to_vec(), b"w".to_vec()]
        );
        assert_eq!(
            written(BTreeMap::from([("b", 2), ("a", 1)])),
            [b"a".to_vec(), b"1".to_vec(), b"b".to_vec(), b"2".to_vec()]
        );
        assert_eq!(written(HashMap::from([("a", true)])).len(), 2);
        assert_eq!(written((1.0, 2.0, "m")).len(), 3);
        assert!(written::<Pair>(()).is_empty());
    }

    #[test]
    fn a_long_list_is_written_the_same_as_one_by_one() {
        let keys: Vec<String> = (0..500).map(|i| format!("key:{i}")).collect();
        let mut one_by_one = ArgBuf::new();
        for key in &keys {
            key.write_arg(&mut one_by_one);
        }
        let mut at_once = ArgBuf::new();
        keys.write_args(&mut at_once);
        assert_eq!(at_once, one_by_one);
    }
}
