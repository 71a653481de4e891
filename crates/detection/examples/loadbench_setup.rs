//! Sets up a database for the detection load benchmark (`bench/detection/run.sh`):
//! a trusted issuer key, one signed list of N random PDQ indicators imported
//! through `lists::import` in versions of `--chunk` indicators, an active
//! voluntary basis for a provider, a provider token, and a set of distinct
//! 512x512 JPEGs (the first `--matching` of them are indicators on the list).
//!
//!   cargo run --release -p bulwark-detection --example loadbench_setup -- \
//!       --db bench.db --n 10000000 --chunk 1000000 --images 300 --matching 30 --out DIR
//!
//! Writes `DIR/env` (TOKEN, BASIS, PROVIDER, SERVICE), `DIR/hashes.txt` (query
//! hashes: 1 in 20 within 8 bits of an indicator, the rest random),
//! `DIR/images/*.jpg` and `DIR/setup.json` (timings).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use md5::Md5;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

use bulwark_core::{MemberStateScope, Role, Timestamp};
use bulwark_detection::basis;
use bulwark_detection::lists::{self, IndicatorEntry, ListPayload};
use bulwark_detection::signing::KeyPair;
use bulwark_detection::vocab::{Category, IssuerRole};
use bulwark_pdq::decode::DecodeOptions;
use bulwark_store::tokens::{self, NewToken};
use bulwark_store::{Actor, Store};

const PROVIDER: &str = "Loadbench provider";
const SERVICE: &str = "loadbench-images";
const LIST: &str = "loadbench-random";
const SIDE: usize = 512;

struct Args {
    db: String,
    n: usize,
    chunk: usize,
    images: usize,
    matching: usize,
    out: PathBuf,
    seed: u64,
}

fn args() -> Args {
    let mut a = Args {
        db: "loadbench.db".into(),
        n: 1_000_000,
        chunk: 1_000_000,
        images: 300,
        matching: 30,
        out: PathBuf::from("loadbench-out"),
        seed: 42,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--db" => a.db = v,
            "--n" => a.n = v.parse().expect("--n"),
            "--chunk" => a.chunk = v.parse().expect("--chunk"),
            "--images" => a.images = v.parse().expect("--images"),
            "--matching" => a.matching = v.parse().expect("--matching"),
            "--out" => a.out = PathBuf::from(v),
            "--seed" => a.seed = v.parse().expect("--seed"),
            _ => panic!("unknown argument {k}"),
        }
    }
    assert!(a.matching <= a.images && a.matching <= a.n && a.chunk > 0);
    a
}

type Shape = (usize, usize, usize, usize, [u8; 3], bool);

/// A photo-like 512x512 RGB image: a smooth colour field, shapes and mild noise.
fn image(rng: &mut StdRng) -> Vec<u8> {
    let corners: [[f32; 3]; 4] =
        std::array::from_fn(|_| std::array::from_fn(|_| rng.random_range(0.0..255.0)));
    let shapes: Vec<Shape> = (0..12)
        .map(|_| {
            (
                rng.random_range(0..SIDE),
                rng.random_range(0..SIDE),
                rng.random_range(20..SIDE / 3),
                rng.random_range(20..SIDE / 3),
                std::array::from_fn(|_| rng.random()),
                rng.random(),
            )
        })
        .collect();
    let mut px = vec![0u8; SIDE * SIDE * 3];
    for y in 0..SIDE {
        for x in 0..SIDE {
            let (fx, fy) = (x as f32 / SIDE as f32, y as f32 / SIDE as f32);
            let mut c: [f32; 3] = std::array::from_fn(|k| {
                corners[0][k] * (1.0 - fx) * (1.0 - fy)
                    + corners[1][k] * fx * (1.0 - fy)
                    + corners[2][k] * (1.0 - fx) * fy
                    + corners[3][k] * fx * fy
            });
            for &(x0, y0, w, h, col, ellipse) in &shapes {
                let inside = if ellipse {
                    let (cx, cy) = (x0 as f32 + w as f32 / 2.0, y0 as f32 + h as f32 / 2.0);
                    let dx = (x as f32 - cx) / (w as f32 / 2.0);
                    let dy = (y as f32 - cy) / (h as f32 / 2.0);
                    dx * dx + dy * dy <= 1.0
                } else {
                    x >= x0 && x < x0 + w && y >= y0 && y < y0 + h
                };
                if inside {
                    c = std::array::from_fn(|k| f32::from(col[k]));
                }
            }
            for (k, v) in c.iter().enumerate() {
                let noise: f32 = rng.random_range(-6.0..6.0);
                px[(y * SIDE + x) * 3 + k] = (v + noise).clamp(0.0, 255.0) as u8;
            }
        }
    }
    px
}

fn jpeg(px: &[u8]) -> Vec<u8> {
    let mut comp = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
    comp.set_size(SIDE, SIDE);
    comp.set_quality(90.0);
    let mut started = comp.start_compress(Vec::new()).expect("jpeg start");
    started.write_scanlines(px).expect("jpeg scanlines");
    started.finish().expect("jpeg finish")
}

fn random_hex(rng: &mut StdRng, bytes: usize) -> String {
    let v: Vec<u8> = (0..bytes).map(|_| rng.random()).collect();
    hex::encode(v)
}

