//! One conformance suite, written once, run against every adapter.
//!
//! Every body (the blocking `Connection`, the mio `Fanout`, and the exclusive
//! `Connection` and multiplexed `Client` on tokio, smol and async-std) implements
//! [`Body`]: connect, request, pipeline, transaction, next event, and the like, as
//! blocking calls (an async body blocks on its runtime; see [`Executor`],
//! [`AsyncConnection`] and [`AsyncClient`]). The checks in [`checks`] are generic over
//! [`Body`], and [`conformance_tests!`](crate::conformance_tests) expands to one
//! `#[test]` per check for one body:
//!
//! ```ignore
//! mod fanout {
//!     redis_test_support::conformance_tests!(super::FanoutBody, skip {
//!         pubsub: "Fanout has no event API: pub/sub messages and pushes are dropped",
//!     });
//! }
//! ```
//!
//! Each check runs over TCP and a Unix socket, each in RESP3 and RESP2, against real
//! `redis-server` processes the suite starts ([`checks`] says which server each
//! check uses and why). Checks that leave a server usable share one per test process
//! (keys, channels and client names carry the body, check and target in their names,
//! so concurrent tests never see each other's data); checks that stop a server
//! (`DEBUG SLEEP`, `SIGKILL`) get their own.
//!
//! **Skips are explicit.** A body that cannot do something says so in
//! [`Body::lacks`], with the reason. A check that needs it must then be listed under
//! `skip` with the same reason: it becomes an ignored test, so `cargo test` prints
//! `ignored, <reason>`. A check that needs a capability the body lacks and is not
//! listed fails, and so does a listed skip the body does not justify (when run with
//! `--ignored`): a skip can neither be silent nor hide a working feature.
//!
//! **Every wait is bounded.** Every configuration the suite builds carries a
//! response timeout of [`SAFETY_TIMEOUT`] and a connect timeout of
//! [`SAFETY_CONNECT_TIMEOUT`] unless a check sets its own, so a lost reply fails the
//! check rather than hanging it; every loop has a fixed count.

mod async_bodies;
pub mod checks;
mod env;
mod front;
#[cfg(feature = "tokio")]
pub mod tokio_exec;

use std::time::Duration;

use redis_io_async::{Error, Outcome};
use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{Event, Subscriptions};
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd};

pub use async_bodies::{AsyncClient, AsyncConnection, Executor};
pub use env::{SAFETY_CONNECT_TIMEOUT, SAFETY_TIMEOUT};
pub use front::{Front, FrontAddrs};

/// Something a body may be unable to do by design.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Capability {
    /// [`Body::next_event`] and [`Body::subscriptions`]: pub/sub messages, RESP3
    /// pushes.
    Events,
    /// [`Body::transaction`]: `MULTI`/`EXEC` as one call.
    Transactions,
    /// [`Body::concurrently`]: many tasks sharing the body at once.
    ConcurrentCallers,
    /// Commands that set state of the connection for the caller's later commands
    /// (`WATCH`), which a connection shared by many callers refuses.
    ConnectionState,
}

/// One call of a concurrent task: see [`Body::concurrently`].
#[derive(Debug, Clone)]
pub enum Call {
    /// One command; answered with [`Answer::Reply`].
    Request(Cmd),
    /// Commands back to back; answered with [`Answer::Replies`].
    Pipeline(Vec<Cmd>),
    /// `MULTI`, the commands, `EXEC`; answered with [`Answer::Reply`].
    Transaction(Vec<Cmd>),
}

/// The answer to one [`Call`].
#[derive(Debug)]
pub enum Answer {
    /// The outcome of a request or transaction.
    Reply(Result<Frame, Error>),
    /// The outcomes of a pipeline.
    Replies(Result<Vec<Outcome>, Error>),
}

/// One adapter's connection, as the suite drives it: every call blocks until done.
///
/// Methods behind a [`Capability`] the body [`lacks`](Body::lacks) are never called;
/// their default implementations panic.
pub trait Body: Sized {
    /// The body's name in messages, skip reasons and key names, e.g. `"tokio Client"`.
    fn name() -> String;

    /// `Some(reason)` when the body cannot do `capability` by design.
    fn lacks(capability: Capability) -> Option<&'static str>;

    /// Connects as `config` says and completes the handshake (the adapter's
    /// `connect`).
    fn connect(config: ConnectionConfig) -> Result<Self, Error>;

    /// Connects to the server a URL names (the adapter's `open`). By default parses
    /// the URL and calls [`connect`](Self::connect), for bodies without `open`.
    fn open(url: &str) -> Result<Self, Error> {
        Self::connect(url.parse()?)
    }

    /// Sends `cmd` and waits for its reply.
    fn request(&mut self, cmd: &Cmd) -> Result<Frame, Error>;

