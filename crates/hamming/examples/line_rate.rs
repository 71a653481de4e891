//! How fast this machine reads random cache lines, by working-set size: the bound under
//! the index's queries, which are thousands of independent random lines each.
//!
//! ```text
//! cargo run --release -p bulwark-hamming --example line_rate -- 256 1024 2048 4096
//! ```
//!
//! For each size (MiB): anonymous memory advised for transparent huge pages (as the index's
//! arrays are), 20M random line reads with a T1 prefetch 32 reads ahead; prints millions of
//! lines per second. A sharp drop past some size means the TLB no longer covers the set.
//!
//! `line_rate -- --spread` instead reads the same 65,536 lines (4 MiB, which the caches
//! hold) spread over 4 MiB to 1 GiB of huge-page memory: if the time per line grows with
//! the spread, translations, not the data, are what miss (the TLB is mapping 4 KiB pages,
//! e.g. a guest whose memory the host backs with small pages).
//!
//! `line_rate -- --sorted` asks whether batching queries could help: the random lines of
//! `B` queries at once (5,000 lines each, as a query at 10M codes reads, in 1 GiB) read in
//! the order they come and in address order (after a radix sort, timed apart): with many
//! lines per page, sorted reads share translations and DRAM rows.
#![allow(clippy::print_stdout, unsafe_code)]

use std::time::Instant;

fn splitmix(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[inline(always)]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching never faults; `p` points into the mapping anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(p.cast::<i8>())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    const READS: usize = 20_000_000;
    const AHEAD: usize = 32;
    match std::env::args().nth(1).as_deref() {
        Some("--spread") => return spread(READS, AHEAD),
        Some("--sorted") => return sorted(AHEAD),
        _ => {}
    }
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() {
        vec![256, 1024, 2048, 4096]
    } else {
        sizes
    };
    for mib in sizes {
        let bytes = mib << 20;
        let mut map = memmap2::MmapMut::map_anon(bytes)?;
        map.advise(memmap2::Advice::HugePage)?;
        map.fill(1);
        let lines = bytes / 64;
        let mut s = 7u64;
        let idx: Vec<usize> = (0..READS)
            .map(|_| (splitmix(&mut s) % lines as u64) as usize * 64)
            .collect();
        let base = map.as_ptr();
        let t = Instant::now();
        let mut sum = 0u64;
        for i in 0..READS {
            if let Some(&ahead) = idx.get(i + AHEAD) {
                prefetch(base.wrapping_add(ahead));
            }
            sum += u64::from(map[idx[i]]);
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{mib} MiB: {:.1} M lines/s ({:.1} ns/line; checksum {sum})",
            READS as f64 / secs / 1e6,
            secs / READS as f64 * 1e9
        );
    }
    Ok(())
}

/// Reads 65,536 fixed lines (one at a random offset in each `stride`-byte window) spread
/// over ever larger spans of one huge-page mapping.
fn spread(reads: usize, ahead: usize) -> Result<(), Box<dyn std::error::Error>> {
    const LINES: usize = 65_536;
    let mut map = memmap2::MmapMut::map_anon(LINES * 16384)?;
    map.advise(memmap2::Advice::HugePage)?;
    map.fill(1);
    for stride in [64usize, 128, 512, 4096, 16384] {
        let mut s = 99u64;
        let lines: Vec<usize> = (0..LINES)
            .map(|i| i * stride + (splitmix(&mut s) as usize % (stride / 64)) * 64)
            .collect();
        let idx: Vec<usize> = (0..reads)
            .map(|_| lines[(splitmix(&mut s) % LINES as u64) as usize])
            .collect();
        let base = map.as_ptr();
        let t = Instant::now();
        let mut sum = 0u64;
        for i in 0..reads {
            if let Some(&a) = idx.get(i + ahead) {
                prefetch(base.wrapping_add(a));
            }
            sum += u64::from(map[idx[i]]);
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "4 MiB of lines over {} MiB: {:.1} ns/line (checksum {sum})",
            (LINES * stride) >> 20,
            secs / reads as f64 * 1e9
        );
    }
    Ok(())
}

/// Reads the random lines of `batch` queries (5,000 lines each) in 1 GiB of huge-page
/// memory, in arrival order and in address order; prints ns per line for both and for the
/// sort that puts them in address order (one LSD radix pass per 8 bits of line number).
fn sorted(ahead: usize) -> Result<(), Box<dyn std::error::Error>> {
    const PER_QUERY: usize = 5_000;
    const SPAN: usize = 1 << 30;
    let mut map = memmap2::MmapMut::map_anon(SPAN)?;
    map.advise(memmap2::Advice::HugePage)?;
    map.fill(1);
    let base = map.as_ptr();
    let read = |idx: &[u32]| {
        let mut sum = 0u64;
        for i in 0..idx.len() {
            if let Some(&a) = idx.get(i + ahead) {
                prefetch(base.wrapping_add(a as usize * 64));
            }
            sum += u64::from(map[idx[i] as usize * 64]);
        }
        sum
    };
    let mut s = 5u64;
    for batch in [1usize, 16, 64, 256, 1024] {
        let n = batch * PER_QUERY;
        let rounds = (10_000_000 / n).max(1);
        let (mut t_random, mut t_sort, mut t_sorted, mut sum) = (0.0, 0.0, 0.0, 0u64);
        for _ in 0..rounds {
            let idx: Vec<u32> = (0..n)
                .map(|_| (splitmix(&mut s) % (SPAN / 64) as u64) as u32)
                .collect();
            let t = Instant::now();
            sum += read(&idx);
            t_random += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let ordered = radix_sort(idx);
            t_sort += t.elapsed().as_secs_f64();
            let t = Instant::now();
            sum += read(&ordered);
            t_sorted += t.elapsed().as_secs_f64();
        }
        let per = |secs: f64| secs / (rounds * n) as f64 * 1e9;
        println!(
            "{batch} queries ({:.1} lines per 4 KiB page): arrival order {:.1} ns/line, \
             address order {:.1} + sort {:.1} ns/line (checksum {sum})",
            n as f64 / (SPAN / 4096) as f64,
            per(t_random),
            per(t_sorted),
            per(t_sort)
        );
    }
    Ok(())
}

/// Sorts line numbers (< 2^24) with three 8-bit LSD radix passes.
fn radix_sort(mut v: Vec<u32>) -> Vec<u32> {
    let mut tmp = vec![0u32; v.len()];
    for shift in [0u32, 8, 16] {
        let mut count = [0usize; 257];
        for &x in &v {
            count[((x >> shift) & 0xff) as usize + 1] += 1;
        }
        for i in 0..256 {
            count[i + 1] += count[i];
        }
        for &x in &v {
            let b = ((x >> shift) & 0xff) as usize;
            tmp[count[b]] = x;
            count[b] += 1;
        }
        std::mem::swap(&mut v, &mut tmp);
    }
    v
}
