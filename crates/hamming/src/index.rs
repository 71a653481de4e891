//! The live index: immutable segments + tombstones + a small scanned delta.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::hash::Hash256;
use crate::kernel::{Code, Kernel};
use crate::layout::{Permutation, Substring, choose_layout, split};
use crate::segment::{Scratch, Segment};
use crate::{Error, Strategy};

/// Build and query settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The radius the tables are sized for (PDQ: 31). Any radius 0..=256 can be queried;
    /// the engine scans linearly where the tables would not pay off.
    pub design_radius: u32,
    /// Number of substring tables; `None` chooses from the set size and `design_radius`
    /// (0 = linear scan only).
    pub tables: Option<u32>,
    /// Fresh additions are kept in a linearly scanned buffer of at most this many entries
    /// before they are frozen into a segment.
    pub delta_limit: usize,
    /// Tables, scan, or choose per query by expected cost.
    pub strategy: Strategy,
    /// Scan kernel; `None` picks the fastest the CPU supports.
    pub kernel: Option<Kernel>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            design_radius: 31,
            tables: None,
            delta_limit: 2048,
            strategy: Strategy::Auto,
            kernel: None,
        }
    }
}

/// One match of a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Match {
    /// The stored entry's id.
    pub id: u64,
    /// The stored hash.
    pub hash: Hash256,
    /// Hamming distance to the query.
    pub distance: u32,
}

/// A segment plus its tombstones.
pub(crate) struct Part {
    pub(crate) seg: Arc<Segment>,
    /// Bit `p` set: position `p` is removed.
    pub(crate) removed: Vec<u64>,
    pub(crate) removed_count: usize,
}

impl Part {
    pub(crate) fn new(seg: Segment) -> Part {
        let words = seg.len().div_ceil(64);
        Part {
            seg: Arc::new(seg),
            removed: vec![0; words],
            removed_count: 0,
        }
    }

    #[inline]
    pub(crate) fn is_removed(&self, p: usize) -> bool {
        self.removed
            .get(p / 64)
            .is_some_and(|w| (w >> (p % 64)) & 1 == 1)
    }

    fn live(&self) -> usize {
        self.seg.len() - self.removed_count
    }

    fn live_entries(&self, codes: &mut Vec<Code>, ids: &mut Vec<u64>) {
        for (p, (c, id)) in self.seg.codes.iter().zip(self.seg.ids.iter()).enumerate() {
            if !self.is_removed(p) {
                codes.push(*c);
                ids.push(*id);
            }
        }
    }
}

/// Statistics of one segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentStats {
    /// Stored entries, including removed ones.
    pub entries: usize,
    /// Removed (tombstoned) entries.
    pub removed: usize,
    /// Distinct codes.
    pub distinct: usize,
    /// Substring lengths in bits, one per table (empty: scan only).
    pub substring_bits: Vec<u32>,
    /// Largest bucket (table 0 counts all entries, the others distinct codes).
    pub max_bucket: Vec<u32>,
    /// Whether the arrays are memory-mapped from a file.
    pub mapped: bool,
    /// Bytes of arrays (owned or mapped).
    pub bytes: usize,
}

/// Statistics of the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Live entries.
    pub entries: usize,
    /// Entries in the scanned delta buffer.
    pub delta: usize,
    /// Segments, oldest first.
    pub segments: Vec<SegmentStats>,
    /// The scan kernel in use.
    pub kernel: Kernel,
}

