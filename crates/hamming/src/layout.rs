//! Bit permutation, substring split, probe masks and the cost model of multi-index hashing.

use std::sync::OnceLock;

use crate::kernel::Code;

/// Seed of the fixed bit permutation (recorded in the file format; changing it changes
/// the format version).
pub(crate) const PERM_SEED: u64 = 0x5EED_B0A7_4A3D_2026;

/// Largest substring length used by a table (direct-address tables of 2^28 slots).
pub(crate) const MAX_SUBSTRING_BITS: u32 = 28;

/// Largest per-table probe radius the engine enumerates.
pub(crate) const MAX_PROBE_RADIUS: u32 = 8;

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A fixed permutation of the 256 bit positions, applied to every stored code and query
/// before splitting into substrings. Real PDQ bits are ordered by DCT coefficient, so
/// neighbouring bits are correlated; scattering them keeps substring buckets balanced.
pub(crate) struct Permutation {
    /// `fwd[i][b]`: the permuted code contribution of byte value `b` at input byte `i`.
    fwd: Vec<[Code; 256]>,
    /// Inverse tables (permuted byte -> original contribution).
    inv: Vec<[Code; 256]>,
}

/// Bit index convention inside a code: bit `p` is bit `p % 64` (from the least
/// significant end) of word `p / 64`.
#[cfg(test)]
fn get_bit(c: &Code, p: usize) -> bool {
    (c[p / 64] >> (p % 64)) & 1 == 1
}

fn tables_for(map: &[usize; 256]) -> Vec<[Code; 256]> {
    // map[src] = dst
    let mut t = vec![[[0u64; 4]; 256]; 32];
    for (byte, table) in t.iter_mut().enumerate() {
        for (v, out) in table.iter_mut().enumerate() {
            for bit in 0..8 {
                if (v >> bit) & 1 == 1 {
                    // input bit position of (byte, bit): same convention as get_bit
                    let src = byte * 8 + bit;
                    let dst = map[src];
                    out[dst / 64] |= 1 << (dst % 64);
                }
            }
        }
    }
    t
}

#[inline]
fn apply(t: &[[Code; 256]], c: &Code) -> Code {
    let mut out = [0u64; 4];
    for (byte, table) in t.iter().enumerate() {
        let v = ((c[byte / 8] >> ((byte % 8) * 8)) & 0xff) as usize;
        let x = &table[v];
        out[0] |= x[0];
        out[1] |= x[1];
        out[2] |= x[2];
        out[3] |= x[3];
    }
    out
}

impl Permutation {
    /// The process-wide permutation for [`PERM_SEED`].
    pub(crate) fn get() -> &'static Permutation {
        static P: OnceLock<Permutation> = OnceLock::new();
        P.get_or_init(|| Permutation::new(PERM_SEED))
    }

    fn new(seed: u64) -> Self {
        let mut fwd = [0usize; 256];
        for (i, f) in fwd.iter_mut().enumerate() {
            *f = i;
        }
        let mut s = seed;
        for i in (1..256).rev() {
            let j = (splitmix(&mut s) % (i as u64 + 1)) as usize;
            fwd.swap(i, j);
        }
        let mut inv = [0usize; 256];
        for (src, &dst) in fwd.iter().enumerate() {
            inv[dst] = src;
        }
        Permutation {
            fwd: tables_for(&fwd),
            inv: tables_for(&inv),
        }
    }

    /// Permutes a code.
    #[inline]
    pub(crate) fn forward(&self, c: &Code) -> Code {
        apply(&self.fwd, c)
    }

    /// Undoes [`Permutation::forward`].
    #[inline]
    pub(crate) fn inverse(&self, c: &Code) -> Code {
        apply(&self.inv, c)
    }
}

/// One substring: `len` consecutive bits of the permuted code starting at bit `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Substring {
    pub start: u32,
    pub len: u32,
}

impl Substring {
    /// Extracts the substring value (`len <= 32`).
    #[inline(always)]
    pub(crate) fn key(&self, c: &Code) -> u32 {
        let start = self.start as usize;
        let w = start / 64;
        let off = start % 64;
        let mut v = c[w] >> off;
        if off + self.len as usize > 64 && w + 1 < 4 {
            v |= c[w + 1] << (64 - off);
        }
        (v & ((1u64 << self.len) - 1)) as u32
    }
}

/// Splits 256 bits into `m` substrings of near-equal length (longer ones first).
pub(crate) fn split(m: u32) -> Vec<Substring> {
    let m = m.clamp(1, 256);
    let base = 256 / m;
    let extra = 256 % m;
    let mut start = 0;
    (0..m)
        .map(|t| {
            let len = base + u32::from(t < extra);
            let s = Substring { start, len };
            start += len;
            s
        })
        .collect()
}

