//! Property tests: the Hamming distance is a metric; the optimised pipeline equals a naive
//! transcription of the reference (full buffers, strided column walk) bit for bit; the RGB,
//! RGBA and luma entry points agree; the dihedral hash of a transformed image is the
//! transformed dihedral entry within the tolerance the spec explains (exactly its figures on
//! the whole bridge photo; within the match threshold on random crops).

// The naive reference is deliberately written with indices, as the C++ is.
#![allow(clippy::needless_range_loop)]

use bulwark_pdq::{
    Hash256, Hasher, MATCH_THRESHOLD, dct_matrix, hash_luma, hash_rgb8, jarosz_window,
    luma_from_rgb8,
};
use proptest::prelude::*;

fn arb_hash() -> impl Strategy<Value = Hash256> {
    any::<[u64; 4]>().prop_map(Hash256::from_limbs)
}

proptest! {
    #[test]
    fn distance_is_a_metric(a in arb_hash(), b in arb_hash(), c in arb_hash()) {
        prop_assert_eq!(a.distance(&a), 0);
        prop_assert_eq!(a.distance(&b), b.distance(&a));
        prop_assert_eq!(a.distance(&b) == 0, a == b);
        prop_assert!(a.distance(&c) <= a.distance(&b) + b.distance(&c));
        prop_assert!(a.distance(&b) <= 256);
    }

    #[test]
    fn hex_and_bytes_round_trip(a in arb_hash()) {
        prop_assert_eq!(a.to_hex().parse::<Hash256>().unwrap(), a);
        prop_assert_eq!(Hash256::from_bytes(a.to_bytes()), a);
        prop_assert_eq!(a.to_hex().len(), 64);
    }
}

/// The reference pipeline written as plainly as possible: full float buffers, each 1-D pass
/// over one row or one column with a stride, decimation by the double-precision formula.
fn naive_reference(w: usize, h: usize, luma: &[f32]) -> ([[f32; 64]; 64], [[f32; 16]; 16]) {
    fn box1d(inp: &[f32], out: &mut [f32], start: usize, n: usize, stride: usize, f: usize) {
        let half = (f + 2) / 2;
        let (mut sum, mut cnt) = (0.0f32, 0u32);
        let (mut r, mut l, mut o) = (start, start, start);
        for _ in 0..half - 1 {
            sum += inp[r];
            cnt += 1;
            r += stride;
        }
        for _ in 0..f - half + 1 {
            sum += inp[r];
            cnt += 1;
            out[o] = sum / cnt as f32;
            r += stride;
            o += stride;
        }
        for _ in 0..n - f {
            sum += inp[r];
            sum -= inp[l];
            out[o] = sum / cnt as f32;
            r += stride;
            l += stride;
            o += stride;
        }
        for _ in 0..half - 1 {
            sum -= inp[l];
            cnt -= 1;
            out[o] = sum / cnt as f32;
            l += stride;
            o += stride;
        }
    }
    let (fr, fc) = (jarosz_window(w), jarosz_window(h));
    let mut b1 = luma.to_vec();
    let mut b2 = vec![0.0f32; w * h];
    for _ in 0..2 {
        for y in 0..h {
            box1d(&b1, &mut b2, y * w, w, 1, fr);
        }
        for x in 0..w {
            box1d(&b2, &mut b1, x, h, w, fc);
        }
    }
    let mut a = [[0f32; 64]; 64];
    for (i, row) in a.iter_mut().enumerate() {
        let y = (((i as f64) + 0.5) * h as f64 / 64.0) as usize;
        for (j, v) in row.iter_mut().enumerate() {
            let x = (((j as f64) + 0.5) * w as f64 / 64.0) as usize;
            *v = b1[y * w + x];
        }
    }
    let d = dct_matrix();
    let mut t = [[0f32; 64]; 16];
    for i in 0..16 {
        for j in 0..64 {
            let mut s = 0.0f32;
            for k in 0..64 {
                s += d[i][k] * a[k][j];
            }
            t[i][j] = s;
        }
    }
    let mut b = [[0f32; 16]; 16];
    for i in 0..16 {
        for j in 0..16 {
            let mut s = 0.0f32;
            for k in 0..64 {
                s += t[i][k] * d[j][k];
            }
            b[i][j] = s;
        }
    }
    (a, b)
}

