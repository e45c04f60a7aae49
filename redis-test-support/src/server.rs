//! One `redis-server` process on a free loopback port and a Unix socket in a
//! temporary directory.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::binaries::{redis_server_path, redis_version};
use crate::raw::Endpoint;
use crate::tls::TestCerts;

/// How long a server may take to answer after being spawned.
const READY_DEADLINE: Duration = Duration::from_secs(10);
/// Interval between readiness probes.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// Fresh ports tried by `start` when redis cannot bind the chosen one.
const START_ATTEMPTS: usize = 8;
/// Attempts by `restart` to bind the same port again, `RESTART_BACKOFF` apart.
const RESTART_ATTEMPTS: usize = 50;
const RESTART_BACKOFF: Duration = Duration::from_millis(100);
/// Candidate ports examined per `reserve_port` call.
const PORT_PICK_ATTEMPTS: usize = 200;
/// Offset of the cluster bus port used by redis when `cluster-port` is unset.
const CLUSTER_BUS_OFFSET: u16 = 10_000;
/// Lines of `redis.log` quoted in a failure message.
const LOG_TAIL_LINES: usize = 30;
/// Unix socket paths must fit in `sockaddr_un.sun_path` (108 bytes).
const MAX_SOCKET_PATH: usize = 100;

/// Ports handed out by this process: never handed out twice, so a killed
/// server's port cannot be given to another test before it is restarted.
static RESERVED_PORTS: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// Which kind of process the builder starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Mode {
    #[default]
    Standalone,
    Cluster,
    Sentinel,
}

/// Whether and how a server listens for TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    /// A TLS port, clients not asked for a certificate (`tls-auth-clients no`).
    On,
    /// A TLS port that requires a client certificate signed by the test CA
    /// (`tls-auth-clients yes`).
    ClientAuth,
}

/// Builder for a [`RedisServer`]; obtained from [`RedisServer::builder`].
#[derive(Debug, Clone)]
pub struct RedisServerBuilder {
    unix_socket: bool,
    requirepass: Option<String>,
    acl_users: Vec<(String, String)>,
    args: Vec<String>,
    mode: Mode,
    tls: Option<Tls>,
    plain_port: bool,
    tls_cluster: bool,
}

impl Default for RedisServerBuilder {
    fn default() -> Self {
        Self {
            unix_socket: true,
            requirepass: None,
            acl_users: Vec::new(),
            args: Vec::new(),
            mode: Mode::Standalone,
            tls: None,
            plain_port: true,
            tls_cluster: false,
        }
    }
}

impl RedisServerBuilder {
    /// Whether to also listen on `<tempdir>/redis.sock` (mode 700). Default: `true`.
    pub fn unix_socket(mut self, enabled: bool) -> Self {
        self.unix_socket = enabled;
        self
    }

    /// Sets `requirepass`: the `default` user then needs this password, and
    /// unauthenticated commands get `-NOAUTH`.
    pub fn requirepass(mut self, password: &str) -> Self {
        self.requirepass = Some(password.to_owned());
        self
    }

    /// Adds an ACL user with full access:
    /// `user NAME on >PASSWORD ~* &* +@all`.
    pub fn acl_user(mut self, name: &str, password: &str) -> Self {
        self.acl_users.push((name.to_owned(), password.to_owned()));
        self
    }

    /// Appends one raw configuration-file line, e.g. `"maxmemory 10mb"` or
    /// `"replicaof 127.0.0.1 6380"`. Later lines override the harness defaults.
    pub fn arg(mut self, directive: &str) -> Self {
        self.args.push(directive.to_owned());
        self
    }

    /// Also listens for TLS on a second free loopback port
    /// ([`RedisServer::tls_port`]), with the certificates of [`TestCerts::shared`]
    /// (a server certificate for `127.0.0.1`, `::1` and `localhost`), not asking
    /// clients for a certificate. The plain-text port and Unix socket stay, for the
    /// harness's readiness checks and out-of-band commands.
    pub fn tls(mut self) -> Self {
        self.tls = Some(Tls::On);
        self
    }

