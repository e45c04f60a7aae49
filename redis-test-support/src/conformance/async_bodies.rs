//! The async bodies, written once over [`Executor`]: `redis-io-async`'s exclusive
//! `Connection` and multiplexed `Client` on any runtime, each call blocking on it.

use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use redis_io_async::{Client, Connection, Error, Outcome, Request, Runtime};
use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{Event, Subscriptions};
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd};

use super::{Answer, Body, Call, Capability};

/// How a test runs futures on one runtime: block on one, and spawn one as a task.
///
/// Implemented in each runtime crate's tests on a local marker type (the orphan rule
/// forbids implementing it on the runtime type there). `block_on` must run every
/// call on the same runtime, since a connection's socket and a client's driver task
/// live on the runtime that opened them.
pub trait Executor: 'static {
    /// The runtime the connection and client are generic over.
    type Runtime: Runtime;
    /// The runtime's name in messages, e.g. `"tokio"`.
    const NAME: &'static str;

    /// Runs `future` to completion on the runtime, blocking the calling thread.
    fn block_on<T>(future: impl Future<Output = T>) -> T;

    /// Spawns `future` as a task; the returned future resolves to its output (and
    /// resumes its panic, if it panicked).
    fn spawn<T: Send + 'static>(
        future: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> + Send + 'static;

    /// The bodies' [`Body::front`]: `None` (direct) unless the executor runs them
    /// through a proxy under test.
    fn front() -> Option<super::Front> {
        None
    }
}

/// `redis_io_async::Connection` on `E`'s runtime: the exclusive connection.
#[derive(Debug)]
pub struct AsyncConnection<E: Executor> {
    conn: Connection<E::Runtime>,
}

impl<E: Executor> Body for AsyncConnection<E> {
    fn front() -> Option<super::Front> {
        E::front()
    }

    fn name() -> String {
        format!("{} Connection", E::NAME)
    }

    fn lacks(capability: Capability) -> Option<&'static str> {
        match capability {
            Capability::ConcurrentCallers => Some(
                "exclusive: calls take &mut self, one caller at a time (the multiplexed Client runs this check)",
            ),
            _ => None,
        }
    }

    fn connect(config: ConnectionConfig) -> Result<Self, Error> {
        E::block_on(Connection::connect(config)).map(|conn| AsyncConnection { conn })
    }

    fn open(url: &str) -> Result<Self, Error> {
        E::block_on(Connection::open(url)).map(|conn| AsyncConnection { conn })
    }

    fn request(&mut self, cmd: &Cmd) -> Result<Frame, Error> {
        E::block_on(self.conn.request(cmd))
    }

    fn pipeline(&mut self, cmds: &[Cmd]) -> Result<Vec<Outcome>, Error> {
        E::block_on(self.conn.pipeline(cmds))
    }

    /// The exclusive connection has no way to put separate requests in flight: one
    /// pipeline call stands in (a whole-call error stays one error).
    fn requests(&mut self, cmds: &[Cmd]) -> Result<Vec<Result<Frame, Error>>, Error> {
        let outcomes = self.pipeline(cmds)?;
        Ok(outcomes
            .into_iter()
            .map(|outcome| outcome.map_err(Error::Request))
            .collect())
    }

    fn transaction(&mut self, cmds: &[Cmd]) -> Result<Frame, Error> {
        E::block_on(self.conn.transaction(cmds))
    }

    fn next_event(&mut self, timeout: Duration) -> Result<Option<Event>, Error> {
        E::block_on(self.conn.next_event(Some(timeout)))
    }

    fn subscriptions(&self) -> Subscriptions {
        self.conn.core().subscriptions().clone()
    }

    fn close_reason(&self) -> Option<CloseReason> {
        self.conn.close_reason().cloned()
    }
}

/// `redis_io_async::Client` on `E`'s runtime: the multiplexed client.
#[derive(Debug)]
pub struct AsyncClient<E: Executor> {
    client: Client<E::Runtime>,
    _executor: PhantomData<fn() -> E>,
}

impl<E: Executor> AsyncClient<E> {
    fn new(client: Client<E::Runtime>) -> Self {
        AsyncClient {
            client,
            _executor: PhantomData,
        }
    }
}

impl<E: Executor> Body for AsyncClient<E> {
    fn front() -> Option<super::Front> {
        E::front()
    }

    fn name() -> String {
        format!("{} Client", E::NAME)
    }

    fn lacks(capability: Capability) -> Option<&'static str> {
        match capability {
            Capability::Events => Some(
                "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
            ),
            Capability::ConnectionState => Some(
                "the multiplexed Client refuses WATCH on its shared connection (SendError::Shared); Client::dedicated opens an exclusive Connection, which runs this check",
            ),
            _ => None,
        }
    }

    fn connect(config: ConnectionConfig) -> Result<Self, Error> {
        E::block_on(Client::connect(config)).map(Self::new)
    }

    fn open(url: &str) -> Result<Self, Error> {
        E::block_on(Client::open(url)).map(Self::new)
    }

    fn request(&mut self, cmd: &Cmd) -> Result<Frame, Error> {
        E::block_on(self.client.request(cmd))
    }

    fn pipeline(&mut self, cmds: &[Cmd]) -> Result<Vec<Outcome>, Error> {
        E::block_on(self.client.pipeline(cmds))
    }

    /// One [`Request`] future per command, all queued before any is awaited.
    fn requests(&mut self, cmds: &[Cmd]) -> Result<Vec<Result<Frame, Error>>, Error> {
        let requests: Vec<Request> = cmds.iter().map(|cmd| self.client.request(cmd)).collect();
        Ok(E::block_on(async {
            let mut outcomes = Vec::with_capacity(requests.len());
            for request in requests {
                outcomes.push(request.await);
            }
            outcomes
        }))
    }

    fn transaction(&mut self, cmds: &[Cmd]) -> Result<Frame, Error> {
        E::block_on(self.client.transaction(cmds))
    }

    fn close_reason(&self) -> Option<CloseReason> {
        self.client.close_reason()
    }

    /// One spawned task per job, each with its own clone of the client.
    fn concurrently(&mut self, jobs: Vec<Vec<Call>>) -> Vec<Vec<Answer>> {
        let client = &self.client;
        E::block_on(async {
            let tasks: Vec<_> = jobs
                .into_iter()
                .map(|job| E::spawn(run_job(client.clone(), job)))
                .collect();
            let mut answers = Vec::with_capacity(tasks.len());
            for task in tasks {
                answers.push(task.await);
            }
            answers
        })
    }
}

/// One task's calls, each awaited before the next is made.
async fn run_job<R: Runtime>(client: Client<R>, job: Vec<Call>) -> Vec<Answer> {
    let mut answers = Vec::with_capacity(job.len());
    for call in job {
        answers.push(match call {
            Call::Request(cmd) => Answer::Reply(client.request(&cmd).await),
            Call::Pipeline(cmds) => Answer::Replies(client.pipeline(&cmds).await),
            Call::Transaction(cmds) => Answer::Reply(client.transaction(&cmds).await),
        });
    }
    answers
}
