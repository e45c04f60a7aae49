//! The `tracing` feature: a span per request with OpenTelemetry's database fields,
//! closed at the request's outcome, its error recorded; events for connects and
//! closes. Run with `cargo test -p redis-sansio --features tracing`.
#![cfg(feature = "tracing")]

mod conn_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use conn_support::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One span as the subscriber saw it.
#[derive(Debug, Default, Clone)]
struct SeenSpan {
    name: String,
    fields: BTreeMap<String, String>,
    closed: bool,
}

#[derive(Debug, Default)]
struct Seen {
    spans: Vec<SeenSpan>,
    events: Vec<String>,
}

/// A subscriber that keeps every span's fields and every event's message.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Seen>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_string(),
            format!("{value:?}").trim_matches('"').to_string(),
        );
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut seen = self.0.lock().unwrap();
        let mut span = SeenSpan {
            name: attrs.metadata().name().to_string(),
            ..SeenSpan::default()
        };
        attrs.record(&mut Fields(&mut span.fields));
        seen.spans.push(span);
        Id::from_u64(seen.spans.len() as u64)
    }

    fn record(&self, id: &Id, values: &Record<'_>) {
        let mut seen = self.0.lock().unwrap();
        let span = &mut seen.spans[id.into_u64() as usize - 1];
        values.record(&mut Fields(&mut span.fields));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let message = fields.remove("message").unwrap_or_default();
        self.0.lock().unwrap().events.push(message);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}

    fn try_close(&self, id: Id) -> bool {
        self.0.lock().unwrap().spans[id.into_u64() as usize - 1].closed = true;
        true
    }
}

fn captured(run: impl FnOnce()) -> Seen {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), run);
    std::mem::take(&mut *capture.0.lock().unwrap())
}

#[test]
fn each_request_is_a_span_with_the_database_fields_closed_at_its_outcome() {
    let seen = captured(|| {
        let mut s = Script::ready();
        let get = s.send(&["GET", "k"]);
        let lpush = s.send(&["LPUSH", "k", "v"]);
        s.reply(
            "$1\r\nv\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        );
        assert!(s.reply_to(get).is_ok());
        assert!(s.reply_to(lpush).is_err());
    });
    let commands: Vec<&SeenSpan> = seen
        .spans
        .iter()
        .filter(|s| s.name == "redis.command")
        .collect();
    // The handshake is not a caller's request: it has no span, but the `connected`
    // event below.
    let names: Vec<&str> = commands
        .iter()
        .map(|s| s.fields["db.operation.name"].as_str())
        .collect();
    assert_eq!(names, ["GET", "LPUSH"]);
    let get = commands[0];
    assert_eq!(get.fields["db.system"], "redis");
    assert_eq!(get.fields["otel.name"], "GET");
    assert_eq!(get.fields["server.address"], "127.0.0.1");
    assert_eq!(get.fields["server.port"], "6379");
    assert!(!get.fields.contains_key("error.type"));
    assert!(commands.iter().all(|span| span.closed), "{commands:?}");
    assert_eq!(commands[1].fields["error.type"], "WRONGTYPE");
    // No argument value is recorded.
    assert!(
        commands
            .iter()
            .all(|span| !span.fields.values().any(|v| v == "k" || v == "v"))
    );
    assert!(
        seen.events.iter().any(|e| e == "connected"),
        "{:?}",
        seen.events
    );
}

#[test]
fn timeouts_and_closes_end_the_span_with_their_error() {
    let seen = captured(|| {
        let mut s = Script::ready_with(config().with_response_timeout(Duration::from_millis(100)));
        let late = s.send(&["GET", "late"]);
        s.advance(Duration::from_millis(200));
        assert!(s.reply_to(late).is_err());
        let cut = s.send(&["GET", "cut"]);
        s.conn.handle_eof(s.now);
        assert!(s.reply_to(cut).is_err());
    });
    let errors: Vec<&str> = seen
        .spans
        .iter()
        .filter(|s| s.name == "redis.command" && s.fields["db.operation.name"] == "GET")
        .map(|s| s.fields["error.type"].as_str())
        .collect();
    assert_eq!(errors, ["timeout", "closed"]);
    assert!(seen.spans.iter().all(|span| span.closed));
    assert!(
        seen.events.iter().any(|e| e == "connection closed"),
        "{:?}",
        seen.events
    );
}
