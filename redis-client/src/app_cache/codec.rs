//! How a value becomes the bytes of a cache entry and back: the serializer, the
//! optional compressor, and the entry header that says which were used.
//!
//! An entry is `0xC5 0xAC <flags>` followed by the payload; flag bit 0 says the
//! payload is compressed. Bytes without that header were not written by the cache
//! ([`CacheError::Foreign`]); a header with unknown flags, or a payload that does not
//! decompress or deserialize, is [`CacheError::Corrupt`].

use bytes::Bytes;

use super::error::{BoxError, CacheError};

/// Turns values into bytes and back. Implement it for a format of your own
/// (bincode, protobuf, a hand-written layout); [`Raw`] stores byte strings as they
/// are, and `JsonSerializer` (the `serde` feature) stores any serde type as JSON.
pub trait Serializer<V>: Send + Sync {
    /// The bytes of `value`.
    fn serialize(&self, value: &V) -> Result<Vec<u8>, BoxError>;

    /// The value of `bytes`; an error when they are not one (never a panic).
    fn deserialize(&self, bytes: &[u8]) -> Result<V, BoxError>;
}

/// No serializer: byte strings (`Bytes`, `Vec<u8>`) are stored as they are, and
/// `String`s as their UTF-8 (reading back bytes that are not UTF-8 is an error).
#[derive(Debug, Clone, Copy, Default)]
pub struct Raw;

impl Serializer<Bytes> for Raw {
    fn serialize(&self, value: &Bytes) -> Result<Vec<u8>, BoxError> {
        Ok(value.to_vec())
    }

    fn deserialize(&self, bytes: &[u8]) -> Result<Bytes, BoxError> {
        Ok(Bytes::copy_from_slice(bytes))
    }
}

impl Serializer<Vec<u8>> for Raw {
    fn serialize(&self, value: &Vec<u8>) -> Result<Vec<u8>, BoxError> {
        Ok(value.clone())
    }

    fn deserialize(&self, bytes: &[u8]) -> Result<Vec<u8>, BoxError> {
        Ok(bytes.to_vec())
    }
}

impl Serializer<String> for Raw {
    fn serialize(&self, value: &String) -> Result<Vec<u8>, BoxError> {
        Ok(value.as_bytes().to_vec())
    }

    fn deserialize(&self, bytes: &[u8]) -> Result<String, BoxError> {
        Ok(String::from_utf8(bytes.to_vec())?)
    }
}

/// Any serde type as JSON text (the `serde` feature).
#[cfg(feature = "serde")]
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonSerializer;

#[cfg(feature = "serde")]
impl<V: serde::Serialize + serde::de::DeserializeOwned> Serializer<V> for JsonSerializer {
    fn serialize(&self, value: &V) -> Result<Vec<u8>, BoxError> {
        Ok(serde_json::to_vec(value)?)
    }

    fn deserialize(&self, bytes: &[u8]) -> Result<V, BoxError> {
        Ok(serde_json::from_slice(bytes)?)
    }
}

/// Compresses entry payloads. Implement it for a codec of your own (zstd, snappy);
/// [`Lz4`] (the `lz4` feature) is the one shipped.
///
/// A compressor must read back what it wrote, and refuse (with an error, not a panic
/// or an unbounded allocation) bytes it did not write.
pub trait Compressor: Send + Sync {
    /// `data`, compressed.
    fn compress(&self, data: &[u8]) -> Result<Vec<u8>, BoxError>;

    /// `data`, decompressed.
    fn decompress(&self, data: &[u8]) -> Result<Vec<u8>, BoxError>;
}

/// LZ4 (block format, through the pure-Rust `lz4_flex`; the `lz4` feature), with the
/// uncompressed length in front as a little-endian `u32`.
///
/// A length that LZ4 cannot reach from the bytes given (more than 255 times their
/// size) is refused before anything is allocated.
#[cfg(feature = "lz4")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Lz4;

#[cfg(feature = "lz4")]
impl Compressor for Lz4 {
    fn compress(&self, data: &[u8]) -> Result<Vec<u8>, BoxError> {
        let len = u32::try_from(data.len()).map_err(|_| "a value over 4 GiB")?;
        let mut out = len.to_le_bytes().to_vec();
        out.extend_from_slice(&lz4_flex::block::compress(data));
        Ok(out)
    }

    fn decompress(&self, data: &[u8]) -> Result<Vec<u8>, BoxError> {
        let (len, block) = data
            .split_first_chunk::<4>()
            .ok_or("an LZ4 entry shorter than its length")?;
        let len = u32::from_le_bytes(*len) as usize;
        // LZ4 expands a byte into at most 255 (one literal run of a match).
        if len > block.len().saturating_mul(255).saturating_add(16) {
            return Err("an LZ4 length the payload cannot reach".into());
        }
        let out = lz4_flex::block::decompress(block, len)?;
        if out.len() != len {
            return Err("an LZ4 payload shorter than its length".into());
        }
        Ok(out)
    }
}

