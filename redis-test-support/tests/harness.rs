//! Checks the harness itself against real redis-server processes.

use std::io::ErrorKind;
use std::path::Path;

use redis_test_support::{
    RawConnection, RedisCluster, RedisSentinel, RedisServer, command, command_unix, redis_version,
    try_command,
};

fn proc_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

fn info_field(info: &str, key: &str) -> Option<String> {
    info.lines()
        .find_map(|line| line.trim().strip_prefix(&format!("{key}:")))
        .map(str::to_owned)
}

#[test]
fn server_answers_over_tcp_and_unix_socket() {
    let server = RedisServer::start();
    assert_eq!(server.addr().ip().to_string(), "127.0.0.1");
    assert_eq!(server.addr().port(), server.port());
    assert_eq!(server.url(), format!("redis://127.0.0.1:{}", server.port()));

    assert_eq!(command(server.addr(), &["PING"]), "+PONG");
    assert_eq!(command(server.addr(), &["SET", "k", "v w"]), "+OK");

    let socket = server.unix_path().expect("unix socket enabled by default");
    assert!(socket.starts_with(server.dir()));
    assert_eq!(command_unix(socket, &["PING"]), "+PONG");
    // Same process behind both listeners.
    assert_eq!(command_unix(socket, &["GET", "k"]), "v w");
    assert_eq!(command_unix(socket, &["GET", "missing"]), "(nil)");

    // The version getter matches what the process reports.
    let (major, minor, patch) = server.version();
    let info = command(server.addr(), &["INFO", "server"]);
    assert_eq!(
        info_field(&info, "redis_version").as_deref(),
        Some(format!("{major}.{minor}.{patch}").as_str())
    );
    assert_eq!(
        info_field(&info, "process_id"),
        server.pid().map(|pid| pid.to_string())
    );
    assert_eq!(redis_version(), server.version());

    // DEBUG is enabled (needed by fault tests for DEBUG SLEEP).
    assert_eq!(command(server.addr(), &["DEBUG", "SLEEP", "0"]), "+OK");
    // Persistence is off.
    assert_eq!(
        command(server.addr(), &["CONFIG", "GET", "appendonly"]),
        "[appendonly, no]"
    );
}

#[test]
fn unix_socket_can_be_disabled_and_extra_args_apply() {
    let server = RedisServer::builder()
        .unix_socket(false)
        .arg("maxmemory 12345678")
        .start();
    assert!(server.unix_path().is_none());
    assert!(!server.dir().join("redis.sock").exists());
    assert_eq!(
        server.command(&["CONFIG", "GET", "maxmemory"]),
        "[maxmemory, 12345678]"
    );
}

#[test]
fn requirepass_server_demands_auth() {
    let server = RedisServer::builder().requirepass("s3cret \"pw\"").start();
    let reply = command(server.addr(), &["PING"]);
    assert!(reply.starts_with("-NOAUTH"), "{reply}");

    let mut conn = RawConnection::connect(server.addr()).expect("connect");
    let wrong = conn.command(&["AUTH", "nope"]);
    assert!(wrong.starts_with("-WRONGPASS"), "{wrong}");
    assert_eq!(conn.command(&["AUTH", "s3cret \"pw\""]), "+OK");
    assert_eq!(conn.command(&["PING"]), "+PONG");
}

#[test]
fn acl_user_can_auth() {
    let server = RedisServer::builder()
        .acl_user("alice", "wonder land")
        .start();
    let mut conn =
        RawConnection::connect_unix(server.unix_path().expect("socket")).expect("connect");
    let wrong = conn.command(&["AUTH", "alice", "wrong"]);
    assert!(wrong.starts_with("-WRONGPASS"), "{wrong}");
    assert_eq!(conn.command(&["AUTH", "alice", "wonder land"]), "+OK");
    assert_eq!(conn.command(&["ACL", "WHOAMI"]), "alice");
    assert_eq!(conn.command(&["SET", "owned", "1"]), "+OK");
}

