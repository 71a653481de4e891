//! Step 1: float32 luma, exactly as the reference C++ computes it.

/// Red weight of the reference luma formula (float32 constant).
pub const LUMA_R: f32 = 0.299;
/// Green weight of the reference luma formula (float32 constant).
pub const LUMA_G: f32 = 0.587;
/// Blue weight of the reference luma formula (float32 constant).
pub const LUMA_B: f32 = 0.114;

/// Luma of one RGB pixel: `(0.299 * R + 0.587 * G) + 0.114 * B` in float32, each product
/// and each sum rounded to float32 (no fused multiply-add), as `fillFloatLumaFromRGB`.
#[inline(always)]
pub fn luma_of(r: u8, g: u8, b: u8) -> f32 {
    let r = f32::from(r);
    let g = f32::from(g);
    let b = f32::from(b);
    LUMA_R * r + LUMA_G * g + LUMA_B * b
}

/// The three products `weight * value` for every 8-bit value, computed once. Looking them up
/// gives the same float32 values as multiplying (each product is one rounding either way).
fn product_tables() -> &'static [[f32; 256]; 3] {
    static TABLES: std::sync::OnceLock<[[f32; 256]; 3]> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = [[0f32; 256]; 3];
        for (table, weight) in t.iter_mut().zip([LUMA_R, LUMA_G, LUMA_B]) {
            for (v, p) in table.iter_mut().enumerate() {
                *p = weight * f32::from(v as u8);
            }
        }
        t
    })
}

#[inline(always)]
fn rgb_row(src: &[u8], out: &mut [f32], channels: usize) {
    let [tr, tg, tb] = product_tables();
    for (o, p) in out.iter_mut().zip(src.chunks_exact(channels)) {
        *o = tr[usize::from(p[0])] + tg[usize::from(p[1])] + tb[usize::from(p[2])];
    }
}

/// Where the pipeline reads its luma from, one row at a time.
#[derive(Clone, Copy)]
pub(crate) enum LumaSource<'a> {
    /// Interleaved 8-bit pixels, `channels` bytes per pixel, the first three being R, G, B.
    Rgb { pixels: &'a [u8], channels: usize },
    /// 8-bit grey: luma = value (reference `fillFloatLumaFromGrey`).
    Grey(&'a [u8]),
    /// Precomputed float luma.
    Luma(&'a [f32]),
}

impl LumaSource<'_> {
    /// Writes luma of row `y` (of width `out.len()`) into `out`.
    #[inline]
    pub(crate) fn row(&self, y: usize, out: &mut [f32]) {
        let w = out.len();
        match *self {
            LumaSource::Rgb { pixels, channels } => {
                let src = &pixels[y * w * channels..(y + 1) * w * channels];
                if channels == 3 {
                    rgb_row(src, out, 3);
                } else {
                    rgb_row(src, out, channels);
                }
            }
            LumaSource::Grey(pixels) => {
                for (o, &p) in out.iter_mut().zip(&pixels[y * w..(y + 1) * w]) {
                    *o = f32::from(p);
                }
            }
            LumaSource::Luma(luma) => out.copy_from_slice(&luma[y * w..(y + 1) * w]),
        }
    }
}

/// Float32 luma of a packed RGB8 image (3 bytes per pixel, row-major), as the reference.
///
/// Returns `None` if `rgb.len()` is not a multiple of 3.
pub fn luma_from_rgb8(rgb: &[u8]) -> Option<Vec<f32>> {
    if !rgb.len().is_multiple_of(3) {
        return None;
    }
    Some(
        rgb.chunks_exact(3)
            .map(|p| luma_of(p[0], p[1], p[2]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table lookup path equals the arithmetic path on all 2^24 RGB triples.
    #[test]
    fn tables_equal_arithmetic_for_every_triple() {
        let mut row = vec![0f32; 256];
        let mut src = vec![0u8; 256 * 3];
        for r in 0..=255u8 {
            for g in 0..=255u8 {
                for (b, p) in src.chunks_exact_mut(3).enumerate() {
                    p.copy_from_slice(&[r, g, b as u8]);
                }
                rgb_row(&src, &mut row, 3);
                for (b, v) in row.iter().enumerate() {
                    assert_eq!(v.to_bits(), luma_of(r, g, b as u8).to_bits());
                }
            }
        }
    }
}