    /// The adapter's pipeline call: all commands in one go, each one's outcome.
    fn pipeline(&mut self, cmds: &[Cmd]) -> Result<Vec<Outcome>, Error>;

    /// Each command as its own request, all sent before any is waited for; each one's
    /// outcome, in order. `Err` when the call failed as a whole (a body without
    /// separate requests in flight answers with one pipeline call).
    fn requests(&mut self, cmds: &[Cmd]) -> Result<Vec<Result<Frame, Error>>, Error>;

    /// Runs `cmds` in `MULTI`/`EXEC`; needs [`Capability::Transactions`].
    fn transaction(&mut self, cmds: &[Cmd]) -> Result<Frame, Error> {
        let _ = cmds;
        unsupported::<Self>(Capability::Transactions)
    }

    /// The next message or push, waiting at most `timeout`; `Ok(None)` when it ran
    /// out. Needs [`Capability::Events`].
    fn next_event(&mut self, timeout: Duration) -> Result<Option<Event>, Error> {
        let _ = timeout;
        unsupported::<Self>(Capability::Events)
    }

    /// What the connection is subscribed to; needs [`Capability::Events`].
    fn subscriptions(&self) -> Subscriptions {
        unsupported::<Self>(Capability::Events)
    }

    /// Why the connection closed, once it has.
    fn close_reason(&self) -> Option<CloseReason>;

    /// Something between the body and the servers (a proxy under test): the checks'
    /// TCP and Unix targets then go through it. `None` (the default): direct.
    fn front() -> Option<Front> {
        None
    }

    /// Runs each job as its own task, all at once over this one connection; each task
    /// makes its calls in order, waiting for each. Returns every task's answers.
    /// Needs [`Capability::ConcurrentCallers`].
    fn concurrently(&mut self, jobs: Vec<Vec<Call>>) -> Vec<Vec<Answer>> {
        let _ = jobs;
        unsupported::<Self>(Capability::ConcurrentCallers)
    }
}

fn unsupported<B: Body>(capability: Capability) -> ! {
    panic!(
        "{} was asked for {capability:?}, which it lacks: {:?}",
        B::name(),
        B::lacks(capability)
    )
}

/// The capabilities each check needs, by check name.
///
/// # Panics
///
/// For a name that is not a check.
pub fn needs(check: &str) -> &'static [Capability] {
    match check {
        "handshake"
        | "auth"
        | "select"
        | "pipeline"
        | "binary_values"
        | "blocking_commands"
        | "response_timeout"
        | "server_killed_mid_pipeline"
        | "client_kill"
        | "close_reason_with_failure"
        | "connect_failures"
        | "handshake_timeout"
        | "longest_timeouts"
        | "tls_requests"
        | "tls_verification"
        | "tls_client_certificates"
        | "unexpected_replies"
        | "large_reply_after_timeout"
        | "tls_plain_text_port" => &[],
        "transactions" => &[Capability::Transactions],
        "watch" => &[Capability::Transactions, Capability::ConnectionState],
        "pubsub" | "events_see_close" | "tracking_pushes" | "tracking_redirect"
        | "unread_pushes" => &[Capability::Events],
        "concurrent_tasks" => &[Capability::ConcurrentCallers],
        other => panic!("no conformance check named {other:?}"),
    }
}

/// Runs one check for body `B`: what [`conformance_tests!`](crate::conformance_tests)
/// expands to for a check that is not skipped.
///
/// # Panics
///
/// When the check fails, or when it needs a capability `B` lacks (list it under
/// `skip` instead).
pub fn run<B: Body>(check: &str, body: fn()) {
    front::install(B::front());
    for &capability in needs(check) {
        if let Some(reason) = B::lacks(capability) {
            panic!(
                "check {check} needs {capability:?}, which {} lacks ({reason}); \
                 list it under `skip` in conformance_tests!",
                B::name()
            );
        }
    }
    body();
}

/// What a skipped check's (ignored) test runs: proves the skip is justified.
///
/// # Panics
///
/// When `B` lacks none of the capabilities the check needs, or gives another reason
/// than the one the skip list shows.
pub fn skipped<B: Body>(check: &str, listed_reason: &str) {
    front::install(B::front());
    let reasons: Vec<&str> = needs(check).iter().filter_map(|&c| B::lacks(c)).collect();
    assert!(
        !reasons.is_empty(),
        "check {check} is skipped for {}, which lacks none of {:?}: run it",
        B::name(),
        needs(check)
    );
    assert!(
        reasons.contains(&listed_reason),
        "the skip reason for {check} on {} is {listed_reason:?}; Body::lacks says {reasons:?}",
        B::name()
    );
    eprintln!("{check} skipped on {}: {listed_reason}", B::name());
}

