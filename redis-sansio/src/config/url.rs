//! The URL grammar: parsing a [`ConnectionConfig`] from `redis://`, `rediss://`,
//! `unix://` and `redis+unix://` URLs (and their Valkey spellings), and writing one
//! back, with [`UrlError`] for what does not parse. The model itself is in the parent
//! module.

use core::net::Ipv6Addr;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

use super::{
    ClientIdentity, ConnectionConfig, DEFAULT_HOST, DEFAULT_PORT, Password, Pem, ProtocolVersion,
    ServerAddr, limits,
};

impl ConnectionConfig {
    /// Parses a `redis://`, `rediss://`, `unix://` or `redis+unix://` URL, or the
    /// Valkey spellings `valkey://`, `valkeys://` and `valkey+unix://`.
    ///
    /// # TCP: `redis://` and `rediss://`
    ///
    /// `redis://[[username:]password@]host[:port][/db-number][?option=value...]`, as
    /// registered with IANA (`rediss://` is the same over TLS). Every part after the
    /// scheme is optional. The scheme is case-insensitive.
    ///
    /// - Host: a name or IPv4 address, or an IPv6 address in brackets (`[::1]`). An
    ///   absent or empty host means the local host, `127.0.0.1` (the registration:
    ///   "If absent, the default value of the host URI field is localhost (or
    ///   equivalent)", and RFC 3986 §3.2.2 applies a scheme's default host to an empty
    ///   one too). So `redis://` is [`ConnectionConfig::default`].
    /// - Port: `1..=65535`, default 6379; an empty port (`host:`) is the default too.
    /// - Path: nothing, `/`, or `/` and a db-number: `0` or a decimal number without
    ///   leading zeros (the registration's grammar). Anything else is
    ///   [`UrlError::InvalidDb`].
    ///
    /// # Userinfo
    ///
    /// The registration says userinfo "uses the traditional `user:password` format",
    /// the password comes from "the password portion", and producers should "leave
    /// the username portion blank" unless they mean an ACL user. Read literally:
    ///
    /// - `redis://:secret@host`: no username, password `secret` (the spec's advised
    ///   form for password-only `AUTH`).
    /// - `redis://alice:secret@host`: username `alice`, password `secret`.
    /// - `redis://alice@host`: with no colon the whole userinfo is the user portion, so
    ///   username `alice` and **no password** (it is not taken as a password).
    /// - `redis://alice:@host`, `redis://:@host`: an empty portion counts as absent.
    ///
    /// The username ends at the first `:`, so a `:` inside a username must be written
    /// `%3A`; the password may hold raw `:`. Both are percent-decoded (`%40` is `@`)
    /// and must decode to UTF-8; `+` stays a `+`. The userinfo ends at the last `@`
    /// before the host, so a raw `@` in a password still parses, but `/`, `?` and `#`
    /// must be percent-encoded.
    ///
    /// # Valkey: `valkey://`, `valkeys://` and `valkey+unix://`
    ///
    /// Valkey speaks the same protocol, and its URLs are read exactly as their Redis
    /// twins: `valkey://` as `redis://`, `valkeys://` as `rediss://` (TLS) and
    /// `valkey+unix://` as `redis+unix://`. The configuration does not remember the
    /// spelling: [`to_url_with_password`](Self::to_url_with_password) (and `Display`) write the Redis scheme, which parses back to
    /// an equal configuration.
    ///
    /// # Unix sockets: `unix://` and `redis+unix://`
    ///
    /// `unix:///path/to/redis.sock[?option=value...]` (also `unix:/path`, and
    /// `unix://localhost/path`). The path is percent-decoded and must not be empty.
    /// The database comes from the `db` option, the credentials from the `user` and
    /// `password` options (or a userinfo: `unix://:secret@/path`).
    ///
    /// # Options
    ///
    /// Query options, `&`-separated, keys case-sensitive, keys and values
    /// percent-decoded (`+` is not a space):
    ///
    /// | option | value |
    /// |---|---|
    /// | `db` | as the path's db-number |
    /// | `password`, `user` | credentials (the registration names `password`) |
    /// | `protocol` | `2`, `3`, `resp2` or `resp3` |
    /// | `client_name`, `name` | printable ASCII without spaces |
    /// | `connect_timeout` | a positive duration |
    /// | `response_timeout`, `timeout` | a positive duration |
    /// | `tls_ca_file` | a PEM file of CA certificates to trust (may repeat) |
    /// | `tls_cert_file`, `tls_key_file` | a client certificate chain and its key, PEM files (both or neither) |
    /// | `tls_server_name` | the name to verify the server's certificate against |
    /// | `tls_system_roots` | `true` or `false`: whether the system's roots are trusted |
    ///
    /// A duration is seconds, with up to nine decimals (`0.5`, `2`, `2s`), or
    /// milliseconds with an `ms` suffix (`500ms`, `0.25ms`). The `tls_` options are for
    /// `rediss://` URLs only; the files are read when a connection is made (see
    /// [`Pem::File`]). An unknown option is an error, and so is anything set twice,
    /// counting aliases, the path's db-number and the userinfo (the registration
    /// calls both "not well-defined").
    ///
    /// # Errors
    ///
    /// A [`UrlError`] naming what is wrong. No error ever contains the password. A URL
    /// whose password holds an unencoded `/`, `?`, `#` or `&` gets an error that
    /// says so instead of echoing the parts the stray delimiter cut off.
    ///
    /// ```
    /// use redis_sansio::config::{ConnectionConfig, ServerAddr, UrlError};
    ///
    /// let config = ConnectionConfig::from_url("unix:///run/redis.sock?db=3&password=pw")?;
    /// assert_eq!(config.addr, ServerAddr::unix("/run/redis.sock"));
    /// assert_eq!((config.db, config.password.unwrap().expose()), (3, "pw"));
    ///
    /// let user_only = ConnectionConfig::from_url("redis://alice@localhost")?;
    /// assert_eq!(user_only.username.as_deref(), Some("alice"));
    /// assert!(user_only.password.is_none());
    ///
    /// assert_eq!(
    ///     ConnectionConfig::from_url("redis://localhost:0"),
    ///     Err(UrlError::InvalidPort("0".into()))
    /// );
    /// assert_eq!(
    ///     ConnectionConfig::from_url("redis://localhost?ssl=true"),
    ///     Err(UrlError::UnknownOption("ssl".into()))
    /// );
    /// # Ok::<(), UrlError>(())
    /// ```
    pub fn from_url(url: &str) -> Result<Self, UrlError> {
        if let Some(at) = url.bytes().position(|b| b <= b' ' || b == 0x7f) {
            return Err(UrlError::InvalidCharacter(at));
        }
        if url.contains('#') {
            return Err(UrlError::Fragment);
        }
        let (scheme, rest) = url.split_once(':').ok_or(UrlError::MissingScheme)?;
        if !is_scheme(scheme) {
            return Err(UrlError::MissingScheme);
        }
        let result = match scheme.to_ascii_lowercase().as_str() {
            "redis" | "valkey" => parse_tcp(scheme, rest, false),
            "rediss" | "valkeys" => parse_tcp(scheme, rest, true),
            "unix" | "redis+unix" | "valkey+unix" => parse_unix(rest),
            _ => return Err(UrlError::UnsupportedScheme(scheme.to_owned())),
        };
        result.map_err(|error| guard_misplaced_userinfo(error, rest))
    }

