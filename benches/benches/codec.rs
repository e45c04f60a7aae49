//! RESP decoding throughput: this workspace's decoder against redis-protocol,
//! redis-rs's parser and hiredis, side by side on the same payloads, with `memcpy`
//! of the same bytes as the physical ceiling.
//!
//! Run with `cargo bench -p benches --bench codec`; turn the results into a table with
//! `python3 benches/scripts/codec-table.py`.
//!
//! Every iteration, for every contender, starts from a fresh `BytesMut` copied from the
//! payload and decodes every value in it; each decoded value goes through
//! `black_box` and is dropped inside the timed loop. The copy and the drops are
//! therefore part of every measurement alike. Throughput is counted in values: every
//! leaf and every aggregate (a map counts its keys and its values, not its pairs).
//!
//! Before anything is timed, each contender decodes each payload once and must find
//! the expected number of top-level values (and, for the Rust decoders, the expected
//! number of values in all); a contender that cannot parse a payload is left out of
//! that payload's group, and the reason is printed.
//!
//! Two baselines run on every payload: `memcpy` (the fresh copy, then one more copy of
//! the bytes into a preallocated buffer: the ceiling for anything that reads every
//! byte) and `copy_only` (the fresh copy alone, the overhead shared by every
//! measurement).

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use redis_sansio::resp::{Decoder, Frame, Skip};

#[cfg(hiredis)]
/// hiredis is fed in chunks of this size, as `redisBufferRead` reads the socket.
const HIREDIS_CHUNK: usize = 16 * 1024;

/// One benchmark input: RESP bytes built once, outside the timed loop.
struct Payload {
    name: &'static str,
    bytes: Vec<u8>,
    /// Top-level values in `bytes`.
    top_level: usize,
    /// Every value in `bytes`: leaves and aggregates.
    values: u64,
}

/// 10,000 top-level 16-byte bulk strings.
fn small_bulks() -> Payload {
    let mut bytes = Vec::new();
    for i in 0..10_000 {
        push_bulk(&mut bytes, format!("value:{i:010}").as_bytes());
    }
    Payload {
        name: "small_bulks",
        bytes,
        top_level: 10_000,
        values: 10_000,
    }
}

/// One array of 10,000 16-byte bulk strings.
fn array_of_bulks() -> Payload {
    let mut bytes = b"*10000\r\n".to_vec();
    for i in 0..10_000 {
        push_bulk(&mut bytes, format!("value:{i:010}").as_bytes());
    }
    Payload {
        name: "array_of_bulks",
        bytes,
        top_level: 1,
        values: 10_001,
    }
}

/// 10,000 top-level integers of mixed sign and width.
fn integers() -> Payload {
    let mut bytes = Vec::new();
    for i in 0..10_000_i64 {
        let value = (i * 1_000_003) % 20_000_000_000 - 5_000_000_000 + i;
        bytes.extend_from_slice(format!(":{value}\r\n").as_bytes());
    }
    Payload {
        name: "integers",
        bytes,
        top_level: 10_000,
        values: 10_000,
    }
}

