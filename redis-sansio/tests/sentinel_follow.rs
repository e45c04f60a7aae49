//! Following the master (`redis_sansio::sentinel::{Follower, FollowCall}`) on a
//! simulated clock: when to discover again, backoff, deadlines counted from when each
//! call was made, the resend rule, and permanent refusals.
// Tests take a starting instant from the clock; the core never reads it.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use redis_sansio::config::ServerAddr;
use redis_sansio::sentinel::{
    CallAction, FollowAction, FollowError, Follower, SwitchMaster, default_policy,
};
use redis_sansio::{CloseReason, Cmd, ServerError};

const MS: Duration = Duration::from_millis(1);
const TIMEOUT: Duration = Duration::from_secs(2);

fn node(last: u8) -> ServerAddr {
    ServerAddr::tcp(format!("10.0.0.{last}"), 6379)
}

/// A follower up on node 1 (generation 1).
fn up(start: Instant) -> Follower {
    let mut follower = Follower::new("mymaster", default_policy(), TIMEOUT);
    assert_eq!(follower.handle_discovered(node(1), start), Some(1));
    assert!(follower.is_up());
    follower
}

fn actions(follower: &mut Follower) -> Vec<FollowAction> {
    std::iter::from_fn(|| follower.poll_action()).collect()
}

fn get() -> Cmd {
    Cmd::new("GET").arg("k")
}

fn incr() -> Cmd {
    Cmd::new("INCR").arg("k")
}

#[test]
fn a_read_lost_in_flight_is_sent_again_on_the_new_master() {
    let start = Instant::now();
    let mut follower = up(start);
    let mut call = follower.call(&get(), false, start);
    assert_eq!(
        call.poll_action(&follower, start),
        Some(CallAction::Send { generation: 1 })
    );
    call.handle_lost(&mut follower, &CloseReason::Eof, start);
    assert_eq!(actions(&mut follower), [FollowAction::Discover]);
    // While the discovery runs, the call waits until its deadline at most.
    assert_eq!(
        call.poll_action(&follower, start),
        Some(CallAction::Wait {
            until: start + TIMEOUT
        })
    );
    follower.handle_discovered(node(2), start + 10 * MS);
    assert_eq!(
        call.poll_action(&follower, start + 10 * MS),
        Some(CallAction::Send { generation: 2 })
    );
    call.handle_reply();
    assert_eq!(
        call.poll_action(&follower, start + 10 * MS),
        Some(CallAction::Deliver)
    );
    assert_eq!(call.sends(), 2);
    assert_eq!(call.poll_action(&follower, start + 10 * MS), None);
}

#[test]
fn a_write_lost_in_flight_is_delivered_as_unknown_unless_the_caller_opted_in() {
    let start = Instant::now();
    let mut follower = up(start);
    let mut call = follower.call(&incr(), false, start);
    assert!(matches!(
        call.poll_action(&follower, start),
        Some(CallAction::Send { .. })
    ));
    call.handle_lost(&mut follower, &CloseReason::Eof, start);
    // Delivered at once: the body hands the caller its unknown outcome.
    assert_eq!(
        call.poll_action(&follower, start),
        Some(CallAction::Deliver)
    );
    assert_eq!(call.sends(), 1);
    // The follower discovers again all the same.
    assert_eq!(actions(&mut follower), [FollowAction::Discover]);

    // Opted in: sent again once there is a master.
    let mut follower = up(start);
    let mut call = follower.call(&incr(), true, start);
    let _ = call.poll_action(&follower, start);
    call.handle_lost(&mut follower, &CloseReason::Eof, start);
    assert!(matches!(
        call.poll_action(&follower, start),
        Some(CallAction::Wait { .. })
    ));
    follower.handle_discovered(node(2), start);
    assert_eq!(
        call.poll_action(&follower, start),
        Some(CallAction::Send { generation: 2 })
    );
}

#[test]
fn a_write_refused_with_readonly_or_never_sent_goes_to_the_new_master() {
    let start = Instant::now();
    let mut follower = up(start);
    let mut call = follower.call(&incr(), false, start);
    let _ = call.poll_action(&follower, start);
    call.handle_demoted(&mut follower, start);
    assert_eq!(actions(&mut follower), [FollowAction::Discover]);
    follower.handle_discovered(node(2), start);
    assert_eq!(
        call.poll_action(&follower, start),
        Some(CallAction::Send { generation: 2 })
    );
    call.handle_not_sent(&mut follower, &CloseReason::Eof, start);
    assert_eq!(actions(&mut follower), [FollowAction::Discover]);
    follower.handle_discovered(node(3), start);
    assert_eq!(
        call.poll_action(&follower, start),
        Some(CallAction::Send { generation: 3 })
    );
    assert_eq!(call.sends(), 3);
}