    /// The URL for this configuration, password included, such that
    /// [`ConnectionConfig::from_url`] gives back an equal configuration.
    ///
    /// Options at their defaults are left out. What a URL cannot say is left out too:
    /// [`lib_name`](Self::lib_name), [`lib_ver`](Self::lib_ver), TLS over a Unix
    /// socket, and PEM given as text rather than a file (or a file whose path is not
    /// UTF-8). Settings no URL accepts (a negative db, a zero timeout, a host that is
    /// no host name or address) are written as they are and will not parse back.
    ///
    /// ```
    /// use redis_sansio::config::{ConnectionConfig, ServerAddr};
    ///
    /// let config = ConnectionConfig::new(ServerAddr::tcp("::1", 6380))
    ///     .with_username("app")
    ///     .with_password("p@ss:word")
    ///     .with_db(4);
    /// let url = config.to_url_with_password();
    /// assert_eq!(url, "redis://app:p%40ss%3Aword@[::1]:6380/4");
    /// assert_eq!(ConnectionConfig::from_url(&url)?, config);
    /// # Ok::<(), redis_sansio::config::UrlError>(())
    /// ```
    pub fn to_url_with_password(&self) -> String {
        let mut url = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_url(&mut url, true);
        url
    }

    fn write_url(&self, out: &mut impl fmt::Write, reveal: bool) -> fmt::Result {
        let mut query = Query::default();
        match &self.addr {
            ServerAddr::Tcp { host, port } => {
                out.write_str(if self.tls { "rediss://" } else { "redis://" })?;
                if self.username.is_some() || self.password.is_some() {
                    if let Some(username) = &self.username {
                        write_encoded(out, username.as_bytes())?;
                    }
                    if let Some(password) = &self.password {
                        out.write_char(':')?;
                        if reveal {
                            write_encoded(out, password.expose().as_bytes())?;
                        } else {
                            out.write_str("***")?;
                        }
                    }
                    out.write_char('@')?;
                }
                if host.contains(':') {
                    write!(out, "[{host}]:{port}")?;
                } else {
                    write!(out, "{host}:{port}")?;
                }
                if self.db != 0 {
                    write!(out, "/{}", self.db)?;
                }
            }
            ServerAddr::Unix { path } => {
                let bytes = path.as_os_str().as_encoded_bytes();
                out.write_str(if bytes.first() == Some(&b'/') {
                    "unix://"
                } else {
                    "unix:"
                })?;
                write_encoded_path(out, bytes)?;
                if self.db != 0 {
                    query.push(out, "db", &self.db.to_string())?;
                }
                if let Some(username) = &self.username {
                    query.push(out, "user", username)?;
                }
                if let Some(password) = &self.password {
                    if reveal {
                        query.push(out, "password", password.expose())?;
                    } else {
                        query.push_raw(out, "password", "***")?;
                    }
                }
            }
        }
        if self.protocol == ProtocolVersion::Resp2 {
            query.push(out, "protocol", "2")?;
        }
        if let Some(name) = &self.client_name {
            query.push(out, "client_name", name)?;
        }
        if let Some(timeout) = self.connect_timeout {
            query.push(out, "connect_timeout", &format_duration(timeout))?;
        }
        if let Some(timeout) = self.response_timeout {
            query.push(out, "response_timeout", &format_duration(timeout))?;
        }
        limits::write_limits_query(self, out, &mut query)?;
        if self.tls && matches!(self.addr, ServerAddr::Tcp { .. }) {
            self.write_tls_query(out, &mut query)?;
        }
        Ok(())
    }