/// One 1 MiB bulk string.
fn big_bulk() -> Payload {
    let data: Vec<u8> = (0..1024 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
    let mut bytes = Vec::new();
    push_bulk(&mut bytes, &data);
    Payload {
        name: "big_bulk_1MiB",
        bytes,
        top_level: 1,
        values: 1,
    }
}

/// A RESP3 map of 1,000 entries: bulk keys, values alternating integer and bulk.
fn resp3_map() -> Payload {
    let mut bytes = b"%1000\r\n".to_vec();
    for i in 0..1_000 {
        push_bulk(&mut bytes, format!("field:{i:04}").as_bytes());
        if i % 2 == 0 {
            bytes.extend_from_slice(format!(":{}\r\n", i * 37).as_bytes());
        } else {
            push_bulk(&mut bytes, format!("value:{i:010}").as_bytes());
        }
    }
    Payload {
        name: "resp3_map_1000",
        bytes,
        top_level: 1,
        values: 2_001,
    }
}

/// 100 top-level values, each arrays nested 64 deep: every level is
/// `[level, <next level>]`, the innermost `[63, "leaf"]`.
fn nested() -> Payload {
    const DEPTH: u64 = 64;
    const REPEAT: usize = 100;
    let mut one = Vec::new();
    for level in 0..DEPTH {
        one.extend_from_slice(format!("*2\r\n:{level}\r\n").as_bytes());
    }
    push_bulk(&mut one, b"leaf");
    Payload {
        name: "nested_64",
        bytes: one.repeat(REPEAT),
        top_level: REPEAT,
        // Per value: 64 arrays, 64 integers and the leaf.
        values: REPEAT as u64 * (2 * DEPTH + 1),
    }
}

fn push_bulk(bytes: &mut Vec<u8>, data: &[u8]) {
    bytes.extend_from_slice(format!("${}\r\n", data.len()).as_bytes());
    bytes.extend_from_slice(data);
    bytes.extend_from_slice(b"\r\n");
}

// ---------------------------------------------------------------------------------
// The contenders. Each decodes every value in `payload` and returns how many
// top-level values it found (plus, outside the timed loop, how many values in all).
// ---------------------------------------------------------------------------------

/// Ours, building `Frame`s.
fn ours_frame(payload: &[u8], mut each: impl FnMut(Frame)) -> usize {
    let mut buf = BytesMut::from(payload);
    let mut decoder = Decoder::new();
    let mut n = 0;
    while !buf.is_empty() {
        let frame = decoder
            .decode(&mut buf)
            .expect("ours: protocol error")
            .expect("ours: incomplete payload");
        each(frame);
        n += 1;
    }
    n
}

/// Ours, validating only.
fn ours_skip(payload: &[u8]) -> usize {
    let mut buf = BytesMut::from(payload);
    let mut decoder = Decoder::with_builder(Skip);
    let mut n = 0;
    while !buf.is_empty() {
        let decoded = decoder
            .decode(&mut buf)
            .expect("ours (skip): protocol error");
        assert!(
            black_box(decoded).is_some(),
            "ours (skip): incomplete payload"
        );
        n += 1;
    }
    n
}

/// redis-protocol 6, RESP3 complete-frame zero-copy decoder.
fn rp_resp3(
    payload: &[u8],
    mut each: impl FnMut(redis_protocol::resp3::types::BytesFrame),
) -> Result<usize, String> {
    use redis_protocol::resp3::decode::complete::decode_bytes_mut;
    let mut buf = BytesMut::from(payload);
    let mut n = 0;
    while !buf.is_empty() {
        let (frame, _, _) = decode_bytes_mut(&mut buf)
            .map_err(|e| e.to_string())?
            .ok_or("incomplete payload")?;
        each(frame);
        n += 1;
    }
    Ok(n)
}

/// redis-protocol 6, RESP2 zero-copy decoder.
fn rp_resp2(
    payload: &[u8],
    mut each: impl FnMut(redis_protocol::resp2::types::BytesFrame),
) -> Result<usize, String> {
    use redis_protocol::resp2::decode::decode_bytes_mut;
    let mut buf = BytesMut::from(payload);
    let mut n = 0;
    while !buf.is_empty() {
        let (frame, _, _) = decode_bytes_mut(&mut buf)
            .map_err(|e| e.to_string())?
            .ok_or("incomplete payload")?;
        each(frame);
        n += 1;
    }
    Ok(n)
}

/// redis-rs's parser (`redis::Parser`), reading the whole buffer through `io::Read`.
///
/// The parser buffers what it reads internally, so whether the input is exhausted
/// cannot be seen from outside between values: it parses the known number of
/// top-level values, and [`check`] verifies beforehand that exactly that many are
/// there (a further parse hits end of input).
fn redis_rs(
    payload: &[u8],
    top_level: usize,
    mut each: impl FnMut(redis::Value),
) -> Result<usize, String> {
    let buf = BytesMut::from(payload);
    let mut reader: &[u8] = &buf;
    let mut parser = redis::Parser::new();
    for _ in 0..top_level {
        each(parser.parse_value(&mut reader).map_err(|e| e.to_string())?);
    }
    Ok(top_level)
}

/// hiredis's reply reader, fed 16 KiB at a time with every complete reply taken after
/// each feed, as hiredis's own `redisGetReply` does with socket reads.
#[cfg(hiredis)]
fn hiredis(payload: &[u8]) -> Result<usize, String> {
    let buf = BytesMut::from(payload);
    let mut reader = benches::hiredis::Reader::new();
    let mut n = 0;
    for chunk in buf.chunks(HIREDIS_CHUNK) {
        reader.feed(chunk).map_err(|e| e.to_string())?;
        while let Some(reply) = reader.get_reply().map_err(|e| e.to_string())? {
            black_box(reply);
            n += 1;
        }
    }
    Ok(n)
}

/// The ceiling: the same fresh copy every contender makes, then one more copy of the
/// bytes into a preallocated buffer.
fn memcpy(payload: &[u8], dst: &mut [u8]) {
    let buf = BytesMut::from(payload);
    dst.copy_from_slice(&buf);
    black_box(dst);
}

/// The fresh copy every contender starts with, alone: what every other measurement
/// of the payload includes besides decoding.
fn copy_only(payload: &[u8]) {
    black_box(BytesMut::from(payload));
}

// ---------------------------------------------------------------------------------
// Value counting, for the checks.
// ---------------------------------------------------------------------------------

fn count_ours(frame: &Frame) -> u64 {
    1 + match frame {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            items.iter().map(count_ours).sum()
        }
        Frame::Map(pairs) => pairs
            .iter()
            .map(|(k, v)| count_ours(k) + count_ours(v))
            .sum(),
        _ => 0,
    }
}

