//! A command's arguments as RESP bulk strings, kept inline while they are small.

use std::fmt;

/// How many encoded bytes an [`ArgBuf`] holds before it allocates.
const INLINE: usize = 70;

// The inline length is a `u8`.
const _: () = assert!(INLINE <= u8::MAX as usize);

/// A command's arguments, each encoded as a RESP bulk string (`$len\r\ndata\r\n`), and
/// how many there are.
///
/// Up to [`ArgBuf::INLINE_CAPACITY`] encoded bytes live inside the value itself, so
/// short commands such as `GET key:12345` or `SET key:12345 <16-byte value>` are
/// built without touching the heap; longer ones spill into one growing heap buffer.
///
/// [`push_bulk`](Self::push_bulk) is the only way to add bytes, and it counts what it
/// adds, so [`len`](Self::len) is always the number of bulk strings held.
/// [`ToArg`](super::ToArg) implementations receive one:
///
/// ```
/// use redis_sansio::resp::ArgBuf;
///
/// let mut args = ArgBuf::new();
/// args.push_bulk(b"GET");
/// args.push_bulk(b"key:1");
/// assert_eq!(args.len(), 2);
/// assert_eq!(args.as_bytes(), b"$3\r\nGET\r\n$5\r\nkey:1\r\n");
/// assert!(args.is_inline());
/// ```
#[derive(Clone, Default)]
pub struct ArgBuf {
    bytes: Storage,
    /// How many bulk strings `bytes` holds.
    count: usize,
}

#[derive(Clone)]
enum Storage {
    /// The first `len` bytes of `buf`.
    Inline { len: u8, buf: [u8; INLINE] },
    /// Spilled: more than [`INLINE`] bytes were needed.
    Heap(Vec<u8>),
}

impl Default for Storage {
    fn default() -> Self {
        Storage::Inline {
            len: 0,
            buf: [0; INLINE],
        }
    }
}

impl ArgBuf {
    /// How many encoded bytes (headers and CRLFs included) fit before the buffer
    /// allocates.
    pub const INLINE_CAPACITY: usize = INLINE;

    /// An empty buffer; it does not allocate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `data` as one bulk string: `$len\r\ndata\r\n`.
    #[inline(always)]
    pub fn push_bulk(&mut self, data: &[u8]) {
        self.count += 1;
        if let Storage::Inline { len, buf } = &mut self.bytes {
            if let Some(end) = write_short_bulk(buf, usize::from(*len), data) {
                // At most `INLINE`, which fits a `u8`.
                *len = end as u8;
                return;
            }
        }
        self.push_bulk_spilled(data);
    }

    /// [`push_bulk`](Self::push_bulk) past the inline capacity (`count` is done).
    #[inline(never)]
    fn push_bulk_spilled(&mut self, data: &[u8]) {
        let vec = self.heap(data.len() + 25);
        let start = vec.len();
        // A short bulk is written into a window of fixed size with fixed-size stores
        // (no call to `memcpy`), then the window is cut to what it took.
        vec.extend_from_slice(&[0; SHORT_WINDOW]);
        if let Some(window) = vec.last_chunk_mut::<SHORT_WINDOW>() {
            if let Some(end) = write_short_bulk(window, 0, data) {
                vec.truncate(start + end);
                return;
            }
        }
        vec.truncate(start);
        let mut digits = itoa::Buffer::new();
        vec.push(b'$');
        vec.extend_from_slice(digits.format(data.len()).as_bytes());
        vec.extend_from_slice(b"\r\n");
        vec.extend_from_slice(data);
        vec.extend_from_slice(b"\r\n");
    }

    /// Makes room for at least `additional` more encoded bytes, moving to the heap if
    /// they do not fit inline. Building a long command (`MGET` of many keys) grows
    /// the buffer step by step otherwise; this sizes it once.
    pub fn reserve(&mut self, additional: usize) {
        if let Storage::Inline { len, .. } = &self.bytes {
            if usize::from(*len) + additional <= INLINE {
                return;
            }
        }
        self.heap(additional);
    }

    /// The heap buffer, with room for `additional` more bytes; spills the inline
    /// bytes there first if they are still inline.
    #[inline]
    fn heap(&mut self, additional: usize) -> &mut Vec<u8> {
        if let Storage::Inline { len, buf } = &self.bytes {
            let held = &buf[..usize::from(*len)];
            let mut vec = Vec::with_capacity((held.len() + additional).max(2 * INLINE));
            vec.extend_from_slice(held);
            self.bytes = Storage::Heap(vec);
        }
        match &mut self.bytes {
            Storage::Heap(vec) => {
                vec.reserve(additional);
                vec
            }
            Storage::Inline { .. } => unreachable!("spilled just above"),
        }
    }

