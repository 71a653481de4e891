//! Shared helpers of the integration tests: locating the shared vectors and rebuilding the
//! synthetic images from the integer formulas of `pdq-vectors/README.txt`.

#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared/data/pdq-vectors`, relative to this crate.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pdq-vectors")
}

/// Reads a vector file as text (test failure with a clear message if it is missing).
pub fn read_vector(rel: &str) -> String {
    let p = vectors_dir().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// Tab-separated rows of a vector file, comments (`#`) and blank lines skipped.
pub fn tsv_rows(rel: &str) -> Vec<Vec<String>> {
    read_vector(rel)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// Synthetic pattern pixels: RGB (3 bytes per pixel) or grey (pattern A's G channel).
pub fn synthetic(pattern: &str, w: usize, h: usize, channels: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(w * h * channels);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for y in 0..h {
        for x in 0..w {
            let (r, g, b) = match pattern {
                "A" => {
                    let r = (x * 255) / (w.saturating_sub(1)).max(1);
                    let g = 27 + 200 * ((x / 8 + y / 8) % 2);
                    let b = ((x * x + y * y) / 97) % 256;
                    (r as u8, g as u8, b as u8)
                }
                "B" => {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (
                        (state & 255) as u8,
                        ((state >> 8) & 255) as u8,
                        ((state >> 16) & 255) as u8,
                    )
                }
                "C" => {
                    let (bx, by) = (x / 37, y / 41);
                    (
                        ((bx * 53 + by * 97) % 256) as u8,
                        ((bx * 29 + by * 71) % 256) as u8,
                        ((bx * 13 + by * 151) % 256) as u8,
                    )
                }
                other => panic!("unknown pattern {other}"),
            };
            if channels == 1 {
                out.push(g);
            } else {
                out.extend_from_slice(&[r, g, b]);
            }
        }
    }
    out
}