    /// The TLS options a URL can say: files (with UTF-8 paths), the server name, and
    /// whether the system's roots are trusted.
    fn write_tls_query(&self, out: &mut impl fmt::Write, query: &mut Query) -> fmt::Result {
        let options = &self.tls_options;
        let file = |pem: &Pem| match pem {
            Pem::File(path) => path.to_str().map(str::to_owned),
            _ => None,
        };
        for path in options.ca_certs.iter().filter_map(file) {
            query.push(out, "tls_ca_file", &path)?;
        }
        if let Some(identity) = &options.client_identity {
            if let (Some(cert), Some(key)) =
                (file(identity.cert_chain()), file(identity.private_key()))
            {
                query.push(out, "tls_cert_file", &cert)?;
                query.push(out, "tls_key_file", &key)?;
            }
        }
        if let Some(name) = &options.server_name {
            query.push(out, "tls_server_name", name)?;
        }
        if !options.system_roots {
            query.push(out, "tls_system_roots", "false")?;
        }
        Ok(())
    }
}

impl FromStr for ConnectionConfig {
    type Err = UrlError;

    /// Same as [`ConnectionConfig::from_url`].
    fn from_str(url: &str) -> Result<Self, UrlError> {
        ConnectionConfig::from_url(url)
    }
}

