//! Lane-parallel running-sum box filter: the Jarosz pass of the reference, vectorised across
//! independent vectors ("lanes") while each lane sees exactly the reference's sequence of
//! float32 operations.
//!
//! Data layout: `steps` rows of `lanes` floats, row-major. Lane `l` is the 1-D vector
//! `input[l], input[lanes + l], input[2 * lanes + l], ...`. The reference walks one vector at
//! a time with a stride; here all lanes advance together, one row per step, so memory access
//! is sequential and the per-lane arithmetic (which never mixes lanes) vectorises. Lanes do
//! not interact, so the order of operations within each lane is exactly the reference's.
//!
//! The horizontal passes run on transposed strips of 16 rows ([`transpose_into`],
//! [`transpose_from`]: pure copies, in 4x4 SSE register blocks on x86-64).
//!
//! The only unsafe code of the crate is here: a copy of the kernel compiled with AVX2
//! enabled, selected at run time with `is_x86_feature_detected!`, and the SSE loads and
//! stores of the transposes (bounds checked before each block). FMA is deliberately not
//! enabled (and LLVM never contracts `a * b + c` without fast-math flags anyway).

#![allow(unsafe_code)]

/// One box-filter pass over `steps x lanes` floats.
///
/// * `window`: the full window size F (>= 1).
/// * `out_rows`: for every output step `o`, the row of `out` it is written to, or
///   `u32::MAX` when that output is not needed (its division is skipped; the running sum
///   is still updated identically). `None` means every step is written to row `o`.
/// * `sums`: scratch of at least `lanes` floats.
pub(crate) fn box_pass(
    input: &[f32],
    out: &mut [f32],
    sums: &mut [f32],
    lanes: usize,
    steps: usize,
    window: usize,
    out_rows: Option<&[u32]>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above), which is the only
            // requirement of the `target_feature` function; it has no other preconditions.
            unsafe { box_pass_avx2(input, out, sums, lanes, steps, window, out_rows) };
            return;
        }
    }
    box_pass_generic(input, out, sums, lanes, steps, window, out_rows);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn box_pass_avx2(
    input: &[f32],
    out: &mut [f32],
    sums: &mut [f32],
    lanes: usize,
    steps: usize,
    window: usize,
    out_rows: Option<&[u32]>,
) {
    box_pass_impl(input, out, sums, lanes, steps, window, out_rows);
}

fn box_pass_generic(
    input: &[f32],
    out: &mut [f32],
    sums: &mut [f32],
    lanes: usize,
    steps: usize,
    window: usize,
    out_rows: Option<&[u32]>,
) {
    box_pass_impl(input, out, sums, lanes, steps, window, out_rows);
}

#[inline(always)]
fn row(buf: &[f32], lanes: usize, i: usize) -> &[f32] {
    &buf[i * lanes..(i + 1) * lanes]
}

#[inline(always)]
fn box_pass_impl(
    input: &[f32],
    out: &mut [f32],
    sums: &mut [f32],
    lanes: usize,
    steps: usize,
    window: usize,
    out_rows: Option<&[u32]>,
) {
    if lanes == 16 {
        // The horizontal passes' strips: with a constant lane count the running sums stay
        // in registers instead of going through memory at every step.
        let mut local = [0f32; 16];
        box_pass_lanes(input, out, &mut local, 16, steps, window, out_rows);
        return;
    }
    box_pass_lanes(input, out, sums, lanes, steps, window, out_rows);
}

