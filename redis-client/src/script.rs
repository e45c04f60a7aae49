//! Lua scripts called by their SHA1, loaded on demand.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use redis_io_async::{Client, Connection, Runtime};
use redis_sansio::resp::{Frame, ToArg};
use redis_sansio::{Cmd, RequestError, ServerErrorKind};

use crate::body_ops::AsyncBody;
use crate::{Error, FromReply};

/// A Lua script, identified by the SHA1 of its code, computed locally.
///
/// Calls go out as `EVALSHA`, so the code crosses the network only when the server
/// lacks it: on `NOSCRIPT` (a new server, a restart, `SCRIPT FLUSH`) the client sends
/// `SCRIPT LOAD` and the call again. In pipelines and transactions, see
/// [`Pipeline`](crate::Pipeline) and [`Transaction`](crate::Transaction).
///
/// ```no_run
/// # fn demo(conn: &mut redis_io_sync::Connection) -> Result<(), redis_client::Error> {
/// use redis_client::Script;
///
/// let bump = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
/// let total: i64 = bump.key("visits").arg(5).invoke(conn)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    code: Bytes,
    sha1: String,
}

impl Script {
    /// A script with this Lua code.
    pub fn new(code: impl Into<Bytes>) -> Self {
        let code = code.into();
        let sha1 = sha1_smol::Sha1::from(&code[..]).digest().to_string();
        Script { code, sha1 }
    }

    /// The SHA1 of the code, in lowercase hex, as `EVALSHA` and `SCRIPT LOAD` use it.
    pub fn sha1(&self) -> &str {
        &self.sha1
    }

    /// The Lua code.
    pub fn code(&self) -> &Bytes {
        &self.code
    }

    /// A call with no keys or arguments yet.
    pub fn call(&self) -> ScriptCall<'_> {
        ScriptCall {
            script: self,
            keys: Cmd::default(),
            args: Cmd::default(),
        }
    }

    /// A call with `key` as its first key (`KEYS[1]`).
    pub fn key(&self, key: impl ToArg) -> ScriptCall<'_> {
        self.call().key(key)
    }

    /// A call with `arg` as its first argument (`ARGV[1]`).
    pub fn arg(&self, arg: impl ToArg) -> ScriptCall<'_> {
        self.call().arg(arg)
    }

    /// `SCRIPT LOAD` of this script.
    pub(crate) fn load_cmd(&self) -> Cmd {
        Cmd::new("SCRIPT").arg("LOAD").arg(&self.code[..])
    }
}

/// One call of a [`Script`]: its keys and arguments, ready to
/// [`invoke`](Self::invoke) on any body.
#[derive(Debug, Clone)]
pub struct ScriptCall<'s> {
    script: &'s Script,
    keys: Cmd,
    args: Cmd,
}

impl<'s> ScriptCall<'s> {
    /// Adds a key (`KEYS[n]`). Keys tell a cluster where the call runs.
    pub fn key(mut self, key: impl ToArg) -> Self {
        self.keys.push_arg(key);
        self
    }

    /// Adds an argument (`ARGV[n]`).
    pub fn arg(mut self, arg: impl ToArg) -> Self {
        self.args.push_arg(arg);
        self
    }

    /// Runs the call on `body` and reads its reply as `T`: `Result<T, Error>` on the
    /// blocking connection, a future of it on async ones, a slot in a pipeline or
    /// transaction.
    pub fn invoke<'a, T: FromReply + 'a, B: Invoke<'a>>(&self, body: B) -> B::Output<T> {
        body.invoke(self)
    }

    /// The script being called.
    pub fn script(&self) -> &'s Script {
        self.script
    }

    /// `EVALSHA sha1 numkeys key... arg...`.
    pub(crate) fn evalsha(&self) -> Cmd {
        let mut cmd = Cmd::new("EVALSHA")
            .arg(self.script.sha1())
            .arg(self.keys.len());
        cmd.extend_from(&self.keys);
        cmd.extend_from(&self.args);
        cmd
    }
}

/// A body a [`ScriptCall`] can run on: every connection, client, pipeline and
/// transaction.
pub trait Invoke<'a> {
    /// What a call returns for a reply read as `T`.
    type Output<T: FromReply + 'a>;

    /// Runs `call`, loading its script if the server lacks it.
    fn invoke<T: FromReply + 'a>(self, call: &ScriptCall<'_>) -> Self::Output<T>;
}