#[test]
fn kill_then_restart_on_same_port_and_socket() {
    let server = RedisServer::start();
    let port = server.port();
    let first_pid = server.pid().expect("running");
    assert_eq!(server.command(&["SET", "k", "1"]), "+OK");

    server.kill();
    assert!(server.pid().is_none());
    assert!(!server.is_running());
    assert!(!proc_exists(first_pid));
    let err = try_command(server.addr(), &["PING"]).expect_err("server is dead");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    assert!(RawConnection::connect_unix(server.unix_path().expect("socket")).is_err());

    server.restart();
    assert_eq!(server.port(), port);
    assert!(server.is_running());
    let second_pid = server.pid().expect("running again");
    assert_ne!(first_pid, second_pid);
    assert_eq!(server.command(&["PING"]), "+PONG");
    assert_eq!(
        command_unix(server.unix_path().expect("socket"), &["PING"]),
        "+PONG"
    );
    // No persistence: the restarted server starts empty.
    assert_eq!(server.command(&["GET", "k"]), "(nil)");

    // restart() on a running server replaces the process.
    server.restart();
    assert_ne!(server.pid(), Some(second_pid));
    assert!(!proc_exists(second_pid));
    assert_eq!(server.command(&["PING"]), "+PONG");
}

#[test]
fn drop_stops_the_process_and_removes_the_dir() {
    let server = RedisServer::start();
    let pid = server.pid().expect("running");
    let addr = server.addr();
    let dir = server.dir().to_owned();
    assert!(proc_exists(pid));
    assert!(dir.join("redis.log").exists());
    drop(server);
    assert!(!proc_exists(pid), "redis-server {pid} outlived its handle");
    assert!(!dir.exists());
    assert!(try_command(addr, &["PING"]).is_err());
}

#[test]
fn drop_during_panic_stops_the_process() {
    let (tx, rx) = std::sync::mpsc::channel();
    let result = std::thread::spawn(move || {
        let server = RedisServer::start();
        tx.send(server.pid().expect("running")).expect("send pid");
        panic!("test failure while the server runs");
    })
    .join();
    assert!(result.is_err());
    let pid = rx.recv().expect("pid");
    assert!(!proc_exists(pid), "redis-server {pid} outlived a panic");
}

#[test]
fn raw_helper_can_kill_another_client() {
    let server = RedisServer::start();
    let mut victim = RawConnection::connect(server.addr()).expect("connect");
    let id = victim.command(&["CLIENT", "ID"]);
    let id = id.strip_prefix(':').expect("integer reply");
    assert_eq!(server.command(&["CLIENT", "KILL", "ID", id]), ":1");
    assert!(victim.try_command(&["PING"]).is_err());
}

/// Slot ranges out of the text form of `CLUSTER SLOTS`: every `[:start, :end`.
fn slot_ranges(text: &str) -> Vec<(u32, u32)> {
    let mut ranges: Vec<(u32, u32)> = text
        .match_indices("[:")
        .map(|(index, _)| {
            let mut numbers = text[index + 2..]
                .split(", ")
                .take(2)
                .map(|n| n.trim_start_matches(':').parse::<u32>().expect("slot"));
            (numbers.next().expect("start"), numbers.next().expect("end"))
        })
        .collect();
    ranges.sort_unstable();
    ranges
}

#[test]
fn cluster_starts_healthy_and_routes_keys() {
    let cluster = RedisCluster::start();
    assert_eq!(cluster.nodes().len(), 6);
    assert_eq!(cluster.seed_urls().len(), 6);
    assert!(
        cluster
            .seed_urls()
            .iter()
            .all(|url| url.starts_with("redis://127.0.0.1:"))
    );

    for node in cluster.nodes() {
        let info = node.command(&["CLUSTER", "INFO"]);
        assert_eq!(info_field(&info, "cluster_state").as_deref(), Some("ok"));
        assert_eq!(
            info_field(&info, "cluster_slots_assigned").as_deref(),
            Some("16384")
        );
        assert_eq!(info_field(&info, "cluster_size").as_deref(), Some("3"));

        let ranges = slot_ranges(&node.command(&["CLUSTER", "SLOTS"]));
        let mut next = 0;
        for (start, end) in &ranges {
            assert_eq!(*start, next, "gap or overlap in {ranges:?}");
            next = end + 1;
        }
        assert_eq!(next, 16384, "{ranges:?}");
    }

    // Exactly one node accepts the key; every other one redirects to it.
    let slot = cluster.nodes()[0].command(&["CLUSTER", "KEYSLOT", "harness-key"]);
    let slot = slot.strip_prefix(':').expect("integer");
    let replies: Vec<String> = cluster
        .nodes()
        .iter()
        .map(|node| node.command(&["SET", "harness-key", "1"]))
        .collect();
    let owners: Vec<_> = cluster
        .nodes()
        .iter()
        .zip(&replies)
        .filter(|(_, reply)| *reply == "+OK")
        .map(|(node, _)| node.addr())
        .collect();
    assert_eq!(owners.len(), 1, "{replies:?}");
    let moved = format!("-MOVED {slot} {}", owners[0]);
    assert_eq!(
        replies.iter().filter(|reply| **reply == moved).count(),
        5,
        "{replies:?}"
    );
}