/// Expands to one `#[test]` per conformance check for one [`Body`] type.
///
/// - `skip { check: "reason", ... }`: checks the body cannot do by design, with the
///   reason its [`Body::lacks`] gives. Each becomes an ignored test showing the
///   reason; run with `--ignored`, it proves the body does lack what the check needs.
/// - `bug { check: "reason", ... }`: checks that fail because of a known bug the
///   adapter's tests cannot fix. Each becomes an ignored test showing the reason; run
///   with `--ignored`, it runs the check, so the failure shows until it is fixed.
///
/// Invoke once per module: the tests are named after the checks.
///
/// ```ignore
/// mod client {
///     redis_test_support::conformance_tests!(AsyncClient<TokioExec>, skip {
///         pubsub: "...",
///     }, bug {
///         tracking_redirect: "...",
///     });
/// }
/// ```
#[macro_export]
macro_rules! conformance_tests {
    (
        $body:ty
        $(, skip { $($skipped:ident : $reason:literal),* $(,)? })?
        $(, bug { $($bug:ident : $bug_reason:literal),* $(,)? })?
        $(,)?
    ) => {
        $crate::conformance_tests!(
            @define ($) $body;
            $($($skipped : $reason),*)?;
            $($($bug : $bug_reason),*)?
        );
    };
    (
        @define ($d:tt) $body:ty;
        $($skipped:ident : $reason:literal),*;
        $($bug:ident : $bug_reason:literal),*
    ) => {
        macro_rules! __conformance_check {
            $(
                ($skipped) => {
                    #[test]
                    #[ignore = $reason]
                    fn $skipped() {
                        // A skip must name a real check.
                        let _ = $crate::conformance::checks::$skipped::<$body>;
                        $crate::conformance::skipped::<$body>(stringify!($skipped), $reason);
                    }
                };
            )*
            $(
                ($bug) => {
                    #[test]
                    #[ignore = $bug_reason]
                    fn $bug() {
                        $crate::conformance::run::<$body>(
                            stringify!($bug),
                            $crate::conformance::checks::$bug::<$body>,
                        );
                    }
                };
            )*
            ($d check:ident) => {
                #[test]
                fn $d check() {
                    $crate::conformance::run::<$body>(
                        stringify!($d check),
                        $crate::conformance::checks::$d check::<$body>,
                    );
                }
            };
        }
        __conformance_check!(handshake);
        __conformance_check!(auth);
        __conformance_check!(select);
        __conformance_check!(pipeline);
        __conformance_check!(binary_values);
        __conformance_check!(transactions);
        __conformance_check!(watch);
        __conformance_check!(pubsub);
        __conformance_check!(events_see_close);
        __conformance_check!(tracking_pushes);
        __conformance_check!(tracking_redirect);
        __conformance_check!(blocking_commands);
        __conformance_check!(response_timeout);
        __conformance_check!(server_killed_mid_pipeline);
        __conformance_check!(client_kill);
        __conformance_check!(close_reason_with_failure);
        __conformance_check!(connect_failures);
        __conformance_check!(handshake_timeout);
        __conformance_check!(longest_timeouts);
        __conformance_check!(tls_requests);
        __conformance_check!(tls_verification);
        __conformance_check!(tls_client_certificates);
        __conformance_check!(concurrent_tasks);
        __conformance_check!(unexpected_replies);
        __conformance_check!(unread_pushes);
        __conformance_check!(large_reply_after_timeout);
        __conformance_check!(tls_plain_text_port);
    };
}

/// The conformance tests of both async bodies on one executor: a module `connection`
/// for the exclusive [`AsyncConnection`] and a module `client` for the multiplexed
/// [`AsyncClient`], each with what it lacks by design skipped. Every async adapter's
/// test binary invokes it once with its [`Executor`].
#[macro_export]
macro_rules! async_conformance_tests {
    ($exec:ty) => {
        /// The executor the modules below run their bodies on.
        type ConformanceExec = $exec;

        mod connection {
            use $crate::conformance::AsyncConnection;

            $crate::conformance_tests!(
                AsyncConnection<super::ConformanceExec>,
                skip {
                    concurrent_tasks: "exclusive: calls take &mut self, one caller at a time (the multiplexed Client runs this check)",
                },
            );
        }

        mod client {
            use $crate::conformance::AsyncClient;

            $crate::conformance_tests!(
                AsyncClient<super::ConformanceExec>,
                skip {
                    watch: "the multiplexed Client refuses WATCH on its shared connection (SendError::Shared); Client::dedicated opens an exclusive Connection, which runs this check",
                    events_see_close: "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
                    pubsub: "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
                    tracking_pushes: "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
                    tracking_redirect: "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
                    unread_pushes: "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
                },
            );
        }
    };
}
