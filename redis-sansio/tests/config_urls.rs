//! Connection URLs: every accepted form and what it means, every malformed form and
//! its error, the defaults, password redaction, and URL round trips; random URLs,
//! well formed and not, never panic.

use std::time::Duration;

use proptest::prelude::*;
use redis_sansio::config::{
    ConnectionConfig, DEFAULT_HOST, DEFAULT_PORT, Password, ProtocolVersion, ServerAddr, UrlError,
};

fn tcp(host: &str, port: u16) -> ConnectionConfig {
    ConnectionConfig::new(ServerAddr::tcp(host, port))
}

fn unix(path: &str) -> ConnectionConfig {
    ConnectionConfig::new(ServerAddr::unix(path))
}

fn local() -> ConnectionConfig {
    tcp("127.0.0.1", 6379)
}

#[test]
fn defaults() {
    let config = ConnectionConfig::default();
    assert_eq!(config.addr, ServerAddr::tcp("127.0.0.1", 6379));
    assert_eq!((DEFAULT_HOST, DEFAULT_PORT), ("127.0.0.1", 6379));
    assert_eq!(ServerAddr::default(), config.addr);
    assert!(!config.tls);
    assert_eq!(config.username, None);
    assert_eq!(config.password, None);
    assert_eq!(config.db, 0);
    assert_eq!(config.protocol, ProtocolVersion::Resp3);
    assert_eq!(config.client_name, None);
    assert_eq!(config.connect_timeout, None);
    assert_eq!(config.response_timeout, None);
    assert_eq!(config.lib_name.as_deref(), Some("redis-sansio"));
    assert_eq!(config.lib_ver.as_deref(), Some(env!("CARGO_PKG_VERSION")));
    // Every part of a redis URL is optional, and the bare scheme means the defaults.
    assert_eq!(ConnectionConfig::from_url("redis://"), Ok(config));
}

#[test]
fn builders() {
    let config = ConnectionConfig::default()
        .with_addr(ServerAddr::tcp("h", 1))
        .with_tls(true)
        .with_username("u")
        .with_password("p")
        .with_db(3)
        .with_protocol(ProtocolVersion::Resp2)
        .with_client_name("n")
        .with_connect_timeout(Duration::from_secs(1))
        .with_response_timeout(Duration::from_secs(2))
        .with_lib_name(None)
        .with_lib_ver(Some("9".into()));
    assert_eq!(config.addr, ServerAddr::tcp("h", 1));
    assert!(config.tls);
    assert_eq!(config.username.as_deref(), Some("u"));
    assert_eq!(config.password, Some(Password::new("p")));
    assert_eq!(config.db, 3);
    assert_eq!(config.protocol, ProtocolVersion::Resp2);
    assert_eq!(config.client_name.as_deref(), Some("n"));
    assert_eq!(config.connect_timeout, Some(Duration::from_secs(1)));
    assert_eq!(config.response_timeout, Some(Duration::from_secs(2)));
    assert_eq!(config.lib_name, None);
    assert_eq!(config.lib_ver.as_deref(), Some("9"));
}

