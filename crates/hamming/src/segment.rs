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

use crate::buf::{Buf, huge};
use crate::kernel::{Code, HEAD_FLAG, Kernel, prefetch, verify};
use crate::layout::{
    MAX_PROBE_RADIUS, MAX_SUBSTRING_BITS, Substring, masks, mih_cost, radii, scan_cost,
    valid_layout,
};
use crate::{Error, Strategy};

/// One substring table.
///
/// Table 0: `offsets` holds `2^len + 1` start offsets into the codes themselves.
/// Tables 1..m: `offsets` holds `2^len` *slots*, one per substring value:
/// [`SLOT_EMPTY`]; `SLOT_SINGLE | p` for a bucket whose only run head is position `p`
/// (the common case, answered without touching `positions`); or an index `o` into
/// `positions`, where `positions[o] = k >= 2` is followed by the `k` run heads.
pub(crate) struct Table {
    pub(crate) sub: Substring,
    /// Offsets (table 0) or slots (other tables).
    pub(crate) offsets: Buf<u32>,
    /// Bucket lists of the multi-entry buckets (empty for table 0).
    pub(crate) positions: Buf<u32>,
}

/// Slot value of an empty bucket.
pub(crate) const SLOT_EMPTY: u32 = u32::MAX;
/// Slot flag of a single-entry bucket.
pub(crate) const SLOT_SINGLE: u32 = 1 << 31;

/// Builds the slots and bucket lists of one table over the run heads.
fn build_slots(
    codes: &[Code],
    s: &Substring,
    heads: usize,
    is_head: &dyn Fn(usize) -> bool,
) -> (Vec<u32>, Vec<u32>) {
    let size = 1usize << s.len;
    let mut count = vec![0u32; size];
    for (i, c) in codes.iter().enumerate() {
        if is_head(i) {
            let k = s.key(c) as usize;
            count[k] = count[k].saturating_add(1);
        }
    }
    let mut slots = vec![SLOT_EMPTY; size];
    let mut fill = vec![0u32; size];
    let mut len = 0usize;
    for k in 0..size {
        if count[k] >= 2 {
            slots[k] = len as u32;
            fill[k] = len as u32 + 1;
            len += 1 + count[k] as usize;
        }
    }
    let mut lists = vec![0u32; len];
    for (k, &c) in count.iter().enumerate() {
        if c >= 2 {
            lists[slots[k] as usize] = c;
        }
    }
    for (i, c) in codes.iter().enumerate() {
        if is_head(i) {
            let k = s.key(c) as usize;
            if count[k] == 1 {
                slots[k] = SLOT_SINGLE | i as u32;
            } else {
                lists[fill[k] as usize] = i as u32;
                fill[k] += 1;
            }
        }
    }
    debug_assert!(len <= 2 * heads);
    (slots, lists)
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

/// One table's work between the stages of a query: its multi-entry buckets still to
/// expand (table, list offset) and its candidate positions.
#[derive(Default)]
struct TableWork {
    lists: Vec<(u32, u32)>,
    cands: Vec<u32>,
}

/// Reusable per-thread buffers for queries.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Every probe of the query, table by table: (table, substring value).
    probes: Vec<(u32, u32)>,
    /// `probes[starts[t]..starts[t + 1]]` are table `t`'s.
    starts: Vec<usize>,
    /// The tables in flight, one per stage (see [`Segment::query`]).
    stages: [TableWork; 3],
    pub(crate) hits: Vec<(u32, u32)>,
}

/// Distance (in probes) at which the slot look-ups are prefetched ahead. Measured at 10M
/// codes, radius 31, in paired in-process runs: 32 answers ~5% more queries per second
/// than 16; 48 is no better than 32.
const PREFETCH_AHEAD: usize = 32;

/// Largest number of positions a segment may hold (positions and list offsets carry a
/// flag bit and must stay below it).
pub(crate) const MAX_SEGMENT_LEN: usize = 1 << 30;