/// The first two bytes of every entry.
const MAGIC: [u8; 2] = [0xC5, 0xAC];
/// Flag bit: the payload went through the compressor.
const COMPRESSED: u8 = 1;

/// How payloads are compressed: by whom, and from which size on.
#[derive(Clone, Copy)]
pub(crate) struct Compression<'c> {
    pub(crate) compressor: Option<&'c dyn Compressor>,
    pub(crate) min_len: usize,
}

/// The entry for a serialized value: header, then the payload, compressed when a
/// compressor is set, the payload is at least `min_len` long, and it shrinks.
pub(crate) fn encode_entry(
    payload: Vec<u8>,
    compression: Compression<'_>,
) -> Result<Bytes, CacheError> {
    let mut flags = 0;
    let mut body = payload;
    if let Some(compressor) = compression.compressor {
        if body.len() >= compression.min_len {
            let packed = compressor.compress(&body).map_err(CacheError::Encode)?;
            if packed.len() < body.len() {
                body = packed;
                flags |= COMPRESSED;
            }
        }
    }
    let mut entry = Vec::with_capacity(body.len() + 3);
    entry.extend_from_slice(&MAGIC);
    entry.push(flags);
    entry.extend_from_slice(&body);
    Ok(Bytes::from(entry))
}

/// The serialized payload of the entry `bytes` found under `key`.
pub(crate) fn decode_entry(
    key: &Bytes,
    bytes: &[u8],
    compression: Compression<'_>,
) -> Result<Vec<u8>, CacheError> {
    let Some((header, body)) = bytes.split_first_chunk::<3>() else {
        return Err(foreign(key));
    };
    if header[..2] != MAGIC {
        return Err(foreign(key));
    }
    match header[2] {
        0 => Ok(body.to_vec()),
        COMPRESSED => match compression.compressor {
            Some(compressor) => compressor
                .decompress(body)
                .map_err(|e| CacheError::Corrupt {
                    key: key.clone(),
                    source: e,
                }),
            None => Err(CacheError::corrupt(
                key,
                "a compressed entry, and the cache has no compressor",
            )),
        },
        _ => Err(CacheError::corrupt(key, "unknown entry flags")),
    }
}

fn foreign(key: &Bytes) -> CacheError {
    CacheError::Foreign {
        key: key.clone(),
        found: "a string without the cache's entry header",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Compression<'static> = Compression {
        compressor: None,
        min_len: 0,
    };

    #[test]
    fn entries_round_trip_and_bad_bytes_are_typed_errors() {
        let key = Bytes::from_static(b"k");
        let entry = encode_entry(b"hello".to_vec(), PLAIN).unwrap();
        assert_eq!(decode_entry(&key, &entry, PLAIN).unwrap(), b"hello");
        for foreign_bytes in [&b""[..], b"\xC5", b"hello", b"\xC5\xAD\x00x"] {
            let error = decode_entry(&key, foreign_bytes, PLAIN).unwrap_err();
            assert!(matches!(error, CacheError::Foreign { .. }), "{error:?}");
        }
        for corrupt in [&b"\xC5\xAC\x01abc"[..], b"\xC5\xAC\x80abc"] {
            let error = decode_entry(&key, corrupt, PLAIN).unwrap_err();
            assert!(matches!(error, CacheError::Corrupt { .. }), "{error:?}");
        }
    }

    #[cfg(feature = "lz4")]
    #[test]
    fn lz4_round_trips_and_refuses_what_it_did_not_write() {
        let key = Bytes::from_static(b"k");
        let lz4 = Compression {
            compressor: Some(&Lz4),
            min_len: 16,
        };
        let big = b"abcdefgh".repeat(1000);
        let entry = encode_entry(big.clone(), lz4).unwrap();
        assert_eq!(entry[2], COMPRESSED);
        assert!(entry.len() < big.len() / 10);
        assert_eq!(decode_entry(&key, &entry, lz4).unwrap(), big);
        // Short or incompressible payloads are stored as they are.
        let small = encode_entry(b"tiny".to_vec(), lz4).unwrap();
        assert_eq!(small[2], 0);
        // A huge stated length, a truncated block, garbage: errors, no allocation.
        for bad in [
            &b"\xC5\xAC\x01\xff\xff\xff\xff\x00"[..],
            &entry[..entry.len() / 2],
            b"\xC5\xAC\x01\x10\x00\x00\x00\xff\xff\xff\xff",
        ] {
            let error = decode_entry(&key, bad, lz4).unwrap_err();
            assert!(matches!(error, CacheError::Corrupt { .. }), "{error:?}");
        }
    }
}