#[test]
fn valid_urls() {
    let ms = Duration::from_millis;
    let table: Vec<(&str, ConnectionConfig)> = vec![
        // Hosts and ports.
        ("redis://localhost", tcp("localhost", 6379)),
        ("redis://localhost:6380", tcp("localhost", 6380)),
        ("redis://localhost:", tcp("localhost", 6379)),
        ("redis://localhost/", tcp("localhost", 6379)),
        ("redis://10.0.0.7:1", tcp("10.0.0.7", 1)),
        ("redis://cache.example:65535", tcp("cache.example", 65535)),
        (
            "redis://my_host-1.internal",
            tcp("my_host-1.internal", 6379),
        ),
        ("redis://h:06379", tcp("h", 6379)),
        // An absent or empty host is the local host.
        ("redis:///3", local().with_db(3)),
        ("redis://:6380", tcp("127.0.0.1", 6380)),
        ("redis://:pw@", local().with_password("pw")),
        // Schemes, in any case.
        ("REDIS://h", tcp("h", 6379)),
        ("rediss://h", tcp("h", 6379).with_tls(true)),
        ("RedisS://h:6390", tcp("h", 6390).with_tls(true)),
        // IPv6.
        ("redis://[::1]", tcp("::1", 6379)),
        ("redis://[::1]:6380/2", tcp("::1", 6380).with_db(2)),
        ("redis://[0:0:0:0:0:0:0:1]:7000", tcp("::1", 7000)),
        (
            "rediss://[2001:DB8::1]",
            tcp("2001:db8::1", 6379).with_tls(true),
        ),
        ("redis://[::ffff:10.0.0.1]", tcp("::ffff:10.0.0.1", 6379)),
        // Databases.
        ("redis://h/0", tcp("h", 6379)),
        ("redis://h/15", tcp("h", 6379).with_db(15)),
        ("redis://h?db=4", tcp("h", 6379).with_db(4)),
        ("redis://h/?db=4", tcp("h", 6379).with_db(4)),
        (
            "redis://h/9223372036854775807",
            tcp("h", 6379).with_db(i64::MAX),
        ),
        // Userinfo: user:password, :password, user alone.
        ("redis://:secret@h", tcp("h", 6379).with_password("secret")),
        (
            "redis://alice:secret@h:6380/1",
            tcp("h", 6380)
                .with_username("alice")
                .with_password("secret")
                .with_db(1),
        ),
        ("redis://alice@h", tcp("h", 6379).with_username("alice")),
        ("redis://alice:@h", tcp("h", 6379).with_username("alice")),
        ("redis://:@h", tcp("h", 6379)),
        ("redis://@h", tcp("h", 6379)),
        // Percent-encoded and raw special characters in credentials.
        (
            "redis://us%3Aer:p%40ss%2Fw%3Fo%23rd%25@h",
            tcp("h", 6379)
                .with_username("us:er")
                .with_password("p@ss/w?o#rd%"),
        ),
        (
            "redis://u:pa:ss@h",
            tcp("h", 6379).with_username("u").with_password("pa:ss"),
        ),
        ("redis://:p@ss@h", tcp("h", 6379).with_password("p@ss")),
        ("redis://:a+b@h", tcp("h", 6379).with_password("a+b")),
        (
            "redis://:%C3%A9t%C3%A9@h",
            tcp("h", 6379).with_password("été"),
        ),
        ("redis://:été@h", tcp("h", 6379).with_password("été")),
        // The password and user options.
        ("redis://h?password=pw", tcp("h", 6379).with_password("pw")),
        (
            "redis://h?user=bob&password=p%26w",
            tcp("h", 6379).with_username("bob").with_password("p&w"),
        ),
        ("redis://h?password=", tcp("h", 6379)),
        // Protocol.
        (
            "redis://h?protocol=2",
            tcp("h", 6379).with_protocol(ProtocolVersion::Resp2),
        ),
        (
            "redis://h?protocol=3",
            tcp("h", 6379).with_protocol(ProtocolVersion::Resp3),
        ),
        (
            "redis://h?protocol=resp2",
            tcp("h", 6379).with_protocol(ProtocolVersion::Resp2),
        ),
        (
            "redis://h?protocol=RESP3",
            tcp("h", 6379).with_protocol(ProtocolVersion::Resp3),
        ),
        // Client name.
        (
            "redis://h?client_name=worker-1",
            tcp("h", 6379).with_client_name("worker-1"),
        ),
        (
            "redis://h?name=a%2Fb",
            tcp("h", 6379).with_client_name("a/b"),
        ),
        // Timeouts.
        (
            "redis://h?connect_timeout=2",
            tcp("h", 6379).with_connect_timeout(Duration::from_secs(2)),
        ),
        (
            "redis://h?connect_timeout=0.5",
            tcp("h", 6379).with_connect_timeout(ms(500)),
        ),
        (
            "redis://h?connect_timeout=1.5s",
            tcp("h", 6379).with_connect_timeout(ms(1500)),
        ),
        (
            "redis://h?timeout=250ms",
            tcp("h", 6379).with_response_timeout(ms(250)),
        ),
        (
            "redis://h?response_timeout=0.25ms",
            tcp("h", 6379).with_response_timeout(Duration::from_micros(250)),
        ),
        (
            "redis://h?timeout=0.000000001",
            tcp("h", 6379).with_response_timeout(Duration::from_nanos(1)),
        ),
        (
            "redis://h?timeout=0.000001ms",
            tcp("h", 6379).with_response_timeout(Duration::from_nanos(1)),
        ),
        // Everything together, empty query items skipped, the spec's example minus
        // its placeholder options.
        (
            "rediss://user:secret@localhost:6379/0?&protocol=2&name=app&connect_timeout=1&timeout=100ms&",
            tcp("localhost", 6379)
                .with_tls(true)
                .with_username("user")
                .with_password("secret")
                .with_protocol(ProtocolVersion::Resp2)
                .with_client_name("app")
                .with_connect_timeout(Duration::from_secs(1))
                .with_response_timeout(ms(100)),
        ),
        ("redis://h?", tcp("h", 6379)),
        // Unix sockets.
        ("unix:///tmp/redis.sock", unix("/tmp/redis.sock")),
        ("UNIX:///tmp/redis.sock", unix("/tmp/redis.sock")),
        ("redis+unix:///tmp/redis.sock", unix("/tmp/redis.sock")),
        ("unix:/tmp/redis.sock", unix("/tmp/redis.sock")),
        ("unix://localhost/tmp/redis.sock", unix("/tmp/redis.sock")),
        ("unix:relative/redis.sock", unix("relative/redis.sock")),
        (
            "unix:///tmp/my%20dir/r%3F.sock",
            unix("/tmp/my dir/r?.sock"),
        ),
        ("unix:///tmp/a@b.sock", unix("/tmp/a@b.sock")),
        (
            "unix:///tmp/redis.sock?db=2&user=u&password=p%40ss",
            unix("/tmp/redis.sock")
                .with_db(2)
                .with_username("u")
                .with_password("p@ss"),
        ),
        (
            "redis+unix:///tmp/redis.sock?password=pw&protocol=2&name=n&timeout=1",
            unix("/tmp/redis.sock")
                .with_password("pw")
                .with_protocol(ProtocolVersion::Resp2)
                .with_client_name("n")
                .with_response_timeout(Duration::from_secs(1)),
        ),
        (
            "unix://alice:pw@/tmp/redis.sock",
            unix("/tmp/redis.sock")
                .with_username("alice")
                .with_password("pw"),
        ),
    ];
    for (url, expected) in table {
        assert_eq!(
            ConnectionConfig::from_url(url),
            Ok(expected.clone()),
            "{url}"
        );
        assert_eq!(url.parse::<ConnectionConfig>(), Ok(expected), "{url}");
    }
}

