//! Helpers shared by the CLI's integration tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Starts the real `bulwark serve` on a free loopback port over the
/// database `db`, its log going to `stderr`; returns the process and the
/// base URL it announces on its first line of output.
pub fn serve(bin: &str, db: &str, stderr: Stdio) -> (Child, String) {
    let mut child = Command::new(bin)
        .args(["serve", "--addr", "127.0.0.1:0", "--db", db])
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
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