impl fmt::Display for ConnectionConfig {
    /// The URL of [`ConnectionConfig::to_url_with_password`] with `***` for the
    /// password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_url(f, false)
    }
}

/// A URL that does not describe a connection. No message ever contains the password.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The text does not start with a scheme and `:`.
    #[error(
        "not a URL: expected redis://, rediss://, unix://, redis+unix://, valkey://, valkeys:// or valkey+unix://"
    )]
    MissingScheme,
    /// A scheme other than `redis`, `rediss`, `unix`, `redis+unix`, `valkey`, `valkeys`
    /// and `valkey+unix`.
    #[error(
        "unsupported URL scheme `{0}`: expected redis, rediss, unix, redis+unix, valkey, valkeys or valkey+unix"
    )]
    UnsupportedScheme(String),
    /// A `redis:` or `rediss:` URL without `//` after the scheme.
    #[error("expected `//` after `{0}:`")]
    MissingSlashes(String),
    /// A space or control character, at this byte offset; such characters must be
    /// percent-encoded.
    #[error(
        "invalid character at byte {0} of the URL (spaces and control characters must be percent-encoded)"
    )]
    InvalidCharacter(usize),
    /// A `#` fragment, which redis URLs do not use.
    #[error(
        "the URL has a `#` fragment, which redis URLs do not use (write a `#` in a password as %23)"
    )]
    Fragment,
    /// Brackets with no IPv6 address inside (`redis://[]:6379`).
    #[error("missing host: the brackets `[]` hold no IPv6 address")]
    MissingHost,
    /// A host that is no host name, IPv4 address or bracketed IPv6 address.
    #[error("invalid host `{0}` (IPv6 addresses go in brackets, as in [::1])")]
    InvalidHost(String),
    /// A port that is not a number in `1..=65535`.
    #[error("invalid port `{0}`: expected a number from 1 to 65535")]
    InvalidPort(String),
    /// A database (path or `db` option) that is not a non-negative decimal integer
    /// without leading zeros.
    #[error("invalid database `{0}`: expected a non-negative integer without leading zeros")]
    InvalidDb(String),
    /// A `%` not followed by two hex digits, or percent-encoded bytes that are not
    /// UTF-8.
    #[error(
        "invalid percent-encoding: `%` must be followed by two hex digits and the decoded text must be UTF-8"
    )]
    InvalidPercentEncoding,
    /// A query option this crate does not know.
    #[error(
        "unknown option `{0}`: expected db, password, user, protocol, client_name, name, connect_timeout, response_timeout, timeout, max_depth, max_bulk_len, max_aggregate_len, max_frame_size, max_pushes, max_push_bytes or (on rediss:// URLs) tls_ca_file, tls_cert_file, tls_key_file, tls_server_name, tls_system_roots"
    )]
    UnknownOption(String),
    /// An unknown or malformed query option right after `password`, which is most
    /// likely the rest of a password holding an unencoded `&`.
    #[error(
        "unknown option after `password` (write a `&` in a password as %26); expected db, password, user, protocol, client_name, name, connect_timeout, response_timeout, timeout, max_depth, max_bulk_len, max_aggregate_len, max_frame_size, max_pushes, max_push_bytes or (on rediss:// URLs) tls_ca_file, tls_cert_file, tls_key_file, tls_server_name, tls_system_roots"
    )]
    UnknownOptionAfterPassword,
    /// A TLS option (`tls_ca_file`, `tls_server_name`...) in a URL that does not use
    /// TLS: a `redis://` or Unix socket URL.
    #[error("option `{0}` is for TLS connections: use a rediss:// URL")]
    TlsOptionWithoutTls(String),
    /// `tls_cert_file` without `tls_key_file`, or the other way round: a client
    /// certificate needs both.
    #[error("tls_cert_file and tls_key_file go together: give both, or neither")]
    UnpairedClientIdentity,
    /// A known option with a value it does not take.
    #[error("invalid value `{value}` for option `{option}`")]
    InvalidOptionValue {
        /// The option, as written.
        option: String,
        /// The value, percent-decoded.
        value: String,
    },
    /// A setting given twice: an option repeated or given under two aliases
    /// (`name`/`client_name`, `timeout`/`response_timeout`), the db in both the path
    /// and the query, or a username or password in both the userinfo and the query.
    #[error("`{0}` is set more than once")]
    DuplicateOption(String),
    /// A Unix socket URL with a host or port other than an empty one or `localhost`.
    #[error("unexpected host `{0}` in a Unix socket URL: write unix:///path/to/socket")]
    UnexpectedHost(String),
    /// A Unix socket URL without a path.
    #[error("missing Unix socket path: write unix:///path/to/socket")]
    MissingPath,
    /// A Unix socket path holding a NUL byte (`%00`).
    #[error("invalid Unix socket path: it contains a NUL byte")]
    InvalidPath,
    /// An `@` after the host part, while the part before it has none: a username or
    /// password holding an unencoded `/`, `?` or `#`, which cut the URL short.
    #[error(
        "an `@` follows the host part: write `/`, `?` and `#` in a username or password as %2F, %3F and %23"
    )]
    MisplacedUserinfo,
    /// A list of URLs for servers that are all reached the same way (the sentinels of
    /// one deployment, the seeds of one cluster) mixes `rediss://` with `redis://` or
    /// a Unix socket.
    #[error(
        "the URLs mix rediss:// with redis:// or unix://: give every server of the list the same scheme"
    )]
    MixedTls,
}

