//! Heap bounds of the decoders, measured with a counting global allocator: the
//! request decoder's peak against the wire bytes, no scratch kept after a huge frame,
//! the values limit against wire-to-heap amplification, and a large bulk received
//! through a connection without the buffer doubling past it.
//!
//! Each test measures the heap of the whole process, so they run one at a time.
// Tests may read the clock (the core may not): it starts the connection.
#![allow(clippy::disallowed_methods)]

use std::sync::Mutex;
use std::time::Instant;

use benches::alloc_counter::{CountingAlloc, live_bytes, peak_bytes, reset_peak};
use bytes::BytesMut;
use redis_sansio::config::{ConnectionConfig, ProtocolVersion};
use redis_sansio::conn::{Connection, Event};
use redis_sansio::resp::{DecodeLimits, Decoder, Frame, RequestDecoder};
use redis_sansio::{Cmd, ProtocolError};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// One measurement at a time: the counters are the process's.
static SERIAL: Mutex<()> = Mutex::new(());

const MIB: u64 = 1024 * 1024;

/// The peak heap in use while `work` runs, above what was in use before it.
fn peak_during(work: impl FnOnce()) -> u64 {
    let before = live_bytes();
    reset_peak();
    work();
    peak_bytes().saturating_sub(before)
}

#[test]
fn a_request_of_endless_empty_arguments_peaks_at_its_buffer() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // `*2147483647` and then 64 MiB of empty arguments, read 64 KiB at a time.
    const ARGS_PER_READ: usize = 65_536 / 6;
    const READS: usize = 1024;
    let chunk = b"$0\r\n\r\n".repeat(ARGS_PER_READ);
    let wire = (13 + chunk.len() * READS) as u64;
    let peak = peak_during(|| {
        let mut decoder = RequestDecoder::new();
        let mut buf = BytesMut::new();
        buf.extend_from_slice(b"*2147483647\r\n");
        for _ in 0..READS {
            buf.extend_from_slice(&chunk);
            assert_eq!(decoder.decode_request(&mut buf), Ok(None));
        }
        assert_eq!(buf.len() as u64, wire, "the request waits in the buffer");
    });
    // The decoder keeps nothing per argument: the peak is the buffer, which doubles
    // as it grows (a moving reallocation briefly holds the old block and the new).
    let factor = peak as f64 / wire as f64;
    eprintln!("peak {peak} bytes for {wire} wire bytes: {factor:.2}x");
    assert!(peak <= 3 * wire + MIB, "{factor:.2}x");
}

#[test]
fn a_decoder_keeps_no_scratch_after_a_huge_frame() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut decoder = Decoder::new();
    let before = live_bytes();
    {
        // A long run of integers (the run scratch), then a deep frame (the stack).
        const ELEMENTS: usize = 1_000_000;
        let mut wire = format!("*{ELEMENTS}\r\n").into_bytes();
        wire.extend_from_slice(&b":1\r\n".repeat(ELEMENTS));
        wire.extend_from_slice(&b"*1\r\n".repeat(9_000));
        wire.extend_from_slice(b"_\r\n");
        let mut buf = BytesMut::from(&wire[..]);
        let mut frames = Vec::new();
        decoder.decode_all(&mut buf, &mut frames).unwrap();
        assert_eq!(frames.len(), 2);
        assert!(matches!(&frames[0], Frame::Array(items) if items.len() == ELEMENTS));
    }
    let kept = live_bytes().saturating_sub(before);
    eprintln!("the decoder kept {kept} bytes");
    assert!(kept < 256 * 1024, "kept {kept} bytes");
    drop(decoder);
}

#[test]
fn the_values_limit_bounds_a_reply_decoded_size() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // `*100000000` and then 2 M three-byte elements: 40 bytes each once decoded.
    const ELEMENTS: usize = 2_000_000;
    const LIMIT: usize = 100_000;
    let mut wire = b"*100000000\r\n".to_vec();
    wire.extend_from_slice(&b"_\r\n".repeat(ELEMENTS));
    let wire_len = wire.len() as u64;
    let limits = DecodeLimits {
        max_values: LIMIT,
        ..DecodeLimits::default()
    };
    let mut unlimited = 0;
    let mut limited = 0;
    for (limits, peak) in [
        (DecodeLimits::default(), &mut unlimited),
        (limits, &mut limited),
    ] {
        let input = wire.clone();
        *peak = peak_during(|| {
            let mut decoder = Decoder::new().with_limits(limits);
            let mut buf = BytesMut::from(&input[..]);
            let result = decoder.decode(&mut buf);
            if limits.max_values == LIMIT {
                assert_eq!(result, Err(ProtocolError::TooManyValues { limit: LIMIT }));
            } else {
                assert_eq!(result, Ok(None), "waits for the missing elements");
            }
        });
    }
    eprintln!("{wire_len} wire bytes: {unlimited} bytes unlimited, {limited} limited");
    // Unlimited: about 40 bytes per 3-byte element. Limited: the buffer and the
    // values allowed.
    assert!(unlimited > 10 * wire_len, "{unlimited}");
    assert!(
        limited <= wire_len + 3 * 40 * LIMIT as u64 + MIB,
        "{limited}"
    );
}

#[test]
fn a_large_bulk_is_received_without_the_buffer_doubling_past_it() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    const LEN: usize = 64 * 1024 * 1024;
    let now = Instant::now();
    let config = ConnectionConfig::default()
        .with_lib_name(None)
        .with_lib_ver(None)
        .with_protocol(ProtocolVersion::Resp2);
    let mut conn = Connection::new(config, now);
    assert!(matches!(conn.poll_event(), Some(Event::Connected { .. })));
    let id = conn.send(&Cmd::new("GET").arg("big"), now).unwrap();
    let sent = conn.transmit().len();
    conn.advance_transmit(sent);
    let header = format!("${LEN}\r\n");
    let peak = peak_during(|| {
        // The header, then the payload 64 KiB per read, as a socket would give it.
        let mut input = header.as_bytes().to_vec();
        input.resize(header.len() + 65_536, b'x');
        let mut left = LEN + 2 + header.len();
        let mut first = true;
        while left > 0 {
            let piece: &[u8] = if first {
                &input
            } else {
                &input[header.len()..]
            };
            first = false;
            let room = conn.read_buf();
            let n = room.len().min(piece.len()).min(left);
            room[..n].copy_from_slice(&piece[..n]);
            if left == n {
                // The payload's CRLF ends the last read.
                room[n - 2..n].copy_from_slice(b"\r\n");
            }
            conn.handle_read(n, now);
            left -= n;
        }
        match conn.poll_event() {
            Some(Event::Reply { id: got, result }) => {
                assert_eq!(got, id);
                let frame = result.unwrap();
                assert_eq!(frame.as_bytes().map(|b| b.len()), Some(LEN));
            }
            other => panic!("{other:?}"),
        }
    });
    let factor = peak as f64 / LEN as f64;
    eprintln!("peak {peak} bytes for a {LEN}-byte bulk: {factor:.2}x");
    assert!(
        peak <= LEN as u64 + LEN as u64 / 4 + 4 * MIB,
        "{factor:.2}x"
    );
}
