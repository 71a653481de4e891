//! The file format: round trips, and damaged files are refused (never served, never a
//! panic).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use bulwark_hamming::{Config, Error, HammingIndex, Hash256, brute_force};
use proptest::prelude::*;

/// A scratch file path, unique per call; the directory is removed when the guard drops.
struct Tmp(PathBuf);

impl Tmp {
    fn new() -> Tmp {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "bwham-disk-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Tmp(dir)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn entries(n: u64, seed: u64) -> Vec<(u64, Hash256)> {
    let mut s = seed;
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s ^ (s >> 31)
    };
    let mut v: Vec<(u64, Hash256)> = (0..n)
        .map(|i| (i * 7 + 3, Hash256([next(), next(), next(), next()])))
        .collect();
    // near copies and an exact duplicate
    for i in 0..n / 4 {
        let h = v[i as usize].1;
        v.push((
            1_000_000 + i,
            (0..(i % 40) as u32).fold(h, |h, b| h.flip_bit(b * 5)),
        ));
    }
    v.push((2_000_000, v[0].1));
    v
}

fn sample_index(path: &Path) -> (HammingIndex, Vec<(u64, Hash256)>) {
    let mut e = entries(400, 9);
    let config = Config {
        tables: Some(24),
        delta_limit: 64,
        ..Config::default()
    };
    let mut idx = HammingIndex::build(e.clone(), config).unwrap();
    // a delta, a frozen segment and tombstones
    for i in 0..100u64 {
        let h = Hash256([i, !i, i << 7, 5]);
        idx.insert(5_000_000 + i, h).unwrap();
        e.push((5_000_000 + i, h));
    }
    for id in [3u64, 10, 1_000_001, 5_000_001] {
        assert!(idx.remove(id));
        e.retain(|x| x.0 != id);
    }
    idx.save(path).unwrap();
    (idx, e)
}

#[test]
fn round_trip_preserves_answers_and_updates() {
    let dir = Tmp::new();
    let path = dir.file("a.bwh");
    let (idx, live) = sample_index(&path);
    let loaded = HammingIndex::open(&path).unwrap();
    assert_eq!(loaded.len(), live.len());
    assert!(loaded.stats().segments.iter().all(|s| s.mapped));
    assert_eq!(loaded.stats().delta, idx.stats().delta);
    let mut a = loaded.entries();
    let mut b = live.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    for (_, q) in live.iter().step_by(13) {
        for r in [0u32, 12, 31, 45] {
            assert_eq!(loaded.query(q, r), brute_force(&live, q, r));
        }
    }
    // update the loaded (mapped) index and save over the file it is mapped from
    let mut loaded = loaded;
    loaded.insert(77, Hash256::ZERO).unwrap();
    assert!(loaded.remove(1_000_002));
    loaded.save(&path).unwrap();
    let again = HammingIndex::open(&path).unwrap();
    assert_eq!(again.get(77), Some(Hash256::ZERO));
    assert_eq!(again.get(1_000_002), None);
    assert_eq!(again.len(), live.len());
    // the old mapping is still intact after the file was replaced
    assert_eq!(loaded.get(77), Some(Hash256::ZERO));
}

#[test]
fn empty_index_round_trips() {
    let dir = Tmp::new();
    let path = dir.file("empty.bwh");
    HammingIndex::new(Config::default()).save(&path).unwrap();
    let idx = HammingIndex::open(&path).unwrap();
    assert!(idx.is_empty());
    assert!(idx.query(&Hash256::ZERO, 256).is_empty());
}

fn expect_corrupt(dir: &Tmp, bytes: &[u8], what: &str) {
    let path = dir.file("bad.bwh");
    std::fs::write(&path, bytes).unwrap();
    match HammingIndex::open(&path) {
        Err(Error::Corrupt(_)) => {}
        Err(e) => panic!("{what}: wrong error {e}"),
        Ok(_) => panic!("{what}: damaged file was accepted"),
    }
}

#[test]
fn damaged_files_are_refused() {
    let dir = Tmp::new();
    let path = dir.file("good.bwh");
    sample_index(&path);
    let good = std::fs::read(&path).unwrap();
    assert!(HammingIndex::open(&path).is_ok());
    expect_corrupt(&dir, &good[..good.len() - 1], "truncated by one byte");
    expect_corrupt(&dir, &good[..4096], "header only");
    expect_corrupt(&dir, &good[..10], "tiny");
    expect_corrupt(&dir, &[], "empty");
    let mut longer = good.clone();
    longer.extend_from_slice(&[0; 64]);
    expect_corrupt(&dir, &longer, "extended");
    let mut v = good.clone();
    v[8] = 2;
    expect_corrupt(&dir, &v, "other version");
    let mut v = good.clone();
    v[0] = b'X';
    expect_corrupt(&dir, &v, "bad magic");
    // a flipped bit in each of the first 256 bytes and at 300 places spread over the file
    let step = (good.len() / 300).max(1);
    let places = (0..256).chain((0..good.len()).step_by(step));
    let p = dir.file("flip.bwh");
    for pos in places {
        let mut v = good.clone();
        v[pos] ^= 0x10;
        std::fs::write(&p, &v).unwrap();
        if HammingIndex::open(&p).is_ok() {
            // only padding bytes may change without detection; they carry no data
            let idx = HammingIndex::open(&p).unwrap();
            let orig = HammingIndex::open(&path).unwrap();
            let mut a = idx.entries();
            let mut b = orig.entries();
            a.sort();
            b.sort();
            assert_eq!(a, b, "undetected change at byte {pos} altered the data");
        }
    }
}

#[test]
fn not_an_index_file_is_an_error() {
    let dir = Tmp::new();
    let p = dir.file("hashes.txt");
    std::fs::write(
        &p,
        "f162eb9daab170c0567fe3632d9a5548c5612982dd5e374a7424ebbc8a835c95\n".repeat(100),
    )
    .unwrap();
    assert!(matches!(HammingIndex::open(&p), Err(Error::Corrupt(_))));
    assert!(matches!(
        HammingIndex::open(dir.file("missing.bwh")),
        Err(Error::Io(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Arbitrary damage (overwrite a run of bytes) is detected or harmless, never a panic.
    #[test]
    fn arbitrary_damage_never_panics(pos in any::<prop::sample::Index>(), junk in prop::collection::vec(any::<u8>(), 1..16)) {
        let dir = Tmp::new();
        let path = dir.file("p.bwh");
        let e = entries(60, 4);
        let idx = HammingIndex::build(e.clone(), Config { tables: Some(24), ..Config::default() }).unwrap();
        idx.save(&path).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let at = pos.index(bytes.len());
        let end = (at + junk.len()).min(bytes.len());
        let changed = bytes[at..end] != junk[..end - at];
        bytes[at..end].copy_from_slice(&junk[..end - at]);
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(loaded) = HammingIndex::open(&path) {
            let mut a = loaded.entries();
            let mut b = e.clone();
            a.sort();
            b.sort();
            prop_assert_eq!(a, b);
            prop_assert_eq!(loaded.query(&e[0].1, 31), brute_force(&e, &e[0].1, 31));
        } else {
            prop_assert!(changed);
        }
    }
}