fn count_rp3(frame: &redis_protocol::resp3::types::BytesFrame) -> u64 {
    use redis_protocol::resp3::types::BytesFrame as F;
    1 + match frame {
        F::Array { data, .. } | F::Push { data, .. } => data.iter().map(count_rp3).sum(),
        F::Set { data, .. } => data.iter().map(count_rp3).sum(),
        F::Map { data, .. } => data.iter().map(|(k, v)| count_rp3(k) + count_rp3(v)).sum(),
        _ => 0,
    }
}

fn count_rp2(frame: &redis_protocol::resp2::types::BytesFrame) -> u64 {
    use redis_protocol::resp2::types::BytesFrame as F;
    1 + match frame {
        F::Array(items) => items.iter().map(count_rp2).sum(),
        _ => 0,
    }
}

fn count_redis_rs(value: &redis::Value) -> u64 {
    use redis::Value as V;
    1 + match value {
        V::Array(items) | V::Set(items) | V::Push { data: items, .. } => {
            items.iter().map(count_redis_rs).sum()
        }
        V::Map(pairs) => pairs
            .iter()
            .map(|(k, v)| count_redis_rs(k) + count_redis_rs(v))
            .sum(),
        _ => 0,
    }
}

// ---------------------------------------------------------------------------------
// Checks (outside timing) and the benchmark groups.
// ---------------------------------------------------------------------------------

/// The contenders, in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contender {
    OursFrame,
    OursSkip,
    RedisProtocolResp3,
    RedisProtocolResp2,
    RedisRs,
    Hiredis,
}

impl Contender {
    const ALL: [Contender; 6] = [
        Contender::OursFrame,
        Contender::OursSkip,
        Contender::RedisProtocolResp3,
        Contender::RedisProtocolResp2,
        Contender::RedisRs,
        Contender::Hiredis,
    ];

    fn id(self) -> &'static str {
        match self {
            Contender::OursFrame => "ours_frame",
            Contender::OursSkip => "ours_skip",
            Contender::RedisProtocolResp3 => "redis_protocol_resp3",
            Contender::RedisProtocolResp2 => "redis_protocol_resp2",
            Contender::RedisRs => "redis_rs",
            Contender::Hiredis => "hiredis",
        }
    }
}

