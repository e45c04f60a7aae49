//! Hash slots: CRC16/XMODEM vectors and the hash-tag rule, checked against what
//! `redis-cli CLUSTER KEYSLOT` answers.

use redis_sansio::cluster::{SLOT_COUNT, crc16, hash_tag, key_slot};

#[test]
fn crc16_matches_the_xmodem_check_value() {
    assert_eq!(crc16(b"123456789"), 0x31c3);
    assert_eq!(crc16(b""), 0);
}

#[test]
fn key_slot_vectors() {
    // From `CLUSTER KEYSLOT` on Redis 7.0.
    for (key, slot) in [
        (&b"foo"[..], 12182),
        (b"bar", 5061),
        (b"123456789", 12739),
        (b"", 0),
        (b"user:1000", 1649),
        (b"{user1000}.following", 3443),
        (b"{user1000}.followers", 3443),
        (b"foo{}{bar}", 8363),
        (b"foo{{bar}}zap", 4015),
    ] {
        assert_eq!(key_slot(key), slot, "{}", String::from_utf8_lossy(key));
    }
}

#[test]
fn hash_tags_put_keys_in_one_slot() {
    assert_eq!(
        key_slot(b"{user1000}.following"),
        key_slot(b"{user1000}.followers")
    );
    assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
    assert_eq!(hash_tag(b"a{tag}b"), b"tag");
}

#[test]
fn an_empty_first_tag_hashes_the_whole_key() {
    assert_eq!(hash_tag(b"foo{}{bar}"), b"foo{}{bar}");
    assert_eq!(key_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") % SLOT_COUNT);
    assert_ne!(key_slot(b"foo{}{bar}"), key_slot(b"bar"));
}

#[test]
fn the_first_close_after_the_first_open_ends_the_tag() {
    assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
    assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
    assert_eq!(hash_tag(b"foo{bar}{zap}"), b"bar");
}

#[test]
fn unclosed_or_lone_braces_hash_the_whole_key() {
    for key in [&b"foo{bar"[..], b"foo}bar{", b"{", b"}", b"{}"] {
        assert_eq!(hash_tag(key), key);
    }
}

#[test]
fn every_slot_is_below_16384() {
    for i in 0..20_000u32 {
        assert!(key_slot(format!("key:{i}").as_bytes()) < SLOT_COUNT);
    }
}