#[inline(always)]
fn box_pass_lanes(
    input: &[f32],
    out: &mut [f32],
    sums: &mut [f32],
    lanes: usize,
    steps: usize,
    window: usize,
    out_rows: Option<&[u32]>,
) {
    let sums = &mut sums[..lanes];
    sums.fill(0.0);
    let half = (window + 2) / 2;
    let phase1 = half - 1;
    let phase2 = window - half + 1;
    let phase3 = steps - window;
    let phase4 = half - 1;
    let dest = |o: usize| -> Option<usize> {
        match out_rows {
            None => Some(o),
            Some(map) => {
                let d = map[o];
                if d == u32::MAX {
                    None
                } else {
                    Some(d as usize)
                }
            }
        }
    };
    let (mut r, mut l, mut o) = (0usize, 0usize, 0usize);
    let mut count: u32 = 0;
    for _ in 0..phase1 {
        for (s, &v) in sums.iter_mut().zip(row(input, lanes, r)) {
            *s += v;
        }
        count += 1;
        r += 1;
    }
    for _ in 0..phase2 {
        count += 1;
        let c = count as f32;
        let vr = row(input, lanes, r);
        if let Some(d) = dest(o) {
            let dst = &mut out[d * lanes..(d + 1) * lanes];
            for ((s, &v), q) in sums.iter_mut().zip(vr).zip(dst.iter_mut()) {
                *s += v;
                *q = *s / c;
            }
        } else {
            for (s, &v) in sums.iter_mut().zip(vr) {
                *s += v;
            }
        }
        r += 1;
        o += 1;
    }
    let c = count as f32;
    for _ in 0..phase3 {
        let vr = row(input, lanes, r);
        let vl = row(input, lanes, l);
        if let Some(d) = dest(o) {
            let dst = &mut out[d * lanes..(d + 1) * lanes];
            for (((s, &a), &b), q) in sums.iter_mut().zip(vr).zip(vl).zip(dst.iter_mut()) {
                *s += a;
                *s -= b;
                *q = *s / c;
            }
        } else {
            for ((s, &a), &b) in sums.iter_mut().zip(vr).zip(vl) {
                *s += a;
                *s -= b;
            }
        }
        r += 1;
        l += 1;
        o += 1;
    }
    for _ in 0..phase4 {
        count -= 1;
        let c = count as f32;
        let vl = row(input, lanes, l);
        if let Some(d) = dest(o) {
            let dst = &mut out[d * lanes..(d + 1) * lanes];
            for ((s, &b), q) in sums.iter_mut().zip(vl).zip(dst.iter_mut()) {
                *s -= b;
                *q = *s / c;
            }
        } else {
            for (s, &b) in sums.iter_mut().zip(vl) {
                *s -= b;
            }
        }
        l += 1;
        o += 1;
    }
}

/// Lanes of the transposed strips of the horizontal passes.
const LANES16: usize = 16;

/// Writes `rows` (at most 16) rows of width `w` (row-major in `block`) into the transposed
/// strip `sin`: `sin[x * 16 + r] = block[r * w + x]`; lanes past `rows` are left as they
/// are. A pure copy, so the AVX2 build cannot change a value.
pub(crate) fn transpose_into(block: &[f32], w: usize, rows: usize, sin: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if rows == LANES16
            && w.is_multiple_of(4)
            && block.len() >= LANES16 * w
            && sin.len() >= LANES16 * w
        {
            transpose16_sse(block, w, sin);
            return;
        }
    }
    transpose_impl(block, w, rows, sin);
}

