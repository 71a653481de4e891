//! Bit-exactness against the reference C++ on decoder-independent inputs:
//! `expected/synthetic.tsv` (45 rows) and the five intermediate dumps in `expected/dumps/`.

mod common;

use bulwark_pdq::{Hash256, Hasher, hash_grey8, hash_rgb8, jarosz_window, luma_from_rgb8};
use common::{read_vector, synthetic, tsv_rows};

#[test]
fn synthetic_tsv_every_row_bit_exact() {
    let rows = tsv_rows("expected/synthetic.tsv");
    assert_eq!(rows.len(), 45, "synthetic.tsv should have 45 vectors");
    let mut failures = Vec::new();
    for row in &rows {
        let (pattern, w, h, ch) = (
            row[0].as_str(),
            row[1].parse::<usize>().unwrap(),
            row[2].parse::<usize>().unwrap(),
            row[3].parse::<usize>().unwrap(),
        );
        let px = synthetic(pattern, w, h, ch);
        let out = if ch == 1 {
            hash_grey8(w, h, &px).unwrap()
        } else {
            hash_rgb8(w, h, &px).unwrap()
        };
        if row[4] != "-" {
            assert_eq!(
                jarosz_window(w).to_string(),
                row[4],
                "{pattern} {w}x{h} row window"
            );
            assert_eq!(
                jarosz_window(h).to_string(),
                row[5],
                "{pattern} {w}x{h} col window"
            );
        }
        let quality: u8 = row[6].parse().unwrap();
        let want: Vec<Hash256> = row[7..15].iter().map(|s| s.parse().unwrap()).collect();
        let got = out.dihedral().to_array();
        let dist: Vec<u32> = got.iter().zip(&want).map(|(a, b)| a.distance(b)).collect();
        if out.quality != quality || dist.iter().any(|&d| d != 0) {
            failures.push(format!(
                "{pattern} {w}x{h} c{ch}: quality {} want {quality}, distances {dist:?}",
                out.quality
            ));
        }
    }
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}

struct Dump {
    w: usize,
    h: usize,
    luma8: Vec<u32>,
    wr: usize,
    wc: usize,
    quality: u8,
    median: u32,
    hashes: Vec<Hash256>,
    buffer: Vec<u32>,
    dct: Vec<u32>,
}

fn parse_dump(name: &str) -> Dump {
    let text = read_vector(&format!("expected/dumps/{name}.txt"));
    let mut kv = std::collections::HashMap::new();
    let mut buffer = Vec::new();
    let mut dct = Vec::new();
    let mut section = 0;
    for line in text.lines() {
        if line.starts_with("buffer64x64_bits") {
            section = 1;
            continue;
        }
        if line.starts_with("dct16x16_bits") {
            section = 2;
            continue;
        }
        let hexes = || {
            line.split_whitespace()
                .map(|t| u32::from_str_radix(t, 16).unwrap())
        };
        match section {
            1 => buffer.extend(hexes()),
            2 => dct.extend(hexes()),
            _ => {
                if let Some((k, v)) = line.split_once(' ') {
                    kv.insert(k.to_owned(), v.to_owned());
                }
            }
        }
    }
    let get = |k: &str| {
        kv.get(k)
            .unwrap_or_else(|| panic!("{name}: no {k}"))
            .clone()
    };
    let names = [
        "hash",
        "hash_rot90",
        "hash_rot180",
        "hash_rot270",
        "hash_flipx",
        "hash_flipy",
        "hash_flipplus1",
        "hash_flipminus1",
    ];
    Dump {
        w: get("width").parse().unwrap(),
        h: get("height").parse().unwrap(),
        luma8: get("luma_first8_bits")
            .split_whitespace()
            .map(|t| u32::from_str_radix(t, 16).unwrap())
            .collect(),
        wr: get("window_along_rows").parse().unwrap(),
        wc: get("window_along_cols").parse().unwrap(),
        quality: get("quality").parse().unwrap(),
        median: u32::from_str_radix(&get("median_bits"), 16).unwrap(),
        hashes: names.iter().map(|n| get(n).parse().unwrap()).collect(),
        buffer,
        dct,
    }
}

fn check_dump(name: &str, pattern: &str) {
    let d = parse_dump(name);
    assert_eq!(d.buffer.len(), 4096, "{name}: buffer size");
    assert_eq!(d.dct.len(), 256, "{name}: dct size");
    let px = synthetic(pattern, d.w, d.h, 3);
    let luma = luma_from_rgb8(&px).unwrap();
    let luma8: Vec<u32> = luma.iter().take(8).map(|v| v.to_bits()).collect();
    assert_eq!(luma8, d.luma8, "{name}: luma");
    let t = Hasher::new().trace_luma(d.w, d.h, &luma).unwrap();
    assert_eq!(
        (t.window_along_rows, t.window_along_cols),
        (d.wr, d.wc),
        "{name}: windows"
    );
    let buf: Vec<u32> = t.buffer64.iter().flatten().map(|v| v.to_bits()).collect();
    let first_bad = buf.iter().zip(&d.buffer).position(|(a, b)| a != b);
    assert_eq!(first_bad, None, "{name}: first differing 64x64 sample");
    let dct: Vec<u32> = t
        .output
        .pdqf
        .iter()
        .flatten()
        .map(|v| v.to_bits())
        .collect();
    let first_bad = dct.iter().zip(&d.dct).position(|(a, b)| a != b);
    assert_eq!(first_bad, None, "{name}: first differing DCT coefficient");
    assert_eq!(t.median.to_bits(), d.median, "{name}: median");
    assert_eq!(t.output.quality, d.quality, "{name}: quality");
    assert_eq!(
        t.output.dihedral().to_array().to_vec(),
        d.hashes,
        "{name}: hashes"
    );
    // The RGB entry point (luma fused into the first pass) gives the same result.
    let direct = hash_rgb8(d.w, d.h, &px).unwrap();
    assert_eq!(direct, t.output, "{name}: rgb path vs luma path");
}

#[test]
fn dump_a_1600x1004() {
    check_dump("A_1600x1004_c3", "A");
}

#[test]
fn dump_a_5x5() {
    check_dump("A_5x5_c3", "A");
}

#[test]
fn dump_b_128x128() {
    check_dump("B_128x128_c3", "B");
}

#[test]
fn dump_c_640x480() {
    check_dump("C_640x480_c3", "C");
}

#[test]
fn dump_c_64x64() {
    check_dump("C_64x64_c3", "C");
}