fn noise(w: usize, h: usize, seed: u64, channels: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..w * h * channels)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Sizes from the too-small edge up to several windows; noise makes every float matter.
    #[test]
    fn optimised_pipeline_equals_naive_reference(
        w in 5usize..420, h in 5usize..420, seed in any::<u64>()
    ) {
        let rgb = noise(w, h, seed, 3);
        let luma = luma_from_rgb8(&rgb).unwrap();
        let trace = Hasher::new().trace_luma(w, h, &luma).unwrap();
        let (a, b) = naive_reference(w, h, &luma);
        for i in 0..64 {
            for j in 0..64 {
                prop_assert_eq!(trace.buffer64[i][j].to_bits(), a[i][j].to_bits(), "({}, {})", i, j);
            }
        }
        for i in 0..16 {
            for j in 0..16 {
                prop_assert_eq!(trace.output.pdqf[i][j].to_bits(), b[i][j].to_bits());
            }
        }
    }

    #[test]
    fn entry_points_agree(w in 1usize..200, h in 1usize..200, seed in any::<u64>()) {
        let rgb = noise(w, h, seed, 3);
        let alpha = noise(w, h, seed ^ 0x55, 1);
        let rgba: Vec<u8> = rgb
            .chunks_exact(3)
            .zip(&alpha)
            .flat_map(|(p, &a)| [p[0], p[1], p[2], a])
            .collect();
        let luma = luma_from_rgb8(&rgb).unwrap();
        let mut hasher = Hasher::new();
        let a = hasher.hash_rgb8(w, h, &rgb).unwrap();
        let b = hasher.hash_rgba8(w, h, &rgba).unwrap();
        let c = hash_luma(w, h, &luma).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(&a, &c);
        if w < 5 || h < 5 {
            prop_assert_eq!(a.hash, Hash256::ZERO);
            prop_assert_eq!(a.quality, 0);
        }
    }

}

/// One hasher reused across images of different sizes (as a scanning thread does) gives
/// exactly what a fresh hasher gives for each: no state of an earlier image leaks.
#[test]
fn reused_hasher_equals_fresh_hasher_across_sizes() {
    let sizes = [
        (512, 512),
        (64, 64),
        (1000, 300),
        (7, 513),
        (512, 512),
        (33, 40),
    ];
    let mut reused = Hasher::new();
    for (i, &(w, h)) in sizes.iter().enumerate() {
        let rgb = noise(w, h, 0xC0FFEE + i as u64, 3);
        let fresh = Hasher::new().hash_rgb8(w, h, &rgb).unwrap();
        let again = reused.hash_rgb8(w, h, &rgb).unwrap();
        assert_eq!(again, fresh, "{w}x{h} after {:?}", &sizes[..i]);
    }
}

/// The image transformed as dihedral slot `slot` (1..8, reference order) describes it.
#[cfg(feature = "libjpeg")]
fn transform(w: usize, h: usize, rgb: &[u8], slot: usize) -> (usize, usize, Vec<u8>) {
    // (output width, output height, source pixel of output pixel (x, y))
    type PixelMap<'a> = &'a dyn Fn(usize, usize) -> (usize, usize);
    let (tw, th, map): (usize, usize, PixelMap) = match slot {
        1 => (h, w, &|x, y| (w - 1 - y, x)), // rot90: 90 degrees counter-clockwise
        2 => (w, h, &|x, y| (w - 1 - x, h - 1 - y)), // rot180
        3 => (h, w, &|x, y| (y, h - 1 - x)), // rot270: 90 degrees clockwise
        4 => (w, h, &|x, y| (x, h - 1 - y)), // flipx: upside down
        5 => (w, h, &|x, y| (w - 1 - x, y)), // flipy: left-right mirror
        6 => (h, w, &|x, y| (y, x)),         // flipplus1: transpose
        _ => (h, w, &|x, y| (w - 1 - y, h - 1 - x)), // flipminus1: anti-transpose
    };
    let mut out = Vec::with_capacity(tw * th * 3);
    for y in 0..th {
        for x in 0..tw {
            let (sx, sy) = map(x, y);
            out.extend_from_slice(&rgb[(sy * w + sx) * 3..(sy * w + sx) * 3 + 3]);
        }
    }
    (tw, th, out)
}