    /// As [`tls`](Self::tls), but the TLS port requires a client certificate signed by
    /// the shared test CA (`tls-auth-clients yes`): see [`TestCerts::client_identity`].
    pub fn tls_client_auth(mut self) -> Self {
        self.tls = Some(Tls::ClientAuth);
        self
    }

    /// As [`tls`](Self::tls) (or [`tls_client_auth`](Self::tls_client_auth), whichever
    /// is called), but with no plain-text port at all (`port 0`): clients reach the
    /// server over TLS only, and the harness's own readiness checks and
    /// [`RedisServer::command`] go through its Unix socket, which must stay on.
    /// [`RedisServer::port`], [`addr`](RedisServer::addr) and [`url`](RedisServer::url)
    /// panic on such a server; [`RedisServer::tls_addr`] is its address.
    pub fn tls_only(mut self) -> Self {
        self.tls = self.tls.or(Some(Tls::On));
        self.plain_port = false;
        self
    }

    /// Cluster node whose cluster bus and replication use TLS (`tls-cluster yes`,
    /// `tls-replication yes`): it announces its TLS port to TLS clients, and its bus
    /// port is the TLS port + 10000.
    pub(crate) fn tls_cluster(mut self) -> Self {
        self.tls_cluster = true;
        self
    }

    /// Cluster node: `cluster-enabled yes`, `nodes.conf` in the node's dir,
    /// `cluster-node-timeout 5000`, and a port whose bus port (+10000) is free.
    pub(crate) fn cluster(mut self) -> Self {
        self.mode = Mode::Cluster;
        self
    }

    /// Runs `redis-server <conf> --sentinel` instead of a data node.
    pub(crate) fn sentinel(mut self) -> Self {
        self.mode = Mode::Sentinel;
        self
    }