#[test]
fn malformed_urls() {
    use UrlError::*;
    let option_value = |option: &str, value: &str| InvalidOptionValue {
        option: option.into(),
        value: value.into(),
    };
    let table: Vec<(&str, UrlError)> = vec![
        // Schemes.
        ("", MissingScheme),
        ("localhost", MissingScheme),
        ("127.0.0.1:6379", MissingScheme),
        ("://h", MissingScheme),
        ("1redis://h", MissingScheme),
        ("localhost:6379", UnsupportedScheme("localhost".into())),
        ("http://h", UnsupportedScheme("http".into())),
        ("redis+tls://h", UnsupportedScheme("redis+tls".into())),
        ("redis:h", MissingSlashes("redis".into())),
        ("rediss:/h", MissingSlashes("rediss".into())),
        // Characters that must be encoded, and fragments.
        ("redis://h ", InvalidCharacter(9)),
        ("redis://h\n", InvalidCharacter(9)),
        (" redis://h", InvalidCharacter(0)),
        ("redis://:pa\tss@h", InvalidCharacter(11)),
        ("redis://h#frag", Fragment),
        ("redis://:pa#ss@h", Fragment),
        // Hosts.
        ("redis://[]", MissingHost),
        ("redis://[]:6379", MissingHost),
        ("redis://::1", InvalidHost("::1".into())),
        ("redis://::1:6379", InvalidHost("::1:6379".into())),
        ("redis://[::1", InvalidHost("[::1".into())),
        ("redis://[::1]x", InvalidHost("[::1]x".into())),
        ("redis://[not-v6]", InvalidHost("[not-v6]".into())),
        ("redis://[127.0.0.1]", InvalidHost("[127.0.0.1]".into())),
        (
            "redis://[fe80::1%25eth0]",
            InvalidHost("[fe80::1%25eth0]".into()),
        ),
        ("redis://ho%20st", InvalidHost("ho%20st".into())),
        ("redis://h!", InvalidHost("h!".into())),
        ("redis://h[1]", InvalidHost("h[1]".into())),
        // Ports.
        ("redis://h:0", InvalidPort("0".into())),
        ("redis://h:00", InvalidPort("00".into())),
        ("redis://h:65536", InvalidPort("65536".into())),
        ("redis://h:99999999999", InvalidPort("99999999999".into())),
        ("redis://h:port", InvalidPort("port".into())),
        ("redis://h:+80", InvalidPort("+80".into())),
        ("redis://h:-1", InvalidPort("-1".into())),
        ("redis://[::1]:0", InvalidPort("0".into())),
        // Databases.
        ("redis://h/x", InvalidDb("x".into())),
        ("redis://h/-1", InvalidDb("-1".into())),
        ("redis://h/+1", InvalidDb("+1".into())),
        ("redis://h/01", InvalidDb("01".into())),
        ("redis://h/1/", InvalidDb("1/".into())),
        ("redis://h/1/2", InvalidDb("1/2".into())),
        ("redis://h//", InvalidDb("/".into())),
        ("redis://h/%31", InvalidDb("%31".into())),
        (
            "redis://h/9223372036854775808",
            InvalidDb("9223372036854775808".into()),
        ),
        ("redis://h?db=", InvalidDb("".into())),
        ("redis://h?db=-2", InvalidDb("-2".into())),
        ("redis://h?db=1.5", InvalidDb("1.5".into())),
        ("unix:///s?db=x", InvalidDb("x".into())),
        // Percent-encoding.
        ("redis://:%@h", InvalidPercentEncoding),
        ("redis://:%4@h", InvalidPercentEncoding),
        ("redis://:%zz@h", InvalidPercentEncoding),
        ("redis://:%FF@h", InvalidPercentEncoding),
        ("redis://u%@h", InvalidPercentEncoding),
        ("redis://h?password=%G0", InvalidPercentEncoding),
        ("redis://h?na%me=x", InvalidPercentEncoding),
        ("unix:///tmp/%C3", InvalidPercentEncoding),
        // Options.
        ("redis://h?ssl=true", UnknownOption("ssl".into())),
        ("redis://h?clientName=x", UnknownOption("clientName".into())),
        ("redis://h?DB=1", UnknownOption("DB".into())),
        ("redis://h?db=1&verbose", UnknownOption("verbose".into())),
        ("redis://h?protocol=4", option_value("protocol", "4")),
        ("redis://h?protocol=", option_value("protocol", "")),
        ("redis://h?protocol=3.0", option_value("protocol", "3.0")),
        ("redis://h?client_name=", option_value("client_name", "")),
        ("redis://h?name=a%20b", option_value("name", "a b")),
        ("redis://h?name=a%0Ab", option_value("name", "a\nb")),
        (
            "redis://h?connect_timeout=0",
            option_value("connect_timeout", "0"),
        ),
        (
            "redis://h?connect_timeout=0ms",
            option_value("connect_timeout", "0ms"),
        ),
        (
            "redis://h?connect_timeout=-1",
            option_value("connect_timeout", "-1"),
        ),
        (
            "redis://h?connect_timeout=",
            option_value("connect_timeout", ""),
        ),
        (
            "redis://h?connect_timeout=1.",
            option_value("connect_timeout", "1."),
        ),
        (
            "redis://h?connect_timeout=.5",
            option_value("connect_timeout", ".5"),
        ),
        (
            "redis://h?connect_timeout=1e3",
            option_value("connect_timeout", "1e3"),
        ),
        (
            "redis://h?connect_timeout=5m",
            option_value("connect_timeout", "5m"),
        ),
        (
            "redis://h?connect_timeout=ms",
            option_value("connect_timeout", "ms"),
        ),
        (
            "redis://h?timeout=0.0000000001",
            option_value("timeout", "0.0000000001"),
        ),
        (
            "redis://h?timeout=0.0000001ms",
            option_value("timeout", "0.0000001ms"),
        ),
        (
            "redis://h?timeout=99999999999999999999999",
            option_value("timeout", "99999999999999999999999"),
        ),
        (
            "redis://h?response_timeout=inf",
            option_value("response_timeout", "inf"),
        ),
        // Settings given twice, counting aliases, the path and the userinfo.
        ("redis://h?db=1&db=1", DuplicateOption("db".into())),
        ("redis://h/1?db=2", DuplicateOption("db".into())),
        (
            "redis://h?name=a&client_name=b",
            DuplicateOption("client_name".into()),
        ),
        (
            "redis://h?timeout=1&response_timeout=1",
            DuplicateOption("response_timeout".into()),
        ),
        (
            "redis://h?connect_timeout=1&connect_timeout=2",
            DuplicateOption("connect_timeout".into()),
        ),
        (
            "redis://h?protocol=2&protocol=3",
            DuplicateOption("protocol".into()),
        ),
        (
            "redis://:a@h?password=b",
            DuplicateOption("password".into()),
        ),
        (
            "redis://h?password=a&password=b",
            DuplicateOption("password".into()),
        ),
        ("redis://u@h?user=v", DuplicateOption("user".into())),
        (
            "unix://:a@/s?password=b",
            DuplicateOption("password".into()),
        ),
        // Unix sockets.
        ("unix://", MissingPath),
        ("unix:", MissingPath),
        ("unix://?db=1", MissingPath),
        ("redis+unix://localhost", MissingPath),
        ("unix://host/tmp/s", UnexpectedHost("host".into())),
        ("unix://:6379/tmp/s", UnexpectedHost(":6379".into())),
        ("unix://u:p@host/tmp/s", UnexpectedHost("host".into())),
        ("unix:///tmp/a%00b", InvalidPath),
        // A raw `/`, `?` or `&` in a password.
        ("redis://:pa/ss@h", MisplacedUserinfo),
        ("redis://user:pa?ss@h:6379/0", MisplacedUserinfo),
        ("redis://us/er:secret@h", MisplacedUserinfo),
        ("redis://:123/456@h", MisplacedUserinfo),
        ("unix://:pa/ss@/tmp/s", MisplacedUserinfo),
        ("redis://h?password=a&b", UnknownOptionAfterPassword),
        ("redis://h?password=a&b=c", UnknownOptionAfterPassword),
    ];
    for (url, expected) in table {
        assert_eq!(ConnectionConfig::from_url(url), Err(expected), "{url:?}");
    }
}

