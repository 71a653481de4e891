//! Exactness of the index against brute force, for every radius 0..=64, several table
//! counts, clustered and duplicated data, and under live updates.

use std::collections::BTreeMap;

use bulwark_hamming::{Config, HammingIndex, Hash256, Kernel, Strategy as Search, brute_force};
use proptest::prelude::*;

/// A code and a few near copies (0..=40 bits flipped) and exact duplicates: real lists
/// hold near-duplicate clusters.
fn arb_hash() -> impl Strategy<Value = Hash256> {
    any::<[u64; 4]>().prop_map(Hash256)
}

fn near(h: Hash256, flips: &[u8]) -> Hash256 {
    flips.iter().fold(h, |h, &b| h.flip_bit(u32::from(b)))
}

fn arb_entries(max: usize) -> impl Strategy<Value = Vec<(u64, Hash256)>> {
    (
        prop::collection::vec(arb_hash(), 1..8),
        prop::collection::vec(
            (0usize..8, prop::collection::vec(any::<u8>(), 0..40)),
            0..max,
        ),
    )
        .prop_map(|(centres, derived)| {
            let mut out: Vec<Hash256> = centres.clone();
            for (c, flips) in derived {
                out.push(near(centres[c % centres.len()], &flips));
            }
            out.into_iter()
                .enumerate()
                .map(|(i, h)| (i as u64 * 3 + 1, h))
                .collect()
        })
}

fn cfg(tables: u32, strategy: Search) -> Config {
    Config {
        tables: Some(tables),
        strategy,
        ..Config::default()
    }
}

fn queries_for(entries: &[(u64, Hash256)], extra: &[(usize, Vec<u8>)]) -> Vec<Hash256> {
    let mut qs: Vec<Hash256> = extra
        .iter()
        .map(|(i, flips)| near(entries[i % entries.len()].1, flips))
        .collect();
    qs.push(entries[0].1);
    qs
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    #[test]
    fn tables_equal_brute_force_for_all_radii(
        entries in arb_entries(300),
        tables in prop::sample::select(vec![16u32, 19, 23, 32, 48, 64]),
        extra in prop::collection::vec((any::<usize>(), prop::collection::vec(any::<u8>(), 0..48)), 1..6),
    ) {
        let idx = HammingIndex::build(entries.clone(), cfg(tables, Search::Tables)).unwrap();
        let scan = HammingIndex::build(entries.clone(), cfg(0, Search::Scan)).unwrap();
        prop_assert_eq!(idx.len(), entries.len());
        for q in queries_for(&entries, &extra) {
            for r in 0..=64u32 {
                let want = brute_force(&entries, &q, r);
                prop_assert_eq!(&idx.query(&q, r), &want, "m {} r {}", tables, r);
                prop_assert_eq!(&scan.query(&q, r), &want, "scan r {}", r);
            }
            let want = brute_force(&entries, &q, 256);
            prop_assert_eq!(idx.query(&q, 256).len(), entries.len());
            prop_assert_eq!(&idx.query(&q, 256), &want);
        }
    }

    #[test]
    fn batch_and_parallel_equal_single(
        entries in arb_entries(200),
        extra in prop::collection::vec((any::<usize>(), prop::collection::vec(any::<u8>(), 0..40)), 1..12),
        r in 0u32..=64,
    ) {
        let qs = queries_for(&entries, &extra);
        for config in [Config::default(), cfg(0, Search::Scan), cfg(20, Search::Tables)] {
            let idx = HammingIndex::build(entries.clone(), config).unwrap();
            let single: Vec<_> = qs.iter().map(|q| brute_force(&entries, q, r)).collect();
            prop_assert_eq!(&idx.query_batch(&qs, r), &single);
            prop_assert_eq!(&idx.query_batch_parallel(&qs, r, 2), &single);
        }
    }

    /// Random inserts (including replacing ids) and removals against a model map; the
    /// tiny delta limit forces freezing and merging of segments.
    #[test]
    fn live_updates_match_model(
        initial in arb_entries(120),
        ops in prop::collection::vec((0u8..3, 0u64..200, any::<[u64; 4]>(), any::<usize>()), 1..150),
        probe in prop::collection::vec(any::<u8>(), 0..30),
        tables in prop::sample::select(vec![0u32, 16, 24]),
        delta_limit in 1usize..20,
    ) {
        let config = Config { tables: Some(tables), delta_limit, ..Config::default() };
        let mut idx = HammingIndex::build(initial.clone(), config).unwrap();
        let mut model: BTreeMap<u64, Hash256> = initial.iter().copied().collect();
        for (op, id, h, pick) in ops {
            match op {
                0 => {
                    let replaced = idx.insert(id, Hash256(h)).unwrap();
                    prop_assert_eq!(replaced, model.insert(id, Hash256(h)).is_some());
                }
                1 => {
                    prop_assert_eq!(idx.remove(id), model.remove(&id).is_some());
                }
                _ => {
                    // remove an existing id
                    if let Some((&k, _)) = model.iter().nth(pick % model.len().max(1)) {
                        prop_assert!(idx.remove(k));
                        model.remove(&k);
                    }
                }
            }
        }
        prop_assert_eq!(idx.len(), model.len());
        let entries: Vec<(u64, Hash256)> = model.iter().map(|(&k, &v)| (k, v)).collect();
        for (&id, h) in &model {
            prop_assert_eq!(idx.get(id), Some(*h));
        }
        let mut queries: Vec<Hash256> = entries.iter().take(5).map(|e| near(e.1, &probe)).collect();
        queries.push(near(initial[0].1, &probe));
        for q in &queries {
            for r in [0u32, 5, 31, 32, 50] {
                prop_assert_eq!(&idx.query(q, r), &brute_force(&entries, q, r));
            }
        }
        idx.compact().unwrap();
        prop_assert!(idx.stats().segments.len() <= 1);
        for q in &queries {
            prop_assert_eq!(&idx.query(q, 31), &brute_force(&entries, q, 31));
        }
    }
}