/// RFC 3986: `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(scheme: &str) -> bool {
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Replaces an error that quotes part of the URL with [`UrlError::MisplacedUserinfo`]
/// when the quote may be a piece of a password: the authority is non-empty with no
/// `@`, yet an `@` comes later, as when a password holds a raw `/` or `?`.
fn guard_misplaced_userinfo(error: UrlError, after_scheme: &str) -> UrlError {
    let quotes_url = matches!(
        error,
        UrlError::InvalidHost(_)
            | UrlError::InvalidPort(_)
            | UrlError::InvalidDb(_)
            | UrlError::UnknownOption(_)
            | UrlError::InvalidOptionValue { .. }
            | UrlError::UnexpectedHost(_)
    );
    let Some(rest) = after_scheme.strip_prefix("//") else {
        return error;
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    if quotes_url && !authority.is_empty() && !authority.contains('@') && tail.contains('@') {
        UrlError::MisplacedUserinfo
    } else {
        error
    }
}

/// The settings a URL has set so far, to refuse setting one twice.
#[derive(Default)]
struct Seen {
    db: bool,
    username: bool,
    password: bool,
    protocol: bool,
    client_name: bool,
    connect_timeout: bool,
    response_timeout: bool,
    tls_server_name: bool,
    tls_system_roots: bool,
    /// The limit options given so far.
    limits: Vec<String>,
    /// `tls_cert_file` and `tls_key_file`, which make one client identity together.
    tls_cert_file: Option<PathBuf>,
    tls_key_file: Option<PathBuf>,
}

fn mark(flag: &mut bool, name: &str) -> Result<(), UrlError> {
    if std::mem::replace(flag, true) {
        Err(UrlError::DuplicateOption(name.to_owned()))
    } else {
        Ok(())
    }
}

fn parse_tcp(scheme: &str, rest: &str, tls: bool) -> Result<ConnectionConfig, UrlError> {
    let rest = rest
        .strip_prefix("//")
        .ok_or_else(|| UrlError::MissingSlashes(scheme.to_owned()))?;
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let mut config = ConnectionConfig::default().with_tls(tls);
    let mut seen = Seen::default();

    let host_port = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => {
            parse_userinfo(userinfo, &mut config, &mut seen)?;
            host_port
        }
        None => authority,
    };
    let (host, port) = parse_host_port(host_port)?;
    config.addr = ServerAddr::Tcp {
        host: host.unwrap_or_else(|| DEFAULT_HOST.to_owned()),
        port: port.unwrap_or(DEFAULT_PORT),
    };

    let db = path.strip_prefix('/').unwrap_or(path);
    if !db.is_empty() {
        config.db = parse_db(db)?;
        seen.db = true;
    }
    parse_query(query, &mut config, &mut seen)?;
    Ok(config)
}

