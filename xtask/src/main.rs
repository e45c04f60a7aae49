//! Project automation for the redis-sansio workspace.
//!
//! ```text
//! cargo run -p xtask -- extract [SPEC_DIR]   # Redis's command JSON files -> redis-client/spec/commands.json
//! cargo run -p xtask -- generate             # spec/commands.json -> redis-client/src/generated/*.rs
//!                                            #   and redis-sansio/src/commands/table.rs
//! cargo run -p xtask -- check                # fails when the committed generated code is stale
//! ```
//!
//! `extract` reads the Redis command specification (one JSON file per command, by
//! default from `../shared/redis-commands` relative to the workspace root) and keeps
//! only facts: names, containers, arity, flags, ACL categories, tips, key specs,
//! arguments and reply schemas. It drops every prose text (`summary`, `description`,
//! `notes`, `history`, `complexity`, `replaced_by`) and the C function names.
//!
//! `generate` reads only `redis-client/spec/commands.json`; see [`emit`] for how
//! arguments and reply schemas become Rust, and [`table`] for the core's command
//! table (flags, cluster policies, key specs) that `redis-sansio` routes and retries
//! by.

// A binary: `pub` inside its private modules only means "used by main".
#![allow(unreachable_pub)]

mod emit;
mod extract;
mod lower;
mod model;
mod names;
mod reply;
mod table;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The workspace root (the parent of this crate's directory).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

fn spec_path(root: &Path) -> PathBuf {
    root.join("redis-client/spec/commands.json")
}

fn generated_dir(root: &Path) -> PathBuf {
    root.join("redis-client/src/generated")
}

/// The core's command table, generated outside `generated_dir`.
fn core_table_path(root: &Path) -> PathBuf {
    root.join("redis-sansio/src/commands/table.rs")
}

/// The tests' sample invocations of every command, generated outside the library.
const EXAMPLES: &str = "redis-client/tests/generated_examples/mod.rs";

fn examples_path(root: &Path) -> PathBuf {
    root.join(EXAMPLES)
}

const USAGE: &str = "usage: cargo run -p xtask -- <extract [SPEC_DIR] | generate | check>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("extract") => {
            let dir = match args.get(1) {
                Some(dir) => PathBuf::from(dir),
                None => root.join("../shared/redis-commands"),
            };
            extract::run(&dir, &root.join("redis-client/spec"))
        }
        Some("generate") => generate(&root),
        Some("check") => check(&root),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Everything generated, in memory: the client's files (name under `generated_dir`,
/// contents) and the core's command table.
struct Rendered {
    files: Vec<(String, String)>,
    core_table: String,
    /// The tests' sample invocations (`examples_path`).
    examples: String,
}

/// Generates every file in memory.
fn render(root: &Path) -> Result<Rendered, String> {
    let path = spec_path(root);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let spec: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let commands = model::parse(&spec)?;
    let emit::Generated { files, examples } = emit::generate(&commands)?;
    let examples = rustfmt(&examples)?;
    let files = files
        .into_iter()
        .map(|(name, code)| Ok((name, rustfmt(&code)?)))
        .collect::<Result<_, String>>()?;
    let core_table = rustfmt(&table::command_table(&commands)?)?;
    Ok(Rendered {
        files,
        core_table,
        examples,
    })
}

fn generate(root: &Path) -> Result<(), String> {
    let Rendered {
        files,
        core_table,
        examples,
    } = render(root)?;
    let table = core_table_path(root);
    std::fs::write(&table, core_table).map_err(|e| format!("{}: {e}", table.display()))?;
    let examples_file = examples_path(root);
    std::fs::create_dir_all(examples_file.parent().expect("a file in a directory"))
        .map_err(|e| format!("{}: {e}", examples_file.display()))?;
    std::fs::write(&examples_file, examples)
        .map_err(|e| format!("{}: {e}", examples_file.display()))?;
    let dir = generated_dir(root);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    for (name, code) in &files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("files live in a directory"))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        std::fs::write(&path, code).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    eprintln!(
        "xtask: wrote {} files to {}, and {} and {}",
        files.len(),
        dir.display(),
        table.display(),
        examples_file.display()
    );
    Ok(())
}

fn check(root: &Path) -> Result<(), String> {
    let Rendered {
        files,
        core_table,
        examples,
    } = render(root)?;
    let dir = generated_dir(root);
    let mut stale = Vec::new();
    match std::fs::read_to_string(core_table_path(root)) {
        Ok(existing) if existing == core_table => {}
        Ok(_) => stale.push("redis-sansio/src/commands/table.rs differs".to_string()),
        Err(_) => stale.push("redis-sansio/src/commands/table.rs is missing".to_string()),
    }
    match std::fs::read_to_string(examples_path(root)) {
        Ok(existing) if existing == examples => {}
        Ok(_) => stale.push(format!("{EXAMPLES} differs")),
        Err(_) => stale.push(format!("{EXAMPLES} is missing")),
    }
    for (name, code) in &files {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(existing) if existing == *code => {}
            Ok(_) => stale.push(format!("{name} differs")),
            Err(_) => stale.push(format!("{name} is missing")),
        }
    }
    let mut on_disk = Vec::new();
    list_rs(&dir, &dir, &mut on_disk);
    for name in on_disk {
        if !files.iter().any(|(n, _)| *n == name) {
            stale.push(format!("{name} is not generated any more"));
        }
    }
    if stale.is_empty() {
        eprintln!(
            "xtask: generated code is up to date ({} files)",
            files.len()
        );
        Ok(())
    } else {
        Err(format!(
            "the generated code is stale ({}); run `cargo run -p xtask -- generate` and commit the result",
            stale.join(", ")
        ))
    }
}

fn list_rs(base: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            list_rs(base, &path, out);
        } else if let Ok(rel) = path.strip_prefix(base) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// Formats `code` with the toolchain's rustfmt (edition 2024), so the generated files
/// are exactly what `cargo fmt` would leave.
fn rustfmt(code: &str) -> Result<String, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .current_dir(workspace_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = code.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    writer
        .join()
        .expect("writer thread")
        .map_err(|e| format!("rustfmt stdin: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt failed on generated code:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt output: {e}"))
}
