//! `bulwark hash` run as a real process on the shared PDQ vector images.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Output};

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pdq-vectors")
}

fn bulwark(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(args)
        .output()
        .expect("run bulwark")
}

/// Expected (quality, 8 hashes) per image path relative to `images/`.
fn expected() -> HashMap<String, (String, Vec<String>)> {
    let text = std::fs::read_to_string(vectors().join("expected/images-pdqhash-0.2.8.tsv"))
        .expect("read images-pdqhash-0.2.8.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let hashes = f[5..13].iter().map(|s| s.to_string()).collect();
            (f[0].to_owned(), (f[4].to_owned(), hashes))
        })
        .collect()
}

const I16: &str = "python-threatexchange/threatexchange/tests/hashing/resources/I16.png";

fn rel(path: &str) -> String {
    let images = vectors().join("images");
    let prefix = format!("{}/", images.display());
    path.strip_prefix(&prefix).unwrap_or(path).to_owned()
}

#[test]
fn text_output_over_the_vector_directory_matches_the_reference() {
    let dir = vectors().join("images");
    let out = bulwark(&["hash", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Piped stderr: no progress bar, nothing to report.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = expected();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 34);
    for line in lines {
        // ThreatExchange's format: hash,quality,path
        let mut parts = line.splitn(3, ',');
        let (hash, quality, path) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let key = rel(path);
        let (q, hashes) = &want[&key];
        if key == I16 {
            // 16-bit values are scaled, not clamped as Pillow does (see crates/pdq/README.md).
            assert_eq!(
                hash,
                "628dbaa85045ffef9b101e3214f156c24b1dbefba74d25a5c90d046c6b54e536"
            );
            continue;
        }
        assert_eq!((hash, quality), (hashes[0].as_str(), q.as_str()), "{key}");
    }
}

#[test]
fn json_with_dihedral() {
    let dir = vectors().join("images/pdq/data/reg-test-input/dih");
    let out = bulwark(&["hash", "--json", "--dihedral", dir.to_str().unwrap()]);
    assert!(out.status.success());
    let want = expected();
    let names = [
        "orig",
        "rot90",
        "rot180",
        "rot270",
        "flipx",
        "flipy",
        "flipplus1",
        "flipminus1",
    ];
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 8);
    for line in stdout.lines() {
        assert!(line.starts_with("{\"path\":"), "{line}");
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = rel(v["path"].as_str().unwrap());
        let (q, hashes) = &want[&key];
        assert_eq!(v["quality"].to_string(), *q);
        assert_eq!(v["hash"], hashes[0].as_str());
        for (name, h) in names.iter().zip(hashes) {
            assert_eq!(v["dihedral"][name], h.as_str(), "{key} {name}");
        }
    }
}

#[test]
fn csv_min_quality_and_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("a, good one.jpg");
    std::fs::copy(vectors().join("images/pdq/data/misc-images/wee.jpg"), &good).unwrap();
    let bad = tmp.path().join("b-corrupt.png");
    std::fs::write(&bad, b"\x89PNG\r\n\x1a\nthis is not really a png").unwrap();
    let low = tmp.path().join("c-small.jpg");
    std::fs::copy(
        vectors().join("images/pdq/data/misc-images/small.jpg"),
        &low,
    )
    .unwrap();
    std::fs::write(tmp.path().join("notes.txt"), b"ignored: not an image name").unwrap();

    let out = bulwark(&[
        "hash",
        "--csv",
        "--min-quality",
        "50",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed file gives exit code 1"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "path,hash,quality");
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[1],
        format!(
            "\"{}\",6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d,100",
            good.display()
        )
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("b-corrupt.png"), "{stderr}");
    assert!(
        stderr.contains("c-small.jpg") && stderr.contains("quality 0"),
        "{stderr}"
    );
    assert!(!stderr.contains("notes.txt"), "{stderr}");
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(bulwark(&["hash"]).status.code(), Some(2));
    assert_eq!(
        bulwark(&["hash", "--json", "--csv", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(
        bulwark(&["hash", "--min-quality", "101", "x"])
            .status
            .code(),
        Some(2)
    );
}