/// `valkey://`, `valkeys://` and `valkey+unix://` read exactly as `redis://`,
/// `rediss://` and `redis+unix://` (as redis-rs reads them), write back with the Redis
/// scheme, and keep the user's spelling in errors.
#[test]
fn valkey_schemes() {
    let twins = [
        ("valkey://", "redis://"),
        ("valkey://h", "redis://h"),
        ("VALKEY://h:7000/3", "redis://h:7000/3"),
        (
            "valkey://alice:s%40cret@[::1]:6380/2?protocol=2&name=n&timeout=500ms",
            "redis://alice:s%40cret@[::1]:6380/2?protocol=2&name=n&timeout=500ms",
        ),
        ("valkeys://cache.example", "rediss://cache.example"),
        (
            "valkeys://:pw@h:6380?tls_ca_file=/etc/ca.pem&tls_server_name=cache",
            "rediss://:pw@h:6380?tls_ca_file=/etc/ca.pem&tls_server_name=cache",
        ),
        (
            "valkey+unix:///run/valkey.sock?db=4&password=pw",
            "redis+unix:///run/valkey.sock?db=4&password=pw",
        ),
    ];
    for (valkey, redis) in twins {
        let config = ConnectionConfig::from_url(valkey).expect(valkey);
        assert_eq!(
            Ok(&config),
            ConnectionConfig::from_url(redis).as_ref(),
            "{valkey}"
        );
        let written = config.to_url_with_password();
        assert!(!written.starts_with("valkey"), "{written}");
        assert_eq!(ConnectionConfig::from_url(&written), Ok(config), "{valkey}");
    }
    assert!(ConnectionConfig::from_url("valkeys://h").unwrap().tls);
    assert!(!ConnectionConfig::from_url("valkey://h").unwrap().tls);

    assert_eq!(
        ConnectionConfig::from_url("valkey:h"),
        Err(UrlError::MissingSlashes("valkey".into()))
    );
    assert_eq!(
        ConnectionConfig::from_url("valkey://h?tls_ca_file=/ca.pem"),
        Err(UrlError::TlsOptionWithoutTls("tls_ca_file".into()))
    );
    assert_eq!(
        ConnectionConfig::from_url("valkey+tls://h"),
        Err(UrlError::UnsupportedScheme("valkey+tls".into()))
    );
    assert_eq!(
        ConnectionConfig::from_url("valkey+unix://localhost"),
        Err(UrlError::MissingPath)
    );
    let message = ConnectionConfig::from_url("ftp://h")
        .unwrap_err()
        .to_string();
    assert!(message.contains("valkey"), "{message}");
}