/// Spec 1.9, verified there with NumPy on the bridge photo (1600x1004, windows 13 and 8):
/// the exactly transformed pixels hash to the predicted slot with distance 0 for rot90,
/// flipy and flipplus1, and 6-8 bits for rot180, rot270, flipx and flipminus1.
#[cfg(feature = "libjpeg")]
#[test]
fn dihedral_on_whole_bridge_photo_as_the_spec_measured() {
    let (w, h, rgb) = bridge();
    let table = hash_rgb8(*w, *h, rgb).unwrap().dihedral().to_array();
    let mut dist = [0u32; 8];
    for (slot, d) in dist.iter_mut().enumerate().skip(1) {
        let (tw, th, out) = transform(*w, *h, rgb, slot);
        *d = hash_rgb8(tw, th, &out).unwrap().hash.distance(&table[slot]);
    }
    assert_eq!([dist[1], dist[5], dist[6]], [0, 0, 0], "{dist:?}");
    for slot in [2, 3, 4, 7] {
        assert!((6..=8).contains(&dist[slot]), "{dist:?}");
    }
}

/// The bridge photo (1600x1004), decoded once.
#[cfg(feature = "libjpeg")]
fn bridge() -> &'static (usize, usize, Vec<u8>) {
    use std::sync::OnceLock;
    static IMG: OnceLock<(usize, usize, Vec<u8>)> = OnceLock::new();
    IMG.get_or_init(|| {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/pdq-vectors/images/pdq/data/bridge-mods/aaa-orig.jpg");
        let img = bulwark_pdq::decode::decode_file(&p, &Default::default()).unwrap();
        match img.pixels {
            bulwark_pdq::decode::Pixels::Rgb8(px) => (img.width, img.height, px),
            _ => panic!("bridge photo should decode to RGB"),
        }
    })
}

#[cfg(feature = "libjpeg")]
proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        // The tolerance below is empirical: a fixed seed keeps this test deterministic.
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5044_5121),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Hashing the exactly transformed pixels of a random crop of a real photo lands within
    /// DIHEDRAL_TOLERANCE bits of the predicted dihedral entry, which is also the nearest of
    /// the 8. Exact equality is not expected (spec 1.4 and 1.9): the running sums always go
    /// left-to-right and top-to-bottom, even windows reach one sample further right/down, and
    /// the decimation grid's cell centres shift by a pixel under mirroring when a side is not
    /// a multiple of 128; the spec measured 0-8 bits on the whole bridge photo.
    #[test]
    fn dihedral_of_transformed_image_matches_predicted_slot(
        x0 in 0usize..1200, y0 in 0usize..620, w in 384usize..1600, h in 384usize..1004
    ) {
        let (bw, bh, full) = bridge();
        let (w, h) = (w.min(bw - x0), h.min(bh - y0));
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in y0..y0 + h {
            rgb.extend_from_slice(&full[(y * bw + x0) * 3..(y * bw + x0 + w) * 3]);
        }
        let base = hash_rgb8(w, h, &rgb).unwrap();
        prop_assume!(base.quality >= 50);
        let table = base.dihedral().to_array();
        for slot in 1..8 {
            let (tw, th, out) = transform(w, h, &rgb, slot);
            let got = hash_rgb8(tw, th, &out).unwrap().hash;
            let d = got.distance(&table[slot]);
            prop_assert!(d <= DIHEDRAL_TOLERANCE, "slot {} distance {}", slot, d);
            let nearest = (0..8).map(|i| got.distance(&table[i])).min().unwrap();
            prop_assert_eq!(nearest, d, "slot {} is not the nearest", slot);
        }
    }
}

/// See `dihedral_of_transformed_image_matches_predicted_slot`.
#[cfg(feature = "libjpeg")]
const DIHEDRAL_TOLERANCE: u32 = MATCH_THRESHOLD;
