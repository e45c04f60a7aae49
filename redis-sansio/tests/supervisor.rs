//! The reconnect supervisor (`redis_sansio::supervisor`) on a simulated clock:
//! backoff, giving up with the loss or the last refusal, permanent refusals, and a
//! local close.
// Tests take a starting instant from the clock; the core never reads it.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use redis_sansio::retry::Reconnect;
use redis_sansio::supervisor::{Action, Phase, Supervisor, is_permanent};
use redis_sansio::{CloseReason, RequestError, ServerError};

const MS: Duration = Duration::from_millis(1);

fn policy() -> Reconnect {
    Reconnect::default()
        .max_attempts(3)
        .delays(100 * MS, 1000 * MS)
}

fn refused(text: &str) -> CloseReason {
    CloseReason::Handshake(ServerError::new(bytes::Bytes::copy_from_slice(
        text.as_bytes(),
    )))
}

fn actions(s: &mut Supervisor) -> Vec<Action> {
    std::iter::from_fn(|| s.poll_action()).collect()
}

#[test]
fn a_lost_connection_is_replaced_at_once_then_with_backoff() {
    let t0 = Instant::now();
    let mut s = Supervisor::new(policy());
    s.handle_lost(&CloseReason::Eof, t0);
    assert_eq!(actions(&mut s), [Action::Connect]);
    assert_eq!(s.phase(), &Phase::Connecting);
    s.handle_connect_failed(None, t0);
    assert_eq!(actions(&mut s), []);
    assert_eq!(s.poll_timeout(), Some(t0 + 100 * MS));
    s.handle_timeout(t0 + 99 * MS);
    assert_eq!(actions(&mut s), [], "early timer does nothing");
    s.handle_timeout(t0 + 100 * MS);
    assert_eq!(actions(&mut s), [Action::Connect]);
    s.handle_connected(t0 + 150 * MS);
    assert_eq!(s.phase(), &Phase::Up);
    assert_eq!(s.reconnects(), 1);
    assert_eq!(s.attempts(), 0);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn attempts_used_up_give_up_with_the_loss_or_the_last_refusal() {
    let t0 = Instant::now();
    let mut s = Supervisor::new(policy());
    s.handle_lost(&CloseReason::Eof, t0);
    let _ = actions(&mut s);
    s.handle_connect_failed(None, t0);
    s.handle_timeout(t0 + 100 * MS);
    let _ = actions(&mut s);
    s.handle_connect_failed(None, t0 + 100 * MS);
    s.handle_timeout(t0 + 300 * MS);
    let _ = actions(&mut s);
    s.handle_connect_failed(None, t0 + 300 * MS);
    assert_eq!(actions(&mut s), [Action::GiveUp(CloseReason::Eof)]);
    assert_eq!(s.down_reason(), Some(&CloseReason::Eof));

    let full = refused("ERR max number of clients reached");
    let mut s = Supervisor::new(policy().max_attempts(2));
    s.handle_lost(&CloseReason::Eof, t0);
    let _ = actions(&mut s);
    s.handle_connect_failed(Some(&full), t0);
    assert_eq!(
        s.expired_call_error(),
        RequestError::NotSent(full.clone()),
        "a call expiring now fails with the server's own text"
    );
    s.handle_timeout(t0 + 100 * MS);
    let _ = actions(&mut s);
    s.handle_connect_failed(Some(&full), t0 + 100 * MS);
    assert_eq!(actions(&mut s), [Action::GiveUp(full)]);
}

#[test]
fn permanent_refusals_stop_reconnection_at_once() {
    let t0 = Instant::now();
    for reason in [
        CloseReason::Auth(ServerError::new(bytes::Bytes::from_static(
            "WRONGPASS invalid username-password pair".as_bytes(),
        ))),
        CloseReason::Auth(ServerError::new(bytes::Bytes::from_static(
            "NOAUTH Authentication required.".as_bytes(),
        ))),
        refused("NOPERM this user has no permissions to run the 'hello' command"),
        refused("ERR DB index is out of range"),
    ] {
        let mut s = Supervisor::new(policy());
        s.handle_lost(&CloseReason::Eof, t0);
        let _ = actions(&mut s);
        s.handle_connect_failed(Some(&reason), t0);
        assert_eq!(actions(&mut s), [Action::GiveUp(reason.clone())]);
        assert_eq!(s.poll_timeout(), None);
        // A loss for a permanent reason gives up without an attempt.
        let mut s = Supervisor::new(policy());
        s.handle_lost(&reason, t0);
        assert_eq!(actions(&mut s), [Action::GiveUp(reason)]);
    }
    for transient in [
        refused("ERR max number of clients reached"),
        refused("LOADING Redis is loading the dataset in memory"),
        refused("MASTERDOWN Link with MASTER is down"),
        CloseReason::Eof,
        CloseReason::Stalled,
        CloseReason::HandshakeTimeout,
    ] {
        assert!(!is_permanent(&transient), "{transient:?}");
    }
}

#[test]
fn a_local_close_never_reconnects() {
    let t0 = Instant::now();
    let mut s = Supervisor::new(policy());
    s.handle_lost(&CloseReason::Local, t0);
    assert_eq!(actions(&mut s), [Action::GiveUp(CloseReason::Local)]);
    let mut s = Supervisor::new(policy());
    s.handle_lost(&CloseReason::Eof, t0);
    s.close(t0);
    assert_eq!(actions(&mut s), [], "close drops the pending attempt");
    assert_eq!(s.down_reason(), Some(&CloseReason::Local));
    s.handle_connected(t0);
    assert_eq!(s.down_reason(), Some(&CloseReason::Local));
}