fn parse_unix(rest: &str) -> Result<ConnectionConfig, UrlError> {
    let mut config = ConnectionConfig::default();
    let mut seen = Seen::default();
    let rest = match rest.strip_prefix("//") {
        Some(rest) => {
            let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
            let host_port = match authority.rsplit_once('@') {
                Some((userinfo, host_port)) => {
                    parse_userinfo(userinfo, &mut config, &mut seen)?;
                    host_port
                }
                None => authority,
            };
            if !host_port.is_empty() && !host_port.eq_ignore_ascii_case("localhost") {
                return Err(UrlError::UnexpectedHost(host_port.to_owned()));
            }
            tail
        }
        None => rest,
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = percent_decode(path)?;
    if path.is_empty() {
        return Err(UrlError::MissingPath);
    }
    if path.contains('\0') {
        return Err(UrlError::InvalidPath);
    }
    config.addr = ServerAddr::Unix {
        path: PathBuf::from(path),
    };
    parse_query(query, &mut config, &mut seen)?;
    Ok(config)
}

/// `[username][:password]`, each percent-decoded, an empty one absent.
fn parse_userinfo(
    userinfo: &str,
    config: &mut ConnectionConfig,
    seen: &mut Seen,
) -> Result<(), UrlError> {
    let (username, password) = match userinfo.split_once(':') {
        Some((username, password)) => (username, Some(password)),
        None => (userinfo, None),
    };
    let username = percent_decode(username)?;
    if !username.is_empty() {
        config.username = Some(username);
        seen.username = true;
    }
    if let Some(password) = password {
        let password = percent_decode(password)?;
        if !password.is_empty() {
            config.password = Some(Password(password));
            seen.password = true;
        }
    }
    Ok(())
}

/// `host[:port]`, either of them possibly empty (absent).
fn parse_host_port(host_port: &str) -> Result<(Option<String>, Option<u16>), UrlError> {
    let (host, port) = if let Some(inner) = host_port.strip_prefix('[') {
        let invalid = || UrlError::InvalidHost(host_port.to_owned());
        let (literal, after) = inner.split_once(']').ok_or_else(invalid)?;
        if literal.is_empty() {
            return Err(UrlError::MissingHost);
        }
        let address: Ipv6Addr = literal.parse().map_err(|_| invalid())?;
        let port = match after {
            "" => "",
            _ => after.strip_prefix(':').ok_or_else(invalid)?,
        };
        (Some(address.to_string()), port)
    } else {
        let (host, port) = host_port.split_once(':').unwrap_or((host_port, ""));
        if port.contains(':') {
            // An IPv6 address without its brackets.
            return Err(UrlError::InvalidHost(host_port.to_owned()));
        }
        let valid = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !valid {
            return Err(UrlError::InvalidHost(host.to_owned()));
        }
        ((!host.is_empty()).then(|| host.to_owned()), port)
    };
    let port = match port {
        "" => None,
        digits => Some(parse_port(digits)?),
    };
    Ok((host, port))
}

fn parse_port(text: &str) -> Result<u16, UrlError> {
    match text.parse::<u16>() {
        Ok(port) if port != 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(port),
        _ => Err(UrlError::InvalidPort(text.to_owned())),
    }
}

/// The registration's `db-number = "0" / nz-num`, within `i64`.
fn parse_db(text: &str) -> Result<i64, UrlError> {
    let well_formed = text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || text.bytes().next().is_some_and(|b| b != b'0'));
    match text.parse::<i64>() {
        Ok(db) if well_formed => Ok(db),
        _ => Err(UrlError::InvalidDb(text.to_owned())),
    }
}