/// Decodes `payload` once with `contender`: `Ok((top-level values, all values))`, the
/// second `None` where the contender's values are opaque (hiredis, ours with `Skip`).
fn decode_once(contender: Contender, payload: &Payload) -> Result<(usize, Option<u64>), String> {
    let bytes = &payload.bytes[..];
    let mut values = 0;
    let top = match contender {
        Contender::OursFrame => {
            let top = ours_frame(bytes, |f| values += count_ours(&f));
            return Ok((top, Some(values)));
        }
        Contender::OursSkip => return Ok((ours_skip(bytes), None)),
        Contender::RedisProtocolResp3 => rp_resp3(bytes, |f| values += count_rp3(&f))?,
        Contender::RedisProtocolResp2 => rp_resp2(bytes, |f| values += count_rp2(&f))?,
        Contender::RedisRs => {
            let top = redis_rs(bytes, payload.top_level, |v| values += count_redis_rs(&v))?;
            // Exactly `top_level` values: one more parse must meet the end of input.
            let mut reader: &[u8] = bytes;
            let mut parser = redis::Parser::new();
            for _ in 0..payload.top_level {
                parser.parse_value(&mut reader).map_err(|e| e.to_string())?;
            }
            if let Ok(extra) = parser.parse_value(&mut reader) {
                return Err(format!("more values than expected, next: {extra:?}"));
            }
            top
        }
        #[cfg(hiredis)]
        Contender::Hiredis => return Ok((hiredis(bytes)?, None)),
        #[cfg(not(hiredis))]
        Contender::Hiredis => return Err("libhiredis not found at build time".into()),
    };
    Ok((top, Some(values)))
}

/// Whether `contender` takes part for `payload`: it must decode exactly the expected
/// number of values. A contender that errors is left out with its reason printed; a
/// contender that decodes a different count is a bug in this benchmark and panics.
fn check(contender: Contender, payload: &Payload) -> bool {
    match decode_once(contender, payload) {
        Ok((top, values)) => {
            assert_eq!(
                top,
                payload.top_level,
                "{}: {} decoded the wrong number of top-level values",
                payload.name,
                contender.id()
            );
            if let Some(values) = values {
                assert_eq!(
                    values,
                    payload.values,
                    "{}: {} decoded the wrong number of values",
                    payload.name,
                    contender.id()
                );
            }
            true
        }
        Err(reason) => {
            eprintln!(
                "codec/{}: skipping {}: cannot decode this payload: {reason}",
                payload.name,
                contender.id()
            );
            false
        }
    }
}

/// Every contender is benchmarked only on payloads it decoded correctly in [`check`].
const CHECKED: &str = "decoded fine when checked";

fn bench_contender(
    group: &mut BenchmarkGroup<'_, WallTime>,
    contender: Contender,
    payload: &Payload,
) {
    let bytes = &payload.bytes[..];
    let top_level = payload.top_level;
    group.bench_function(contender.id(), |b| match contender {
        Contender::OursFrame => b.iter(|| ours_frame(bytes, |f| drop(black_box(f)))),
        Contender::OursSkip => b.iter(|| ours_skip(bytes)),
        Contender::RedisProtocolResp3 => {
            b.iter(|| rp_resp3(bytes, |f| drop(black_box(f))).expect(CHECKED))
        }
        Contender::RedisProtocolResp2 => {
            b.iter(|| rp_resp2(bytes, |f| drop(black_box(f))).expect(CHECKED))
        }
        Contender::RedisRs => {
            b.iter(|| redis_rs(bytes, top_level, |v| drop(black_box(v))).expect(CHECKED))
        }
        #[cfg(hiredis)]
        Contender::Hiredis => b.iter(|| hiredis(bytes).expect(CHECKED)),
        #[cfg(not(hiredis))]
        Contender::Hiredis => unreachable!("hiredis is never checked in without libhiredis"),
    });
}

fn codec(c: &mut Criterion) {
    let payloads = [
        small_bulks(),
        array_of_bulks(),
        integers(),
        big_bulk(),
        resp3_map(),
        nested(),
    ];
    for payload in &payloads {
        let contenders: Vec<Contender> = Contender::ALL
            .into_iter()
            .filter(|&contender| check(contender, payload))
            .collect();
        assert!(
            contenders.contains(&Contender::OursFrame) && contenders.contains(&Contender::OursSkip),
            "our decoder must decode every payload"
        );

        let mut group = c.benchmark_group(format!("codec/{}", payload.name));
        group
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(20)
            .throughput(Throughput::ElementsAndBytes {
                elements: payload.values,
                bytes: payload.bytes.len() as u64,
            });
        for contender in contenders {
            bench_contender(&mut group, contender, payload);
        }
        let mut dst = vec![0; payload.bytes.len()];
        group.bench_function("memcpy", |b| b.iter(|| memcpy(&payload.bytes, &mut dst)));
        group.bench_function("copy_only", |b| b.iter(|| copy_only(&payload.bytes)));
        group.finish();
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