/// An exact Hamming range index over 256-bit hashes with u64 ids.
///
/// Reads (`query*`, `get`, `stats`) take `&self` and may run concurrently from many
/// threads (the type is `Send + Sync`; wrap it in an `RwLock` to mix with updates).
/// Ids are unique: [`HammingIndex::insert`] replaces the hash of an existing id.
pub struct HammingIndex {
    pub(crate) config: Config,
    pub(crate) parts: Vec<Part>,
    pub(crate) delta_codes: Vec<Code>,
    pub(crate) delta_ids: Vec<u64>,
    delta_pos: HashMap<u64, usize>,
    kernel: Kernel,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl HammingIndex {
    /// An empty index.
    pub fn new(config: Config) -> Self {
        let kernel = match config.kernel {
            Some(k) if k.is_supported() => k,
            _ => Kernel::detect(),
        };
        HammingIndex {
            config,
            parts: Vec::new(),
            delta_codes: Vec::new(),
            delta_ids: Vec::new(),
            delta_pos: HashMap::new(),
            kernel,
        }
    }

    /// Builds an index from `(id, hash)` pairs in one segment. Fails on a duplicate id.
    pub fn build<I>(pairs: I, config: Config) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (u64, Hash256)>,
    {
        let perm = Permutation::get();
        let mut codes = Vec::new();
        let mut ids = Vec::new();
        for (id, h) in pairs {
            codes.push(perm.forward(&h.0));
            ids.push(id);
        }
        let mut idx = HammingIndex::new(config);
        if !codes.is_empty() {
            let seg = idx.segment_from(codes, ids)?;
            idx.parts.push(Part::new(seg));
        }
        Ok(idx)
    }

    pub(crate) fn from_parts(
        config: Config,
        parts: Vec<Part>,
        delta: Vec<(u64, Hash256)>,
    ) -> Result<Self, Error> {
        let mut idx = HammingIndex::new(config);
        idx.parts = parts;
        for (id, h) in delta {
            idx.insert(id, h)?;
        }
        Ok(idx)
    }

    fn segment_from(&self, codes: Vec<Code>, ids: Vec<u64>) -> Result<Segment, Error> {
        let subs = match self.config.tables {
            Some(0) => Vec::new(),
            Some(m) => split(m),
            None => choose_layout(codes.len(), self.config.design_radius),
        };
        Segment::build(codes, ids, subs)
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        self.parts.iter().map(Part::live).sum::<usize>() + self.delta_ids.len()
    }

    /// Whether the index holds no live entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The hash stored under `id`.
    pub fn get(&self, id: u64) -> Option<Hash256> {
        let perm = Permutation::get();
        if let Some(&i) = self.delta_pos.get(&id) {
            return self.delta_codes.get(i).map(|c| Hash256(perm.inverse(c)));
        }
        for part in &self.parts {
            if let Some(p) = part.seg.find(id)
                && !part.is_removed(p)
            {
                return part.seg.codes.get(p).map(|c| Hash256(perm.inverse(c)));
            }
        }
        None
    }

    /// Whether `id` is present.
    pub fn contains(&self, id: u64) -> bool {
        self.get(id).is_some()
    }

    /// Adds `hash` under `id`, replacing any hash stored under that id. Returns whether
    /// an entry was replaced. No rebuild of existing segments: the entry goes to the
    /// delta buffer, which is frozen into a small segment when full (merging similar-sized
    /// recent segments, so the amortised cost per insert is logarithmic).
    pub fn insert(&mut self, id: u64, hash: Hash256) -> Result<bool, Error> {
        let replaced = self.remove(id);
        let code = Permutation::get().forward(&hash.0);
        self.delta_pos.insert(id, self.delta_ids.len());
        self.delta_codes.push(code);
        self.delta_ids.push(id);
        if self.delta_ids.len() >= self.config.delta_limit.max(1) {
            self.flush()?;
        }
        Ok(replaced)
    }

    /// Removes the entry with `id`; returns whether it existed. Takes effect at once
    /// (a tombstone bit); a segment with more than half its entries removed is rebuilt.
    pub fn remove(&mut self, id: u64) -> bool {
        if let Some(i) = self.delta_pos.remove(&id) {
            self.delta_codes.swap_remove(i);
            self.delta_ids.swap_remove(i);
            if let Some(&moved) = self.delta_ids.get(i) {
                self.delta_pos.insert(moved, i);
            }
            return true;
        }
        for k in 0..self.parts.len() {
            let part = &mut self.parts[k];
            if let Some(p) = part.seg.find(id)
                && !part.is_removed(p)
            {
                if let Some(w) = part.removed.get_mut(p / 64) {
                    *w |= 1 << (p % 64);
                    part.removed_count += 1;
                }
                if part.removed_count * 2 > part.seg.len() {
                    // rebuild this part from its live entries; on failure keep tombstones
                    let _ = self.rebuild_parts(k, k + 1);
                }
                return true;
            }
        }
        false
    }

    /// Freezes the delta buffer into a segment now.
    pub fn flush(&mut self) -> Result<(), Error> {
        if self.delta_ids.is_empty() {
            return Ok(());
        }
        // on failure the delta stays as it was
        let seg = self.segment_from(self.delta_codes.clone(), self.delta_ids.clone())?;
        self.delta_codes.clear();
        self.delta_ids.clear();
        self.delta_pos.clear();
        self.parts.push(Part::new(seg));
        while self.parts.len() >= 2 {
            let n = self.parts.len();
            if self.parts[n - 1].live() * 2 >= self.parts[n - 2].live() {
                self.rebuild_parts(n - 2, n)?;
            } else {
                break;
            }
        }
        Ok(())
    }

    /// Rebuilds everything (segments and delta) into a single segment without tombstones.
    pub fn compact(&mut self) -> Result<(), Error> {
        self.flush()?;
        let n = self.parts.len();
        if n > 1 || self.parts.first().is_some_and(|p| p.removed_count > 0) {
            self.rebuild_parts(0, n)?;
        }
        Ok(())
    }

    /// Replaces parts `a..b` by one segment of their live entries.
    fn rebuild_parts(&mut self, a: usize, b: usize) -> Result<(), Error> {
        let mut codes = Vec::new();
        let mut ids = Vec::new();
        for part in &self.parts[a..b] {
            part.live_entries(&mut codes, &mut ids);
        }
        let replacement = if codes.is_empty() {
            Vec::new()
        } else {
            vec![Part::new(self.segment_from(codes, ids)?)]
        };
        self.parts.splice(a..b, replacement);
        Ok(())
    }

    /// The scan kernel in use.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// All entries within `radius` of `query`, sorted by distance then id.
    pub fn query(&self, query: &Hash256, radius: u32) -> Vec<Match> {
        SCRATCH.with(|s| match s.try_borrow_mut() {
            Ok(mut s) => self.query_with(query, radius, &mut s),
            Err(_) => self.query_with(query, radius, &mut Scratch::default()),
        })
    }

    fn query_with(&self, query: &Hash256, radius: u32, s: &mut Scratch) -> Vec<Match> {
        let perm = Permutation::get();
        let q = perm.forward(&query.0);
        let mut out = Vec::new();
        let mut hits = std::mem::take(&mut s.hits);
        for part in &self.parts {
            hits.clear();
            part.seg
                .query(&q, radius, self.config.strategy, self.kernel, s, &mut hits);
            self.collect(part, &hits, &mut out);
        }
        hits.clear();
        self.kernel
            .scan(&self.delta_codes, &q, radius, 0, &mut hits);
        for &(p, d) in &hits {
            if let (Some(c), Some(&id)) = (
                self.delta_codes.get(p as usize),
                self.delta_ids.get(p as usize),
            ) {
                out.push(Match {
                    id,
                    hash: Hash256(perm.inverse(c)),
                    distance: d,
                });
            }
        }
        s.hits = hits;
        out.sort_unstable_by_key(|m| (m.distance, m.id));
        out
    }

    fn collect(&self, part: &Part, hits: &[(u32, u32)], out: &mut Vec<Match>) {
        let perm = Permutation::get();
        for &(p, d) in hits {
            let p = p as usize;
            if part.is_removed(p) {
                continue;
            }
            if let (Some(c), Some(&id)) = (part.seg.codes.get(p), part.seg.ids.get(p)) {
                out.push(Match {
                    id,
                    hash: Hash256(perm.inverse(c)),
                    distance: d,
                });
            }
        }
    }

    /// Queries a batch on the calling thread. Where a segment is scanned linearly (small
    /// segments, large radii) the batch is scanned block by block, so each stored code is
    /// read from memory once per batch rather than once per query.
    pub fn query_batch(&self, queries: &[Hash256], radius: u32) -> Vec<Vec<Match>> {
        let all_scan = self
            .parts
            .iter()
            .all(|p| !p.seg.uses_tables(radius, self.config.strategy));
        if !all_scan || queries.len() < 2 {
            return queries.iter().map(|q| self.query(q, radius)).collect();
        }
        let perm = Permutation::get();
        let qs: Vec<Code> = queries.iter().map(|q| perm.forward(&q.0)).collect();
        let mut outs: Vec<Vec<Match>> = vec![Vec::new(); queries.len()];
        let mut hits = Vec::new();
        const BLOCK: usize = 2048;
        for part in &self.parts {
            let codes = &*part.seg.codes;
            for (b, block) in codes.chunks(BLOCK).enumerate() {
                let base = (b * BLOCK) as u32;
                for (q, out) in qs.iter().zip(outs.iter_mut()) {
                    hits.clear();
                    self.kernel.scan(block, q, radius, base, &mut hits);
                    self.collect(part, &hits, out);
                }
            }
        }
        for (q, out) in qs.iter().zip(outs.iter_mut()) {
            hits.clear();
            self.kernel.scan(&self.delta_codes, q, radius, 0, &mut hits);
            for &(p, d) in &hits {
                if let (Some(c), Some(&id)) = (
                    self.delta_codes.get(p as usize),
                    self.delta_ids.get(p as usize),
                ) {
                    out.push(Match {
                        id,
                        hash: Hash256(perm.inverse(c)),
                        distance: d,
                    });
                }
            }
            out.sort_unstable_by_key(|m| (m.distance, m.id));
        }
        outs
    }

    /// Queries a batch on `threads` threads (scoped; at least one).
    pub fn query_batch_parallel(
        &self,
        queries: &[Hash256],
        radius: u32,
        threads: usize,
    ) -> Vec<Vec<Match>> {
        let threads = threads.max(1);
        if threads == 1 || queries.len() < 2 {
            return self.query_batch(queries, radius);
        }
        let chunk = queries.len().div_ceil(threads);
        std::thread::scope(|sc| {
            let handles: Vec<_> = queries
                .chunks(chunk)
                .map(|c| sc.spawn(move || self.query_batch(c, radius)))
                .collect();
            let mut out = Vec::with_capacity(queries.len());
            for h in handles {
                match h.join() {
                    Ok(v) => out.extend(v),
                    Err(e) => std::panic::resume_unwind(e),
                }
            }
            out
        })
    }

    /// Statistics.
    pub fn stats(&self) -> Stats {
        let segments = self
            .parts
            .iter()
            .map(|p| {
                let subs: Vec<Substring> = p.seg.substrings();
                let max_bucket = p
                    .seg
                    .tables
                    .iter()
                    .enumerate()
                    .map(|(t, tb)| p.seg.max_bucket(t, tb))
                    .collect();
                SegmentStats {
                    entries: p.seg.len(),
                    removed: p.removed_count,
                    distinct: p.seg.heads,
                    substring_bits: subs.iter().map(|s| s.len).collect(),
                    max_bucket,
                    mapped: p.seg.codes.is_mapped(),
                    bytes: p.seg.bytes(),
                }
            })
            .collect();
        Stats {
            entries: self.len(),
            delta: self.delta_ids.len(),
            segments,
            kernel: self.kernel,
        }
    }

    /// All live `(id, hash)` entries, in no particular order.
    pub fn entries(&self) -> Vec<(u64, Hash256)> {
        let perm = Permutation::get();
        let mut out = Vec::with_capacity(self.len());
        for part in &self.parts {
            for (p, (c, &id)) in part.seg.codes.iter().zip(part.seg.ids.iter()).enumerate() {
                if !part.is_removed(p) {
                    out.push((id, Hash256(perm.inverse(c))));
                }
            }
        }
        for (c, &id) in self.delta_codes.iter().zip(&self.delta_ids) {
            out.push((id, Hash256(perm.inverse(c))));
        }
        out
    }
}
