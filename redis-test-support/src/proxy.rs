//! A TCP proxy on loopback that can stop forwarding: a network path that goes silent
//! mid-stream, which a server or a client cannot tell from a slow peer.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How often the proxy's threads look at their flags.
const TICK: Duration = Duration::from_millis(20);

/// Forwards each connection it accepts on a loopback port to `upstream`, both ways,
/// until [`freeze`](Self::freeze) makes the connections open at that moment stop
/// forwarding (their bytes stay unread, as on a path that dropped everything); new
/// connections forward again. Dropping it stops every thread and closes every socket.
pub struct StallProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    accepted: AtomicUsize,
    /// One flag per accepted connection: set, it forwards nothing more.
    frozen: Mutex<Vec<Arc<AtomicBool>>>,
    pumps: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for StallProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StallProxy")
            .field("addr", &self.addr)
            .field("accepted", &self.accepted())
            .finish()
    }
}

impl StallProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    ///
    /// # Panics
    ///
    /// Panics when no loopback port can be bound.
    pub fn start(upstream: SocketAddr) -> StallProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared::default());
        let acceptor = {
            let shared = shared.clone();
            thread::spawn(move || accept_loop(&listener, upstream, &shared))
        };
        StallProxy {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The `redis://` URL of the proxy.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// The connections open now stop forwarding, both ways, for good.
    pub fn freeze(&self) {
        for flag in lock(&self.shared.frozen).iter() {
            flag.store(true, Ordering::SeqCst);
        }
    }
}

impl Drop for StallProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        for pump in lock(&self.shared.pumps).drain(..) {
            let _ = pump.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept_loop(listener: &TcpListener, upstream: SocketAddr, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        let client = match listener.accept() {
            Ok((client, _)) => client,
            Err(error) if error.kind() == ErrorKind::WouldBlock => {
                thread::sleep(TICK);
                continue;
            }
            Err(_) => return,
        };
        let Ok(server) = TcpStream::connect(upstream) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        let frozen = Arc::new(AtomicBool::new(false));
        lock(&shared.frozen).push(frozen.clone());
        let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
            continue;
        };
        let mut pumps = lock(&shared.pumps);
        for (from, to) in [(client, server), (server2, client2)] {
            let (shared, frozen) = (shared.clone(), frozen.clone());
            pumps.push(thread::spawn(move || pump(from, to, &shared, &frozen)));
        }
    }
}

/// Copies `from` to `to` until either end closes, the proxy stops, or the connection
/// is frozen (then it waits, reading nothing, until the proxy stops).
fn pump(mut from: TcpStream, mut to: TcpStream, shared: &Shared, frozen: &AtomicBool) {
    let _ = from.set_read_timeout(Some(TICK));
    let mut buf = [0u8; 16 * 1024];
    while !shared.stop.load(Ordering::SeqCst) {
        if frozen.load(Ordering::SeqCst) {
            thread::sleep(TICK);
            continue;
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if frozen.load(Ordering::SeqCst) {
                    // Frozen while reading: these bytes are lost on the way.
                    continue;
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
