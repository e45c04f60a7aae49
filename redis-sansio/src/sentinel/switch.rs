//! The sentinels' `+switch-master` announcement: a failover has chosen a new master.

use crate::config::ServerAddr;

/// The pub/sub channel on which every sentinel announces a new master.
pub const SWITCH_MASTER_CHANNEL: &str = "+switch-master";

/// A `+switch-master` message: `<master-name> <old-ip> <old-port> <new-ip> <new-port>`.
///
/// A client that subscribes to [`SWITCH_MASTER_CHANNEL`] on a sentinel learns of a
/// failover as soon as the sentinels have agreed on it, before the old master is
/// demoted and its clients disconnected.
///
/// ```
/// use redis_sansio::config::ServerAddr;
/// use redis_sansio::sentinel::SwitchMaster;
///
/// let switch = SwitchMaster::parse(b"mymaster 10.0.0.1 6379 10.0.0.2 6380").unwrap();
/// assert_eq!(switch.master_name, "mymaster");
/// assert_eq!(switch.new, ServerAddr::tcp("10.0.0.2", 6380));
/// assert!(SwitchMaster::parse(b"mymaster 10.0.0.1").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchMaster {
    /// The monitored group that has a new master.
    pub master_name: String,
    /// Its master before the failover.
    pub old: ServerAddr,
    /// Its master now.
    pub new: ServerAddr,
}

impl SwitchMaster {
    /// Reads a message's payload; `None` unless it has exactly the five
    /// space-separated fields, in UTF-8, with ports from 1 to 65535.
    pub fn parse(payload: &[u8]) -> Option<SwitchMaster> {
        let text = std::str::from_utf8(payload).ok()?;
        let mut fields = text.split(' ');
        let master_name = fields.next().filter(|name| !name.is_empty())?;
        let mut addr = || -> Option<ServerAddr> {
            let host = fields.next().filter(|host| !host.is_empty())?;
            let port = fields
                .next()?
                .parse()
                .ok()
                .filter(|&port: &u16| port != 0)?;
            Some(ServerAddr::tcp(host, port))
        };
        let (old, new) = (addr()?, addr()?);
        if fields.next().is_some() {
            return None;
        }
        Some(SwitchMaster {
            master_name: master_name.to_owned(),
            old,
            new,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_payloads_are_refused() {
        for payload in [
            &b""[..],
            b"m",
            b"m 1.1.1.1 1 2.2.2.2",
            b"m 1.1.1.1 1 2.2.2.2 port",
            b"m 1.1.1.1 1 2.2.2.2 70000",
            b"m 1.1.1.1 1 2.2.2.2 0",
            b"m 1.1.1.1 0 2.2.2.2 2",
            b"m 1.1.1.1 1 2.2.2.2 2 extra",
            b" 1.1.1.1 1 2.2.2.2 2",
            b"m  1 2.2.2.2 2",
            b"m \xff 1 2.2.2.2 2",
        ] {
            assert_eq!(SwitchMaster::parse(payload), None, "{payload:?}");
        }
    }

    #[test]
    fn a_well_formed_payload_names_both_masters() {
        let switch = SwitchMaster::parse(b"cache ::1 7000 127.0.0.1 7001").unwrap();
        assert_eq!(switch.master_name, "cache");
        assert_eq!(switch.old, ServerAddr::tcp("::1", 7000));
        assert_eq!(switch.new, ServerAddr::tcp("127.0.0.1", 7001));
    }
}
