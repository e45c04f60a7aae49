//! The handler: a command table over the keyspace, pub/sub, and the commands
//! redis-cli and redis-benchmark send at start-up.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use redis_sansio::resp::Frame;
use redis_server_kit::{ClientInfo, Cx, Handler, Outbox, Reply, Request};

use crate::keyspace::Db;
use crate::pubsub::{Kind, Registry, Subscriptions};
use crate::{hashes, keys, lists, strings};

/// A data command: the database the client selected, the time, the arguments after
/// the name (as many as the arity allows).
type DataCommand = fn(&mut Db, Instant, &[Bytes]) -> Reply;

/// A data command and its arity as Redis counts it: with the name; negative for "at
/// least".
#[derive(Clone, Copy)]
struct Entry {
    arity: i32,
    run: DataCommand,
}

/// Every data command, by upper-case name.
const COMMANDS: &[(&str, i32, DataCommand)] = &[
    ("GET", 2, strings::get),
    ("SET", -3, strings::set),
    ("SETNX", 3, strings::setnx),
    ("GETDEL", 2, strings::getdel),
    ("MGET", -2, strings::mget),
    ("MSET", -3, strings::mset),
    ("INCR", 2, strings::incr),
    ("DECR", 2, strings::decr),
    ("INCRBY", 3, strings::incrby),
    ("DECRBY", 3, strings::decrby),
    ("APPEND", 3, strings::append),
    ("STRLEN", 2, strings::strlen),
    ("LPUSH", -3, lists::lpush),
    ("RPUSH", -3, lists::rpush),
    ("LPOP", -2, lists::lpop),
    ("RPOP", -2, lists::rpop),
    ("LLEN", 2, lists::llen),
    ("LRANGE", 4, lists::lrange),
    ("LINDEX", 3, lists::lindex),
    ("HSET", -4, hashes::hset),
    ("HMSET", -4, hashes::hmset),
    ("HGET", 3, hashes::hget),
    ("HMGET", -3, hashes::hmget),
    ("HDEL", -3, hashes::hdel),
    ("HGETALL", 2, hashes::hgetall),
    ("HKEYS", 2, hashes::hkeys),
    ("HVALS", 2, hashes::hvals),
    ("HLEN", 2, hashes::hlen),
    ("HEXISTS", 3, hashes::hexists),
    ("HINCRBY", 4, hashes::hincrby),
    ("DEL", -2, keys::del),
    ("UNLINK", -2, keys::del),
    ("EXISTS", -2, keys::exists),
    ("TYPE", 2, keys::type_of),
    ("EXPIRE", 3, keys::expire_seconds),
    ("PEXPIRE", 3, keys::expire_millis),
    ("TTL", 2, keys::ttl_seconds),
    ("PTTL", 2, keys::ttl_millis),
    ("PERSIST", 2, keys::persist),
    ("DBSIZE", 1, keys::dbsize),
    ("FLUSHDB", -1, keys::flushdb),
    ("KEYS", 2, keys::keys),
];

/// The in-memory server.
pub(crate) struct Kv {
    commands: HashMap<&'static [u8], Entry>,
    dbs: Mutex<Vec<Db>>,
    pubsub: Mutex<Registry>,
}

/// One connection's state.
pub(crate) struct Conn {
    subscriptions: Subscriptions,
    outbox: Outbox,
}

impl Kv {
    /// An empty server with `databases` databases.
    pub(crate) fn new(databases: u32) -> Self {
        Kv {
            commands: COMMANDS
                .iter()
                .map(|&(name, arity, run)| (name.as_bytes(), Entry { arity, run }))
                .collect(),
            dbs: Mutex::new((0..databases).map(|_| Db::default()).collect()),
            pubsub: Mutex::default(),
        }
    }

    fn dbs(&self) -> MutexGuard<'_, Vec<Db>> {
        self.dbs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn pubsub(&self) -> MutexGuard<'_, Registry> {
        self.pubsub.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a data command from the table.
    fn data(&self, cx: &mut Cx<'_, Conn>, name: &[u8], request: &Request) -> Reply {
        let Some(entry) = self.commands.get(name) else {
            return unknown_command(request);
        };
        let parts = request.parts().len() as i32;
        let arity_ok = if entry.arity >= 0 {
            parts == entry.arity
        } else {
            parts >= -entry.arity
        };
        if !arity_ok {
            return Reply::wrong_arity(&request.lowercase_name());
        }
        let db = cx.client().db as usize;
        let mut dbs = self.dbs();
        match dbs.get_mut(db) {
            Some(db) => (entry.run)(db, Instant::now(), request.args()),
            None => Reply::error("ERR DB index is out of range"),
        }
    }

