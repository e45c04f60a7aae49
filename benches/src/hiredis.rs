//! A minimal safe wrapper over hiredis's reply reader (`redisReader`), linked from the
//! system libhiredis by the build script.
//!
//! Only the reader API is bound: create, feed, get reply, free. Replies are opaque;
//! this wrapper owns each one and frees it with `freeReplyObject` on drop. Nothing
//! depends on the layout of `redisReply`, which changed between hiredis 0.14 and 1.x;
//! the only field read is the reader's error text, which starts `redisReader` in every
//! version (`int err; char errstr[128];`).

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr::NonNull;

/// `REDIS_OK`
const REDIS_OK: c_int = 0;

/// The head of `struct redisReader`, identical in hiredis 0.14 and 1.x.
#[repr(C)]
struct ReaderHead {
    err: c_int,
    errstr: [c_char; 128],
}

unsafe extern "C" {
    fn redisReaderCreate() -> *mut c_void;
    fn redisReaderFree(reader: *mut c_void);
    fn redisReaderFeed(reader: *mut c_void, buf: *const c_char, len: usize) -> c_int;
    fn redisReaderGetReply(reader: *mut c_void, reply: *mut *mut c_void) -> c_int;
    fn freeReplyObject(reply: *mut c_void);
}

/// A hiredis reply reader, building hiredis's default `redisReply` objects.
#[derive(Debug)]
pub struct Reader {
    raw: NonNull<c_void>,
}

/// One complete reply, freed on drop.
#[derive(Debug)]
pub struct Reply {
    raw: NonNull<c_void>,
}

/// hiredis reported a protocol error (or ran out of memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "hiredis: {}", self.0)
    }
}

impl std::error::Error for Error {}

impl Reader {
    /// A new reader (`redisReaderCreate`).
    ///
    /// # Panics
    ///
    /// If hiredis cannot allocate the reader.
    pub fn new() -> Self {
        // SAFETY: no preconditions; a null return means allocation failure.
        let raw = unsafe { redisReaderCreate() };
        Reader {
            raw: NonNull::new(raw).expect("redisReaderCreate: out of memory"),
        }
    }

    /// Appends `data` to the reader's buffer (`redisReaderFeed`, which copies it).
    pub fn feed(&mut self, data: &[u8]) -> Result<(), Error> {
        // SAFETY: `raw` is a live reader owned by `self`; `data` is valid for
        // `data.len()` bytes, and hiredis copies it before returning.
        let status =
            unsafe { redisReaderFeed(self.raw.as_ptr(), data.as_ptr().cast(), data.len()) };
        if status == REDIS_OK {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// The next complete reply, `Ok(None)` when the buffer holds only part of one
    /// (`redisReaderGetReply`).
    pub fn get_reply(&mut self) -> Result<Option<Reply>, Error> {
        let mut reply: *mut c_void = std::ptr::null_mut();
        // SAFETY: `raw` is a live reader owned by `self`; `reply` is a valid out
        // pointer. On success the reply (if any) is ours to free.
        let status = unsafe { redisReaderGetReply(self.raw.as_ptr(), &mut reply) };
        if status != REDIS_OK {
            return Err(self.error());
        }
        Ok(NonNull::new(reply).map(|raw| Reply { raw }))
    }

    fn error(&self) -> Error {
        // SAFETY: every hiredis version starts `redisReader` with `int err` and a
        // NUL-terminated `char errstr[128]`; `raw` is live.
        let head = unsafe { &*self.raw.as_ptr().cast::<ReaderHead>() };
        let text = if head.err == 0 {
            "unknown error".to_owned()
        } else {
            // SAFETY: hiredis keeps `errstr` NUL-terminated (it is zeroed on create
            // and written with snprintf-style bounded copies).
            unsafe { CStr::from_ptr(head.errstr.as_ptr()) }
                .to_string_lossy()
                .into_owned()
        };
        Error(text)
    }
}

impl Default for Reader {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        // SAFETY: `raw` came from `redisReaderCreate` and is freed exactly once.
        unsafe { redisReaderFree(self.raw.as_ptr()) }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        // SAFETY: `raw` is a reply handed out by `redisReaderGetReply`, built by the
        // default reply functions, and freed exactly once.
        unsafe { freeReplyObject(self.raw.as_ptr()) }
    }
}