#[test]
fn error_messages_name_the_problem() {
    let message = |url: &str| ConnectionConfig::from_url(url).unwrap_err().to_string();
    assert_eq!(
        message("redis://h:70000"),
        "invalid port `70000`: expected a number from 1 to 65535"
    );
    assert!(message("redis://h?ssl=true").starts_with("unknown option `ssl`"));
    assert_eq!(
        message("redis://h?protocol=4"),
        "invalid value `4` for option `protocol`"
    );
    assert!(message("ftp://h").contains("`ftp`"));
    assert!(message("redis://h/x").contains("`x`"));
    assert!(message("redis://h/1?db=2").contains("`db`"));
    assert!(message("unix://").contains("unix:///path/to/socket"));
    assert!(message("redis://:pa/ss@h").contains("%2F"));
}

#[test]
fn password_redacted_in_debug_and_display() {
    let secret = "Sup3r-S3cret";
    let password = Password::new(secret);
    assert_eq!(format!("{password}"), "***");
    assert_eq!(format!("{password:?}"), "***");
    assert_eq!(format!("{:?}", Some(&password)), "Some(***)");
    assert_eq!(password.expose(), secret);
    assert_eq!(Password::from(secret.to_owned()), Password::from(secret));

    for url in [
        format!("redis://alice:{secret}@h:6380/2?name=x"),
        format!("rediss://:{secret}@[::1]"),
        format!("redis://h?password={secret}"),
        format!("unix:///tmp/s?user=alice&password={secret}"),
    ] {
        let config = ConnectionConfig::from_url(&url).unwrap();
        assert_eq!(config.password.as_ref().map(Password::expose), Some(secret));
        let debug = format!("{config:?}");
        let pretty = format!("{config:#?}");
        let display = config.to_string();
        for shown in [&debug, &pretty, &display] {
            assert!(!shown.contains(secret), "{shown}");
            assert!(shown.contains("***"), "{shown}");
        }
        assert!(config.to_url_with_password().contains(secret));
    }

    let config = tcp("h", 6379).with_username("alice").with_password(secret);
    assert_eq!(config.to_string(), "redis://alice:***@h:6379");
    let unix_config = unix("/s").with_password(secret);
    assert_eq!(unix_config.to_string(), "unix:///s?password=***");
}

