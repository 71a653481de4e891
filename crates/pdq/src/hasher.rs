//! Steps 2-8: Jarosz filter, decimation, quality, DCT, bits; the public hashing entry points.

use crate::dct::{bits_from_dct, dct16, dihedral_matrices, lower_median};
use crate::kernels::box_pass;
use crate::luma::LumaSource;
use crate::{Hash256, PdqError};

/// Images smaller than this in either dimension hash to all zeros with quality 0.
pub const MIN_HASHABLE_DIM: usize = 5;

/// Number of (horizontal, vertical) Jarosz pass pairs (`PDQ_NUM_JAROSZ_XY_PASSES`).
const JAROSZ_PASSES: usize = 2;

/// Rows per strip in the horizontal passes (the lanes of the transposed strip).
const STRIP: usize = 16;

/// The Jarosz window for a dimension: `ceil(dim / 128)` (`computeJaroszFilterWindowSize`).
pub fn jarosz_window(dim: usize) -> usize {
    dim.div_ceil(128)
}

/// PDQF: the 16x16 float DCT output `B` in row-major order (row `i` = vertical frequency
/// `i + 1`, column `j` = horizontal frequency `j + 1`). Note that the `pdqhash` Python
/// binding's `compute_float` returns these 256 values in reversed order.
pub type PdqFloat = [[f32; 16]; 16];

/// The result of hashing one image.
#[derive(Clone, Debug, PartialEq)]
pub struct PdqOutput {
    /// The 256-bit hash.
    pub hash: Hash256,
    /// Quality metric 0..=100 (upstream discards hashes with quality below 50).
    pub quality: u8,
    /// The float DCT coefficients the hash was derived from (PDQF).
    pub pdqf: PdqFloat,
}

/// The 8 dihedral variants of a hash, in the reference order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dihedral {
    /// Identity.
    pub orig: Hash256,
    /// Image rotated 90 degrees counter-clockwise.
    pub rot90: Hash256,
    /// Image rotated 180 degrees.
    pub rot180: Hash256,
    /// Image rotated 90 degrees clockwise.
    pub rot270: Hash256,
    /// Image upside down (rows reversed).
    pub flipx: Hash256,
    /// Image mirrored left-right.
    pub flipy: Hash256,
    /// Image transposed (main diagonal).
    pub flipplus1: Hash256,
    /// Image mirrored along the anti-diagonal.
    pub flipminus1: Hash256,
}

impl Dihedral {
    /// Names of the 8 entries, in order, as the reference spells them.
    pub const NAMES: [&'static str; 8] = [
        "orig",
        "rot90",
        "rot180",
        "rot270",
        "flipx",
        "flipy",
        "flipplus1",
        "flipminus1",
    ];

    /// The 8 hashes in reference order.
    pub fn to_array(&self) -> [Hash256; 8] {
        [
            self.orig,
            self.rot90,
            self.rot180,
            self.rot270,
            self.flipx,
            self.flipy,
            self.flipplus1,
            self.flipminus1,
        ]
    }

    fn from_array(a: [Hash256; 8]) -> Self {
        Dihedral {
            orig: a[0],
            rot90: a[1],
            rot180: a[2],
            rot270: a[3],
            flipx: a[4],
            flipy: a[5],
            flipplus1: a[6],
            flipminus1: a[7],
        }
    }
}

impl PdqOutput {
    /// The 8 dihedral hashes, derived from the DCT without touching the pixels again
    /// (`dct16OriginalToXxx` + median + bits for each; the median is recomputed per variant).
    pub fn dihedral(&self) -> Dihedral {
        if self.hash == Hash256::ZERO && self.quality == 0 && self.pdqf == [[0.0; 16]; 16] {
            return Dihedral::from_array([Hash256::ZERO; 8]);
        }
        let m = dihedral_matrices(&self.pdqf);
        let mut hashes = [Hash256::ZERO; 8];
        for (h, b) in hashes.iter_mut().zip(m.iter()) {
            *h = bits_from_dct(b);
        }
        Dihedral::from_array(hashes)
    }

    /// The output for an image too small to hash: zero hash, quality 0, zero PDQF.
    pub fn too_small() -> Self {
        PdqOutput {
            hash: Hash256::ZERO,
            quality: 0,
            pdqf: [[0.0; 16]; 16],
        }
    }
}

/// Every intermediate of one run, for tests and diagnostics.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Jarosz window along rows (horizontal pass), 0 when the image is too small.
    pub window_along_rows: usize,
    /// Jarosz window along columns (vertical pass), 0 when the image is too small.
    pub window_along_cols: usize,
    /// The 64x64 buffer after filtering and decimation.
    pub buffer64: Box<[[f32; 64]; 64]>,
    /// The lower median of the 256 DCT coefficients.
    pub median: f32,
    /// The final output.
    pub output: PdqOutput,
}

/// A reusable hasher: owns the work buffers so that hashing many images allocates nothing
/// after the first (largest) one. Not thread-safe by design; use one per thread.
#[derive(Default)]
pub struct Hasher {
    full: Vec<f32>,
    full2: Vec<f32>,
    strip_in: Vec<f32>,
    strip_out: Vec<f32>,
    reduced: Vec<f32>,
    sums: Vec<f32>,
}