/// [`transpose_into`] for a full strip, in 4x4 register blocks (SSE, part of x86-64).
/// The caller checked `w.is_multiple_of(4)` and that both slices hold `16 * w` floats.
#[cfg(target_arch = "x86_64")]
fn transpose16_sse(block: &[f32], w: usize, sin: &mut [f32]) {
    use std::arch::x86_64::{
        _mm_loadu_ps, _mm_movehl_ps, _mm_movelh_ps, _mm_storeu_ps, _mm_unpackhi_ps, _mm_unpacklo_ps,
    };
    for r0 in (0..LANES16).step_by(4) {
        for x0 in (0..w).step_by(4) {
            let at = |k: usize| (r0 + k) * w + x0;
            let (Some(s0), Some(s1), Some(s2), Some(s3)) = (
                block.get(at(0)..at(0) + 4),
                block.get(at(1)..at(1) + 4),
                block.get(at(2)..at(2) + 4),
                block.get(at(3)..at(3) + 4),
            ) else {
                return;
            };
            let Some(dst) = sin.get_mut(x0 * LANES16..(x0 + 4) * LANES16) else {
                return;
            };
            // SAFETY: each load reads the four floats of a slice of length 4 and each store
            // writes four floats at offsets r0 + 16 * i (r0 <= 12, i < 4) of `dst`, whose
            // length is 64; SSE is always available on x86-64.
            unsafe {
                let a0 = _mm_loadu_ps(s0.as_ptr());
                let a1 = _mm_loadu_ps(s1.as_ptr());
                let a2 = _mm_loadu_ps(s2.as_ptr());
                let a3 = _mm_loadu_ps(s3.as_ptr());
                let t0 = _mm_unpacklo_ps(a0, a1);
                let t1 = _mm_unpacklo_ps(a2, a3);
                let t2 = _mm_unpackhi_ps(a0, a1);
                let t3 = _mm_unpackhi_ps(a2, a3);
                let p = dst.as_mut_ptr().add(r0);
                _mm_storeu_ps(p, _mm_movelh_ps(t0, t1));
                _mm_storeu_ps(p.add(LANES16), _mm_movehl_ps(t1, t0));
                _mm_storeu_ps(p.add(2 * LANES16), _mm_movelh_ps(t2, t3));
                _mm_storeu_ps(p.add(3 * LANES16), _mm_movehl_ps(t3, t2));
            }
        }
    }
}

#[inline(always)]
fn transpose_impl(block: &[f32], w: usize, rows: usize, sin: &mut [f32]) {
    for (r, line) in block.chunks_exact(w).take(rows).enumerate() {
        for (x, &v) in line.iter().enumerate() {
            if let Some(d) = sin.get_mut(x * LANES16 + r) {
                *d = v;
            }
        }
    }
}

/// The inverse of [`transpose_into`]: `block[r * w + x] = sout[x * 16 + r]` for the rows
/// of `block` (at most 16).
pub(crate) fn transpose_from(sout: &[f32], w: usize, block: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if block.len() == LANES16 * w && w.is_multiple_of(4) && sout.len() >= LANES16 * w {
            transpose16_back_sse(sout, w, block);
            return;
        }
    }
    for (r, line) in block.chunks_exact_mut(w).enumerate() {
        for (x, d) in line.iter_mut().enumerate() {
            if let Some(&v) = sout.get(x * LANES16 + r) {
                *d = v;
            }
        }
    }
}

/// [`transpose_from`] for a full strip in 4x4 register blocks. The caller checked
/// `w.is_multiple_of(4)`, `block.len() == 16 * w` and `sout.len() >= 16 * w`.
#[cfg(target_arch = "x86_64")]
fn transpose16_back_sse(sout: &[f32], w: usize, block: &mut [f32]) {
    use std::arch::x86_64::{
        _mm_loadu_ps, _mm_movehl_ps, _mm_movelh_ps, _mm_storeu_ps, _mm_unpackhi_ps, _mm_unpacklo_ps,
    };
    for x0 in (0..w).step_by(4) {
        let Some(src) = sout.get(x0 * LANES16..(x0 + 4) * LANES16) else {
            return;
        };
        for r0 in (0..LANES16).step_by(4) {
            let at = |k: usize| (r0 + k) * w + x0;
            if block.len() < at(3) + 4 {
                return;
            }
            // SAFETY: the loads read floats r0..r0 + 4 (r0 <= 12) of the four 16-float
            // columns in `src` (length 64); the stores write four floats at `at(k)` for
            // k < 4, and `at(3) + 4 <= block.len()` was checked, so all four rows fit;
            // SSE is always available on x86-64.
            unsafe {
                let q = src.as_ptr().add(r0);
                let a0 = _mm_loadu_ps(q);
                let a1 = _mm_loadu_ps(q.add(LANES16));
                let a2 = _mm_loadu_ps(q.add(2 * LANES16));
                let a3 = _mm_loadu_ps(q.add(3 * LANES16));
                let t0 = _mm_unpacklo_ps(a0, a1);
                let t1 = _mm_unpacklo_ps(a2, a3);
                let t2 = _mm_unpackhi_ps(a0, a1);
                let t3 = _mm_unpackhi_ps(a2, a3);
                let p = block.as_mut_ptr();
                _mm_storeu_ps(p.add(at(0)), _mm_movelh_ps(t0, t1));
                _mm_storeu_ps(p.add(at(1)), _mm_movehl_ps(t1, t0));
                _mm_storeu_ps(p.add(at(2)), _mm_movelh_ps(t2, t3));
                _mm_storeu_ps(p.add(at(3)), _mm_movehl_ps(t3, t2));
            }
        }
    }
}

