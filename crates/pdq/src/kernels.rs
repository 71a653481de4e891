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
/// are. A pure copy, so no value can change.
pub(crate) fn transpose_into(block: &[f32], w: usize, rows: usize, sin: &mut [f32]) {
    transpose(block, w, rows, w, sin, LANES16);
}

/// The inverse of [`transpose_into`]: `block[r * w + x] = sout[x * 16 + r]` for the rows
/// of `block` (at most 16).
pub(crate) fn transpose_from(sout: &[f32], w: usize, block: &mut [f32]) {
    let rows = block.len() / w.max(1);
    transpose(sout, LANES16, w, rows, block, w);
}

/// `dst[c * dst_stride + r] = src[r * src_stride + c]` for `r < rows`, `c < cols`, in 4x4
/// register blocks where both are multiples of four (element by element otherwise).
/// Elements outside either slice are skipped.
fn transpose(
    src: &[f32],
    src_stride: usize,
    rows: usize,
    cols: usize,
    dst: &mut [f32],
    dst_stride: usize,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if rows.is_multiple_of(4) && cols.is_multiple_of(4) {
            for r0 in (0..rows).step_by(4) {
                for c0 in (0..cols).step_by(4) {
                    transpose4x4_sse(
                        src.get(r0 * src_stride + c0..).unwrap_or_default(),
                        src_stride,
                        dst.get_mut(c0 * dst_stride + r0..).unwrap_or_default(),
                        dst_stride,
                    );
                }
            }
            return;
        }
    }
    for r in 0..rows {
        for c in 0..cols {
            if let (Some(&v), Some(d)) =
                (src.get(r * src_stride + c), dst.get_mut(c * dst_stride + r))
            {
                *d = v;
            }
        }
    }
}

/// Transposes the 4x4 block whose rows start at `src[k * src_stride]` into the rows starting
/// at `dst[k * dst_stride]` (k < 4); does nothing if either block does not fit its slice.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn transpose4x4_sse(src: &[f32], src_stride: usize, dst: &mut [f32], dst_stride: usize) {
    use std::arch::x86_64::{
        _mm_loadu_ps, _mm_movehl_ps, _mm_movelh_ps, _mm_storeu_ps, _mm_unpackhi_ps, _mm_unpacklo_ps,
    };
    if src.len() < 3 * src_stride + 4 || dst.len() < 3 * dst_stride + 4 {
        return;
    }
    // SAFETY: the four loads read src[k * src_stride .. k * src_stride + 4] and the four
    // stores write dst[k * dst_stride .. k * dst_stride + 4] for k < 4, all inside the
    // slices (lengths checked just above); SSE is always available on x86-64.
    unsafe {
        let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
        let a0 = _mm_loadu_ps(s);
        let a1 = _mm_loadu_ps(s.add(src_stride));
        let a2 = _mm_loadu_ps(s.add(2 * src_stride));
        let a3 = _mm_loadu_ps(s.add(3 * src_stride));
        let t0 = _mm_unpacklo_ps(a0, a1);
        let t1 = _mm_unpacklo_ps(a2, a3);
        let t2 = _mm_unpackhi_ps(a0, a1);
        let t3 = _mm_unpackhi_ps(a2, a3);
        _mm_storeu_ps(d, _mm_movelh_ps(t0, t1));
        _mm_storeu_ps(d.add(dst_stride), _mm_movehl_ps(t1, t0));
        _mm_storeu_ps(d.add(2 * dst_stride), _mm_movelh_ps(t2, t3));
        _mm_storeu_ps(d.add(3 * dst_stride), _mm_movehl_ps(t3, t2));
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