fn parse_query(
    query: &str,
    config: &mut ConnectionConfig,
    seen: &mut Seen,
) -> Result<(), UrlError> {
    let mut after_password = false;
    for item in query.split('&').filter(|item| !item.is_empty()) {
        let (key, value) = item.split_once('=').unwrap_or((item, ""));
        let key = percent_decode(key)?;
        let value = percent_decode(value)?;
        let invalid = || UrlError::InvalidOptionValue {
            option: key.clone(),
            value: value.clone(),
        };
        let was_after_password = std::mem::replace(&mut after_password, key == "password");
        match key.as_str() {
            "db" => {
                mark(&mut seen.db, "db")?;
                config.db = parse_db(&value)?;
            }
            "password" => {
                mark(&mut seen.password, "password")?;
                config.password = (!value.is_empty()).then_some(Password(value));
            }
            "user" => {
                mark(&mut seen.username, "user")?;
                config.username = (!value.is_empty()).then_some(value);
            }
            "protocol" => {
                mark(&mut seen.protocol, "protocol")?;
                config.protocol = match value.to_ascii_lowercase().as_str() {
                    "2" | "resp2" => ProtocolVersion::Resp2,
                    "3" | "resp3" => ProtocolVersion::Resp3,
                    _ => return Err(invalid()),
                };
            }
            "client_name" | "name" => {
                mark(&mut seen.client_name, "client_name")?;
                // What CLIENT SETNAME accepts: printable ASCII, no spaces.
                let valid = !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic());
                if !valid {
                    return Err(invalid());
                }
                config.client_name = Some(value);
            }
            "connect_timeout" => {
                mark(&mut seen.connect_timeout, "connect_timeout")?;
                config.connect_timeout = Some(parse_duration(&value).ok_or_else(invalid)?);
            }
            "response_timeout" | "timeout" => {
                mark(&mut seen.response_timeout, "response_timeout")?;
                config.response_timeout = Some(parse_duration(&value).ok_or_else(invalid)?);
            }
            limit if limits::LIMIT_OPTIONS.contains(&limit) => {
                if seen.limits.contains(&key) {
                    return Err(UrlError::DuplicateOption(key));
                }
                limits::parse_limit_option(&key, &value, config)?;
                seen.limits.push(key);
            }
            tls_option if TLS_OPTIONS.contains(&tls_option) => {
                if !config.tls {
                    return Err(UrlError::TlsOptionWithoutTls(key));
                }
                parse_tls_option(&key, value, config, seen)?;
            }
            _ if was_after_password => return Err(UrlError::UnknownOptionAfterPassword),
            _ => return Err(UrlError::UnknownOption(key)),
        }
    }
    match (seen.tls_cert_file.take(), seen.tls_key_file.take()) {
        (Some(cert_chain), Some(private_key)) => {
            config.tls_options.client_identity =
                Some(ClientIdentity::from_files(cert_chain, private_key));
        }
        (None, None) => {}
        _ => return Err(UrlError::UnpairedClientIdentity),
    }
    Ok(())
}

/// The query options that set [`TlsOptions`], on `rediss://` URLs only.
const TLS_OPTIONS: [&str; 5] = [
    "tls_ca_file",
    "tls_cert_file",
    "tls_key_file",
    "tls_server_name",
    "tls_system_roots",
];

/// Applies one of [`TLS_OPTIONS`], `key`, with its percent-decoded `value`.
fn parse_tls_option(
    key: &str,
    value: String,
    config: &mut ConnectionConfig,
    seen: &mut Seen,
) -> Result<(), UrlError> {
    let invalid = |value: String| UrlError::InvalidOptionValue {
        option: key.to_owned(),
        value,
    };
    let file = |value: String| match value.is_empty() {
        true => Err(invalid(value)),
        false => Ok(PathBuf::from(value)),
    };
    match key {
        "tls_ca_file" => config.tls_options.ca_certs.push(Pem::File(file(value)?)),
        "tls_cert_file" | "tls_key_file" => {
            let slot = match key {
                "tls_cert_file" => &mut seen.tls_cert_file,
                _ => &mut seen.tls_key_file,
            };
            if slot.is_some() {
                return Err(UrlError::DuplicateOption(key.to_owned()));
            }
            *slot = Some(file(value)?);
        }
        "tls_server_name" => {
            mark(&mut seen.tls_server_name, key)?;
            if value.is_empty() {
                return Err(invalid(value));
            }
            config.tls_options.server_name = Some(value);
        }
        _ => {
            mark(&mut seen.tls_system_roots, key)?;
            config.tls_options.system_roots = match value.as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(invalid(value)),
            };
        }
    }
    Ok(())
}

