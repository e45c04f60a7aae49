//! What Redis's own test suite (`scripts/redis-suite-through-proxy`) found through
//! the proxy, each pinned against a real redis-server. The clients here are raw
//! sockets, as the suite's Tcl clients are: a request is written, the next client
//! goes on without waiting for its reply.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use redis_sansio::Cmd;
use redis_sansio::config::ProtocolVersion;
use redis_sansio::resp::Frame;
use redis_test_support::{RedisServer, tcp_config};

#[path = "support/running_proxy.rs"]
mod running_proxy;
use running_proxy::RunningProxy;

/// A raw client of the proxy; reads give up after 10 seconds.
fn raw_client(proxy: &RunningProxy) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", proxy.port)).expect("connect to the proxy");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    BufReader::new(stream)
}

fn send(client: &mut BufReader<TcpStream>, bytes: &[u8]) {
    client.get_mut().write_all(bytes).expect("write a request");
}

/// One line, CRLF or LF included.
fn line(client: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    client.read_line(&mut line).expect("read a line");
    line
}

/// Whether the server has a connection that never sent a command (a spare of the
/// proxy's), waiting for one up to about two seconds.
fn idle_spare_is_open(server: &RedisServer) -> bool {
    for _ in 0..200 {
        if server.command(&["CLIENT", "LIST"]).contains("cmd=NULL") {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// The suite's `Blocking XREAD: key type changed with SET`: a client's first
/// blocking command moves it to a dedicated upstream; another client's command sent
/// right after it must still reach the server after it, as it does without a proxy.
/// Before spare connections, the dedicated upstream's connect let the `SET` overtake
/// the `XREADGROUP`, which then failed with `WRONGTYPE` instead of blocking.
#[test]
fn a_new_dedicated_upstream_keeps_its_first_request_in_order_with_other_clients() {
    let server = RedisServer::start();
    // One thread, as the suite runs it: two clients' requests read at the same
    // moment are handled in the order they were read (with worker threads, they may
    // be handled at once, or in either order).
    let proxy = RunningProxy::start_single_threaded(tcp_config(&server));
    let mut other = proxy.connect(ProtocolVersion::Resp2);
    for round in 0..20 {
        other.request(&Cmd::new("DEL").arg("s")).expect("DEL");
        other
            .request(&Cmd::new("XADD").arg("s").arg("1-1").arg("f").arg("v"))
            .expect("XADD");
        other
            .request(&Cmd::new("XGROUP").arg("CREATE").arg("s").arg("g").arg("$"))
            .expect("XGROUP CREATE");
        let mut blocked = raw_client(&proxy);
        // Connected and answered once (on a shared upstream), as a client's
        // handshake would be.
        send(&mut blocked, b"PING\r\n");
        assert_eq!(line(&mut blocked), "+PONG\r\n");
        // A spare is open (an upstream connection that never sent a command): on a
        // loaded machine the one taken last round may still be connecting.
        assert!(
            idle_spare_is_open(&server),
            "round {round}: no spare connection"
        );
        send(
            &mut blocked,
            b"*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$1\r\nc\r\n\
              $5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n>\r\n",
        );
        other
            .request(&Cmd::new("SET").arg("s").arg("v"))
            .expect("SET");
        let reply = line(&mut blocked);
        assert!(
            reply.starts_with("-UNBLOCKED"),
            "round {round}: the XREADGROUP ran after the SET: {reply:?}"
        );
    }
}

/// The suite's `attach_to_replication_stream`: `SYNC` sends `$<len>\r\n<rdb>` with no
/// CRLF after the payload, then the replication stream. The proxy passes it through
/// byte for byte (it used to try to decode it as replies, and the client hung).
#[test]
fn sync_passes_the_rdb_and_the_replication_stream_through() {
    let server = RedisServer::start();
    let proxy = RunningProxy::start(tcp_config(&server));
    let mut writer = proxy.connect(ProtocolVersion::Resp2);
    writer
        .request(&Cmd::new("SET").arg("before").arg("1"))
        .expect("SET");
    let mut replica = raw_client(&proxy);
    send(&mut replica, b"SYNC\r\n");
    // Newlines are keepalives while the server prepares the RDB.
    let mut header = line(&mut replica);
    for _ in 0..1000 {
        if header != "\n" {
            break;
        }
        header = line(&mut replica);
    }
    let len: usize = header
        .strip_prefix('$')
        .and_then(|rest| rest.trim_end().parse().ok())
        .unwrap_or_else(|| panic!("expected the RDB's length, got {header:?}"));
    let mut rdb = vec![0; len];
    replica.read_exact(&mut rdb).expect("the RDB payload");
    assert!(
        rdb.starts_with(b"REDIS"),
        "not an RDB: {:?}",
        &rdb[..len.min(9)]
    );
    writer
        .request(&Cmd::new("SET").arg("after").arg("2"))
        .expect("SET");
    // The stream: SELECT, then the SET, as the server wrote them.
    let mut stream = String::new();
    for _ in 0..64 {
        stream.push_str(&line(&mut replica));
        if stream.contains("after\r\n$1\r\n2\r\n") {
            break;
        }
    }
    assert!(
        stream.contains("*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n2\r\n")
            || stream.contains("*3\r\n$3\r\nset\r\n$5\r\nafter\r\n$1\r\n2\r\n"),
        "the replication stream: {stream:?}"
    );
}

/// A dedicated upstream forwards replies as the server wrote them: a RESP3 double is
/// not rewritten (`,1` stays `,1`, not `,1.0`).
#[test]
fn a_dedicated_upstream_forwards_replies_byte_for_byte() {
    let server = RedisServer::start();
    let proxy = RunningProxy::start(tcp_config(&server));
    let mut setup = proxy.connect(ProtocolVersion::Resp2);
    setup
        .request(&Cmd::new("ZADD").arg("z").arg("1").arg("m"))
        .expect("ZADD");
    let mut client = raw_client(&proxy);
    // HELLO AUTH moves the client to a dedicated upstream in RESP3.
    send(
        &mut client,
        b"*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$1\r\nx\r\n",
    );
    // The default user has no password: any password is accepted.
    let first = line(&mut client);
    assert!(first.starts_with('%'), "HELLO's map: {first:?}");
    // No line of HELLO's map starts with `,`: the first such line is ZSCORE's reply.
    send(&mut client, b"*3\r\n$6\r\nZSCORE\r\n$1\r\nz\r\n$1\r\nm\r\n");
    let mut seen = Vec::new();
    for _ in 0..200 {
        let next = line(&mut client);
        if next.starts_with(',') {
            seen.push(next);
            break;
        }
    }
    assert_eq!(seen, vec![",1\r\n".to_owned()]);
}

/// The suite's `UNSUBSCRIBE from non-subscribed channels`: a client that subscribed
/// to nothing gets one reply per channel named. On a shared upstream the extra
/// replies answered other clients' requests; now the command opens a dedicated
/// upstream as `SUBSCRIBE` does, and the shared one stays in step.
#[test]
fn unsubscribe_without_subscriptions_keeps_the_shared_upstream_in_step() {
    let server = RedisServer::start();
    let proxy = RunningProxy::start(tcp_config(&server));
    let mut other = proxy.connect(ProtocolVersion::Resp2);
    for command in [&b"UNSUBSCRIBE"[..], b"PUNSUBSCRIBE", b"SUNSUBSCRIBE"] {
        let mut client = raw_client(&proxy);
        let mut request = command.to_vec();
        request.extend_from_slice(b" foo bar quux\r\n");
        send(&mut client, &request);
        for channel in ["foo", "bar", "quux"] {
            let kind = String::from_utf8(command.to_ascii_lowercase()).expect("ASCII");
            assert_eq!(line(&mut client), "*3\r\n");
            assert_eq!(line(&mut client), format!("${}\r\n", kind.len()));
            assert_eq!(line(&mut client), format!("{kind}\r\n"));
            assert_eq!(line(&mut client), format!("${}\r\n", channel.len()));
            assert_eq!(line(&mut client), format!("{channel}\r\n"));
            assert_eq!(line(&mut client), ":0\r\n");
        }
        for round in 0..5 {
            let value = format!("v{round}");
            other
                .request(&Cmd::new("SET").arg("k").arg(&value))
                .expect("SET");
            let got = other.request(&Cmd::new("GET").arg("k")).expect("GET");
            assert_eq!(got, Frame::bulk(value.clone()), "after {command:?}");
        }
    }
}

/// The suite's `SLOWLOG - logged entry sanity check`: the server shows a client's
/// name (in `SLOWLOG`, `CLIENT LIST`) only if its connection carries it. `CLIENT
/// SETNAME` used to be answered by the proxy alone; it now goes up on a dedicated
/// upstream.
#[test]
fn client_setname_names_the_clients_upstream_connection() {
    let server = RedisServer::start();
    let proxy = RunningProxy::start(tcp_config(&server));
    let mut client = raw_client(&proxy);
    send(&mut client, b"CLIENT SETNAME suite-name\r\n");
    assert_eq!(line(&mut client), "+OK\r\n");
    send(&mut client, b"CLIENT GETNAME\r\n");
    assert_eq!(line(&mut client), "$10\r\n");
    assert_eq!(line(&mut client), "suite-name\r\n");
    let list = server.command(&["CLIENT", "LIST"]);
    assert!(list.contains("name=suite-name"), "CLIENT LIST: {list}");
}

/// The suite's `Timedout read-only scripts can be killed by SCRIPT KILL`: while a
/// script runs, every other client gets `BUSY`, and `SCRIPT KILL` gets through. With
/// scripts on shared upstreams, a client sharing the script's upstream waited behind
/// it (for ever, for this one), and so could the `SCRIPT KILL`.
#[test]
fn a_running_script_holds_no_other_client_behind_it() {
    let server = RedisServer::start();
    server.command(&["CONFIG", "SET", "lua-time-limit", "10"]);
    let proxy = RunningProxy::start(tcp_config(&server));
    let mut script = raw_client(&proxy);
    send(&mut script, b"EVAL \"while true do end\" 0\r\n");
    // Clients of both shared upstreams (they are spread by client id).
    let mut others: Vec<_> = (0..4).map(|_| raw_client(&proxy)).collect();
    for other in &mut others {
        let mut reply = String::new();
        for _ in 0..200 {
            send(other, b"PING\r\n");
            reply = line(other);
            if reply.starts_with("-BUSY") {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            reply.starts_with("-BUSY"),
            "PING while a script runs: {reply:?}"
        );
    }
    send(&mut others[0], b"SCRIPT KILL\r\n");
    assert_eq!(line(&mut others[0]), "+OK\r\n");
    let killed = line(&mut script);
    assert!(
        killed.contains("Script killed"),
        "the script's reply: {killed:?}"
    );
    for other in &mut others {
        send(other, b"PING\r\n");
        assert_eq!(line(other), "+PONG\r\n");
    }
}

/// The suite's `Test write commands are paused by RO`: a write held by `CLIENT PAUSE
/// WRITE` on a shared upstream holds whatever is queued behind it there. The client
/// that paused now has a dedicated upstream, so its `CLIENT UNPAUSE` is never queued
/// behind a write its pause holds.
#[test]
fn client_unpause_is_not_held_behind_the_writes_it_releases() {
    let server = RedisServer::start();
    let proxy = RunningProxy::start(tcp_config(&server));
    let mut pauser = raw_client(&proxy);
    send(&mut pauser, b"CLIENT PAUSE 20000 WRITE\r\n");
    assert_eq!(line(&mut pauser), "+OK\r\n");
    // Writers on both shared upstreams (clients are spread over them by id).
    let mut writers: Vec<_> = (0..4).map(|_| raw_client(&proxy)).collect();
    for writer in &mut writers {
        send(writer, b"SET paused 1\r\n");
    }
    let mut blocked = String::new();
    for _ in 0..100 {
        blocked = server.command(&["INFO", "clients"]);
        if blocked.contains("blocked_clients:") && !blocked.contains("blocked_clients:0") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !blocked.contains("blocked_clients:0"),
        "no write held: {blocked}"
    );
    send(&mut pauser, b"CLIENT UNPAUSE\r\n");
    assert_eq!(line(&mut pauser), "+OK\r\n");
    for writer in &mut writers {
        assert_eq!(line(writer), "+OK\r\n");
    }
}
