//! The conformance suite (`redis_test_support::conformance`) for the blocking
//! `Connection` and for one connection of the mio `Fanout`.

use std::time::Duration;

use redis_io_sync::{ConnId, Connection, Error, Fanout, Outcome};
use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{Event, Subscriptions};
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd};
use redis_test_support::conformance::{Body, Capability};

/// The blocking connection, as it is.
struct Blocking(Connection);

impl Body for Blocking {
    fn name() -> String {
        "sync Connection".into()
    }

    fn lacks(capability: Capability) -> Option<&'static str> {
        match capability {
            Capability::ConcurrentCallers => Some(
                "blocking: calls take &mut self, one caller at a time (the multiplexed clients run this check)",
            ),
            _ => None,
        }
    }

    fn connect(config: ConnectionConfig) -> Result<Self, Error> {
        Connection::connect(config).map(Blocking)
    }

    fn open(url: &str) -> Result<Self, Error> {
        Connection::open(url).map(Blocking)
    }

    fn request(&mut self, cmd: &Cmd) -> Result<Frame, Error> {
        self.0.request(cmd)
    }

    fn pipeline(&mut self, cmds: &[Cmd]) -> Result<Vec<Outcome>, Error> {
        self.0.pipeline(cmds)
    }

    /// `send` each, then `wait_for` each.
    fn requests(&mut self, cmds: &[Cmd]) -> Result<Vec<Result<Frame, Error>>, Error> {
        let ids = cmds
            .iter()
            .map(|cmd| self.0.send(cmd))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ids.into_iter().map(|id| self.0.wait_for(id)).collect())
    }

    fn transaction(&mut self, cmds: &[Cmd]) -> Result<Frame, Error> {
        self.0.transaction(cmds)
    }

    fn next_event(&mut self, timeout: Duration) -> Result<Option<Event>, Error> {
        self.0.next_event(Some(timeout))
    }

    fn subscriptions(&self) -> Subscriptions {
        self.0.core().subscriptions().clone()
    }

    fn close_reason(&self) -> Option<CloseReason> {
        self.0.close_reason().cloned()
    }
}

/// No `run` of the fan-out body takes longer than this.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// One connection in its own `Fanout`: `connect` is `add` and a `run` for the
/// handshake (whose failure shows as the connection's close reason), a request is
/// `send`, `run`, `take`.
struct OneOfFanout {
    fanout: Fanout,
    conn: ConnId,
}

impl OneOfFanout {
    /// Runs until every request has its outcome.
    fn run(&mut self) {
        self.fanout.run(Some(RUN_LIMIT)).expect("the poller failed");
        assert_eq!(
            self.fanout.waiting(),
            0,
            "run stopped with requests unanswered"
        );
    }

    fn take(&mut self, id: redis_sansio::conn::RequestId) -> Result<Frame, Error> {
        let outcome = self.fanout.take(self.conn, id);
        outcome
            .expect("no outcome after run")
            .map_err(Error::Request)
    }
}

impl Body for OneOfFanout {
    fn name() -> String {
        "Fanout".into()
    }

    fn lacks(capability: Capability) -> Option<&'static str> {
        match capability {
            Capability::Events => Some(
                "Fanout has no event API: pub/sub messages, pushes and MONITOR lines are dropped",
            ),
            Capability::Transactions => {
                Some("Fanout has no transaction call: it queues single commands only")
            }
            Capability::ConcurrentCallers => {
                Some("Fanout is driven by one thread: calls take &mut self, one caller at a time")
            }
            _ => None,
        }
    }

    fn connect(config: ConnectionConfig) -> Result<Self, Error> {
        let mut fanout = Fanout::new()?;
        let conn = fanout.add(config)?;
        let mut body = OneOfFanout { fanout, conn };
        body.run();
        match body.close_reason() {
            // The socket or TLS error behind an EOF, if there was one.
            Some(reason) => Err(body
                .fanout
                .take_failure(conn)
                .unwrap_or(Error::Closed(reason))),
            None => Ok(body),
        }
    }

    fn request(&mut self, cmd: &Cmd) -> Result<Frame, Error> {
        let id = self.fanout.send(self.conn, cmd)?;
        self.run();
        self.take(id)
    }

    fn pipeline(&mut self, cmds: &[Cmd]) -> Result<Vec<Outcome>, Error> {
        let requests: Vec<(ConnId, Cmd)> =
            cmds.iter().map(|cmd| (self.conn, cmd.clone())).collect();
        self.fanout.query_all(&requests)
    }

    /// `send` each, one `run`, `take` each.
    fn requests(&mut self, cmds: &[Cmd]) -> Result<Vec<Result<Frame, Error>>, Error> {
        let ids = cmds
            .iter()
            .map(|cmd| self.fanout.send(self.conn, cmd))
            .collect::<Result<Vec<_>, _>>()?;
        self.run();
        Ok(ids.into_iter().map(|id| self.take(id)).collect())
    }

    fn close_reason(&self) -> Option<CloseReason> {
        self.fanout.close_reason(self.conn).cloned()
    }
}

mod connection {
    redis_test_support::conformance_tests!(
        super::Blocking,
        skip {
            concurrent_tasks: "blocking: calls take &mut self, one caller at a time (the multiplexed clients run this check)",
        },
    );
}

mod fanout {
    redis_test_support::conformance_tests!(
        super::OneOfFanout,
        skip {
            transactions: "Fanout has no transaction call: it queues single commands only",
            watch: "Fanout has no transaction call: it queues single commands only",
            events_see_close: "Fanout has no event API: pub/sub messages, pushes and MONITOR lines are dropped",
            pubsub: "Fanout has no event API: pub/sub messages, pushes and MONITOR lines are dropped",
            tracking_pushes: "Fanout has no event API: pub/sub messages, pushes and MONITOR lines are dropped",
            tracking_redirect: "Fanout has no event API: pub/sub messages, pushes and MONITOR lines are dropped",
            unread_pushes: "Fanout has no event API: pub/sub messages, pushes and MONITOR lines are dropped",
            concurrent_tasks: "Fanout is driven by one thread: calls take &mut self, one caller at a time",
        }
    );
}