#[test]
fn duplicate_ids_are_rejected_at_build() {
    let h = Hash256([1, 2, 3, 4]);
    let e = HammingIndex::build([(5, h), (6, h), (5, h)], Config::default());
    assert!(matches!(e, Err(bulwark_hamming::Error::DuplicateId(5))));
}

#[test]
fn every_kernel_gives_the_same_answers() {
    let mut s = 1u64;
    let mut next = || {
        s = s.wrapping_mul(0x5851_F42D_4C95_7F2D).wrapping_add(11);
        s ^ (s >> 29)
    };
    let centre = Hash256([next(), next(), next(), next()]);
    let entries: Vec<(u64, Hash256)> = (0..2000u64)
        .map(|i| {
            let mut h = Hash256([next(), next(), next(), next()]);
            if i % 3 == 0 {
                h = (0..(i % 45) as u32).fold(centre, |h, k| h.flip_bit((k * 37 + i as u32) % 256));
            }
            (i, h)
        })
        .collect();
    for k in Kernel::available() {
        let config = Config {
            kernel: Some(k),
            strategy: Search::Scan,
            ..Config::default()
        };
        let idx = HammingIndex::build(entries.clone(), config).unwrap();
        assert_eq!(idx.kernel(), k);
        for r in [0u32, 10, 31, 44, 64, 128] {
            let want = brute_force(&entries, &centre, r);
            assert!(r < 31 || want.len() > 100, "test data must contain matches");
            assert_eq!(idx.query(&centre, r), want, "kernel {k:?} r {r}");
        }
    }
}

#[test]
fn a_failed_freeze_keeps_the_entries() {
    // 5 tables would need 52-bit substrings: segment builds fail
    let config = Config {
        tables: Some(5),
        delta_limit: 2,
        ..Config::default()
    };
    let mut idx = HammingIndex::new(config);
    let (a, b) = (Hash256([1, 2, 3, 4]), Hash256([5, 6, 7, 8]));
    assert!(!idx.insert(10, a).unwrap());
    assert!(idx.insert(11, b).is_err());
    assert_eq!(idx.get(10), Some(a));
    assert_eq!(idx.get(11), Some(b));
    assert_eq!(idx.query(&a, 0)[0].id, 10);
    assert!(
        HammingIndex::build(
            [(1, a)],
            Config {
                tables: Some(5),
                ..Config::default()
            }
        )
        .is_err()
    );
}

#[test]
fn index_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<HammingIndex>();
    // concurrent readers behind an RwLock, one writer
    let h = Hash256([9, 9, 9, 9]);
    let idx = std::sync::RwLock::new(HammingIndex::build([(1, h)], Config::default()).unwrap());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| assert_eq!(idx.read().unwrap().query(&h, 0).len(), 1));
        }
    });
    idx.write().unwrap().insert(2, h).unwrap();
    assert_eq!(idx.read().unwrap().query(&h, 0).len(), 2);
}
