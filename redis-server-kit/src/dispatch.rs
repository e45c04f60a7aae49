//! Which handler method answers a request, and the authentication gate.

use crate::handler::{Cx, Handler};
use crate::reply::Reply;
use crate::request::Request;

/// Answers `request`: `QUIT` (even before authentication), `NOAUTH` for an
/// unauthenticated client's other commands, the overridable defaults, and everything
/// else through [`Handler::call`].
pub(crate) fn dispatch<H: Handler>(
    handler: &H,
    cx: &mut Cx<'_, H::State>,
    request: Request,
) -> Reply {
    if request.is("quit") {
        return handler.quit(cx, request);
    }
    let gate_open = cx.client.authenticated || request.is("auth") || request.is("hello");
    if !gate_open {
        return Reply::error("NOAUTH Authentication required.");
    }
    if request.is("hello") {
        handler.hello(cx, request)
    } else if request.is("auth") {
        handler.auth(cx, request)
    } else if request.is("select") {
        handler.select(cx, request)
    } else if request.is("client") {
        handler.client(cx, request)
    } else {
        handler.call(cx, request)
    }
}
