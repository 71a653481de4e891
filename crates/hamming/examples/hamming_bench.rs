//! Benchmark of the exact Hamming index (used by `bench/hamming/run.sh`).
//!
//! ```text
//! cargo run --release -p bulwark-hamming --example hamming_bench -- \
//!     --n 10000000 --queries 2000 --radius 31 [--holidays DIR] [--dump DIR] [--file PATH]
//! ```
//!
//! Data: `n` uniform random codes (fixed seed); queries: half "planted" (a stored code
//! with 0..=40 bits flipped, cycling) and half random. With `--holidays DIR` the stored
//! set and queries are the real Holidays PDQ hashes instead. `--dump DIR` writes the
//! codes and queries as raw 32-byte records for the faiss script. Prints one JSON line.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use bulwark_hamming::{Config, HammingIndex, Hash256, Strategy, brute_force};

fn splitmix(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn status(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// CPU time of the calling thread in seconds (immune to other processes' load).
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

fn huge_kb() -> u64 {
    std::fs::read_to_string("/proc/self/smaps_rollup")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("AnonHugePages:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// `n / secs`, or 0 when the interval is below the clock's resolution.
fn rate(n: usize, secs: f64) -> f64 {
    if secs > 1e-6 { n as f64 / secs } else { 0.0 }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn write_codes(path: &std::path::Path, codes: &[Hash256]) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(codes.len() * 32);
    for c in codes {
        bytes.extend_from_slice(&c.to_bytes());
    }
    std::fs::write(path, bytes)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--n").map_or(Ok(1_000_000), |v| v.parse())?;
    let nq: usize = arg(&args, "--queries").map_or(Ok(2000), |v| v.parse())?;
    let radius: u32 = arg(&args, "--radius").map_or(Ok(31), |v| v.parse())?;
    let recall_q: usize = arg(&args, "--recall-queries").map_or(Ok(200), |v| v.parse())?;
    let mut seed = 0x1234_5678u64;

    let (label, codes, queries, planted): (String, Vec<Hash256>, Vec<Hash256>, Vec<Option<usize>>) =
        if let Some(dir) = arg(&args, "--holidays") {
            let mut codes = Vec::new();
            for f in [
                "holidays-jpg1-pdq-hashes.csv",
                "holidays-jpg2-pdq-hashes.csv",
            ] {
                let text = std::fs::read_to_string(std::path::Path::new(&dir).join(f))?;
                for line in text.lines().filter(|l| !l.is_empty()) {
                    codes.push(Hash256::from_hex(line.split(',').next().unwrap_or(""))?);
                }
            }
            // queries: every stored hash, plus copies with 1..=40 bits flipped
            let mut queries = Vec::new();
            let mut planted = Vec::new();
            for (i, &c) in codes.iter().enumerate() {
                let d = (i % 41) as u32;
                let mut q = c;
                for _ in 0..d {
                    q = q.flip_bit((splitmix(&mut seed) % 256) as u32);
                }
                queries.push(q);
                planted.push((q.distance(&c) <= radius).then_some(i));
            }
            ("holidays".to_string(), codes, queries, planted)
        } else {
            let codes: Vec<Hash256> = (0..n)
                .map(|_| {
                    Hash256([
                        splitmix(&mut seed),
                        splitmix(&mut seed),
                        splitmix(&mut seed),
                        splitmix(&mut seed),
                    ])
                })
                .collect();
            let mut queries = Vec::with_capacity(nq);
            let mut planted = Vec::with_capacity(nq);
            for i in 0..nq {
                if i % 2 == 0 {
                    let k = (splitmix(&mut seed) % n as u64) as usize;
                    let d = ((i / 2) % 41) as u32;
                    // flip exactly d distinct bits
                    let mut bits: Vec<u32> = (0..256).collect();
                    let mut q = codes[k];
                    for j in 0..d as usize {
                        let s = j + (splitmix(&mut seed) as usize) % (256 - j);
                        bits.swap(j, s);
                        q = q.flip_bit(bits[j]);
                    }
                    queries.push(q);
                    planted.push((d <= radius).then_some(k));
                } else {
                    queries.push(Hash256([
                        splitmix(&mut seed),
                        splitmix(&mut seed),
                        splitmix(&mut seed),
                        splitmix(&mut seed),
                    ]));
                    planted.push(None);
                }
            }
            (format!("random-{n}"), codes, queries, planted)
        };
    if let Some(dir) = arg(&args, "--dump") {
        std::fs::create_dir_all(&dir)?;
        write_codes(&std::path::Path::new(&dir).join("codes.bin"), &codes)?;
        write_codes(&std::path::Path::new(&dir).join("queries.bin"), &queries)?;
    }
    let n = codes.len();
    if let Some(path) = arg(&args, "--serve") {
        // a serving process: opens a saved index (memory-mapped) and answers queries
        drop(codes);
        let rss0 = status("VmRSS:");
        let t = Instant::now();
        let idx = HammingIndex::open(&path)?;
        let open_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let c0 = thread_cpu();
        let mut found = 0;
        for q in &queries {
            found += idx.query(q, radius).len();
        }
        let qps1 = queries.len() as f64 / t.elapsed().as_secs_f64();
        let qps1_cpu = rate(queries.len(), thread_cpu() - c0);
        let t = Instant::now();
        let r2 = idx.query_batch_parallel(&queries, radius, 2);
        let qps2 = queries.len() as f64 / t.elapsed().as_secs_f64();
        let found2: usize = r2.iter().map(Vec::len).sum();
        println!(
            "{{\"engine\":\"bulwark\",\"mode\":\"serve\",\"data\":\"{label}\",\"n\":{n},\"queries\":{},\"radius\":{radius},\"open_s\":{open_s:.3},\"qps_1t\":{qps1:.0},\"qps_1t_cpu\":{qps1_cpu:.0},\"qps_2t\":{qps2:.0},\"matches\":{found},\"same_2t\":{},\"index_rss_mb\":{},\"rss_mb\":{},\"file_bytes\":{}}}",
            queries.len(),
            found == found2,
            (status("VmRSS:") - rss0.min(status("VmRSS:"))) / 1024,
            status("VmRSS:") / 1024,
            std::fs::metadata(&path)?.len()
        );
        return Ok(());
    }
    let rss_data = status("VmRSS:");

    let t = Instant::now();
    let c0 = thread_cpu();
    let reuse = arg(&args, "--reuse");
    let idx = match &reuse {
        Some(p) if std::path::Path::new(p).exists() => HammingIndex::open(p)?,
        _ => {
            let idx = HammingIndex::build(
                codes.iter().enumerate().map(|(i, &h)| (i as u64, h)),
                Config::default(),
            )?;
            if let Some(p) = &reuse {
                idx.save(p)?;
            }
            idx
        }
    };
    let build_s = t.elapsed().as_secs_f64();
    let build_cpu = thread_cpu() - c0;
    let rss_built = status("VmRSS:");
    let hwm_built = status("VmHWM:");
    let huge_kb = huge_kb();
    let stats = idx.stats();
    let tables = stats.segments.first().map_or(0, |s| s.substring_bits.len());
    let layout = stats
        .segments
        .first()
        .map_or(String::new(), |s| format!("{:?}", s.substring_bits));

    // one thread, one query at a time
    let t = Instant::now();
    let c0 = thread_cpu();
    let mut found = 0usize;
    let mut results = Vec::with_capacity(queries.len());
    for q in &queries {
        let r = idx.query(q, radius);
        found += r.len();
        results.push(r);
    }
    let qps1 = queries.len() as f64 / t.elapsed().as_secs_f64();
    let qps1_cpu = rate(queries.len(), thread_cpu() - c0);
    let t = Instant::now();
    let r2 = idx.query_batch_parallel(&queries, radius, 2);
    let qps2 = queries.len() as f64 / t.elapsed().as_secs_f64();
    let same_2 = r2 == results;

    // planted recall and exactness against brute force on a subset
    let planted_total = planted.iter().filter(|p| p.is_some()).count();
    let planted_found = planted
        .iter()
        .zip(&results)
        .filter(|(p, r)| p.is_some_and(|k| r.iter().any(|m| m.id == k as u64)))
        .count();
    let scan = HammingIndex::build(
        codes.iter().enumerate().map(|(i, &h)| (i as u64, h)),
        Config {
            tables: Some(0),
            strategy: Strategy::Scan,
            ..Config::default()
        },
    )?;
    let sub = recall_q.min(queries.len());
    let t = Instant::now();
    let truth = scan.query_batch(&queries[..sub], radius);
    let brute_qps = sub as f64 / t.elapsed().as_secs_f64();
    drop(scan);
    let truth_pairs: usize = truth.iter().map(Vec::len).sum();
    let got_pairs: usize = truth
        .iter()
        .zip(&results)
        .map(|(t, r)| t.iter().filter(|m| r.contains(m)).count())
        .sum();
    let exact_subset = truth.iter().zip(&results).all(|(t, r)| t == r);
    // the oracle itself checked against the plain reference on a few queries
    if n <= 2_000_000 {
        let entries: Vec<(u64, Hash256)> = codes
            .iter()
            .enumerate()
            .map(|(i, &h)| (i as u64, h))
            .collect();
        for (q, t) in queries.iter().zip(&truth).take(5) {
            assert_eq!(&brute_force(&entries, q, radius), t);
        }
    }

    // file round trip
    let mut file_json = String::new();
    if let Some(path) = arg(&args, "--file") {
        let t = Instant::now();
        idx.save(&path)?;
        let save_s = t.elapsed().as_secs_f64();
        drop(idx);
        let t = Instant::now();
        let loaded = HammingIndex::open(&path)?;
        let open_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut same = true;
        for (q, r) in queries.iter().zip(&results) {
            same &= &loaded.query(q, radius) == r;
        }
        let qps_mapped = queries.len() as f64 / t.elapsed().as_secs_f64();
        let size = std::fs::metadata(&path)?.len();
        file_json = format!(
            ",\"file_bytes\":{size},\"save_s\":{save_s:.3},\"open_s\":{open_s:.3},\"qps_1t_mapped\":{qps_mapped:.0},\"mapped_same\":{same}"
        );
    }

    println!(
        "{{\"engine\":\"bulwark\",\"mode\":\"build\",\"data\":\"{label}\",\"n\":{n},\"queries\":{},\"radius\":{radius},\"kernel\":\"{:?}\",\"tables\":{tables},\"substring_bits\":\"{layout}\",\"build_s\":{build_s:.3},\"build_cpu_s\":{build_cpu:.3},\"rss_data_mb\":{},\"rss_built_mb\":{},\"index_rss_mb\":{},\"huge_pages_mb\":{},\"hwm_built_mb\":{},\"qps_1t\":{qps1:.0},\"qps_1t_cpu\":{qps1_cpu:.0},\"qps_2t\":{qps2:.0},\"two_threads_same\":{same_2},\"matches\":{found},\"planted\":{planted_total},\"planted_found\":{planted_found},\"recall_queries\":{sub},\"truth_pairs\":{truth_pairs},\"recall\":{:.6},\"exact_on_subset\":{exact_subset},\"brute_qps_batched\":{brute_qps:.1}{file_json}}}",
        queries.len(),
        stats.kernel,
        rss_data / 1024,
        rss_built / 1024,
        rss_built.saturating_sub(rss_data) / 1024,
        huge_kb / 1024,
        hwm_built / 1024,
        if truth_pairs == 0 {
            1.0
        } else {
            got_pairs as f64 / truth_pairs as f64
        },
    );
    Ok(())
}
