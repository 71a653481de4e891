//! Real images of `pdq-vectors/images/` against `expected/images-pdqhash-0.2.8.tsv`
//! (reference C++ core on Pillow/libjpeg-turbo-decoded pixels, full resolution) and the
//! hashes upstream sources assert (`expected/repo-asserted-hashes.tsv`).

#![cfg(feature = "libjpeg")]

mod common;

use bulwark_pdq::decode::{DecodeOptions, hash_file};
use bulwark_pdq::{Hash256, PdqOutput};
use common::{tsv_rows, vectors_dir};

const I16: &str = "python-threatexchange/threatexchange/tests/hashing/resources/I16.png";
/// I16.png with 16-bit values scaled to 8 bits (README.txt, section 3), quality 100.
const I16_SCALED: &str = "628dbaa85045ffef9b101e3214f156c24b1dbefba74d25a5c90d046c6b54e536";

fn hash(rel: &str) -> PdqOutput {
    let path = vectors_dir().join("images").join(rel);
    hash_file(&path, &DecodeOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_image_quality_and_eight_hashes_exact() {
    let rows = tsv_rows("expected/images-pdqhash-0.2.8.tsv");
    assert_eq!(rows.len(), 34);
    let mut failures = Vec::new();
    for row in &rows {
        if row[0] == I16 {
            continue; // Pillow clamps 16-bit values; see i16_png_is_scaled_not_clamped.
        }
        let out = hash(&row[0]);
        let want: Vec<Hash256> = row[5..13].iter().map(|s| s.parse().unwrap()).collect();
        let got = out.dihedral().to_array();
        let dist: Vec<u32> = got.iter().zip(&want).map(|(a, b)| a.distance(b)).collect();
        if out.quality.to_string() != row[4] || dist.iter().any(|&d| d != 0) {
            failures.push(format!(
                "{}: q{} want q{} {dist:?}",
                row[0], out.quality, row[4]
            ));
        }
    }
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}

#[test]
fn i16_png_is_scaled_not_clamped() {
    let out = hash(I16);
    assert_eq!(out.hash.to_hex(), I16_SCALED);
    assert_eq!(out.quality, 100);
    // The python-threatexchange assertion (quality 36) is the clamping artefact.
    let clamped: Hash256 = "de2ef0e99ecdfc1d248a0eb055f023d1d61e79c3920cbb55d561c02accab1763"
        .parse()
        .unwrap();
    assert!(out.hash.distance(&clamped) > 31);
}

#[test]
fn upstream_asserted_hashes() {
    let rows = tsv_rows("expected/repo-asserted-hashes.tsv");
    assert_eq!(rows.len(), 39);
    for row in &rows {
        let (image, expected, quality, pipeline) = (&row[1], &row[2], &row[3], &row[4]);
        if image.as_str() == I16 {
            continue;
        }
        let out = hash(image);
        let want: Hash256 = expected.parse().unwrap();
        let d = out.hash.distance(&want);
        if pipeline.starts_with("pure-Python reference") {
            // That reference pre-shrinks with Pillow and computes in float64: the listed
            // distance to the full-resolution reference is what we must reproduce.
            let listed: u32 = row[5].split_whitespace().next().unwrap().parse().unwrap();
            assert_eq!(d, listed, "{image} ({pipeline})");
        } else {
            assert_eq!(d, 0, "{image} ({pipeline}): got {}", out.hash);
            if !quality.is_empty() {
                assert_eq!(out.quality.to_string(), *quality, "{image}");
            }
        }
    }
}

/// `reg-test-input/dih/`: the bridge photo saved in the 8 orientations. Each file's own hash
/// must be close to the matching dihedral entry of the original (0-8 bits per the spec:
/// JPEG re-encoding plus the even-window asymmetry), and far from unrelated entries.
#[test]
fn dihedral_files_land_on_their_predicted_slot() {
    let orig = hash("pdq/data/reg-test-input/dih/bridge-1-original.jpg").dihedral();
    let files = [
        ("bridge-1-original.jpg", 0),
        ("bridge-2-rotate-90.jpg", 1),
        ("bridge-3-rotate-180.jpg", 2),
        ("bridge-4-rotate-270.jpg", 3),
        ("bridge-5-flipx.jpg", 4),
        ("bridge-6-flipy.jpg", 5),
        ("bridge-7-flip-plus-1.jpg", 6),
        ("bridge-8-flip-minus-1.jpg", 7),
    ];
    let table = orig.to_array();
    for (file, slot) in files {
        let h = hash(&format!("pdq/data/reg-test-input/dih/{file}")).hash;
        let d = h.distance(&table[slot]);
        assert!(d <= 8, "{file}: distance {d} to slot {slot}");
        let nearest = (0..8).min_by_key(|&i| h.distance(&table[i])).unwrap();
        assert_eq!(nearest, slot, "{file}");
    }
}