/// The ports every `[127.0.0.1, :PORT` of the text form of `CLUSTER SLOTS` names.
fn slot_ports(text: &str) -> Vec<u16> {
    text.match_indices("[127.0.0.1, :")
        .map(|(index, _)| {
            let rest = &text[index + "[127.0.0.1, :".len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().expect("port")
        })
        .collect()
}

#[test]
fn tls_only_cluster_announces_its_tls_ports() {
    let cluster = RedisCluster::start_tls();
    assert!(cluster.is_tls());
    let tls_ports: Vec<u16> = cluster.tls_addrs().iter().map(|a| a.port()).collect();
    assert_eq!(tls_ports.len(), 6);
    assert_eq!(cluster.addrs(), cluster.tls_addrs());
    assert!(
        cluster
            .seed_urls()
            .iter()
            .all(|url| url.starts_with("rediss://127.0.0.1:")),
        "{:?}",
        cluster.seed_urls()
    );
    let configs = cluster.tls_seed_configs();
    assert_eq!(configs.len(), 6);
    assert!(configs.iter().all(|config| config.tls
        && config.tls_options.client_identity.is_some()
        && !config.tls_options.system_roots));

    for node in cluster.nodes() {
        assert!(!node.has_plain_port());
        assert!(std::panic::catch_unwind(|| node.port()).is_err());
        // The harness reaches it over its Unix socket; it has no plain-text port.
        assert_eq!(node.command(&["CONFIG", "GET", "port"]), "[port, 0]");
        assert_eq!(
            node.command(&["CONFIG", "GET", "tls-cluster"]),
            "[tls-cluster, yes]"
        );
        let info = node.command(&["CLUSTER", "INFO"]);
        assert_eq!(info_field(&info, "cluster_state").as_deref(), Some("ok"));
        // Every node CLUSTER SLOTS names is at one of the TLS ports.
        let ports = slot_ports(&node.command(&["CLUSTER", "SLOTS"]));
        assert_eq!(ports.len(), 6, "three primaries and three replicas");
        assert!(
            ports.iter().all(|port| tls_ports.contains(port)),
            "{ports:?}"
        );
    }

    // Redirects name TLS ports too.
    let replies: Vec<String> = cluster
        .nodes()
        .iter()
        .map(|node| node.command(&["SET", "harness-key", "1"]))
        .collect();
    let owners: Vec<_> = cluster
        .nodes()
        .iter()
        .zip(&replies)
        .filter(|(_, reply)| *reply == "+OK")
        .map(|(node, _)| node.tls_addr().expect("a TLS port"))
        .collect();
    assert_eq!(owners.len(), 1, "{replies:?}");
    let redirected = replies
        .iter()
        .filter(|reply| reply.starts_with("-MOVED ") && reply.ends_with(&format!(" {}", owners[0])))
        .count();
    assert_eq!(redirected, 5, "{replies:?}");
}

#[test]
fn sentinel_topology_reports_the_master() {
    let topology = RedisSentinel::start();
    assert_eq!(topology.master_name(), "mymaster");
    assert_eq!(topology.sentinels().len(), 3);
    assert_eq!(topology.sentinel_addrs().len(), 3);

    let master_port = topology.master_addr().port();
    let replica_port = topology.replica_addr().port();
    let expected = format!("[127.0.0.1, {master_port}]");
    for sentinel in topology.sentinel_addrs() {
        assert_eq!(
            command(
                sentinel,
                &["SENTINEL", "get-master-addr-by-name", "mymaster"]
            ),
            expected
        );
        let replicas = command(sentinel, &["SENTINEL", "replicas", "mymaster"]);
        assert!(
            replicas.contains(&format!("port, {replica_port},")),
            "{replicas}"
        );
    }

    let master_info = topology.master().command(&["INFO", "replication"]);
    assert_eq!(info_field(&master_info, "role").as_deref(), Some("master"));
    assert_eq!(
        info_field(&master_info, "connected_slaves").as_deref(),
        Some("1")
    );
    let replica_info = topology.replica().command(&["INFO", "replication"]);
    assert_eq!(info_field(&replica_info, "role").as_deref(), Some("slave"));
    assert_eq!(
        info_field(&replica_info, "master_port"),
        Some(master_port.to_string())
    );

    // Data written to the master reaches the replica.
    assert_eq!(topology.master().command(&["SET", "k", "v"]), "+OK");
    assert_eq!(topology.master().command(&["WAIT", "1", "5000"]), ":1");
    assert_eq!(topology.replica().command(&["GET", "k"]), "v");
}
