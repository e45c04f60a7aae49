//! The default `HELLO`, `AUTH`, `SELECT` and `CLIENT`, as Redis answers them.
//!
//! A handler that overrides one of these [`Handler`] methods may still call the
//! function here for the cases it does not change.

use bytes::Bytes;
use redis_sansio::resp::{Frame, Version};

use crate::handler::{Cx, Handler};
use crate::reply::Reply;
use crate::request::Request;

/// `HELLO [protover [AUTH user password] [SETNAME name]]`: switches the protocol,
/// authenticates and names the client, then answers with the server's map (a flat
/// array in RESP2), as Redis does. Nothing changes when any part is refused.
pub fn hello<H: Handler + ?Sized>(
    handler: &H,
    cx: &mut Cx<'_, H::State>,
    request: &Request,
) -> Reply {
    let args = request.args();
    let mut protocol = cx.client.protocol;
    if let Some(version) = args.first() {
        protocol = match parse_u64(version) {
            Some(2) => Version::Resp2,
            Some(3) => Version::Resp3,
            Some(_) => return Reply::error("NOPROTO unsupported protocol version"),
            None => {
                return Reply::error("ERR Protocol version is not an integer or out of range");
            }
        };
    }
    let mut credentials = None;
    let mut name = None;
    let mut rest = args.iter().skip(1);
    while let Some(option) = rest.next() {
        if option.eq_ignore_ascii_case(b"AUTH") {
            match (rest.next(), rest.next()) {
                (Some(user), Some(password)) => credentials = Some((user, password)),
                _ => return syntax_error(option),
            }
        } else if option.eq_ignore_ascii_case(b"SETNAME") {
            match rest.next() {
                Some(value) => name = Some(value),
                None => return syntax_error(option),
            }
        } else {
            return syntax_error(option);
        }
    }
    if let Some((user, password)) = credentials {
        if let Err(error) = check_credentials(handler, user, password) {
            return error;
        }
    }
    if !cx.client.authenticated && credentials.is_none() {
        return Reply::error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        );
    }
    if let Some(name) = name {
        if !valid_client_name(name) {
            return invalid_name();
        }
    }
    if let Some((user, _)) = credentials {
        cx.client.authenticated = true;
        cx.client.user = Some(user.clone());
    }
    if let Some(name) = name {
        cx.client.name = (!name.is_empty()).then(|| name.clone());
    }
    cx.client.protocol = protocol;
    let proto = if protocol == Version::Resp3 { 3 } else { 2 };
    Reply::Frame(Frame::Map(vec![
        (
            Frame::bulk("server"),
            Frame::bulk(cx.config.server_name.clone()),
        ),
        (
            Frame::bulk("version"),
            Frame::bulk(cx.config.server_version.clone()),
        ),
        (Frame::bulk("proto"), Frame::Integer(proto)),
        (Frame::bulk("id"), Frame::Integer(cx.client.id as i64)),
        (Frame::bulk("mode"), Frame::bulk("standalone")),
        (Frame::bulk("role"), Frame::bulk("master")),
        (Frame::bulk("modules"), Frame::Array(Vec::new())),
    ]))
}

/// `AUTH password` or `AUTH user password`, checked by
/// [`Handler::authenticate`]. Without a configured password, the one-argument form
/// is Redis's error and the two-argument form accepts the `default` user only.
pub fn auth<H: Handler + ?Sized>(
    handler: &H,
    cx: &mut Cx<'_, H::State>,
    request: &Request,
) -> Reply {
    let (user, password) = match request.args() {
        [password] => {
            if handler.authenticate(b"default", password).is_none() {
                return Reply::error(
                    "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
                );
            }
            (Bytes::from_static(b"default"), password)
        }
        [user, password] => (user.clone(), password),
        _ => return Reply::wrong_arity("auth"),
    };
    match check_credentials(handler, &user, password) {
        Ok(()) => {
            cx.client.authenticated = true;
            cx.client.user = Some(user);
            Reply::ok()
        }
        Err(error) => error,
    }
}