    /// Spawns the server and waits (at most 10 s) until it answers `PING`.
    ///
    /// # Panics
    ///
    /// Panics when `redis-server` is missing, cannot bind any of several free
    /// ports, or does not become ready in time; the message quotes the tail of
    /// `redis.log`.
    pub fn start(self) -> RedisServer {
        assert!(
            self.plain_port || self.unix_socket,
            "a server without a plain-text port needs its Unix socket: the harness talks to it there"
        );
        assert!(
            self.plain_port || self.tls.is_some(),
            "a server without a plain-text port needs a TLS port"
        );
        let dir = make_temp_dir();
        let files = Files::new(dir.path(), self.unix_socket);
        if self.tls.is_some() {
            let certs = TestCerts::shared();
            write_file(&files.tls_ca, certs.ca_pem());
            write_file(&files.tls_cert, certs.server_cert_pem());
            write_file(&files.tls_key, certs.server_key_pem());
            write_file(&files.tls_client_cert, certs.client_cert_pem());
            write_file(&files.tls_client_key, certs.client_key_pem());
        }
        let cluster = self.mode == Mode::Cluster;
        // The cluster bus listens at the announced port + 10000: the TLS port's with
        // `tls-cluster yes`, the plain-text port's otherwise.
        let bus_on_tls = cluster && self.tls_cluster;
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            let port = if self.plain_port {
                reserve_port(cluster && !bus_on_tls)
            } else {
                0
            };
            let tls_port = self.tls.map(|_| reserve_port(bus_on_tls));
            // A failed attempt may have left a cluster config naming the old port.
            let _ = fs::remove_file(&files.nodes_conf);
            write_file(&files.conf, &self.config(&files, port, tls_port));
            let endpoint = endpoint(port, &files);
            match launch(&files, self.mode, &endpoint) {
                Ok(child) => {
                    return RedisServer {
                        child: Mutex::new(Some(child)),
                        port,
                        tls_port,
                        mode: self.mode,
                        files,
                        dir,
                    };
                }
                Err(LaunchError::AddrInUse(detail)) => failures.push(detail),
                Err(LaunchError::Fatal(detail)) => panic!("{detail}"),
            }
        }
        panic!(
            "redis-server could not bind a free port after {START_ATTEMPTS} attempts:\n{}",
            failures.join("\n---\n")
        );
    }

    fn config(&self, files: &Files, port: u16, tls_port: Option<u16>) -> String {
        let mut lines = vec![
            format!("port {port}"),
            "bind 127.0.0.1".to_owned(),
            format!("dir {}", quote(&files.dir.to_string_lossy())),
            format!("logfile {}", quote(&files.log.to_string_lossy())),
            "daemonize no".to_owned(),
            "save \"\"".to_owned(),
            "appendonly no".to_owned(),
            // Replicas sync at once instead of waiting 5 s for company.
            "repl-diskless-sync-delay 0".to_owned(),
        ];
        if redis_version() >= (7, 0, 0) {
            // DEBUG SLEEP etc. are refused by default since 7.0.
            lines.push("enable-debug-command yes".to_owned());
        }
        if let Some(socket) = &files.socket {
            lines.push(format!("unixsocket {}", quote(&socket.to_string_lossy())));
            lines.push("unixsocketperm 700".to_owned());
        }
        if self.mode == Mode::Cluster {
            lines.push("cluster-enabled yes".to_owned());
            lines.push(format!(
                "cluster-config-file {}",
                quote(&files.nodes_conf.to_string_lossy())
            ));
            lines.push("cluster-node-timeout 5000".to_owned());
            // CLUSTER SLOTS lists a replica only once its replication offset
            // is non-zero, which an idle master only moves with its periodic
            // PING to replicas (10 s by default).
            lines.push("repl-ping-replica-period 1".to_owned());
        }
        if let (Some(tls), Some(tls_port)) = (self.tls, tls_port) {
            lines.push(format!("tls-port {tls_port}"));
            for (directive, path) in [
                ("tls-cert-file", &files.tls_cert),
                ("tls-key-file", &files.tls_key),
                ("tls-ca-cert-file", &files.tls_ca),
                // What the server presents when it connects to another server
                // (replication, the cluster bus, MIGRATE) that asks for a certificate.
                ("tls-client-cert-file", &files.tls_client_cert),
                ("tls-client-key-file", &files.tls_client_key),
            ] {
                lines.push(format!("{directive} {}", quote(&path.to_string_lossy())));
            }
            let auth = if tls == Tls::ClientAuth { "yes" } else { "no" };
            lines.push(format!("tls-auth-clients {auth}"));
            if self.tls_cluster {
                lines.push("tls-cluster yes".to_owned());
                lines.push("tls-replication yes".to_owned());
            }
        }
        if let Some(password) = &self.requirepass {
            lines.push(format!("requirepass {}", quote(password)));
        }
        for (name, password) in &self.acl_users {
            lines.push(format!(
                "user {} on {} ~* &* +@all",
                quote(name),
                quote(&format!(">{password}"))
            ));
        }
        lines.extend(self.args.iter().cloned());
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }
}

/// Paths inside a server's temporary directory.
#[derive(Debug)]
struct Files {
    dir: PathBuf,
    conf: PathBuf,
    log: PathBuf,
    stderr: PathBuf,
    nodes_conf: PathBuf,
    socket: Option<PathBuf>,
    tls_ca: PathBuf,
    tls_cert: PathBuf,
    tls_key: PathBuf,
    tls_client_cert: PathBuf,
    tls_client_key: PathBuf,
}