    /// Appends `other`'s bulk strings after this buffer's.
    pub fn extend_from(&mut self, other: &ArgBuf) {
        let bytes = other.as_bytes();
        self.count += other.count;
        if let Storage::Inline { len, buf } = &mut self.bytes {
            let start = usize::from(*len);
            if let Some(room) = buf.get_mut(start..start + bytes.len()) {
                room.copy_from_slice(bytes);
                *len = (start + bytes.len()) as u8;
                return;
            }
        }
        self.heap(bytes.len()).extend_from_slice(bytes);
    }

    /// How many encoded bytes the buffer holds.
    #[inline]
    pub fn byte_len(&self) -> usize {
        match &self.bytes {
            Storage::Inline { len, .. } => usize::from(*len),
            Storage::Heap(vec) => vec.len(),
        }
    }

    /// How many bulk strings the buffer holds.
    #[inline]
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when the buffer holds no bulk string.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The encoded bulk strings, back to back.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.bytes {
            Storage::Inline { len, buf } => &buf[..usize::from(*len)],
            Storage::Heap(vec) => vec,
        }
    }

    /// True while the bytes are stored inline, with no heap allocation.
    pub fn is_inline(&self) -> bool {
        matches!(self.bytes, Storage::Inline { .. })
    }

    /// The first bulk string's contents (a command's name), found without a full
    /// parse when its length has one digit.
    #[inline]
    pub(crate) fn first(&self) -> Option<&[u8]> {
        match self.as_bytes() {
            [b'$', digit @ b'0'..=b'9', b'\r', b'\n', rest @ ..] => {
                rest.get(..usize::from(digit - b'0'))
            }
            _ => self.iter().next(),
        }
    }

    /// The bulk strings' contents, in order.
    pub fn iter(&self) -> Args<'_> {
        Args {
            rest: self.as_bytes(),
        }
    }
}

/// The window [`ArgBuf::push_bulk_spilled`] writes a short bulk into: `$`, two
/// digits, CRLF, up to 41 bytes of data, CRLF.
const SHORT_WINDOW: usize = 48;

/// Writes `data` as a bulk string into `buf` from `start`, if it fits there and is
/// shorter than 100 bytes; returns where it ends.
#[inline(always)]
fn write_short_bulk<const N: usize>(buf: &mut [u8; N], start: usize, data: &[u8]) -> Option<usize> {
    let n = data.len();
    if n >= 100 {
        return None;
    }
    let digits = if n < 10 { 1 } else { 2 };
    let body = start + digits + 3;
    let end = body + n + 2;
    if end > N {
        return None;
    }
    buf[start] = b'$';
    // `n < 100`, so both digits fit a `u8`.
    if n < 10 {
        buf[start + 1] = b'0' + n as u8;
    } else {
        buf[start + 1] = b'0' + (n / 10) as u8;
        buf[start + 2] = b'0' + (n % 10) as u8;
    }
    buf[body - 2..body].copy_from_slice(b"\r\n");
    copy_short(&mut buf[body..body + n], data);
    buf[end - 2..end].copy_from_slice(b"\r\n");
    Some(end)
}

/// Copies `src` to `dst`, of the same length: a short argument as two overlapping
/// fixed-size moves rather than a call to `memcpy`.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n > 32 {
        dst.copy_from_slice(src);
    } else if n >= 16 {
        dst[..16].copy_from_slice(&src[..16]);
        dst[n - 16..].copy_from_slice(&src[n - 16..]);
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..].copy_from_slice(&src[n - 4..]);
    } else if n > 0 {
        // One to three bytes (`GET`, `SET`): the first, middle and last.
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}

/// Equal when they hold the same bulk strings, stored inline or not.
impl PartialEq for ArgBuf {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count && self.as_bytes() == other.as_bytes()
    }
}

impl Eq for ArgBuf {}

impl fmt::Debug for ArgBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|arg| String::from_utf8_lossy(arg)))
            .finish()
    }
}

impl<'a> IntoIterator for &'a ArgBuf {
    type Item = &'a [u8];
    type IntoIter = Args<'a>;

    fn into_iter(self) -> Args<'a> {
        self.iter()
    }
}