/// `SELECT db`: 0 to [`ServerConfig::databases`](crate::ServerConfig::databases) - 1.
pub fn select<S>(cx: &mut Cx<'_, S>, request: &Request) -> Reply {
    let [db] = request.args() else {
        return Reply::wrong_arity("select");
    };
    match parse_u64(db) {
        Some(db) if db < u64::from(cx.config.databases) => {
            cx.client.db = db as u32;
            Reply::ok()
        }
        Some(_) => Reply::error("ERR DB index is out of range"),
        None if db.first() == Some(&b'-') && parse_u64(&db[1..]).is_some() => {
            Reply::error("ERR DB index is out of range")
        }
        None => Reply::error("ERR value is not an integer or out of range"),
    }
}

/// `CLIENT SETNAME`, `GETNAME`, `ID`, `SETINFO` and `INFO`; any other subcommand goes
/// to [`Handler::call`].
pub fn client<H: Handler + ?Sized>(
    handler: &H,
    cx: &mut Cx<'_, H::State>,
    request: Request,
) -> Reply {
    let Some(sub) = request.args().first() else {
        return Reply::wrong_arity("client");
    };
    let sub = sub.to_ascii_uppercase();
    let rest = &request.args()[1..];
    match (&sub[..], rest) {
        (b"SETNAME", [name]) if valid_client_name(name) => {
            cx.client.name = (!name.is_empty()).then(|| name.clone());
            Reply::ok()
        }
        (b"SETNAME", [_]) => invalid_name(),
        (b"GETNAME", []) => Reply::Frame(
            cx.client
                .name
                .clone()
                .map_or(Frame::NullBulk, Frame::BulkString),
        ),
        (b"ID", []) => Reply::Frame(Frame::Integer(cx.client.id as i64)),
        (b"SETINFO", [_, _]) => Reply::ok(),
        (b"INFO", []) => Reply::Frame(Frame::Verbatim {
            format: *b"txt",
            text: Bytes::from(client_info_line(cx)),
        }),
        (b"SETNAME" | b"GETNAME" | b"ID" | b"SETINFO" | b"INFO", _) => Reply::error(format!(
            "ERR wrong number of arguments for 'client|{}' command",
            String::from_utf8_lossy(&sub).to_ascii_lowercase()
        )),
        _ => handler.call(cx, request),
    }
}

/// `CLIENT INFO`'s line, with the fields this crate knows.
fn client_info_line<S>(cx: &Cx<'_, S>) -> String {
    let client = &cx.client;
    let name = client
        .name
        .as_ref()
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .unwrap_or_default();
    let user = client.user.as_ref().map_or_else(
        || "default".to_owned(),
        |u| String::from_utf8_lossy(u).into_owned(),
    );
    let resp = if client.is_resp3() { 3 } else { 2 };
    format!(
        "id={} addr={} name={name} db={} user={user} resp={resp}\n",
        client.id, client.peer, client.db
    )
}

/// Checks `user`/`password`; the error reply when they are refused.
fn check_credentials<H: Handler + ?Sized>(
    handler: &H,
    user: &[u8],
    password: &[u8],
) -> Result<(), Reply> {
    let accepted = match handler.authenticate(user, password) {
        Some(accepted) => accepted,
        // No password configured: the default user has `nopass`.
        None => user == b"default",
    };
    if accepted {
        Ok(())
    } else {
        Err(Reply::error(
            "WRONGPASS invalid username-password pair or user is disabled.",
        ))
    }
}

fn syntax_error(option: &Bytes) -> Reply {
    Reply::error(format!(
        "ERR Syntax error in HELLO option '{}'",
        String::from_utf8_lossy(option)
    ))
}

fn invalid_name() -> Reply {
    Reply::error("ERR Client names cannot contain spaces, newlines or special characters.")
}

/// Redis accepts printable ASCII without spaces in client names.
fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&byte| (b'!'..=b'~').contains(&byte))
}

/// A non-negative decimal without sign or leading zeros.
pub(crate) fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() || (text.len() > 1 && text[0] == b'0') {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}