/// The future of a script call on an async body.
pub type InvokeFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// `EVALSHA`; on `NOSCRIPT`, `SCRIPT LOAD` and `EVALSHA` again in one round trip.
async fn invoke_on<B: AsyncBody, T: FromReply>(
    mut body: B,
    evalsha: Cmd,
    load: Cmd,
) -> Result<T, Error> {
    let reply = body.request(&evalsha).await;
    if !is_no_script(&reply) {
        return reply.and_then(T::from_reply);
    }
    let mut outcomes = body.pipeline(&[load, evalsha]).await?.into_iter();
    let loaded = outcomes.next();
    match (loaded, outcomes.next()) {
        (Some(Err(error)), _) => Err(Error::Request(error)),
        (_, Some(outcome)) => outcome.map_err(Error::Request).and_then(T::from_reply),
        _ => Err(Error::Request(RequestError::Closed(
            redis_sansio::CloseReason::Local,
        ))),
    }
}

/// True when `reply` is the server's `NOSCRIPT`: the script is not loaded there yet.
fn is_no_script(reply: &Result<Frame, Error>) -> bool {
    reply
        .as_ref()
        .err()
        .and_then(Error::server_error)
        .is_some_and(|error| *error.kind() == ServerErrorKind::NoScript)
}

#[cfg(feature = "sync")]
impl<'a> Invoke<'a> for &'a mut redis_io_sync::Connection {
    type Output<T: FromReply + 'a> = Result<T, Error>;

    fn invoke<T: FromReply + 'a>(self, call: &ScriptCall<'_>) -> Result<T, Error> {
        crate::body_ops::now(invoke_on(self, call.evalsha(), call.script.load_cmd()))
    }
}

impl<'a, Rt: Runtime> Invoke<'a> for &'a mut Connection<Rt> {
    type Output<T: FromReply + 'a> = InvokeFuture<'a, T>;

    fn invoke<T: FromReply + 'a>(self, call: &ScriptCall<'_>) -> InvokeFuture<'a, T> {
        Box::pin(invoke_on(self, call.evalsha(), call.script.load_cmd()))
    }
}

impl<'a, Rt: Runtime> Invoke<'a> for &'a Client<Rt> {
    type Output<T: FromReply + 'a> = InvokeFuture<'a, T>;

    fn invoke<T: FromReply + 'a>(self, call: &ScriptCall<'_>) -> InvokeFuture<'a, T> {
        Box::pin(invoke_on(self, call.evalsha(), call.script.load_cmd()))
    }
}

/// `EVALSHA` on the node of its keys; on `NOSCRIPT`, `SCRIPT LOAD` on every node (its
/// request policy), then `EVALSHA` again: a round trip more than on one server, since
/// the load and the call go to different nodes.
pub(crate) async fn invoke_on_cluster<B: AsyncBody, T: FromReply>(
    mut body: B,
    evalsha: Cmd,
    load: Cmd,
) -> Result<T, Error> {
    match body.request(&evalsha).await {
        reply if is_no_script(&reply) => {
            body.request(&load).await?;
            body.request(&evalsha).await.and_then(T::from_reply)
        }
        reply => reply.and_then(T::from_reply),
    }
}

#[cfg(feature = "sync")]
impl<'a> Invoke<'a> for &'a mut crate::cluster::ClusterConnection {
    type Output<T: FromReply + 'a> = Result<T, Error>;

    fn invoke<T: FromReply + 'a>(self, call: &ScriptCall<'_>) -> Result<T, Error> {
        crate::body_ops::now(invoke_on_cluster(
            self,
            call.evalsha(),
            call.script.load_cmd(),
        ))
    }
}

impl<'a, Rt: Runtime> Invoke<'a> for &'a crate::cluster::ClusterClient<Rt> {
    type Output<T: FromReply + 'a> = InvokeFuture<'a, T>;

    fn invoke<T: FromReply + 'a>(self, call: &ScriptCall<'_>) -> InvokeFuture<'a, T> {
        Box::pin(invoke_on_cluster(
            self,
            call.evalsha(),
            call.script.load_cmd(),
        ))
    }
}
