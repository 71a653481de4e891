//! The architecture invariants of docs/ARCHITECTURE.md that a test can hold:
//! engines and the vocabulary know no database, HTTP or async runtime; only
//! the server knows HTTP; SQL stays in the store and the pillar crates.

use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The names in a manifest's `[dependencies]` table (not dev- or build-).
fn normal_dependencies(krate: &str) -> Vec<String> {
    let text = std::fs::read_to_string(crates_dir().join(krate).join("Cargo.toml"))
        .unwrap_or_else(|e| panic!("crates/{krate}/Cargo.toml: {e}"));
    let mut deps = Vec::new();
    let mut in_deps = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps
            && !line.starts_with('#')
            && let Some((name, _)) = line.split_once('=')
        {
            deps.push(name.trim().to_string());
        }
    }
    deps
}

fn workspace_crates() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(crates_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const DATABASE: [&str; 4] = ["sqlx", "rusqlite", "postgres", "tokio-postgres"];
const HTTP: [&str; 6] = [
    "axum",
    "axum-extra",
    "hyper",
    "reqwest",
    "tower-http",
    "tower",
];

#[test]
fn engines_and_vocabulary_have_no_database_http_or_runtime() {
    for krate in [
        "core",
        "pdq",
        "hamming",
        "cascade",
        "europe",
        "accuracy",
        "assessment",
    ] {
        let deps = normal_dependencies(krate);
        for bad in DATABASE.iter().chain(HTTP.iter()).chain(["tokio"].iter()) {
            assert!(
                !deps.iter().any(|d| d == bad),
                "crates/{krate} depends on {bad}"
            );
        }
    }
}

#[test]
fn only_the_server_and_the_binary_know_http() {
    for krate in workspace_crates() {
        if krate == "server" || krate == "cli" {
            continue;
        }
        let deps = normal_dependencies(&krate);
        for bad in HTTP {
            assert!(
                !deps.iter().any(|d| d == bad),
                "crates/{krate} depends on {bad}"
            );
        }
    }
}

#[test]
fn front_ends_write_no_sql() {
    for krate in ["server", "cli"] {
        let deps = normal_dependencies(krate);
        for bad in DATABASE {
            assert!(
                !deps.iter().any(|d| d == bad),
                "crates/{krate} depends on {bad}: SQL belongs in store or a pillar"
            );
        }
    }
}