#[test]
fn password_never_in_errors() {
    // Each URL carries `Sup3rS3cret` (or a piece of it, cut off by an unencoded
    // delimiter) and is malformed somewhere.
    let urls = [
        "redis://:Sup3rS3cret@h:0",
        "redis://:Sup3rS3cret@h/x",
        "redis://:Sup3rS3cret@h?ssl=1",
        "redis://:Sup3rS3cret@h?protocol=9",
        "redis://:Sup3rS3cret@bad!host",
        "redis://:Sup3rS3cret@[zz]",
        "redis://:Sup3rS3cret@h?password=Sup3rS3cret",
        "redis://:Sup3rS3cret%zz@h",
        "redis://:Sup3rS3cret#@h",
        "redis://:Sup3rS3cret @h",
        "redis://:Sup/3rS3cret@h",
        "redis://:Sup3rS3cret/@h",
        "redis://:Sup?3rS3cret@h",
        "redis://:Sup3rS3cret?@h",
        "redis://Sup3rS3cret/@h",
        "redis://:Sup3rS3cret:x/y@h",
        "redis://h?password=Sup&3rS3cret",
        "redis://h?password=Sup&3rS3cret=1",
        "redis://h?password=Sup3rS3cret&password=Sup3rS3cret",
        "unix://:Sup3rS3cret@host/s",
        "unix://:Sup/3rS3cret@/s",
        "unix:///s?password=Sup3rS3cret&db=x",
        "Sup3rS3cret",
        ":Sup3rS3cret@h",
    ];
    for url in urls {
        let error = ConnectionConfig::from_url(url).expect_err(url);
        for shown in [error.to_string(), format!("{error:?}")] {
            for piece in ["Sup", "3rS3cret", "Sup3rS3cret"] {
                assert!(!shown.contains(piece), "{url}: {shown}");
            }
        }
    }
}

