//! Single-thread timing of the PDQ hasher, used by `bench/pdq/run.sh` (not a test).
//!
//! `pdq_bench pixels REPS FILE...`: decode each file once, then time hashing its decoded
//! pixels (all 8 dihedral hashes included), REPS times; prints the median.
//! `pdq_bench files REPS FILE...`: time read + decode + hash of each file, REPS times.
//! `pdq_bench fast REPS FILE...`: like `files` with the reduced-DCT JPEG mode (min side 256).
//! Output: one tab-separated line per file: path, width, height, hash, quality, median ms.

use std::path::Path;
use std::time::Instant;

use bulwark_pdq::Hasher;
use bulwark_pdq::decode::{DecodeOptions, decode_file};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err("usage: pdq_bench pixels|files|fast REPS FILE...".into());
    }
    let mode = args[1].as_str();
    let reps: usize = args[2].parse()?;
    if mode == "size" {
        // `pdq_bench size REPS WxH...`: synthetic noise pixels, for quick profiling.
        for size in &args[3..] {
            let (w, h) = size.split_once('x').ok_or("size must be WxH")?;
            let (w, h): (usize, usize) = (w.parse()?, h.parse()?);
            let mut state = 0x9E37_79B9_7F4A_7C15u64;
            let px: Vec<u8> = (0..w * h * 3)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 24) as u8
                })
                .collect();
            let mut hasher = Hasher::new();
            let mut times = Vec::new();
            for _ in 0..reps {
                let t = Instant::now();
                std::hint::black_box(hasher.hash_rgb8(w, h, &px)?);
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            let luma = bulwark_pdq::luma_from_rgb8(&px).ok_or("rgb length")?;
            let mut luma_times = Vec::new();
            for _ in 0..reps {
                let t = Instant::now();
                std::hint::black_box(hasher.hash_luma(w, h, &luma)?);
                luma_times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            println!(
                "{size}\trgb {:.4}\tluma {:.4}",
                median(times),
                median(luma_times)
            );
        }
        return Ok(());
    }
    let mut opts = DecodeOptions::default();
    if mode == "fast" {
        opts.jpeg_reduced_dct_min_side = Some(256);
    }
    let mut hasher = Hasher::new();
    for file in &args[3..] {
        let path = Path::new(file);
        let img = decode_file(path, &DecodeOptions::default())?;
        let mut times = Vec::with_capacity(reps);
        let mut out = img.hash(&mut hasher)?;
        for _ in 0..reps {
            let t = Instant::now();
            out = match mode {
                "pixels" => img.hash(&mut hasher)?,
                _ => decode_file(path, &opts)?.hash(&mut hasher)?,
            };
            // Touch the dihedral hashes so the comparison includes them.
            std::hint::black_box(out.dihedral());
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "{}\t{}\t{}\t{}\t{}\t{:.4}",
            file,
            img.width,
            img.height,
            out.hash,
            out.quality,
            median(times)
        );
    }
    Ok(())
}
