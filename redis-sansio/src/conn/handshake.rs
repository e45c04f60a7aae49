//! The connection handshake, pipelined into one round trip where the server allows.
//!
//! RESP3 (the default): `HELLO 3 [AUTH user pass] [SETNAME name]`,
//! `CLIENT SETINFO LIB-NAME ..`, `CLIENT SETINFO LIB-VER ..`, `SELECT db`, all written
//! at once. If the server rejects `HELLO` (older than Redis 6, or `NOPROTO`), the
//! connection falls back to RESP2 with `AUTH`, `CLIENT SETNAME` and `SELECT`, without
//! the user seeing an error. A configured RESP2 connection never sends `HELLO`.
//! `CLIENT SETINFO` errors are ignored: servers before 7.2 do not know it.

use std::collections::VecDeque;

use bytes::BytesMut;

use crate::config::{ConnectionConfig, ProtocolVersion};
use crate::resp::{Frame, ToArg, encode_command};
use crate::{CloseReason, ServerError, ServerErrorKind};

/// One handshake request whose reply is still to come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Hello,
    Auth,
    SetName,
    SetInfo,
    Select,
    /// A step of the first pipeline made moot by the RESP2 fallback, which repeats it.
    Superseded,
}

/// Where the handshake stands after a reply.
#[derive(Debug)]
pub(crate) enum Progress {
    /// More replies to come.
    Waiting,
    /// Done: the connection speaks `protocol`; `hello` is the server's `HELLO` map.
    Done {
        protocol: ProtocolVersion,
        hello: Option<Frame>,
    },
    /// The server refused the handshake.
    Failed(CloseReason),
}

/// The handshake in progress.
#[derive(Debug)]
pub(crate) struct Handshake {
    steps: VecDeque<Step>,
    protocol: ProtocolVersion,
    hello: Option<Frame>,
}

impl Handshake {
    /// Writes the first handshake pipeline to `out`. Returns `None` when the
    /// configuration needs no handshake at all.
    pub(crate) fn start(config: &ConnectionConfig, out: &mut BytesMut) -> Option<Self> {
        let mut handshake = Handshake {
            steps: VecDeque::new(),
            protocol: config.protocol,
            hello: None,
        };
        if config.protocol == ProtocolVersion::Resp3 {
            let mut args: Vec<&dyn ToArg> = vec![&"HELLO", &"3"];
            let user = config.username.as_deref().unwrap_or("default");
            let secret = config.password.as_ref().map(|password| password.expose());
            if let Some(secret) = &secret {
                args.extend([&"AUTH" as &dyn ToArg, &user, secret]);
            }
            if let Some(name) = &config.client_name {
                args.extend([&"SETNAME" as &dyn ToArg, name]);
            }
            handshake.write(out, Step::Hello, &args);
        } else {
            handshake.write_auth(config, out);
            handshake.write_set_name(config, out);
        }
        if let Some(name) = &config.lib_name {
            handshake.write(
                out,
                Step::SetInfo,
                &[&"CLIENT", &"SETINFO", &"LIB-NAME", name],
            );
        }
        if let Some(version) = &config.lib_ver {
            handshake.write(
                out,
                Step::SetInfo,
                &[&"CLIENT", &"SETINFO", &"LIB-VER", version],
            );
        }
        handshake.write_select(config, out);
        (!handshake.steps.is_empty()).then_some(handshake)
    }

    fn write(&mut self, out: &mut BytesMut, step: Step, args: &[&dyn ToArg]) {
        encode_command(out, args);
        self.steps.push_back(step);
    }

    fn write_auth(&mut self, config: &ConnectionConfig, out: &mut BytesMut) {
        if let Some(password) = &config.password {
            match &config.username {
                Some(user) => self.write(out, Step::Auth, &[&"AUTH", user, &password.expose()]),
                None => self.write(out, Step::Auth, &[&"AUTH", &password.expose()]),
            }
        }
    }

    fn write_set_name(&mut self, config: &ConnectionConfig, out: &mut BytesMut) {
        if let Some(name) = &config.client_name {
            self.write(out, Step::SetName, &[&"CLIENT", &"SETNAME", name]);
        }
    }

    fn write_select(&mut self, config: &ConnectionConfig, out: &mut BytesMut) {
        if config.db != 0 {
            self.write(out, Step::Select, &[&"SELECT", &config.db]);
        }
    }

    /// Takes the reply to the oldest handshake request. May write the RESP2 fallback
    /// pipeline to `out`.
    pub(crate) fn handle_reply(
        &mut self,
        reply: Frame,
        config: &ConnectionConfig,
        out: &mut BytesMut,
    ) -> Progress {
        let Some(step) = self.steps.pop_front() else {
            return self.progress();
        };
        let error = match reply.without_attributes() {
            Frame::SimpleError(text) | Frame::BulkError(text) => {
                Some(ServerError::new(text.clone()))
            }
            _ => None,
        };
        match (step, error) {
            (Step::Hello, None) => {
                self.protocol = ProtocolVersion::Resp3;
                self.hello = Some(reply);
            }
            (Step::Hello, Some(error)) if hello_unsupported(&error) => {
                // Fall back to RESP2: authenticate, name and select the classic way.
                // The rest of the first pipeline may have failed for want of AUTH;
                // the fallback repeats what matters.
                self.protocol = ProtocolVersion::Resp2;
                for step in self.steps.iter_mut() {
                    if *step == Step::Select {
                        *step = Step::Superseded;
                    }
                }
                self.write_auth(config, out);
                self.write_set_name(config, out);
                self.write_select(config, out);
            }
            (Step::Hello, Some(error)) if refuses_credentials(&error) => {
                return Progress::Failed(CloseReason::Auth(error));
            }
            (Step::Auth, Some(error)) => {
                return Progress::Failed(CloseReason::Auth(error));
            }
            (Step::Hello | Step::SetName | Step::Select, Some(error)) => {
                return Progress::Failed(CloseReason::Handshake(error));
            }
            (Step::Auth | Step::SetName | Step::Select | Step::SetInfo | Step::Superseded, _) => {}
        }
        self.progress()
    }

    fn progress(&mut self) -> Progress {
        if self.steps.is_empty() {
            Progress::Done {
                protocol: self.protocol,
                hello: self.hello.take(),
            }
        } else {
            Progress::Waiting
        }
    }
}

/// True when `HELLO` failed over its credentials: wrong ones (`WRONGPASS`), none where
/// some are needed (`NOAUTH`), or a user without the right (`NOPERM`). Its other
/// failures (a client name the server refuses) are the handshake's, not the
/// credentials'.
fn refuses_credentials(error: &ServerError) -> bool {
    matches!(
        error.kind(),
        ServerErrorKind::WrongPass | ServerErrorKind::NoAuth | ServerErrorKind::NoPerm
    )
}

/// True when `HELLO` failed because the server does not speak it, not because of
/// credentials: `NOPROTO`, or an unknown command on servers before Redis 6.
fn hello_unsupported(error: &ServerError) -> bool {
    match error.kind() {
        ServerErrorKind::NoProto => true,
        ServerErrorKind::Err => {
            let message = error.message_lossy().to_ascii_lowercase();
            message.contains("unknown command")
        }
        _ => false,
    }
}
