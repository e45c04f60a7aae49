//! Hash slots: which of the 16384 slots a key belongs to.

/// How many hash slots a Redis Cluster has.
pub const SLOT_COUNT: u16 = 16384;

/// The CRC16 lookup table (XMODEM: polynomial 0x1021, initial value 0, no
/// reflection), computed at compile time.
const CRC16_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// CRC16/XMODEM of `data`, the checksum Redis Cluster hashes keys with.
///
/// ```
/// use redis_sansio::cluster::crc16;
///
/// assert_eq!(crc16(b"123456789"), 0x31c3);
/// ```
pub fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |crc, &byte| {
        let index = ((crc >> 8) ^ u16::from(byte)) & 0xff;
        (crc << 8) ^ CRC16_TABLE[usize::from(index)]
    })
}

/// The part of `key` that is hashed: the content of the first `{...}` when it is
/// non-empty (the hash tag), otherwise the whole key.
///
/// Only the first `{` counts, and the first `}` after it closes the tag:
/// `foo{{bar}}` hashes `{bar`, and `foo{}{bar}` hashes the whole key because its
/// first tag is empty.
pub fn hash_tag(key: &[u8]) -> &[u8] {
    let Some(open) = key.iter().position(|&b| b == b'{') else {
        return key;
    };
    let rest = &key[open + 1..];
    match rest.iter().position(|&b| b == b'}') {
        Some(close) if close > 0 => &rest[..close],
        _ => key,
    }
}

/// The hash slot of `key` (0 to 16383): CRC16 of its [`hash_tag`] modulo 16384.
///
/// ```
/// use redis_sansio::cluster::key_slot;
///
/// assert_eq!(key_slot(b"foo"), 12182);
/// assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"{user1000}.followers"));
/// ```
pub fn key_slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key)) % SLOT_COUNT
}
