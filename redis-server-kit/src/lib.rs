//! Build RESP servers and proxies on the `redis-sansio` core.
//!
//! | concern | where |
//! |---|---|
//! | what a server implements | [`Handler`], answering [`Request`]s with [`Reply`]s through a [`Cx`] |
//! | `HELLO`, `AUTH`, `SELECT`, `CLIENT` as Redis answers them | [`defaults`] (overridable) |
//! | one connection's logic, sans IO | [`Session`] |
//! | pushes, deferred replies, closing from elsewhere | [`Outbox`] |
//! | settings and limits | [`ServerConfig`] |
//! | where to listen | [`ListenAddr`] |
//! | the blocking body: one mio loop thread (feature `blocking`) | [`blocking`] |
//! | the tokio body (feature `tokio`) | [`tokio`] |
//! | a pass-through Redis proxy (feature `proxy`) | `proxy` |
//!
//! The connection logic lives once, in [`Session`]: decoding requests with the
//! core's [`RequestDecoder`](redis_sansio::resp::RequestDecoder) and its limits,
//! answering pipelined requests in order (deferred replies included), encoding each
//! reply in the protocol the client chose, pushes, backpressure, closing. A body only
//! moves bytes between a socket and its session and wakes it when its outbox has
//! something.
#![deny(missing_docs)]

mod client;
mod config;
pub mod defaults;
mod dispatch;
mod handler;
mod listen;
mod outbox;
mod protocol_error;
mod reply;
mod request;
mod session;

#[cfg(feature = "blocking")]
pub mod blocking;
#[cfg(feature = "proxy")]
pub mod proxy;
#[cfg(feature = "tokio")]
pub mod tokio;

pub use client::ClientInfo;
pub use config::ServerConfig;
pub use handler::{Cx, Handler};
pub use listen::{BoundAddr, ListenAddr};
pub use outbox::Outbox;
pub use reply::{Reply, Ticket};
pub use request::Request;
pub use session::Session;