impl Files {
    fn new(dir: &Path, unix_socket: bool) -> Self {
        Self {
            dir: dir.to_owned(),
            conf: dir.join("redis.conf"),
            log: dir.join("redis.log"),
            stderr: dir.join("stderr.log"),
            nodes_conf: dir.join("nodes.conf"),
            socket: unix_socket.then(|| dir.join("redis.sock")),
            tls_ca: dir.join("tls-ca.crt"),
            tls_cert: dir.join("tls-server.crt"),
            tls_key: dir.join("tls-server.key"),
            tls_client_cert: dir.join("tls-client.crt"),
            tls_client_key: dir.join("tls-client.key"),
        }
    }
}

/// A `redis-server` process owned by a test.
///
/// It listens on `127.0.0.1:<free port>` (unless built
/// [`tls_only`](RedisServerBuilder::tls_only)), on a TLS port when asked, and, unless
/// disabled, on `<tempdir>/redis.sock`. Persistence is off. Dropping the handle kills the
/// process with `SIGKILL`, reaps it and removes the temporary directory, so no
/// server outlives its test, even one that panicked.
///
/// The process handle sits behind a mutex, so [`kill`](Self::kill) and
/// [`restart`](Self::restart) take `&self` and the server can be shared
/// between threads.
#[derive(Debug)]
pub struct RedisServer {
    child: Mutex<Option<Child>>,
    /// The plain-text port; 0 for a TLS-only server.
    port: u16,
    tls_port: Option<u16>,
    mode: Mode,
    files: Files,
    // Declared last: removed after the process is gone.
    dir: TempDir,
}

impl RedisServer {
    /// Starts a default server (TCP and Unix socket, no password).
    ///
    /// # Panics
    ///
    /// See [`RedisServerBuilder::start`].
    pub fn start() -> RedisServer {
        Self::builder().start()
    }

    /// A builder for a server with a password, ACL users or extra directives.
    pub fn builder() -> RedisServerBuilder {
        RedisServerBuilder::default()
    }

    /// The plain-text TCP port (on `127.0.0.1`).
    ///
    /// # Panics
    ///
    /// On a [`tls_only`](RedisServerBuilder::tls_only) server, which has none.
    pub fn port(&self) -> u16 {
        assert!(
            self.port != 0,
            "this server is TLS-only: it has no plain-text port (see tls_port, tls_addr)"
        );
        self.port
    }

    /// Whether the server has a plain-text TCP port (it has none when built
    /// [`tls_only`](RedisServerBuilder::tls_only)).
    pub fn has_plain_port(&self) -> bool {
        self.port != 0
    }