    /// `SUBSCRIBE`, `PSUBSCRIBE`, `UNSUBSCRIBE`, `PUNSUBSCRIBE`.
    fn subscription(
        &self,
        cx: &mut Cx<'_, Conn>,
        kind: Kind,
        subscribe: bool,
        request: &Request,
    ) -> Reply {
        if subscribe && request.args().is_empty() {
            return Reply::wrong_arity(&request.lowercase_name());
        }
        let id = cx.client().id;
        let conn = cx.state();
        let mut registry = self.pubsub();
        let frames = if subscribe {
            registry.subscribe(
                kind,
                id,
                &conn.outbox,
                &mut conn.subscriptions,
                request.args(),
            )
        } else {
            registry.unsubscribe(kind, id, &mut conn.subscriptions, request.args())
        };
        Reply::Many(frames)
    }
}

impl Handler for Kv {
    type State = Conn;

    fn open(&self, _: &ClientInfo, outbox: &Outbox) -> Conn {
        Conn {
            subscriptions: Subscriptions::default(),
            outbox: outbox.clone(),
        }
    }

    fn call(&self, cx: &mut Cx<'_, Conn>, request: Request) -> Reply {
        let mut buf = [0u8; 16];
        let Some(name) = upper_case(request.name(), &mut buf) else {
            return unknown_command(&request);
        };
        // A RESP2 client in subscribed mode may only manage subscriptions.
        let subscribed = !cx.client().is_resp3() && cx.state().subscriptions.count() > 0;
        match name {
            b"SUBSCRIBE" => self.subscription(cx, Kind::Channel, true, &request),
            b"PSUBSCRIBE" => self.subscription(cx, Kind::Pattern, true, &request),
            b"UNSUBSCRIBE" => self.subscription(cx, Kind::Channel, false, &request),
            b"PUNSUBSCRIBE" => self.subscription(cx, Kind::Pattern, false, &request),
            b"PING" => ping(&request, subscribed),
            _ if subscribed => Reply::error(format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                request.lowercase_name()
            )),
            b"ECHO" => match request.args() {
                [message] => Frame::BulkString(message.clone()).into(),
                _ => Reply::wrong_arity("echo"),
            },
            b"PUBLISH" => match request.args() {
                [channel, message] => {
                    Frame::Integer(self.pubsub().publish(channel, message) as i64).into()
                }
                _ => Reply::wrong_arity("publish"),
            },
            b"FLUSHALL" => {
                self.dbs().iter_mut().for_each(Db::clear);
                Reply::ok()
            }
            // redis-benchmark reads `save` and `appendonly` at start; nothing to report.
            b"CONFIG" if request.is_sub("config", "get") => Frame::Map(Vec::new()).into(),
            b"CONFIG" => Reply::ok(),
            // redis-cli asks for command docs at start (interactive mode).
            b"COMMAND" => Frame::Array(Vec::new()).into(),
            b"INFO" => {
                Frame::bulk("# Server\r\nredis_version:7.2.0\r\nredis_mode:standalone\r\n").into()
            }
            _ => self.data(cx, name, &request),
        }
    }

    fn closed(&self, mut conn: Conn, client: &ClientInfo) {
        self.pubsub().forget(client.id, &mut conn.subscriptions);
    }
}

/// `PING [message]`; in RESP2 subscribed mode, `["pong", message]` as Redis answers.
fn ping(request: &Request, subscribed: bool) -> Reply {
    match (request.args(), subscribed) {
        ([], false) => Frame::simple("PONG").into(),
        ([message], false) => Frame::BulkString(message.clone()).into(),
        ([], true) => Frame::Array(vec![Frame::bulk("pong"), Frame::bulk("")]).into(),
        ([message], true) => Frame::Array(vec![
            Frame::bulk("pong"),
            Frame::BulkString(message.clone()),
        ])
        .into(),
        _ => Reply::wrong_arity("ping"),
    }
}

/// `name` in upper case in `buf`; `None` when longer than any command.
fn upper_case<'b>(name: &[u8], buf: &'b mut [u8; 16]) -> Option<&'b [u8]> {
    let upper = buf.get_mut(..name.len())?;
    upper.copy_from_slice(name);
    upper.make_ascii_uppercase();
    Some(upper)
}

/// Redis's reply to a command it does not know.
fn unknown_command(request: &Request) -> Reply {
    let mut text = format!(
        "ERR unknown command '{}', with args beginning with: ",
        String::from_utf8_lossy(request.name())
    );
    for arg in request.args() {
        text.push_str(&format!("'{}' ", String::from_utf8_lossy(arg)));
    }
    Reply::error(text)
}