#[cfg(test)]
mod transpose_tests {
    use super::*;

    /// The register-block transposes equal the element-wise definition, and
    /// `transpose_from` undoes `transpose_into`, for full and partial strips.
    #[test]
    fn block_transposes_equal_the_definition() {
        for w in [1usize, 3, 4, 8, 12, 100, 512, 513] {
            for rows in [1usize, 5, 16] {
                let block: Vec<f32> = (0..rows * w).map(|i| i as f32 * 0.5 + 1.0).collect();
                let mut fast = vec![-1.0f32; LANES16 * w];
                transpose_into(&block, w, rows, &mut fast);
                let mut want = vec![-1.0f32; LANES16 * w];
                for r in 0..rows {
                    for x in 0..w {
                        want[x * LANES16 + r] = block[r * w + x];
                    }
                }
                assert_eq!(fast, want, "into w {w} rows {rows}");
                let mut back = vec![0.0f32; rows * w];
                transpose_from(&fast, w, &mut back);
                assert_eq!(back, block, "from w {w} rows {rows}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Straight transcription of the reference's one-vector, strided running sum.
    fn reference_1d(v: &[f32], window: usize) -> Vec<f32> {
        let n = v.len();
        let half = (window + 2) / 2;
        let mut out = vec![0.0f32; n];
        let (mut sum, mut cnt, mut r, mut l, mut o) = (0.0f32, 0i32, 0, 0, 0);
        for _ in 0..half - 1 {
            sum += v[r];
            cnt += 1;
            r += 1;
        }
        for _ in 0..window - half + 1 {
            sum += v[r];
            cnt += 1;
            out[o] = sum / cnt as f32;
            r += 1;
            o += 1;
        }
        for _ in 0..n - window {
            sum += v[r];
            sum -= v[l];
            out[o] = sum / cnt as f32;
            r += 1;
            l += 1;
            o += 1;
        }
        for _ in 0..half - 1 {
            sum -= v[l];
            cnt -= 1;
            out[o] = sum / cnt as f32;
            l += 1;
            o += 1;
        }
        out
    }

    #[test]
    fn lanes_match_one_vector_reference_bit_for_bit() {
        let steps = 37;
        for lanes in [13, 16] {
            let mut state = 0x1234_5678_9abc_def0u64;
            let input: Vec<f32> = (0..steps * lanes)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state % 25_600) as f32 / 100.37
                })
                .collect();
            for window in 1..=steps {
                let mut out = vec![0.0; steps * lanes];
                let mut sums = vec![0.0; lanes];
                box_pass(&input, &mut out, &mut sums, lanes, steps, window, None);
                let mut generic = vec![0.0; steps * lanes];
                box_pass_generic(&input, &mut generic, &mut sums, lanes, steps, window, None);
                for lane in 0..lanes {
                    let v: Vec<f32> = (0..steps).map(|s| input[s * lanes + lane]).collect();
                    let want = reference_1d(&v, window);
                    for s in 0..steps {
                        assert_eq!(out[s * lanes + lane].to_bits(), want[s].to_bits());
                        assert_eq!(generic[s * lanes + lane].to_bits(), want[s].to_bits());
                    }
                }
            }
        }
    }
}