fn check_len(width: usize, height: usize, per_pixel: usize, len: usize) -> Result<(), PdqError> {
    let expected = width
        .checked_mul(height)
        .and_then(|n| n.checked_mul(per_pixel))
        .ok_or(PdqError::DimensionsOverflow { width, height })?;
    if expected != len {
        return Err(PdqError::BufferSize {
            width,
            height,
            expected,
            actual: len,
        });
    }
    Ok(())
}

/// Output-index map for a sampled axis: `map[step] = row in the compact output` for steps
/// that are sampled by the decimation, `u32::MAX` otherwise; plus, for each of the 64
/// decimated positions, its compact row.
fn sample_map(dim: usize) -> (Vec<u32>, [usize; 64], usize) {
    let mut map = vec![u32::MAX; dim];
    let mut pos = [0usize; 64];
    let mut n = 0usize;
    let mut last = usize::MAX;
    for (i, p) in pos.iter_mut().enumerate() {
        // floor((i + 0.5) * dim / 64) == ((2i + 1) * dim) / 128 exactly.
        let idx = ((2 * i + 1) * dim) / 128;
        if idx != last {
            map[idx] = n as u32;
            n += 1;
            last = idx;
        }
        *p = n - 1;
    }
    (map, pos, n)
}

fn grow(v: &mut Vec<f32>, n: usize) {
    if v.len() < n {
        v.resize(n, 0.0);
    }
}

impl Hasher {
    /// A hasher with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hashes a packed RGB8 image (3 bytes per pixel, row-major, no padding).
    pub fn hash_rgb8(
        &mut self,
        width: usize,
        height: usize,
        rgb: &[u8],
    ) -> Result<PdqOutput, PdqError> {
        check_len(width, height, 3, rgb.len())?;
        Ok(self
            .run(
                width,
                height,
                LumaSource::Rgb {
                    pixels: rgb,
                    channels: 3,
                },
            )
            .output)
    }

    /// Hashes a packed RGBA8 image; alpha is ignored (no compositing), as upstream does.
    pub fn hash_rgba8(
        &mut self,
        width: usize,
        height: usize,
        rgba: &[u8],
    ) -> Result<PdqOutput, PdqError> {
        check_len(width, height, 4, rgba.len())?;
        Ok(self
            .run(
                width,
                height,
                LumaSource::Rgb {
                    pixels: rgba,
                    channels: 4,
                },
            )
            .output)
    }

    /// Hashes an 8-bit greyscale image through the reference grey path (luma = value).
    pub fn hash_grey8(
        &mut self,
        width: usize,
        height: usize,
        grey: &[u8],
    ) -> Result<PdqOutput, PdqError> {
        check_len(width, height, 1, grey.len())?;
        Ok(self.run(width, height, LumaSource::Grey(grey)).output)
    }

    /// Hashes a float luma image (row-major), e.g. one built with [`crate::luma_from_rgb8`].
    pub fn hash_luma(
        &mut self,
        width: usize,
        height: usize,
        luma: &[f32],
    ) -> Result<PdqOutput, PdqError> {
        check_len(width, height, 1, luma.len())?;
        Ok(self.run(width, height, LumaSource::Luma(luma)).output)
    }

    /// Like [`Hasher::hash_luma`] but returns every intermediate.
    pub fn trace_luma(
        &mut self,
        width: usize,
        height: usize,
        luma: &[f32],
    ) -> Result<Trace, PdqError> {
        check_len(width, height, 1, luma.len())?;
        Ok(self.run(width, height, LumaSource::Luma(luma)))
    }

    fn run(&mut self, width: usize, height: usize, src: LumaSource<'_>) -> Trace {
        if width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM {
            return Trace {
                window_along_rows: 0,
                window_along_cols: 0,
                buffer64: Box::new([[0.0; 64]; 64]),
                median: 0.0,
                output: PdqOutput::too_small(),
            };
        }
        let mut buffer64 = Box::new([[0f32; 64]; 64]);
        let wr = jarosz_window(width);
        let wc = jarosz_window(height);
        // Note: a 64x64 input goes through the filter too (window 1). The filter is not the
        // identity in float32 ((s + a) - b rounds), and the shipped vectors (synthetic row
        // "A 64x64 RGB", all 8 hashes) are only reproduced with the filter, not with the
        // direct copy that one reference entry point has for 64x64 inputs.
        self.filter_and_decimate(width, height, wr, wc, src, &mut buffer64);
        let quality = quality_metric(&buffer64);
        let pdqf = dct16(&buffer64);
        let median = lower_median(&pdqf);
        let hash = bits_from_dct(&pdqf);
        Trace {
            window_along_rows: wr,
            window_along_cols: wc,
            buffer64,
            median,
            output: PdqOutput {
                hash,
                quality,
                pdqf,
            },
        }
    }

