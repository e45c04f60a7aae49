//! Links the system hiredis (the C reference decoder in the codec benchmarks).
//!
//! hiredis is found with `pkg-config`, falling back to the usual library directories.
//! When it is missing, or `BENCHES_NO_HIREDIS` is set, nothing is linked, the `hiredis`
//! cfg stays off and the hiredis benchmarks are left out; everything else still builds.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=BENCHES_NO_HIREDIS");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rustc-check-cfg=cfg(hiredis)");

    if std::env::var_os("BENCHES_NO_HIREDIS").is_some() {
        return;
    }
    if let Some(flags) = pkg_config_libs() {
        for flag in flags.split_whitespace() {
            if let Some(dir) = flag.strip_prefix("-L") {
                println!("cargo:rustc-link-search=native={dir}");
            }
        }
    } else if let Some(dir) = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
        "/usr/local/lib",
    ]
    .into_iter()
    .find(|dir| Path::new(dir).join("libhiredis.so").exists())
    {
        println!("cargo:rustc-link-search=native={dir}");
    } else {
        println!(
            "cargo:warning=hiredis not found (install libhiredis-dev); hiredis benchmarks are skipped"
        );
        return;
    }
    println!("cargo:rustc-link-lib=hiredis");
    println!("cargo:rustc-cfg=hiredis");
}

/// `pkg-config --libs hiredis`, if pkg-config knows hiredis.
fn pkg_config_libs() -> Option<String> {
    let output = Command::new("pkg-config")
        .args(["--libs", "hiredis"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}