/// A positive duration: seconds with up to nine decimals and an optional `s`, or
/// milliseconds with up to six decimals and an `ms` suffix.
fn parse_duration(text: &str) -> Option<Duration> {
    let (number, unit_nanos, max_decimals) = if let Some(number) = text.strip_suffix("ms") {
        (number, 1_000_000_u128, 6)
    } else {
        (
            text.strip_suffix('s').unwrap_or(text),
            1_000_000_000_u128,
            9,
        )
    };
    let (whole, decimals) = match number.split_once('.') {
        Some((whole, decimals)) if !decimals.is_empty() => (whole, decimals),
        Some(_) => return None,
        None => (number, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !(decimals.is_empty() || digits(decimals)) {
        return None;
    }
    if decimals.len() > max_decimals {
        return None;
    }
    let whole: u128 = whole.parse().ok()?;
    let fraction: u128 = if decimals.is_empty() {
        0
    } else {
        decimals.parse().ok()?
    };
    let scale = 10_u128.pow(decimals.len() as u32);
    let nanos = whole
        .checked_mul(unit_nanos)?
        .checked_add(fraction * (unit_nanos / scale))?;
    let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
    let duration = Duration::new(secs, (nanos % 1_000_000_000) as u32);
    (!duration.is_zero()).then_some(duration)
}

/// Seconds, with as many decimals as needed and no more: `2`, `0.5`, `0.000000001`.
fn format_duration(duration: Duration) -> String {
    let mut text = duration.as_secs().to_string();
    let nanos = duration.subsec_nanos();
    if nanos != 0 {
        let decimals = format!("{nanos:09}");
        text.push('.');
        text.push_str(decimals.trim_end_matches('0'));
    }
    text
}

fn percent_decode(text: &str) -> Result<String, UrlError> {
    if !text.contains('%') {
        return Ok(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |at: usize| bytes.get(at).and_then(|&b| (b as char).to_digit(16));
            let (high, low) = hex(i + 1)
                .zip(hex(i + 2))
                .ok_or(UrlError::InvalidPercentEncoding)?;
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| UrlError::InvalidPercentEncoding)
}

/// Writes `bytes` with everything but RFC 3986's unreserved characters
/// percent-encoded.
fn write_encoded(out: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.write_char(b as char)?;
        } else {
            write!(out, "%{b:02X}")?;
        }
    }
    Ok(())
}

/// Writes a path, its `/` separators kept and everything else encoded as in
/// [`write_encoded`].
fn write_encoded_path(out: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    for (i, segment) in bytes.split(|&b| b == b'/').enumerate() {
        if i > 0 {
            out.write_char('/')?;
        }
        write_encoded(out, segment)?;
    }
    Ok(())
}

/// The query being written: `?` before the first option, `&` before the others.
#[derive(Default)]
pub(super) struct Query {
    started: bool,
}

impl Query {
    pub(super) fn push(
        &mut self,
        out: &mut impl fmt::Write,
        key: &str,
        value: &str,
    ) -> fmt::Result {
        self.separator(out)?;
        write!(out, "{key}=")?;
        write_encoded(out, value.as_bytes())
    }

    fn push_raw(&mut self, out: &mut impl fmt::Write, key: &str, value: &str) -> fmt::Result {
        self.separator(out)?;
        write!(out, "{key}={value}")
    }

    fn separator(&mut self, out: &mut impl fmt::Write) -> fmt::Result {
        out.write_char(if std::mem::replace(&mut self.started, true) {
            '&'
        } else {
            '?'
        })
    }
}