    /// Jarosz filter (H, V, H, V) and decimation, computing only what the decimation reads:
    /// the last horizontal pass divides only at sampled columns and the last vertical pass
    /// runs only on those columns and divides only at sampled rows. Every value that is
    /// computed goes through exactly the reference's float operations.
    fn filter_and_decimate(
        &mut self,
        w: usize,
        h: usize,
        wr: usize,
        wc: usize,
        src: LumaSource<'_>,
        buffer64: &mut [[f32; 64]; 64],
    ) {
        debug_assert_eq!(JAROSZ_PASSES, 2);
        let (col_map, col_pos, ncols) = sample_map(w);
        let (row_map, row_pos, nrows) = sample_map(h);
        let n = w * h;
        grow(&mut self.full, n);
        grow(&mut self.full2, n);
        grow(&mut self.strip_in, w * STRIP);
        grow(&mut self.strip_out, w * STRIP);
        grow(&mut self.sums, w.max(STRIP).max(64));
        grow(&mut self.reduced, h * ncols);

        // Pass 1 (horizontal), fused with luma: strips of rows transposed so rows are lanes.
        {
            let full = &mut self.full[..n];
            let sin = &mut self.strip_in[..w * STRIP];
            let sout = &mut self.strip_out[..w * STRIP];
            let mut y0 = 0;
            while y0 < h {
                let rows = STRIP.min(h - y0);
                if rows < STRIP {
                    sin.fill(0.0);
                }
                // Luma row by row into the destination rows, then gathered column by
                // column so each strip line is written whole.
                let block = &mut full[y0 * w..(y0 + rows) * w];
                for (r, dst) in block.chunks_exact_mut(w).enumerate() {
                    src.row(y0 + r, dst);
                }
                crate::kernels::transpose_into(block, w, rows, sin);
                box_pass(sin, sout, &mut self.sums, STRIP, w, wr, None);
                crate::kernels::transpose_from(sout, w, &mut full[y0 * w..(y0 + rows) * w]);
                y0 += STRIP;
            }
        }
        // Pass 2 (vertical): row by row, one running sum per column.
        box_pass(
            &self.full[..n],
            &mut self.full2[..n],
            &mut self.sums,
            w,
            h,
            wc,
            None,
        );
        // Pass 3 (horizontal): full running sums, divisions only at sampled columns.
        {
            let full2 = &self.full2[..n];
            let sin = &mut self.strip_in[..w * STRIP];
            let sout = &mut self.strip_out[..ncols * STRIP];
            let reduced = &mut self.reduced[..h * ncols];
            let mut y0 = 0;
            while y0 < h {
                let rows = STRIP.min(h - y0);
                if rows < STRIP {
                    sin.fill(0.0);
                }
                crate::kernels::transpose_into(&full2[y0 * w..(y0 + rows) * w], w, rows, sin);
                box_pass(sin, sout, &mut self.sums, STRIP, w, wr, Some(&col_map));
                crate::kernels::transpose_from(
                    sout,
                    ncols,
                    &mut reduced[y0 * ncols..(y0 + rows) * ncols],
                );
                y0 += STRIP;
            }
        }
        // Pass 4 (vertical) on the sampled columns only, divisions only at sampled rows.
        let mut out = vec![0f32; nrows * ncols];
        box_pass(
            &self.reduced[..h * ncols],
            &mut out,
            &mut self.sums,
            ncols,
            h,
            wc,
            Some(&row_map),
        );
        for (i, dst) in buffer64.iter_mut().enumerate() {
            let r = row_pos[i];
            for (j, d) in dst.iter_mut().enumerate() {
                *d = out[r * ncols + col_pos[j]];
            }
        }
    }
}

/// The reference quality metric on the 64x64 buffer (`pdqImageDomainQualityMetric`).
pub(crate) fn quality_metric(a: &[[f32; 64]; 64]) -> u8 {
    let mut gradient_sum: i64 = 0;
    let term = |u: f32, v: f32| -> i64 {
        let d = ((u - v) * 100.0) / 255.0;
        // Conversion truncates toward zero, as C++'s float -> int.
        (d as i32).unsigned_abs() as i64
    };
    for (upper, lower) in a.iter().zip(a.iter().skip(1)) {
        for (&u, &v) in upper.iter().zip(lower.iter()) {
            gradient_sum += term(u, v);
        }
    }
    for row in a.iter() {
        for (&u, &v) in row.iter().zip(row.iter().skip(1)) {
            gradient_sum += term(u, v);
        }
    }
    (gradient_sum / 90).min(100) as u8
}

/// Hashes a packed RGB8 image with a fresh [`Hasher`].
pub fn hash_rgb8(width: usize, height: usize, rgb: &[u8]) -> Result<PdqOutput, PdqError> {
    Hasher::new().hash_rgb8(width, height, rgb)
}

/// Hashes an 8-bit greyscale image with a fresh [`Hasher`].
pub fn hash_grey8(width: usize, height: usize, grey: &[u8]) -> Result<PdqOutput, PdqError> {
    Hasher::new().hash_grey8(width, height, grey)
}

/// Hashes a float luma image with a fresh [`Hasher`].
pub fn hash_luma(width: usize, height: usize, luma: &[f32]) -> Result<PdqOutput, PdqError> {
    Hasher::new().hash_luma(width, height, luma)
}