impl Segment {
    /// Builds a segment from permuted codes and their ids with the given table layout
    /// (empty = scan only).
    /// Ids must be unique (checked).
    pub(crate) fn build(
        codes: Vec<Code>,
        ids: Vec<u64>,
        subs: Vec<Substring>,
    ) -> Result<Segment, Error> {
        let n = codes.len();
        if n != ids.len() {
            return Err(Error::Invalid("codes and ids differ in length".into()));
        }
        if n > MAX_SEGMENT_LEN {
            return Err(Error::TooLarge(n));
        }
        if !valid_layout(&subs) {
            return Err(Error::Invalid(format!(
                "table layout {:?}: substrings must cover 256 bits, 1..={MAX_SUBSTRING_BITS} bits each (m >= 10), m <= 64",
                subs.iter().map(|s| s.len).collect::<Vec<_>>()
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
                offsets: huge(offsets),
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
            let (slots, lists) = build_slots(&codes, s, heads, &is_head);
            tables.push(Table {
                sub: *s,
                offsets: huge(slots),
                positions: huge(lists),
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
            codes: huge(codes),
            ids: huge(ids),
            by_id: huge(by_id),
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
    ///
    /// With tables, a query runs in three stages per table, pipelined over the tables:
    /// while table `t` is probed (its slots prefetched ahead; table-0 buckets and
    /// single-entry buckets become candidates, their codes prefetched; multi-entry
    /// buckets' lists prefetched), table `t-1`'s lists are expanded (codes prefetched)
    /// and table `t-2`'s candidates verified. Each prefetched line is used one or two
    /// tables later, long enough to arrive and soon enough to be still in the cache
    /// (10M codes, radius 31: ~6% more queries per second than probing every table
    /// before expanding and verifying any, in paired runs).
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
        let rad = radii(self.tables.len() as u32, r);
        // Resolve every table's arrays once (a mapped array costs a check per deref).
        let mut offs: [&[u32]; 64] = [&[]; 64];
        let mut lists: [&[u32]; 64] = [&[]; 64];
        s.probes.clear();
        s.starts.clear();
        for (t, (table, &rho)) in self.tables.iter().zip(rad.iter()).enumerate().take(64) {
            offs[t] = &table.offsets;
            lists[t] = &table.positions;
            s.starts.push(s.probes.len());
            if rho < 0 {
                continue;
            }
            let key = table.sub.key(q);
            for &m in masks(table.sub.len, rho as u32) {
                s.probes.push((t as u32, key ^ m));
            }
        }
        s.starts.push(s.probes.len());
        let tables = s.starts.len() - 1;
        let start = out.len();
        for step in 0..tables + 2 {
            if step < tables {
                let range = s.starts[step]..s.starts[step + 1];
                self.probe(&s.probes, range, &offs, &lists, &mut s.stages[step % 3]);
            }
            if let Some(t) = step.checked_sub(1).filter(|&t| t < tables) {
                self.expand(&lists, &mut s.stages[t % 3]);
            }
            if let Some(t) = step.checked_sub(2).filter(|&t| t < tables) {
                verify(&self.codes, &s.stages[t % 3].cands, q, r, out);
            }
        }
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

    /// Stage 1 for the probes `probes[range]` (one table's): slots (prefetched
    /// [`PREFETCH_AHEAD`] probes ahead, across table boundaries) -> candidates and
    /// lists to expand, their lines prefetched.
    fn probe(
        &self,
        probes: &[(u32, u32)],
        range: std::ops::Range<usize>,
        offs: &[&[u32]; 64],
        lists: &[&[u32]; 64],
        work: &mut TableWork,
    ) {
        let codes = &*self.codes;
        work.lists.clear();
        work.cands.clear();
        for i in range {
            let Some(&(t, v)) = probes.get(i) else {
                continue;
            };
            if let Some(&(t2, v2)) = probes.get(i + PREFETCH_AHEAD)
                && let Some(x) = offs[t2 as usize & 63].get(v2 as usize)
            {
                prefetch(x);
            }
            let off = offs[t as usize & 63];
            if t == 0 {
                // Table 0's offsets delimit its bucket in the codes themselves.
                let (Some(&lo), Some(&hi)) = (off.get(v as usize), off.get(v as usize + 1)) else {
                    continue;
                };
                if lo < hi {
                    if let Some(c) = codes.get(lo as usize) {
                        prefetch(c);
                    }
                    work.cands.extend(lo..hi);
                }
                continue;
            }
            let Some(&slot) = off.get(v as usize) else {
                continue;
            };
            if slot == SLOT_EMPTY {
                continue;
            }
            if slot & SLOT_SINGLE != 0 {
                let p = slot & !SLOT_SINGLE;
                if let Some(c) = codes.get(p as usize) {
                    prefetch(c);
                }
                work.cands.push(p | HEAD_FLAG);
            } else {
                if let Some(x) = lists[t as usize & 63].get(slot as usize) {
                    prefetch(x);
                }
                work.lists.push((t, slot));
            }
        }
    }

    /// Stage 2: a table's bucket lists -> candidate run heads (codes prefetched).
    fn expand(&self, lists: &[&[u32]; 64], work: &mut TableWork) {
        let codes = &*self.codes;
        for &(t, o) in &work.lists {
            let list = lists[t as usize & 63];
            let Some(&k) = list.get(o as usize) else {
                continue;
            };
            let lo = o as usize + 1;
            let Some(run) = list.get(lo..lo.saturating_add(k as usize)) else {
                continue;
            };
            for &p in run {
                if let Some(c) = codes.get(p as usize) {
                    prefetch(c);
                }
                work.cands.push(p | HEAD_FLAG);
            }
        }
    }

    /// Size of the largest bucket of table `t`.
    pub(crate) fn max_bucket(&self, t: usize, tb: &Table) -> u32 {
        if t == 0 {
            return tb
                .offsets
                .windows(2)
                .map(|w| w[1].saturating_sub(w[0]))
                .max()
                .unwrap_or(0);
        }
        let pos = &*tb.positions;
        let mut best = 0u32;
        for &slot in tb.offsets.iter() {
            let k = if slot == SLOT_EMPTY {
                0
            } else if slot & SLOT_SINGLE != 0 {
                1
            } else {
                pos.get(slot as usize).copied().unwrap_or(0)
            };
            best = best.max(k);
        }
        best
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Permutation, choose_layout, with_lengths};

    fn rng(s: &mut u64) -> u64 {
        *s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let z = (*s ^ (*s >> 33)).wrapping_mul(0xff51afd7ed558ccd);
        z ^ (z >> 29)
    }

    /// Unequal substring lengths (as `choose_layout` produces) are exact for every radius.
    #[test]
    fn unequal_layouts_are_exact() {
        let mut s = 3u64;
        let centres: Vec<Code> = (0..20)
            .map(|_| [rng(&mut s), rng(&mut s), rng(&mut s), rng(&mut s)])
            .collect();
        let mut codes = Vec::new();
        for i in 0..3000usize {
            let mut c = centres[i % centres.len()];
            for _ in 0..(rng(&mut s) % 45) {
                let b = rng(&mut s) % 256;
                c[(b / 64) as usize] ^= 1 << (b % 64);
            }
            codes.push(c);
        }
        codes.push(codes[5]); // an exact duplicate
        let ids: Vec<u64> = (0..codes.len() as u64).collect();
        let big = choose_layout(10_000_000, 31);
        assert!(
            big.iter().any(|x| x.len != big[0].len),
            "10M layout is unequal: {big:?}"
        );
        let layouts = [
            with_lengths(&[
                18, 18, 18, 18, 18, 17, 17, 16, 16, 16, 16, 16, 16, 12, 12, 12,
            ]),
            with_lengths(&[12, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 24]),
            choose_layout(codes.len(), 31),
        ];
        let perm = Permutation::get();
        for subs in layouts {
            let seg = Segment::build(codes.clone(), ids.clone(), subs.clone()).unwrap();
            let mut scratch = Scratch::default();
            for k in (0..codes.len()).step_by(97) {
                let q = perm.forward(&codes[k]);
                for r in 0..=64u32 {
                    let mut got = Vec::new();
                    seg.query(
                        &q,
                        r,
                        Strategy::Tables,
                        Kernel::Portable,
                        &mut scratch,
                        &mut got,
                    );
                    got.sort_unstable();
                    let mut want = Vec::new();
                    Kernel::Portable.scan(&seg.codes, &q, r, 0, &mut want);
                    assert_eq!(got, want, "layout {subs:?} r {r}");
                }
            }
            // Boundary cases of the pigeonhole split: a code at distance exactly r whose
            // bits differ by radius+1 in every table but one, which is exactly at its
            // radius. Each table in turn must be the one that finds it.
            for r in [0u32, 1, 5, 15, 31, 40, 64] {
                let rad = radii(subs.len() as u32, r);
                for j in 0..subs.len() {
                    if rad[j] < 0 {
                        continue;
                    }
                    let stored = seg.codes[j * 7 % seg.len()];
                    let mut q = stored;
                    for (t, sub) in subs.iter().enumerate() {
                        let flips = rad[t] + 1 - i64::from(t == j);
                        for b in 0..flips.clamp(0, i64::from(sub.len)) as u32 {
                            let p = sub.start + b;
                            q[(p / 64) as usize] ^= 1 << (p % 64);
                        }
                    }
                    assert_eq!(crate::hash::distance(&q, &stored), r);
                    let mut got = Vec::new();
                    seg.query(
                        &q,
                        r,
                        Strategy::Tables,
                        Kernel::Portable,
                        &mut scratch,
                        &mut got,
                    );
                    assert!(
                        got.iter()
                            .any(|&(p, d)| seg.codes[p as usize] == stored && d == r),
                        "layout {subs:?} r {r} table {j}"
                    );
                }
            }
        }
    }
}
