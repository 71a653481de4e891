//! An immutable multi-index-hashing segment: codes, ids and direct-address tables.
//!
//! Layout (all arrays read-only after build, owned or memory-mapped):
//! * `codes`: the permuted codes, sorted by their table-0 substring and then by code, so
//!   identical codes are adjacent (a *run*; its first position is the *head*);
//! * `ids`: the id of each position; `by_id`: positions sorted by id (id look-up);
//! * table 0: `offsets[v]..offsets[v+1]` is directly the range of positions whose
//!   table-0 substring is `v` (verification of table-0 candidates reads `codes`
//!   sequentially);
//! * tables 1..m: `offsets` over `positions`, which lists run heads by substring value.

use crate::buf::Buf;
use crate::kernel::{Code, HEAD_FLAG, Kernel, prefetch, verify};
use crate::layout::{
    MAX_PROBE_RADIUS, MAX_SUBSTRING_BITS, Substring, masks, mih_cost, radii, scan_cost, split,
};
use crate::{Error, Strategy};

/// One substring table.
pub(crate) struct Table {
    pub(crate) sub: Substring,
    /// `2^len + 1` start offsets.
    pub(crate) offsets: Buf<u32>,
    /// Run heads sorted by substring value (empty for table 0).
    pub(crate) positions: Buf<u32>,
}

/// An immutable segment.
pub(crate) struct Segment {
    pub(crate) codes: Buf<Code>,
    pub(crate) ids: Buf<u64>,
    pub(crate) by_id: Buf<u32>,
    pub(crate) tables: Vec<Table>,
    /// Number of run heads (distinct codes).
    pub(crate) heads: usize,
}

/// Reusable per-thread buffers for queries.
#[derive(Default)]
pub(crate) struct Scratch {
    probes: Vec<(u32, u32)>,
    ranges: Vec<(u32, u32, u32)>,
    cands: Vec<u32>,
    pub(crate) hits: Vec<(u32, u32)>,
}

/// Distance (in probes) at which the pipeline prefetches ahead.
const PREFETCH_AHEAD: usize = 16;

/// Largest number of positions a segment may hold (positions carry a flag bit).
pub(crate) const MAX_SEGMENT_LEN: usize = (HEAD_FLAG as usize) - 1;

impl Segment {
    /// Builds a segment from permuted codes and their ids with `m` tables (0 = scan only).
    /// Ids must be unique (checked).
    pub(crate) fn build(codes: Vec<Code>, ids: Vec<u64>, m: u32) -> Result<Segment, Error> {
        let n = codes.len();
        if n != ids.len() {
            return Err(Error::Invalid("codes and ids differ in length".into()));
        }
        if n > MAX_SEGMENT_LEN {
            return Err(Error::TooLarge(n));
        }
        let subs = if m == 0 { Vec::new() } else { split(m) };
        if subs.first().is_some_and(|s| s.len > MAX_SUBSTRING_BITS) || m > 64 {
            return Err(Error::Invalid(format!(
                "{m} tables: substrings must have at most {MAX_SUBSTRING_BITS} bits (m >= 10) and m <= 64"
            )));
        }
        // order positions by (table-0 key, code)
        let mut order: Vec<u32> = (0..n as u32).collect();
        let mut tables = Vec::with_capacity(subs.len());
        let (codes, ids) = if let Some(s0) = subs.first() {
            let size = 1usize << s0.len;
            let mut offsets = vec![0u32; size + 1];
            for c in &codes {
                offsets[s0.key(c) as usize + 1] += 1;
            }
            for i in 0..size {
                offsets[i + 1] += offsets[i];
            }
            let mut cursor = offsets.clone();
            for (i, c) in codes.iter().enumerate() {
                let k = s0.key(c) as usize;
                order[cursor[k] as usize] = i as u32;
                cursor[k] += 1;
            }
            drop(cursor);
            for w in offsets.windows(2) {
                let (lo, hi) = (w[0] as usize, w[1] as usize);
                if hi - lo > 1 {
                    order[lo..hi].sort_unstable_by_key(|&i| codes[i as usize]);
                }
            }
            let sorted_codes: Vec<Code> = order.iter().map(|&i| codes[i as usize]).collect();
            let sorted_ids: Vec<u64> = order.iter().map(|&i| ids[i as usize]).collect();
            tables.push(Table {
                sub: *s0,
                offsets: Buf::Owned(offsets),
                positions: Buf::default(),
            });
            (sorted_codes, sorted_ids)
        } else {
            order.sort_unstable_by_key(|&i| codes[i as usize]);
            let sorted_codes: Vec<Code> = order.iter().map(|&i| codes[i as usize]).collect();
            let sorted_ids: Vec<u64> = order.iter().map(|&i| ids[i as usize]).collect();
            (sorted_codes, sorted_ids)
        };
        drop(order);
        let is_head = |i: usize| i == 0 || codes[i] != codes[i - 1];
        let heads = (0..n).filter(|&i| is_head(i)).count();
        for s in subs.iter().skip(1) {
            let size = 1usize << s.len;
            let mut offsets = vec![0u32; size + 1];
            for (i, c) in codes.iter().enumerate() {
                if is_head(i) {
                    offsets[s.key(c) as usize + 1] += 1;
                }
            }
            for i in 0..size {
                offsets[i + 1] += offsets[i];
            }
            let mut cursor = offsets.clone();
            let mut positions = vec![0u32; heads];
            for (i, c) in codes.iter().enumerate() {
                if is_head(i) {
                    let k = s.key(c) as usize;
                    positions[cursor[k] as usize] = i as u32;
                    cursor[k] += 1;
                }
            }
            tables.push(Table {
                sub: *s,
                offsets: Buf::Owned(offsets),
                positions: Buf::Owned(positions),
            });
        }
        let mut by_id: Vec<u32> = (0..n as u32).collect();
        by_id.sort_unstable_by_key(|&i| ids[i as usize]);
        if let Some(w) = by_id
            .windows(2)
            .find(|w| ids[w[0] as usize] == ids[w[1] as usize])
        {
            return Err(Error::DuplicateId(ids[w[0] as usize]));
        }
        Ok(Segment {
            codes: Buf::Owned(codes),
            ids: Buf::Owned(ids),
            by_id: Buf::Owned(by_id),
            tables,
            heads,
        })
    }

