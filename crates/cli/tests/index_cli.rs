//! `bulwark index` and `bulwark match` run as real processes on the shared hash lists.

mod common;

use common::s;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn lists() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pdq-vectors")
}

fn bulwark(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run bulwark");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("wait for bulwark")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

/// (needle line, haystack line, distance) from the answer key.
fn answer_key() -> BTreeSet<(u64, u64, u32)> {
    std::fs::read_to_string(lists().join("expected/needles-vs-haystack-r31.tsv"))
        .expect("answer key")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<u64> = l.split('\t').map(|x| x.trim().parse().unwrap()).collect();
            (f[0], f[1], f[2] as u32)
        })
        .collect()
}

fn needles() -> Vec<String> {
    std::fs::read_to_string(lists().join("hashlists/needles.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses `--json` output into (query line, id, distance) triples.
fn pairs(json: &str) -> BTreeSet<(u64, u64, u32)> {
    let mut out = BTreeSet::new();
    for (qi, line) in json.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        for m in v["matches"].as_array().expect("matches") {
            out.insert((
                qi as u64,
                m["id"].as_u64().unwrap(),
                m["distance"].as_u64().unwrap() as u32,
            ));
        }
    }
    out
}

#[test]
fn build_match_update_round_trip_on_the_answer_key() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("haystack.bwh");
    let haystack = lists().join("hashlists/haystack.txt");
    let needles_path = lists().join("hashlists/needles.txt");
    ok(&bulwark(
        &["index", "build", "--out", s(&idx), s(&haystack)],
        None,
    ));

    // JSON: exactly the 250 brute-force pairs, one line per query
    let json = ok(&bulwark(
        &["match", "--index", s(&idx), "--json", s(&needles_path)],
        None,
    ));
    assert_eq!(json.lines().count(), 100);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["query"].as_str().unwrap(), needles()[0]);
    let want = answer_key();
    assert_eq!(pairs(&json), want);

    // text from stdin, two threads: one line per match
    let all = needles().join("\n");
    let text = ok(&bulwark(
        &["match", "--index", s(&idx), "-j", "2", "-"],
        Some(&all),
    ));
    assert_eq!(text.lines().count(), 250);
    let line: Vec<&str> = text.lines().next().unwrap().split('\t').collect();
    assert_eq!(line.len(), 4);

    // radius 0: only the exact copies
    let exact = pairs(&ok(&bulwark(
        &[
            "match",
            "--index",
            s(&idx),
            "--radius",
            "0",
            "--json",
            s(&needles_path),
        ],
        None,
    )));
    let want0: BTreeSet<_> = want.iter().copied().filter(|p| p.2 == 0).collect();
    assert!(!want0.is_empty());
    assert_eq!(exact, want0);

    // remove every haystack id that is even, from stdin
    let evens: String = (0..1350).step_by(2).map(|i| format!("{i}\n")).collect();
    let rm = bulwark(&["index", "remove", s(&idx)], Some(&evens));
    ok(&rm);
    let after = pairs(&ok(&bulwark(
        &["match", "--index", s(&idx), "--json", s(&needles_path)],
        None,
    )));
    let odd: BTreeSet<_> = want.iter().copied().filter(|p| p.1 % 2 == 1).collect();
    assert_eq!(after, odd);

    // add the needles themselves under new ids: each now also matches itself
    let adds: String = needles()
        .iter()
        .enumerate()
        .map(|(i, h)| format!("{h},{}\n", 100_000 + i))
        .collect();
    ok(&bulwark(&["index", "add", s(&idx), "-"], Some(&adds)));
    let added = pairs(&ok(&bulwark(
        &["match", "--index", s(&idx), "--json", s(&needles_path)],
        None,
    )));
    for i in 0..100u64 {
        assert!(added.contains(&(i, 100_000 + i, 0)));
    }
    assert_eq!(added.len(), odd.len() + 100);

    let stats = ok(&bulwark(&["index", "stats", "--json", s(&idx)], None));
    let v: serde_json::Value = serde_json::from_str(stats.trim()).unwrap();
    assert_eq!(v["entries"].as_u64(), Some(1350 - 675 + 100));
}

#[test]
fn holidays_csv_builds_with_its_own_ids() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("holidays.bwh");
    let csv = lists().join("hashlists/holidays-jpg1-pdq-hashes.csv");
    ok(&bulwark(
        &["index", "build", "--out", s(&idx), s(&csv)],
        None,
    ));
    let text = std::fs::read_to_string(&csv).unwrap();
    let first = text.lines().next().unwrap();
    let mut f = first.split(',');
    let (hash, id) = (f.next().unwrap(), f.next().unwrap());
    let out = ok(&bulwark(
        &["match", "--index", s(&idx), "--radius", "0", "--json", "-"],
        Some(hash),
    ));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let ids: Vec<u64> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    assert!(ids.contains(&id.parse::<u64>().unwrap()), "{ids:?}");
    let stats = ok(&bulwark(&["index", "stats", s(&idx)], None));
    assert!(stats.contains(&format!("entries\t{}", text.lines().count())));
}

#[test]
fn bad_input_exits_2_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("x.bwh");
    let input = format!("{}\n{}\nnot-a-hash\n", "ab".repeat(32), "cd".repeat(32));
    let out = bulwark(&["index", "build", "--out", s(&idx), "-"], Some(&input));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3"));
    assert!(!idx.exists());

    let dup = format!("{},5\n{},5\n", "ab".repeat(32), "cd".repeat(32));
    let out = bulwark(&["index", "build", "--out", s(&idx), "-"], Some(&dup));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("duplicate id 5"));

    ok(&bulwark(
        &["index", "build", "--out", s(&idx), "-"],
        Some(&"ab".repeat(32)),
    ));
    let out = bulwark(
        &["match", "--index", s(&idx), "-"],
        Some(&format!("{}\n{}x\n", "ab".repeat(32), "ab".repeat(32))),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"));
}

#[test]
fn damaged_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("h.bwh");
    let haystack = lists().join("hashlists/haystack.txt");
    ok(&bulwark(
        &["index", "build", "--out", s(&idx), s(&haystack)],
        None,
    ));
    let mut bytes = std::fs::read(&idx).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 1;
    std::fs::write(&idx, &bytes).unwrap();
    let out = bulwark(&["match", "--index", s(&idx), "-"], Some(&"ab".repeat(32)));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("corrupt"));
}