#[test]
fn round_trips() {
    let configs = [
        ConnectionConfig::default(),
        tcp("localhost", 6380).with_tls(true),
        tcp("::1", 6379).with_db(7),
        tcp("2001:db8::42", 1).with_password("p"),
        tcp("h", 6379).with_username("alice"),
        tcp("h", 6379)
            .with_username("us:er@x")
            .with_password("p@ss/w?o#r&d%=+ :é"),
        tcp("h", 6379).with_password(":"),
        tcp("cache.example", 7000)
            .with_tls(true)
            .with_username("app")
            .with_password("secret")
            .with_db(i64::MAX)
            .with_protocol(ProtocolVersion::Resp2)
            .with_client_name("worker/1")
            .with_connect_timeout(Duration::from_millis(1500))
            .with_response_timeout(Duration::from_nanos(1)),
        tcp("h", 6379).with_response_timeout(Duration::from_secs(86_400)),
        unix("/tmp/redis.sock"),
        unix("/tmp/my dir/r?#%.sock").with_db(3),
        unix("relative.sock"),
        unix("//double/slash.sock"),
        unix("/s")
            .with_username("u&v")
            .with_password("p&w=x")
            .with_protocol(ProtocolVersion::Resp2)
            .with_client_name("n")
            .with_connect_timeout(Duration::from_millis(1)),
    ];
    for config in configs {
        let url = config.to_url_with_password();
        assert_eq!(ConnectionConfig::from_url(&url), Ok(config), "{url}");
    }
}

/// One part of a random URL: mostly a piece that parses, sometimes an odd one.
fn url_part(
    good: &'static [&'static str],
    odd: &'static [&'static str],
) -> impl Strategy<Value = &'static str> + Clone {
    prop_oneof![
        4 => proptest::sample::select(good),
        1 => proptest::sample::select(odd),
    ]
}

/// A random URL, part by part: each part mostly well formed, sometimes malformed (odd
/// percent-encodings, brackets, huge ports, unknown options, non-ASCII and control
/// characters), so that many parse and many fail.
fn url_text() -> impl Strategy<Value = String> {
    let scheme = url_part(
        &[
            "redis://",
            "rediss://",
            "unix://",
            "redis+unix://",
            "valkey://",
            "valkeys://",
            "valkey+unix://",
            "REDIS://",
            "unix:",
        ],
        &["redis:", "http://", "", "redis:/", "1redis://"],
    );
    let credential = url_part(
        &[
            "", "u", "alice", "us%3Aer", "p%40ss", "p@ss", "pa:ss", "%2F", "a%20b", "é", "%C3%A9",
            "+",
        ],
        &["%", "%zz", "%00", "%FF", "p/q", "p?q", "p#q", "p q"],
    );
    let userinfo = proptest::option::of((credential.clone(), proptest::option::of(credential)))
        .prop_map(|userinfo| match userinfo {
            None => String::new(),
            Some((user, None)) => format!("{user}@"),
            Some((user, Some(password))) => format!("{user}:{password}@"),
        });
    let host = url_part(
        &[
            "",
            "h",
            "localhost",
            "10.0.0.1",
            "[::1]",
            "[2001:DB8::1]",
            "my_host-1.internal",
        ],
        &["::1", "[]", "[::1", "[::1]x", "h!", "é", "[fe80::1%25eth0]"],
    );
    let port = url_part(
        &["", ":", ":1", ":6380", ":65535", ":06379"],
        &[":0", ":65536", ":99999999999999999999", ":-1", ":x", ":+1"],
    );
    let path = url_part(
        &[
            "",
            "/",
            "/0",
            "/15",
            "/tmp/redis.sock",
            "/a%20b.sock",
            "/9223372036854775807",
        ],
        &[
            "/01",
            "/x",
            "/-1",
            "//s",
            "/9223372036854775808",
            "/%00",
            "/1/2",
        ],
    );
    let option = url_part(
        &[
            "db=2",
            "password=p",
            "password=p%26q",
            "user=u",
            "protocol=2",
            "protocol=resp3",
            "name=n",
            "client_name=a%2Fb",
            "timeout=1.5",
            "connect_timeout=250ms",
            "response_timeout=0.000000001",
            "",
        ],
        &[
            "db=",
            "protocol=4",
            "client_name=a%20b",
            "timeout=0",
            "timeout=1e3",
            "x=y",
            "db",
            "timeout=99999999999999999999999",
        ],
    );
    let query = proptest::collection::vec(option, 0..4).prop_map(|options| match &options[..] {
        [] => String::new(),
        options => format!("?{}", options.join("&")),
    });
    let junk = url_part(&[""], &["#f", " ", "\t", "\u{7f}", "%", "&", "@", "?"]);
    (scheme, userinfo, host, port, path, query, junk).prop_map(
        |(scheme, userinfo, host, port, path, query, junk)| {
            format!("{scheme}{userinfo}{host}{port}{path}{query}{junk}")
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16_384, ..ProptestConfig::default() })]

    /// Any URL gives a configuration or a typed error, never a panic; a configuration
    /// writes back to a URL that parses to it again.
    #[test]
    fn any_url_is_a_config_or_an_error_and_configs_round_trip(url in url_text()) {
        if let Ok(config) = ConnectionConfig::from_url(&url) {
            let written = config.to_url_with_password();
            prop_assert_eq!(
                ConnectionConfig::from_url(&written),
                Ok(config),
                "{:?} was written as {:?}",
                url,
                written
            );
        }
    }
}