/// Per-table probe radii for total radius `r` over `m` tables (Norouzi et al.'s split):
/// with `r = q*m + a`, tables `0..=a` are searched at `q` and the rest at `q - 1`
/// (negative = not searched). Exact: a code within `r` is within those radii on some table.
pub(crate) fn radii(m: u32, r: u32) -> Vec<i64> {
    let m = m.max(1);
    let q = i64::from(r / m);
    let a = r % m;
    (0..m).map(|t| if t <= a { q } else { q - 1 }).collect()
}

fn binom(n: u32, k: u32) -> f64 {
    if k > n {
        return 0.0;
    }
    let mut v = 1.0f64;
    for i in 0..k {
        v = v * f64::from(n - i) / f64::from(i + 1);
    }
    v
}

/// Number of substring values within Hamming radius `rho` of a `len`-bit value.
pub(crate) fn ball(len: u32, rho: i64) -> f64 {
    if rho < 0 {
        return 0.0;
    }
    (0..=(rho.min(i64::from(len)) as u32))
        .map(|i| binom(len, i))
        .sum()
}

/// Relative cost units (nanoseconds on a current server core, roughly): a probe is one
/// cache miss into an offsets table, a candidate two misses (position + code), a scanned
/// code a sequential 32-byte read.
const COST_PROBE: f64 = 6.0;
const COST_CANDIDATE: f64 = 12.0;
const COST_SCAN: f64 = 0.5;

/// Expected cost of a multi-index query, for `n` codes assumed uniform.
pub(crate) fn mih_cost(subs: &[Substring], n: usize, r: u32) -> f64 {
    let rad = radii(subs.len() as u32, r);
    if rad.iter().any(|&x| x > i64::from(MAX_PROBE_RADIUS)) {
        return f64::INFINITY;
    }
    subs.iter()
        .zip(rad)
        .map(|(s, rho)| {
            let p = ball(s.len, rho);
            p * (COST_PROBE + COST_CANDIDATE * n as f64 / 2f64.powi(s.len as i32))
        })
        .sum()
}

/// Expected cost of a linear scan over `n` codes.
pub(crate) fn scan_cost(n: usize) -> f64 {
    COST_SCAN * n as f64 + 200.0
}

/// Bytes of the direct-address tables for this split and `n` codes.
pub(crate) fn table_bytes(subs: &[Substring], n: usize) -> f64 {
    subs.iter()
        .enumerate()
        .map(|(t, s)| {
            let offsets = 4.0 * (2f64.powi(s.len as i32) + 1.0);
            let positions = if t == 0 { 0.0 } else { 4.0 * n as f64 };
            offsets + positions
        })
        .sum()
}

/// Chooses the number of tables for `n` codes searched mostly at radius `r`: the
/// cheapest expected query among splits whose tables stay within a memory budget
/// (about 96 bytes per code on top of the codes), or 0 (linear scan only) when no split
/// beats scanning.
pub(crate) fn choose_tables(n: usize, r: u32) -> u32 {
    let budget = 96.0 * n as f64 + 64.0 * 1024.0 * 1024.0;
    let mut best = (scan_cost(n), 0u32);
    for m in 1..=64u32 {
        let subs = split(m);
        if subs[0].len > MAX_SUBSTRING_BITS {
            continue;
        }
        if table_bytes(&subs, n) > budget {
            continue;
        }
        let c = mih_cost(&subs, n, r);
        if c < best.0 {
            best = (c, m);
        }
    }
    best.1
}

/// Substrings with the given lengths, laid out consecutively from bit 0.
pub(crate) fn with_lengths(lens: &[u32]) -> Vec<Substring> {
    let mut start = 0;
    lens.iter()
        .map(|&len| {
            let s = Substring { start, len };
            start += len;
            s
        })
        .collect()
}

/// Whether a layout is usable: 1..=64 consecutive substrings from bit 0 covering all
/// 256 bits, each 1..=[`MAX_SUBSTRING_BITS`] long (empty = scan only).
pub(crate) fn valid_layout(subs: &[Substring]) -> bool {
    if subs.is_empty() {
        return true;
    }
    let mut start = 0u32;
    for s in subs {
        if s.start != start || s.len == 0 || s.len > MAX_SUBSTRING_BITS {
            return false;
        }
        start += s.len;
    }
    start == 256 && subs.len() <= 64
}

/// The table layout for `n` codes searched mostly at radius `r`: the number of tables
/// from [`choose_tables`], then substring lengths adjusted one bit at a time while the
/// expected cost drops and the memory budget holds. Tables probed at the smaller radius
/// (the last ones, see [`radii`]) have few probes, so bits are worth more in the tables
/// probed at the larger radius (10M, r = 31: 24,24,24,24,24,24,23,23,23,23,20).
pub(crate) fn choose_layout(n: usize, r: u32) -> Vec<Substring> {
    let m = choose_tables(n, r);
    if m == 0 {
        return Vec::new();
    }
    let budget = 96.0 * n as f64 + 64.0 * 1024.0 * 1024.0;
    let mut lens: Vec<u32> = split(m).iter().map(|s| s.len).collect();
    let mut cost = mih_cost(&with_lengths(&lens), n, r);
    for _ in 0..256 {
        let mut best: Option<(f64, usize, usize)> = None;
        for i in 0..lens.len() {
            for j in 0..lens.len() {
                if i == j || lens[i] <= 1 || lens[j] >= MAX_SUBSTRING_BITS {
                    continue;
                }
                let mut t = lens.clone();
                t[i] -= 1;
                t[j] += 1;
                let subs = with_lengths(&t);
                if table_bytes(&subs, n) > budget {
                    continue;
                }
                let c = mih_cost(&subs, n, r);
                if c < cost * 0.999 && best.is_none_or(|b| c < b.0) {
                    best = Some((c, i, j));
                }
            }
        }
        let Some((c, i, j)) = best else { break };
        lens[i] -= 1;
        lens[j] += 1;
        cost = c;
    }
    with_lengths(&lens)
}