    /// Number of positions.
    pub(crate) fn len(&self) -> usize {
        self.codes.len()
    }

    /// The position holding `id`, if any.
    pub(crate) fn find(&self, id: u64) -> Option<usize> {
        let ids = &*self.ids;
        let by_id = &*self.by_id;
        let k = by_id
            .binary_search_by_key(&id, |&p| ids.get(p as usize).copied().unwrap_or(u64::MAX))
            .ok()?;
        by_id.get(k).map(|&p| p as usize)
    }

    /// Substrings of the tables.
    pub(crate) fn substrings(&self) -> Vec<Substring> {
        self.tables.iter().map(|t| t.sub).collect()
    }

    /// Whether a query at radius `r` would use the tables (else a linear scan).
    pub(crate) fn uses_tables(&self, r: u32, strategy: Strategy) -> bool {
        if self.tables.is_empty() || strategy == Strategy::Scan {
            return false;
        }
        let rad = radii(self.tables.len() as u32, r);
        if rad.iter().any(|&x| x > i64::from(MAX_PROBE_RADIUS)) {
            return false;
        }
        match strategy {
            Strategy::Tables => true,
            _ => mih_cost(&self.substrings(), self.heads, r) < scan_cost(self.len()),
        }
    }

    /// Appends `(position, distance)` for every stored code within `r` of the permuted
    /// query `q`, in unspecified order, without duplicates.
    pub(crate) fn query(
        &self,
        q: &Code,
        r: u32,
        strategy: Strategy,
        kernel: Kernel,
        s: &mut Scratch,
        out: &mut Vec<(u32, u32)>,
    ) {
        if !self.uses_tables(r, strategy) {
            kernel.scan(&self.codes, q, r, 0, out);
            return;
        }
        let codes = &*self.codes;
        let rad = radii(self.tables.len() as u32, r);
        s.probes.clear();
        for (t, (table, &rho)) in self.tables.iter().zip(rad.iter()).enumerate() {
            if rho < 0 {
                continue;
            }
            let key = table.sub.key(q);
            for &m in masks(table.sub.len, rho as u32) {
                s.probes.push((t as u32, key ^ m));
            }
        }
        // Stage 1: offsets (prefetched ahead) -> position ranges; table 0 ranges are
        // positions directly.
        s.ranges.clear();
        s.cands.clear();
        let start = out.len();
        for i in 0..s.probes.len() {
            if let Some(&(t, v)) = s.probes.get(i + PREFETCH_AHEAD)
                && let Some(x) = self
                    .tables
                    .get(t as usize)
                    .and_then(|tb| tb.offsets.get(v as usize))
            {
                prefetch(x);
            }
            let (t, v) = s.probes[i];
            let Some(table) = self.tables.get(t as usize) else {
                continue;
            };
            let off = &*table.offsets;
            let (Some(&lo), Some(&hi)) = (off.get(v as usize), off.get(v as usize + 1)) else {
                continue;
            };
            if lo >= hi {
                continue;
            }
            if t == 0 {
                if let Some(c) = codes.get(lo as usize) {
                    prefetch(c);
                }
                s.cands.extend(lo..hi);
            } else {
                if let Some(p) = table.positions.get(lo as usize) {
                    prefetch(p);
                }
                s.ranges.push((t, lo, hi));
            }
        }
        // Stage 2: positions -> candidate heads (codes prefetched).
        for &(t, lo, hi) in &s.ranges {
            let Some(table) = self.tables.get(t as usize) else {
                continue;
            };
            let pos = &*table.positions;
            let Some(run) = pos.get(lo as usize..hi as usize) else {
                continue;
            };
            for &p in run {
                if let Some(c) = codes.get(p as usize) {
                    prefetch(c);
                }
                s.cands.push(p | HEAD_FLAG);
            }
        }
        // Stage 3: verify by full distance.
        verify(codes, &s.cands, q, r, out);
        // A code close to the query is usually found through several tables.
        let tail = &mut out[start..];
        tail.sort_unstable_by_key(|x| x.0);
        let mut w = start;
        for i in start..out.len() {
            if i == start || out[i].0 != out[w - 1].0 {
                out[w] = out[i];
                w += 1;
            }
        }
        out.truncate(w);
    }

    /// Approximate heap or mapped bytes used.
    pub(crate) fn bytes(&self) -> usize {
        let mut b = self.codes.len() * 32 + self.ids.len() * 8 + self.by_id.len() * 4;
        for t in &self.tables {
            b += t.offsets.len() * 4 + t.positions.len() * 4;
        }
        b
    }
}