    /// The TLS port (on `127.0.0.1`), for a server built with
    /// [`tls`](RedisServerBuilder::tls) or
    /// [`tls_client_auth`](RedisServerBuilder::tls_client_auth).
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    /// `127.0.0.1:<port>`.
    ///
    /// # Panics
    ///
    /// On a [`tls_only`](RedisServerBuilder::tls_only) server; see [`port`](Self::port).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.port()))
    }

    /// `127.0.0.1:<tls port>`, for a server with a TLS port.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_port
            .map(|port| SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)))
    }

    /// The Unix socket path, when enabled.
    pub fn unix_path(&self) -> Option<&Path> {
        self.files.socket.as_deref()
    }

    /// `redis://127.0.0.1:<port>`.
    ///
    /// # Panics
    ///
    /// On a [`tls_only`](RedisServerBuilder::tls_only) server; see [`port`](Self::port).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port())
    }

    /// The server's temporary directory (config, `redis.log`, socket).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Version of the `redis-server` binary, e.g. `(7, 0, 15)`.
    pub fn version(&self) -> (u32, u32, u32) {
        redis_version()
    }

    /// Process id while the server runs; `None` after [`kill`](Self::kill).
    pub fn pid(&self) -> Option<u32> {
        self.lock_child().as_ref().map(Child::id)
    }

    /// Whether the process is alive (started, not killed, not exited).
    pub fn is_running(&self) -> bool {
        match self.lock_child().as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Sends one command over a fresh plain-text connection (TCP, or the Unix socket
    /// on a [`tls_only`](RedisServerBuilder::tls_only) server) and returns the reply
    /// in the text form of [`crate::command`].
    ///
    /// # Panics
    ///
    /// Panics when the server cannot be reached.
    pub fn command(&self, args: &[&str]) -> String {
        let endpoint = self.endpoint();
        endpoint
            .try_command(args)
            .unwrap_or_else(|err| panic!("raw command {args:?} to {endpoint}: {err}"))
    }

    /// Where the harness reaches the server out of band: the plain-text port, or the
    /// Unix socket of a TLS-only server.
    pub(crate) fn endpoint(&self) -> Endpoint {
        endpoint(self.port, &self.files)
    }

    /// Kills the process with `SIGKILL` and reaps it. Connects then fail until
    /// [`restart`](Self::restart). Does nothing when it is not running.
    pub fn kill(&self) {
        let mut guard = self.lock_child();
        if let Some(child) = guard.take() {
            stop(child);
        }
    }

    /// Starts the server again with the same configuration, port and Unix
    /// socket (killing it first if it still runs) and waits until it answers.
    /// Data is not kept (persistence is off); a cluster node keeps its
    /// `nodes.conf` and rejoins with the same id, a sentinel its rewritten
    /// config.
    ///
    /// # Panics
    ///
    /// Panics when the port stays taken or the server does not become ready.
    pub fn restart(&self) {
        let mut guard = self.lock_child();
        if let Some(child) = guard.take() {
            stop(child);
        }
        let mut last = String::new();
        let endpoint = self.endpoint();
        for _ in 0..RESTART_ATTEMPTS {
            match launch(&self.files, self.mode, &endpoint) {
                Ok(child) => {
                    *guard = Some(child);
                    return;
                }
                Err(LaunchError::AddrInUse(detail)) => {
                    last = detail;
                    thread::sleep(RESTART_BACKOFF);
                }
                Err(LaunchError::Fatal(detail)) => panic!("restart: {detail}"),
            }
        }
        panic!(
            "restart: port {} or TLS port {:?} stayed in use:\n{last}",
            self.port, self.tls_port
        );
    }

    fn lock_child(&self) -> MutexGuard<'_, Option<Child>> {
        // A panic while holding the lock leaves consistent data behind.
        self.child
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let child = self
            .child
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(child) = child {
            stop(child);
        }
    }
}

fn stop(mut child: Child) {
    // Errors mean it already exited; `wait` still reaps it.
    let _ = child.kill();
    let _ = child.wait();
}

enum LaunchError {
    /// The port was taken; try another one (or the same one later).
    AddrInUse(String),
    /// Anything else: report and give up.
    Fatal(String),
}

/// The plain-text TCP port when there is one, else the Unix socket.
fn endpoint(port: u16, files: &Files) -> Endpoint {
    match (port, &files.socket) {
        (0, Some(socket)) => Endpoint::Unix(socket.clone()),
        _ => Endpoint::Tcp(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))),
    }
}

