//! Answer keys from ../shared/data/pdq-vectors: needles vs haystack at r = 31 (spec 2.3
//! item 4) and the real Holidays PDQ hashes against brute force.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bulwark_hamming::{Config, HammingIndex, Hash256, Strategy, brute_force};

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/pdq-vectors")
        .join(rel)
}

fn read(rel: &str) -> String {
    let p = data(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// First comma-separated field of each non-empty line, as a hash.
fn hashes(rel: &str) -> Vec<Hash256> {
    read(rel)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Hash256::from_hex(l.split(',').next().unwrap_or("").trim()).unwrap())
        .collect()
}

fn configs() -> Vec<Config> {
    vec![
        Config::default(),
        Config {
            tables: Some(16),
            strategy: Strategy::Tables,
            ..Config::default()
        },
        Config {
            tables: Some(24),
            strategy: Strategy::Tables,
            ..Config::default()
        },
        Config {
            tables: Some(0),
            strategy: Strategy::Scan,
            ..Config::default()
        },
    ]
}

#[test]
fn needles_vs_haystack_r31_answer_key() {
    let haystack = hashes("hashlists/haystack.txt");
    let needles = hashes("hashlists/needles.txt");
    assert_eq!((haystack.len(), needles.len()), (1350, 100));
    let mut want = BTreeSet::new();
    for line in read("expected/needles-vs-haystack-r31.tsv").lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<u64> = line
            .split('\t')
            .map(|x| x.trim().parse().unwrap())
            .collect();
        want.insert((f[0], f[1], f[2] as u32));
    }
    assert_eq!(want.len(), 250);
    let entries: Vec<(u64, Hash256)> = haystack
        .iter()
        .enumerate()
        .map(|(i, &h)| (i as u64, h))
        .collect();
    for config in configs() {
        let idx = HammingIndex::build(entries.clone(), config.clone()).unwrap();
        let mut got = BTreeSet::new();
        for (qi, res) in idx.query_batch(&needles, 31).into_iter().enumerate() {
            for m in res {
                assert_eq!(m.hash, haystack[m.id as usize]);
                got.insert((qi as u64, m.id, m.distance));
            }
        }
        assert_eq!(got, want, "config {config:?}");
    }
}

#[test]
fn holidays_all_pairs_every_radius() {
    let mut all = hashes("hashlists/holidays-jpg1-pdq-hashes.csv");
    all.extend(hashes("hashlists/holidays-jpg2-pdq-hashes.csv"));
    assert_eq!(all.len(), 1492);
    let distinct: BTreeSet<_> = all.iter().collect();
    assert_eq!(distinct.len(), 1489, "the list holds exact duplicates");
    let entries: Vec<(u64, Hash256)> = all
        .iter()
        .enumerate()
        .map(|(i, &h)| (1000 + i as u64, h))
        .collect();
    for config in configs() {
        let idx = HammingIndex::build(entries.clone(), config.clone()).unwrap();
        let mut total = 0;
        for (k, q) in all.iter().enumerate().step_by(7) {
            for r in [0u32, 1, 8, 16, 31, 32, 40, 48, 64] {
                let want = brute_force(&entries, q, r);
                assert!(want.iter().any(|m| m.id == 1000 + k as u64));
                total += want.len();
                assert_eq!(idx.query(q, r), want, "config {config:?} r {r}");
            }
        }
        // some pairs beyond self-matches exist at these radii
        assert!(total > 9 * all.len().div_ceil(7));
    }
}

#[test]
fn needles_match_after_live_updates_and_reload() {
    let haystack = hashes("hashlists/haystack.txt");
    let needles = hashes("hashlists/needles.txt");
    // build from the first half, insert the rest one by one, remove a few
    let config = Config {
        delta_limit: 100,
        ..Config::default()
    };
    let half = haystack.len() / 2;
    let mut idx = HammingIndex::build(
        haystack[..half]
            .iter()
            .enumerate()
            .map(|(i, &h)| (i as u64, h)),
        config,
    )
    .unwrap();
    for (i, &h) in haystack.iter().enumerate().skip(half) {
        assert!(!idx.insert(i as u64, h).unwrap());
    }
    let removed: BTreeSet<u64> = (0..haystack.len() as u64).filter(|i| i % 5 == 0).collect();
    for &id in &removed {
        assert!(idx.remove(id));
    }
    assert!(
        idx.stats().segments.len() > 1,
        "updates went to new segments"
    );
    let live: Vec<(u64, Hash256)> = haystack
        .iter()
        .enumerate()
        .map(|(i, &h)| (i as u64, h))
        .filter(|(i, _)| !removed.contains(i))
        .collect();
    let dir = std::env::temp_dir().join(format!("bwham-real-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("haystack.bwh");
    let saved = idx.save(&path);
    let loaded = saved.and_then(|()| HammingIndex::open(&path));
    let _ = std::fs::remove_dir_all(&dir);
    let loaded = loaded.unwrap();
    assert_eq!(loaded.len(), live.len());
    for q in &needles {
        let want = brute_force(&live, q, 31);
        assert_eq!(idx.query(q, 31), want);
        assert_eq!(loaded.query(q, 31), want);
    }
}
