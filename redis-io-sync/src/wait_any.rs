//! Waiting on many blocking connections at once, for a caller that holds several
//! (a cluster subscriber: one subscribed connection per node) and takes whatever
//! comes first.

use std::time::{Duration, Instant};

use crate::Error;
use crate::blocking::{Connection, Readiness};

/// Waits until one of `conns` has something for [`Connection::next_event`] (a
/// message, a push, a MONITOR line, or its close), at most until `deadline` (`None`:
/// as long as it takes), and returns its index: the first such connection in the
/// slice's order (rotate the order between calls to share out the turns). `Ok(None)`
/// when the deadline came first. Take the event with `next_event(Some(Duration::ZERO))`,
/// which then does not wait.
///
/// What the sockets have already received is read first, without waiting, and the
/// connections' own deadlines (response timeouts) fire as usual. Then the sockets are
/// watched together, on this thread (`mio` over their descriptors on Unix; elsewhere,
/// looks every 10 ms). Only for connections not in the middle of a call, as their
/// callers are here.
///
/// With no connections, it waits for the deadline. Fails only when the watching
/// itself fails (the OS refused the poll).
pub fn wait_any(
    conns: &mut [&mut Connection],
    deadline: Option<Instant>,
) -> Result<Option<usize>, Error> {
    // Made on the first wait only: a connection that has an event already needs none.
    let mut watch = None;
    loop {
        let mut unread = false;
        let mut next_deadline = deadline;
        for (i, conn) in conns.iter_mut().enumerate() {
            match conn.readiness() {
                Readiness::Ready => return Ok(Some(i)),
                Readiness::Unread => unread = true,
                Readiness::Idle => {}
            }
            if let Some(due) = conn.next_deadline() {
                next_deadline = Some(next_deadline.map_or(due, |d| d.min(due)));
            }
        }
        let now = Instant::now();
        if deadline.is_some_and(|deadline| deadline <= now) {
            return Ok(None);
        }
        let timeout = match unread {
            true => Some(Duration::ZERO),
            false => next_deadline.map(|d| d.saturating_duration_since(now)),
        };
        let watch = match &mut watch {
            Some(watch) => watch,
            None => watch.insert(Watch::new(conns)?),
        };
        watch.wait(timeout)?;
    }
}

/// The sockets, registered for readability.
#[cfg(unix)]
struct Watch {
    poll: mio::Poll,
    events: mio::Events,
}

#[cfg(unix)]
impl Watch {
    fn new(conns: &[&mut Connection]) -> Result<Self, Error> {
        use std::os::fd::AsRawFd;
        let poll = mio::Poll::new()?;
        for (i, conn) in conns.iter().enumerate() {
            let fd = conn.stream().as_raw_fd();
            poll.registry().register(
                &mut mio::unix::SourceFd(&fd),
                mio::Token(i),
                mio::Interest::READABLE,
            )?;
        }
        Ok(Watch {
            poll,
            events: mio::Events::with_capacity(conns.len().max(1)),
        })
    }

    /// Waits until a socket may be readable or `timeout` passed. Watching is
    /// edge-triggered: the caller reads every socket until it would block before
    /// waiting again.
    fn wait(&mut self, timeout: Option<Duration>) -> Result<(), Error> {
        match self.poll.poll(&mut self.events, timeout) {
            Err(e) if e.kind() != std::io::ErrorKind::Interrupted => Err(e.into()),
            _ => Ok(()),
        }
    }
}

/// Without descriptors to watch: a look every 10 ms.
#[cfg(not(unix))]
struct Watch;

#[cfg(not(unix))]
impl Watch {
    const LOOK: Duration = Duration::from_millis(10);

    fn new(_: &[&mut Connection]) -> Result<Self, Error> {
        Ok(Watch)
    }

    fn wait(&mut self, timeout: Option<Duration>) -> Result<(), Error> {
        std::thread::sleep(timeout.map_or(Self::LOOK, |t| t.min(Self::LOOK)));
        Ok(())
    }
}