#[test]
fn written_urls() {
    let cases = [
        (ConnectionConfig::default(), "redis://127.0.0.1:6379"),
        (tcp("::1", 6380).with_tls(true), "rediss://[::1]:6380"),
        (
            tcp("h", 1).with_password("a b@c").with_db(2),
            "redis://:a%20b%40c@h:1/2",
        ),
        (
            tcp("h", 6379)
                .with_protocol(ProtocolVersion::Resp2)
                .with_client_name("n")
                .with_connect_timeout(Duration::from_millis(1500))
                .with_response_timeout(Duration::from_secs(3)),
            "redis://h:6379?protocol=2&client_name=n&connect_timeout=1.5&response_timeout=3",
        ),
        (
            unix("/run/redis sock")
                .with_db(1)
                .with_username("u")
                .with_password("p"),
            "unix:///run/redis%20sock?db=1&user=u&password=p",
        ),
        (unix("rel.sock"), "unix:rel.sock"),
    ];
    for (config, url) in cases {
        assert_eq!(config.to_url_with_password(), url);
    }
}

#[test]
fn server_addr_display() {
    assert_eq!(
        ServerAddr::tcp("localhost", 6379).to_string(),
        "localhost:6379"
    );
    assert_eq!(
        ServerAddr::tcp("10.1.2.3", 7000).to_string(),
        "10.1.2.3:7000"
    );
    assert_eq!(ServerAddr::tcp("::1", 6379).to_string(), "[::1]:6379");
    assert_eq!(
        ServerAddr::tcp("2001:db8::1", 1).to_string(),
        "[2001:db8::1]:1"
    );
    assert_eq!(
        ServerAddr::unix("/var/run/redis.sock").to_string(),
        "/var/run/redis.sock"
    );
    let parsed = ConnectionConfig::from_url("redis://[::1]:6380").unwrap();
    assert_eq!(parsed.addr.to_string(), "[::1]:6380");
}

#[test]
fn spec_userinfo_reading() {
    // "user:password"; a blank username is the spec's advised password-only form; a
    // userinfo without a colon is all username.
    let parse = |url: &str| {
        let config = ConnectionConfig::from_url(url).unwrap();
        (
            config.username,
            config.password.map(|p| p.expose().to_owned()),
        )
    };
    let s = |text: &str| Some(text.to_owned());
    assert_eq!(parse("redis://user:pass@h"), (s("user"), s("pass")));
    assert_eq!(parse("redis://:pass@h"), (None, s("pass")));
    assert_eq!(parse("redis://user@h"), (s("user"), None));
    assert_eq!(parse("redis://user:@h"), (s("user"), None));
    assert_eq!(parse("redis://%3Auser@h"), (s(":user"), None));
    assert_eq!(parse("redis://h?password=pass"), (None, s("pass")));
}