/// An iterator over the arguments of an [`ArgBuf`] or a [`Cmd`](crate::Cmd).
#[derive(Debug, Clone)]
pub struct Args<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Args<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        // Every argument was written by `push_bulk` as `$len\r\ndata\r\n`.
        let (&b'$', rest) = self.rest.split_first()? else {
            return None;
        };
        let mut len = 0usize;
        let mut digits = 0usize;
        for &byte in rest {
            if !byte.is_ascii_digit() {
                break;
            }
            len = len.checked_mul(10)?.checked_add(usize::from(byte - b'0'))?;
            digits += 1;
        }
        let start = digits + 2;
        let arg = rest.get(start..start.checked_add(len)?)?;
        self.rest = rest.get(start + len + 2..).unwrap_or_default();
        Some(arg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulks(args: &ArgBuf) -> Vec<Vec<u8>> {
        args.iter().map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn small_commands_stay_inline() {
        // The pipelined benchmark's largest command: `SET key:99999 <16 bytes>`.
        let mut args = ArgBuf::new();
        args.push_bulk(b"SET");
        args.push_bulk(b"key:99999");
        args.push_bulk(b"0123456789abcdef");
        assert!(args.is_inline());
        assert_eq!(args.len(), 3);
        const { assert!(ArgBuf::INLINE_CAPACITY >= 54) };
        assert_eq!(
            args.as_bytes(),
            b"$3\r\nSET\r\n$9\r\nkey:99999\r\n$16\r\n0123456789abcdef\r\n"
        );
    }

    #[test]
    fn spills_exactly_past_the_inline_capacity() {
        // One bulk of `n` bytes takes `n + 5 + digits` encoded bytes.
        let fits = INLINE - 7; // two digits
        let mut args = ArgBuf::new();
        args.push_bulk(&vec![b'x'; fits]);
        assert!(args.is_inline());
        assert_eq!(args.as_bytes().len(), INLINE);

        let mut args = ArgBuf::new();
        args.push_bulk(&vec![b'x'; fits + 1]);
        assert!(!args.is_inline());
        assert_eq!(bulks(&args), [vec![b'x'; fits + 1]]);
    }

    #[test]
    fn spilling_keeps_earlier_bulks_and_counts() {
        let mut args = ArgBuf::new();
        let mut expected = Vec::new();
        for i in 0..100u32 {
            let arg = format!("argument-{i}").into_bytes();
            args.push_bulk(&arg);
            expected.push(arg);
            assert_eq!(args.len(), expected.len());
        }
        assert!(!args.is_inline());
        assert_eq!(bulks(&args), expected);
    }

    #[test]
    fn every_short_length_round_trips() {
        let data: Vec<u8> = (0..=70u8).collect();
        for n in 0..=data.len() {
            let mut args = ArgBuf::new();
            args.push_bulk(b"K");
            args.push_bulk(&data[..n]);
            assert_eq!(bulks(&args), [&b"K"[..], &data[..n]], "length {n}");
        }
    }

    #[test]
    fn every_length_round_trips_once_spilled() {
        let data: Vec<u8> = (0..=120u8).collect();
        let mut args = ArgBuf::new();
        args.reserve(1000);
        assert!(!args.is_inline());
        for n in 0..=data.len() {
            args.push_bulk(&data[..n]);
        }
        let expected: Vec<&[u8]> = (0..=data.len()).map(|n| &data[..n]).collect();
        assert_eq!(bulks(&args), expected);
        assert_eq!(args.len(), expected.len());
        assert_eq!(args.byte_len(), args.as_bytes().len());
    }

    #[test]
    fn reserve_spills_only_what_does_not_fit() {
        let mut args = ArgBuf::new();
        args.push_bulk(b"GET");
        args.reserve(INLINE - args.byte_len());
        assert!(args.is_inline());
        args.reserve(INLINE);
        assert!(!args.is_inline());
        assert_eq!(bulks(&args), [b"GET"]);
    }

    #[test]
    fn empty_and_large_bulks() {
        let mut args = ArgBuf::new();
        args.push_bulk(b"");
        args.push_bulk(&vec![7u8; 100_000]);
        args.push_bulk(b"");
        assert_eq!(args.len(), 3);
        let got = bulks(&args);
        assert_eq!(got[0], b"");
        assert_eq!(got[1].len(), 100_000);
        assert_eq!(got[2], b"");
    }

    #[test]
    fn equality_ignores_where_bytes_live() {
        let mut inline = ArgBuf::new();
        inline.push_bulk(b"a");
        let heap = ArgBuf {
            bytes: Storage::Heap(inline.as_bytes().to_vec()),
            count: 1,
        };
        assert_eq!(inline, heap);
        assert_ne!(inline, ArgBuf::new());
        let mut other = ArgBuf::new();
        other.push_bulk(b"b");
        assert_ne!(inline, other);
    }

    #[test]
    fn extend_from_inline_and_spilled() {
        let mut a = ArgBuf::new();
        a.push_bulk(b"ZADD");
        let mut b = ArgBuf::new();
        b.push_bulk(b"NX");
        b.push_bulk(b"CH");
        a.extend_from(&b);
        assert!(a.is_inline());
        assert_eq!(a.len(), 3);
        assert_eq!(bulks(&a), [&b"ZADD"[..], b"NX", b"CH"]);
        for _ in 0..10 {
            let copy = a.clone();
            a.extend_from(&copy);
        }
        assert!(!a.is_inline());
        assert_eq!(a.len(), 3 << 10);
        assert_eq!(a.iter().count(), 3 << 10);
    }

    #[test]
    fn debug_lists_the_arguments() {
        let mut args = ArgBuf::new();
        args.push_bulk(b"GET");
        args.push_bulk(b"k");
        assert_eq!(format!("{args:?}"), r#"["GET", "k"]"#);
    }
}