/// `hex` with `bits` distinct random bits flipped.
fn flip(rng: &mut StdRng, hex: &str, bits: usize) -> String {
    let mut b = hex::decode(hex).expect("hex");
    let mut done = std::collections::BTreeSet::new();
    while done.len() < bits {
        let i: usize = rng.random_range(0..256);
        if done.insert(i) {
            b[i / 8] ^= 1 << (i % 8);
        }
    }
    hex::encode(b)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args();
    let mut rng = StdRng::seed_from_u64(a.seed);
    std::fs::create_dir_all(a.out.join("images"))?;
    let store = Store::open(&a.db).await?;
    bulwark_detection::migrate(&store).await?;
    let actor = Actor::cli(PROVIDER);
    let now = Timestamp::now();

    // Images: the first `matching` are indicators (PDQ, MD5, SHA-256).
    let t = Instant::now();
    let mut matching = Vec::new();
    for i in 0..a.images {
        let bytes = jpeg(&image(&mut rng));
        std::fs::write(a.out.join("images").join(format!("img-{i:04}.jpg")), &bytes)?;
        if i < a.matching {
            let out = bulwark_pdq::decode::hash_bytes(&bytes, &DecodeOptions::default())?;
            matching.push(IndicatorEntry {
                id: format!("img-{i:04}"),
                pdq: Some(out.hash.to_hex()),
                md5: Some(hex::encode(Md5::digest(&bytes))),
                sha256: Some(hex::encode(Sha256::digest(&bytes))),
                quality: Some(out.quality),
            });
        }
    }
    let images_s = t.elapsed().as_secs_f64();
    eprintln!("{} images in {images_s:.1} s", a.images);

    // Some random indicators are remembered to plant near-matches among
    // the query hashes.
    let mut planted: Vec<String> = Vec::new();
    let key = KeyPair::generate("Loadbench issuer");
    lists::trust_key(
        &store,
        &actor,
        &key.public(),
        IssuerRole::EuCentre,
        now,
        "loadbench",
    )
    .await?;
    let t = Instant::now();
    let mut previous: Option<String> = None;
    let mut made = 0usize;
    let mut version = 0u64;
    let mut imports = Vec::new();
    while made < a.n {
        version += 1;
        let take = a.chunk.min(a.n - made);
        let mut add = Vec::with_capacity(take);
        if version == 1 {
            add.append(&mut matching);
        }
        while add.len() < take {
            let pdq = random_hex(&mut rng, 32);
            if planted.len() < 1000 && rng.random_range(0..100) == 0 {
                planted.push(pdq.clone());
            }
            add.push(IndicatorEntry {
                id: format!("r{}", made + add.len()),
                pdq: Some(pdq),
                md5: None,
                sha256: None,
                quality: Some(100),
            });
        }
        made += add.len();
        let payload = ListPayload {
            list_id: LIST.into(),
            issuer: key.public().issuer,
            category: Category::Test,
            source: "Bulwark load benchmark: random PDQ hashes".into(),
            version,
            previous_digest: previous.clone(),
            issued_at: now,
            add,
            remove: vec![],
        };
        let env = lists::sign_list(&key, &payload)?;
        drop(payload);
        let ti = Instant::now();
        let change = lists::import(&store, &actor, &env, now, "loadbench").await?;
        previous = Some(lists::digest_of(&env));
        let s = ti.elapsed().as_secs_f64();
        eprintln!(
            "version {version}: {} indicators imported in {s:.1} s ({made} total)",
            change.added.len()
        );
        imports.push(s);
    }
    let import_s = t.elapsed().as_secs_f64();

    let new = basis::demo_voluntary(PROVIDER, SERVICE, now, 180)
        .ok_or("no voluntary-detection instrument applies today")?;
    let b = basis::create(&store, &actor, new, now, "loadbench").await?;
    let issued = tokens::create(
        &store,
        &Actor::system(),
        &MemberStateScope::All,
        NewToken {
            name: "loadbench provider".into(),
            role: Role::Provider,
            organisation: PROVIDER.into(),
            scope: MemberStateScope::All,
            expires_at: None,
        },
        "loadbench",
    )
    .await?;

    let mut hashes = std::io::BufWriter::new(std::fs::File::create(a.out.join("hashes.txt"))?);
    for i in 0..20_000usize {
        let h = if i.is_multiple_of(20) && !planted.is_empty() {
            let p = planted[rng.random_range(0..planted.len())].clone();
            flip(&mut rng, &p, 8)
        } else {
            random_hex(&mut rng, 32)
        };
        writeln!(hashes, "{h}")?;
    }
    hashes.flush()?;
    std::fs::write(
        a.out.join("env"),
        format!(
            "TOKEN={}\nBASIS={}\nPROVIDER='{PROVIDER}'\nSERVICE={SERVICE}\n",
            issued.secret, b.id
        ),
    )?;
    let summary = serde_json::json!({
        "indicators": a.n,
        "chunk": a.chunk,
        "versions": version,
        "images": a.images,
        "matching_images": a.matching,
        "images_s": images_s,
        "import_s": import_s,
        "import_version_s": imports,
        "key_id": key.public().key_id,
    });
    std::fs::write(
        a.out.join("setup.json"),
        serde_json::to_string_pretty(&summary)?,
    )?;
    println!("{summary}");
    store.close().await;
    Ok(())
}
