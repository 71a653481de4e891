//! Exact Hamming range search over 256-bit hashes (PDQ) at tens of millions of entries.
//!
//! * [`HammingIndex`]: multi-index hashing (Norouzi, Punjani, Fleet 2012) over a fixed
//!   bit permutation, with direct-address substring tables, pipelined probing and
//!   verification by full popcount; a run-time-dispatched linear scan (POPCNT, AVX2,
//!   AVX-512 VPOPCNTDQ) serves small segments, large radii and acts as the oracle.
//!   Results are exact for every radius 0..=256.
//! * Live updates: inserts go to a scanned delta buffer that is frozen into small
//!   segments (merged log-structured); removals are tombstones. No full rebuild.
//! * [`HammingIndex::save`] / [`HammingIndex::open`]: a versioned, checksummed file,
//!   memory-mapped on open and validated before use.
//!
//! ```
//! use bulwark_hamming::{Config, Hash256, HammingIndex};
//! let a = Hash256::from_hex(&"ab".repeat(32)).unwrap();
//! let mut idx = HammingIndex::build([(7, a)], Config::default()).unwrap();
//! idx.insert(8, a.flip_bit(3)).unwrap();
//! let m = idx.query(&a, 31);
//! assert_eq!((m[0].id, m[0].distance), (7, 0));
//! assert_eq!((m[1].id, m[1].distance), (8, 1));
//! ```

mod buf;
mod disk;
mod hash;
mod index;
mod kernel;
mod layout;
mod segment;

pub use disk::{FORMAT_VERSION, MAGIC};
pub use hash::Hash256;
pub use index::{Config, HammingIndex, Match, SegmentStats, Stats};
pub use kernel::Kernel;

/// How queries search a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Strategy {
    /// Per segment and radius, whichever has the lower expected cost.
    #[default]
    Auto,
    /// Always use the substring tables where the radius allows (for tests).
    Tables,
    /// Always scan linearly.
    Scan,
}

/// Errors of the index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A hash string is not 64 hex digits.
    #[error("bad hash: {0}")]
    BadHex(String),
    /// The same id was given twice to a build.
    #[error("duplicate id {0}")]
    DuplicateId(u64),
    /// Too many entries for one segment.
    #[error("too many entries for one segment: {0}")]
    TooLarge(usize),
    /// Inconsistent input.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The index file is damaged, truncated, of another version or not an index file.
    #[error("corrupt index file: {0}")]
    Corrupt(String),
    /// Reading or writing the index file failed.
    #[error("index file I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// Brute-force reference: every `(id, hash)` within `radius` of `query`, sorted by
/// distance then id. Plain `count_ones`, no index, no SIMD: the oracle for tests.
pub fn brute_force(entries: &[(u64, Hash256)], query: &Hash256, radius: u32) -> Vec<Match> {
    let mut out: Vec<Match> = entries
        .iter()
        .filter_map(|&(id, hash)| {
            let distance = hash.distance(query);
            (distance <= radius).then_some(Match { id, hash, distance })
        })
        .collect();
    out.sort_unstable_by_key(|m| (m.distance, m.id));
    out
}
