//! Locating `redis-server` / `redis-cli` and reading the server version.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Directories searched after `PATH`.
const FALLBACK_DIRS: &[&str] = &["/usr/bin", "/usr/local/bin"];

fn find_binary(name: &str) -> Option<PathBuf> {
    let from_path = env::var_os("PATH")
        .map(|paths| env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    from_path
        .into_iter()
        .chain(FALLBACK_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn require(name: &str, cache: &'static OnceLock<Option<PathBuf>>) -> &'static Path {
    match cache.get_or_init(|| find_binary(name)) {
        Some(path) => path,
        None => panic!(
            "{name} not found: run scripts/ensure-redis (it installs Debian's redis-server with apt-get)"
        ),
    }
}

/// Path of the `redis-server` binary (`PATH`, then `/usr/bin`, `/usr/local/bin`).
///
/// # Panics
///
/// Panics with a hint to run `scripts/ensure-redis` when it is not installed.
pub fn redis_server_path() -> &'static Path {
    static CACHE: OnceLock<Option<PathBuf>> = OnceLock::new();
    require("redis-server", &CACHE)
}

/// Path of the `redis-cli` binary (`PATH`, then `/usr/bin`, `/usr/local/bin`).
///
/// # Panics
///
/// Panics with a hint to run `scripts/ensure-redis` when it is not installed.
pub fn redis_cli_path() -> &'static Path {
    static CACHE: OnceLock<Option<PathBuf>> = OnceLock::new();
    require("redis-cli", &CACHE)
}

/// Version of the installed `redis-server` as `(major, minor, patch)`, for
/// example `(7, 0, 15)`. Parsed once from `redis-server --version`.
///
/// # Panics
///
/// Panics when the binary is missing or its output cannot be parsed.
pub fn redis_version() -> (u32, u32, u32) {
    static VERSION: OnceLock<(u32, u32, u32)> = OnceLock::new();
    *VERSION.get_or_init(|| {
        let output = Command::new(redis_server_path())
            .arg("--version")
            .output()
            .unwrap_or_else(|err| panic!("running redis-server --version: {err}"));
        let text = String::from_utf8_lossy(&output.stdout);
        parse_version(&text)
            .unwrap_or_else(|| panic!("cannot parse `redis-server --version` output: {text:?}"))
    })
}

/// Parses `Redis server v=7.0.15 sha=...` into `(7, 0, 15)`.
fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let version = text
        .split_whitespace()
        .find_map(|word| word.strip_prefix("v="))?;
    let mut parts = version.split('.').map(|part| {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u32>().ok()
    });
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

#[cfg(test)]
mod tests {
    use super::parse_version;

    #[test]
    fn parses_debian_version_line() {
        let line = "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d";
        assert_eq!(parse_version(line), Some((7, 0, 15)));
        assert_eq!(parse_version("Redis server v=6.2 sha=0"), Some((6, 2, 0)));
        assert_eq!(parse_version("garbage"), None);
    }
}
