//! Helpers shared by the CLI's integration tests (each test binary uses
//! some of them).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// A finished command's stdout and stderr, for assertions and messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A test path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Starts the real `bulwark serve` on a free loopback port over the
/// database `db`, its log going to `stderr`; returns the process and the
/// base URL it announces on its first line of output.
pub fn serve(bin: &str, db: &str, stderr: Stdio) -> (Child, String) {
    let mut c = Command::new(bin);
    c.args(["serve", "--addr", "127.0.0.1:0", "--db", db])
        .stderr(stderr);
    spawn_serve(c)
}

/// Starts `serve`, a prepared `bulwark serve` command (its arguments,
/// environment and stderr set); returns the process and the base URL it
/// announces on its first line of output.
pub fn spawn_serve(mut serve: Command) -> (Child, String) {
    let mut child = serve.stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from serve: {line:?}"))
        .to_string();
    (child, base)
}