/// Spawns `redis-server` on `files.conf` and waits until it answers at `endpoint`.
fn launch(files: &Files, mode: Mode, endpoint: &Endpoint) -> Result<Child, LaunchError> {
    let log_offset = fs::metadata(&files.log).map(|m| m.len()).unwrap_or(0);
    let stderr = File::create(&files.stderr)
        .map_err(|err| LaunchError::Fatal(format!("creating {}: {err}", files.stderr.display())))?;
    let mut command = Command::new(redis_server_path());
    command.arg(&files.conf);
    if mode == Mode::Sentinel {
        command.arg("--sentinel");
    }
    let mut child = command
        .current_dir(&files.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .map_err(|err| LaunchError::Fatal(format!("spawning redis-server: {err}")))?;

    // Only this process writes the marker into this log, after binding its
    // port, so a reply from some other server on the port is not mistaken
    // for ours.
    let marker = match mode {
        Mode::Sentinel => "Sentinel ID is",
        Mode::Standalone | Mode::Cluster => "Ready to accept connections",
    };
    let deadline = Instant::now() + READY_DEADLINE;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let log = read_from(&files.log, log_offset);
                let detail =
                    failure_report(files, endpoint, &format!("exited with {status}"), &log);
                return Err(if log.contains("Address already in use") {
                    LaunchError::AddrInUse(detail)
                } else {
                    LaunchError::Fatal(detail)
                });
            }
            Ok(None) => {}
            Err(err) => {
                stop(child);
                return Err(LaunchError::Fatal(format!(
                    "waiting for redis-server: {err}"
                )));
            }
        }
        if read_from(&files.log, log_offset).contains(marker) && answers_ping(endpoint) {
            return Ok(child);
        }
        if Instant::now() >= deadline {
            stop(child);
            let log = read_from(&files.log, log_offset);
            let reason = format!("did not answer PING within {READY_DEADLINE:?}");
            return Err(LaunchError::Fatal(failure_report(
                files, endpoint, &reason, &log,
            )));
        }
        thread::sleep(POLL_INTERVAL);
    }
}

fn answers_ping(endpoint: &Endpoint) -> bool {
    match endpoint.try_command(&["PING"]) {
        Ok(reply) => reply == "+PONG" || reply.starts_with("-NOAUTH"),
        Err(_) => false,
    }
}

fn failure_report(files: &Files, endpoint: &Endpoint, reason: &str, log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    let tail = lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n");
    let stderr = fs::read_to_string(&files.stderr).unwrap_or_default();
    format!(
        "redis-server at {endpoint} {reason}\n--- {} (tail) ---\n{tail}\n--- stderr ---\n{stderr}",
        files.log.display()
    )
}

/// The part of `path` after byte `offset` (lossy UTF-8), or empty.
fn read_from(path: &Path, offset: u64) -> String {
    let read = || -> io::Result<String> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    read().unwrap_or_default()
}

fn write_file(path: &Path, contents: &str) {
    fs::write(path, contents).unwrap_or_else(|err| panic!("writing {}: {err}", path.display()));
}

/// A temp dir short enough for a Unix socket path inside it.
fn make_temp_dir() -> TempDir {
    let builder = || {
        let mut builder = tempfile::Builder::new();
        builder.prefix("redis-test-");
        builder
    };
    let dir = builder()
        .tempdir()
        .unwrap_or_else(|err| panic!("creating a temp dir: {err}"));
    if dir.path().join("redis.sock").as_os_str().len() <= MAX_SOCKET_PATH {
        return dir;
    }
    builder()
        .tempdir_in("/tmp")
        .unwrap_or_else(|err| panic!("creating a temp dir in /tmp: {err}"))
}

/// Quotes a config value for redis' config parser.
fn quote(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

/// A loopback port that is free now and never handed out before by this
/// process. For cluster nodes the bus port (`port + 10000`) must be free too.
fn reserve_port(cluster: bool) -> u16 {
    let mut reserved = RESERVED_PORTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for _ in 0..PORT_PICK_ATTEMPTS {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap_or_else(|err| panic!("binding 127.0.0.1:0: {err}"));
        let port = match listener.local_addr() {
            Ok(addr) => addr.port(),
            Err(_) => continue,
        };
        if reserved.contains(&port) {
            continue;
        }
        if cluster {
            let Some(bus) = port.checked_add(CLUSTER_BUS_OFFSET) else {
                continue;
            };
            if reserved.contains(&bus) || TcpListener::bind((Ipv4Addr::LOCALHOST, bus)).is_err() {
                continue;
            }
            reserved.insert(bus);
        }
        reserved.insert(port);
        return port;
    }
    panic!("no free loopback port found after {PORT_PICK_ATTEMPTS} attempts");
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_config_values() {
        assert_eq!(quote("plain"), "\"plain\"");
        assert_eq!(quote(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    }
}