#[test]
fn discoveries_back_off_and_waiting_calls_expire_at_their_own_deadline() {
    let start = Instant::now();
    let mut follower = up(start);
    follower.handle_lost(1, &CloseReason::Eof, start);
    // A call made 500 ms into the outage: its deadline counts from then.
    let made = start + 500 * MS;
    let mut call = follower.call(&get(), false, made);
    let mut now = start;
    let mut discoveries = Vec::new();
    let end = loop {
        assert!(now < made + 2 * TIMEOUT, "bounded");
        if follower.poll_timeout().is_some_and(|at| at <= now) {
            follower.handle_timeout(now);
        }
        for action in actions(&mut follower) {
            if action == FollowAction::Discover {
                discoveries.push(now - start);
                follower.handle_discovery_failed(None, now);
            }
        }
        if now < made {
            now = follower.poll_timeout().unwrap().min(made);
            continue;
        }
        match call.poll_action(&follower, now) {
            Some(CallAction::Wait { until }) => {
                assert!(until > now && until <= made + TIMEOUT);
                now = until;
            }
            other => break other,
        }
    };
    assert_eq!(end, Some(CallAction::Fail(FollowError::Expired)));
    assert_eq!(now, made + TIMEOUT);
    // At once, then 50, 100, 200, 400, 800 ms (the next, 1 s later, comes after the
    // deadline).
    let expected: Vec<Duration> = [0, 50, 150, 350, 750, 1550]
        .into_iter()
        .map(|ms| ms * MS)
        .collect();
    assert_eq!(discoveries, expected);
}

#[test]
fn the_documented_defaults() {
    assert_eq!(
        redis_sansio::sentinel::DEFAULT_FOLLOW_TIMEOUT,
        Duration::from_secs(10)
    );
    let policy = default_policy();
    assert_eq!(policy.attempts(), u32::MAX, "discoveries without end");
    assert_eq!(policy.delay(2), 50 * MS);
    assert_eq!(policy.delay(40), 1000 * MS);
}

#[test]
fn a_permanent_refusal_ends_at_once_with_that_reason() {
    let start = Instant::now();
    let mut follower = up(start);
    let mut call = follower.call(&get(), false, start);
    let _ = call.poll_action(&follower, start);
    call.handle_lost(&mut follower, &CloseReason::Eof, start);
    assert_eq!(actions(&mut follower), [FollowAction::Discover]);
    let wrong = CloseReason::Auth(ServerError::new(bytes::Bytes::from_static(
        b"WRONGPASS invalid username-password pair",
    )));
    follower.handle_discovery_failed(Some(&wrong), start);
    assert_eq!(
        actions(&mut follower),
        [FollowAction::GiveUp(wrong.clone())]
    );
    assert_eq!(follower.poll_timeout(), None);
    assert_eq!(
        call.poll_action(&follower, start),
        Some(CallAction::Fail(FollowError::Down(wrong.clone())))
    );
    // Later calls too; a late discovery is refused.
    let mut later = follower.call(&get(), false, start);
    assert_eq!(
        later.poll_action(&follower, start),
        Some(CallAction::Fail(FollowError::Down(wrong)))
    );
    assert_eq!(follower.handle_discovered(node(2), start), None);
}

#[test]
fn a_late_loss_of_an_older_generation_changes_nothing() {
    let start = Instant::now();
    let mut follower = up(start);
    follower.handle_lost(1, &CloseReason::Eof, start);
    assert_eq!(actions(&mut follower), [FollowAction::Discover]);
    follower.handle_discovered(node(2), start);
    follower.handle_lost(1, &CloseReason::Eof, start);
    follower.handle_demoted(1, start);
    assert!(follower.is_up());
    assert!(actions(&mut follower).is_empty());
    // A local close of a connection is a loss like any other.
    follower.handle_lost(2, &CloseReason::Local, start);
    assert_eq!(actions(&mut follower), [FollowAction::Discover]);
    assert_eq!(follower.down_reason(), None);
}

#[test]
fn announcements_of_another_master_start_a_discovery() {
    let start = Instant::now();
    let mut follower = up(start);
    let switch = |name: &str, new: u8| SwitchMaster {
        master_name: name.to_owned(),
        old: node(1),
        new: node(new),
    };
    assert!(!follower.handle_announcement(&switch("other", 2), start));
    assert!(!follower.handle_announcement(&switch("mymaster", 1), start));
    assert!(follower.is_up());
    assert!(follower.handle_announcement(&switch("mymaster", 2), start));
    assert_eq!(actions(&mut follower), [FollowAction::Discover]);
    assert!(!follower.is_up());
}

#[test]
fn a_closed_follower_fails_calls_with_a_local_close() {
    let start = Instant::now();
    let mut follower = up(start);
    follower.close(start);
    let mut call = follower.call(&get(), false, start);
    assert_eq!(
        call.poll_action(&follower, start),
        Some(CallAction::Fail(FollowError::Down(CloseReason::Local)))
    );
}