/// All `len`-bit masks of popcount at most `rho`, cached process-wide, grouped by
/// their bits above the lowest four.
pub(crate) fn masks(len: u32, rho: u32) -> &'static [u32] {
    const EMPTY: [u32; 0] = [];
    if len > 32 || rho > MAX_PROBE_RADIUS {
        return &EMPTY;
    }
    static CACHE: [[OnceLock<Vec<u32>>; MAX_PROBE_RADIUS as usize + 1]; 33] =
        [const { [const { OnceLock::new() }; MAX_PROBE_RADIUS as usize + 1] }; 33];
    CACHE[len as usize][rho as usize].get_or_init(|| {
        let mut out = vec![0u32];
        // masks of exactly k bits, built from those of k-1 bits by adding a higher bit
        let mut level = vec![0u32];
        for _k in 1..=rho.min(len) {
            let mut next = Vec::new();
            for &m in &level {
                let top = if m == 0 { 0 } else { 32 - m.leading_zeros() };
                for b in top..len {
                    next.push(m | (1 << b));
                }
            }
            out.extend_from_slice(&next);
            level = next;
        }
        // Probe order: masks that differ only in the low 4 bits hit the same 64-byte line
        // of a u32 offsets table, so group them; the line is then fetched once.
        out.sort_by_key(|&m| (m >> 4, m.count_ones(), m));
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_round_trips_and_preserves_distance() {
        let p = Permutation::get();
        let a = [0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210, 7, u64::MAX];
        let b = [1, 2, 3, 4];
        assert_eq!(p.inverse(&p.forward(&a)), a);
        assert_ne!(p.forward(&a), a);
        assert_eq!(
            crate::hash::distance(&p.forward(&a), &p.forward(&b)),
            crate::hash::distance(&a, &b)
        );
        for i in 0..256 {
            let mut c = [0u64; 4];
            c[i / 64] = 1 << (i % 64);
            let f = p.forward(&c);
            assert_eq!(f.iter().map(|w| w.count_ones()).sum::<u32>(), 1);
            assert!(get_bit(&p.inverse(&f), i));
        }
    }

    #[test]
    fn split_covers_all_bits_and_keys_extract() {
        for m in 1..=40 {
            let s = split(m);
            assert_eq!(s.iter().map(|x| x.len).sum::<u32>(), 256);
            assert_eq!(s.len() as u32, m);
        }
        let c = [u64::MAX, 0, u64::MAX, 0];
        let s = Substring { start: 60, len: 8 };
        assert_eq!(s.key(&c), 0b1111);
        let s = Substring { start: 124, len: 8 };
        assert_eq!(s.key(&c), 0b1111_0000);
    }

    #[test]
    fn masks_are_complete() {
        for len in [1u32, 5, 16, 23] {
            for rho in 0..=3u32 {
                let m = masks(len, rho);
                assert_eq!(m.len() as f64, ball(len, i64::from(rho)));
                let mut s = m.to_vec();
                s.sort_unstable();
                s.dedup();
                assert_eq!(s.len(), m.len());
                assert!(m.iter().all(|x| x.count_ones() <= rho && (*x >> len) == 0));
            }
        }
    }

    #[test]
    fn radii_are_pigeonhole_exact() {
        // sum over tables of (radius + 1) must exceed r
        for m in 1..=32u32 {
            for r in 0..=64u32 {
                let s: i64 = radii(m, r).iter().map(|x| x + 1).sum();
                assert_eq!(s, i64::from(r) + 1);
            }
        }
    }

    #[test]
    fn chooses_about_log2n_bits() {
        assert_eq!(choose_tables(10_000_000, 31), 11);
        assert_eq!(choose_tables(100, 31), 0);
        assert!(choose_layout(100, 31).is_empty());
        for n in [10_000usize, 1_000_000, 10_000_000] {
            let l = choose_layout(n, 31);
            assert!(valid_layout(&l));
            assert!(mih_cost(&l, n, 31) <= mih_cost(&split(l.len() as u32), n, 31));
            assert!(table_bytes(&l, n) <= 96.0 * n as f64 + 64.0 * 1024.0 * 1024.0);
        }
    }
}
