//! The demo's stand-in detection setup: benign images the project draws
//! itself (never real material), a demo issuer key, a signed indicator list
//! of their hashes, and an active voluntary basis, so that `bulwark detect
//! scan` finds matches right after `bulwark serve --demo`.

use std::io::Cursor;

use serde::{Deserialize, Serialize};

use bulwark_core::Timestamp;
use bulwark_store::{Actor, Store};

use crate::basis::{Basis, demo_voluntary};
use crate::error::{DetectionError, Result};
use crate::lists::{IndicatorEntry, ListPayload, sign_list};
use crate::signing::KeyPair;
use crate::vocab::Category;

/// The demo provider's organisation name.
pub const DEMO_PROVIDER: &str = "demo-provider";
/// The demo provider's scanned service.
pub const DEMO_SERVICE: &str = "demo-photos";
/// The demo list's id.
pub const DEMO_LIST: &str = "demo-benign-stand-ins";
/// How many stand-in images the demo draws.
pub const DEMO_IMAGES: usize = 12;

/// A small deterministic generator (xorshift64*), so demo images are the
/// same on every machine.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n.max(1))) as u32
    }
}

/// Draws stand-in image `index` (256 x 256 RGB): a colour gradient, a
/// ripple texture and a few discs and bars, all from a seed.
pub fn stand_in_image(index: usize) -> image::RgbImage {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((index as u64 + 1) * 0x1000_0001));
    let (w, h) = (256u32, 256u32);
    let base = [
        rng.below(200) as f32,
        rng.below(200) as f32,
        rng.below(200) as f32,
    ];
    let fx = 0.02 + rng.below(50) as f32 / 1000.0;
    let fy = 0.02 + rng.below(50) as f32 / 1000.0;
    let mut img = image::RgbImage::from_fn(w, h, |x, y| {
        let ripple = ((x as f32 * fx).sin() + (y as f32 * fy).cos()) * 25.0;
        let g = (x + y) as f32 / 512.0 * 55.0;
        let px = |c: f32| (c + ripple + g).clamp(0.0, 255.0) as u8;
        image::Rgb([px(base[0]), px(base[1]), px(base[2])])
    });
    for _ in 0..6 {
        let (cx, cy, r) = (
            rng.below(w) as i64,
            rng.below(h) as i64,
            12 + rng.below(50) as i64,
        );
        let colour = image::Rgb([
            rng.below(256) as u8,
            rng.below(256) as u8,
            rng.below(256) as u8,
        ]);
        for y in (cy - r).max(0)..(cy + r).min(h as i64) {
            for x in (cx - r).max(0)..(cx + r).min(w as i64) {
                if (x - cx).pow(2) + (y - cy).pow(2) <= r * r {
                    img.put_pixel(x as u32, y as u32, colour);
                }
            }
        }
    }
    for _ in 0..3 {
        let (x0, y0) = (rng.below(w - 20), rng.below(h - 20));
        let (bw, bh) = (10 + rng.below(80), 10 + rng.below(80));
        let colour = image::Rgb([
            rng.below(256) as u8,
            rng.below(256) as u8,
            rng.below(256) as u8,
        ]);
        for y in y0..(y0 + bh).min(h) {
            for x in x0..(x0 + bw).min(w) {
                img.put_pixel(x, y, colour);
            }
        }
    }
    img
}

/// Stand-in image `index` as PNG bytes.
pub fn stand_in_png(index: usize) -> Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    stand_in_image(index)
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| DetectionError::invalid("image", e.to_string()))?;
    Ok(out.into_inner())
}

/// The demo issuer's key (fixed, so its lists can be re-signed by the demo;
/// a real issuer's key is generated with [`KeyPair::generate`] and kept secret).
pub fn demo_issuer_key() -> KeyPair {
    KeyPair::from_secret("EU Centre (demo)", [7u8; 32])
}

/// Version 1 of the demo list: the stand-in images' PDQ hashes, MD5 and SHA-256.
pub fn demo_list(now: Timestamp) -> Result<ListPayload> {
    use md5::Md5;
    use sha2::{Digest, Sha256};
    let mut add = Vec::new();
    for i in 0..DEMO_IMAGES {
        let png = stand_in_png(i)?;
        let img = stand_in_image(i);
        let out = bulwark_pdq::hash_rgb8(img.width() as usize, img.height() as usize, img.as_raw())
            .map_err(|e| DetectionError::invalid("image", e.to_string()))?;
        add.push(IndicatorEntry {
            id: format!("demo-{i:02}"),
            pdq: Some(out.hash.to_hex()),
            md5: Some(hex::encode(Md5::digest(&png))),
            sha256: Some(hex::encode(Sha256::digest(&png))),
            quality: Some(out.quality),
        });
    }
    Ok(ListPayload {
        list_id: DEMO_LIST.into(),
        issuer: demo_issuer_key().issuer,
        category: Category::Test,
        source: "Bulwark demo: benign generated images".into(),
        version: 1,
        previous_digest: None,
        issued_at: now,
        add,
        remove: vec![],
    })
}

/// What the demo seeded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoDetection {
    /// The demo provider.
    pub provider: String,
    /// The active voluntary basis.
    pub basis: Basis,
    /// Indicators in the demo list.
    pub indicators: usize,
}

/// Seeds the demo (idempotent: does nothing if the demo list exists and
/// returns the demo provider's newest basis in force).
pub async fn seed(store: &Store, actor: &Actor, now: Timestamp) -> Result<DemoDetection> {
    let lists = crate::lists::list(store).await?;
    if let Some(l) = lists.iter().find(|l| l.list_id == DEMO_LIST) {
        let bases = crate::basis::list(store, Some(DEMO_PROVIDER)).await?;
        if let Some(b) = bases.into_iter().find(|b| b.in_force(now)) {
            return Ok(DemoDetection {
                provider: DEMO_PROVIDER.into(),
                basis: b,
                indicators: l.active as usize,
            });
        }
    } else {
        let key = demo_issuer_key();
        crate::lists::trust_key(
            store,
            actor,
            &key.public(),
            crate::vocab::IssuerRole::EuCentre,
            now,
            "demo",
        )
        .await?;
        let env = sign_list(&key, &demo_list(now)?)?;
        crate::lists::import(store, actor, &env, now, "demo").await?;
    }
    let new = demo_voluntary(DEMO_PROVIDER, DEMO_SERVICE, now, 180).ok_or_else(|| {
        DetectionError::Refused("no voluntary-detection instrument applies today".into())
    })?;
    let basis = crate::basis::create(store, actor, new, now, "demo").await?;
    Ok(DemoDetection {
        provider: DEMO_PROVIDER.into(),
        basis,
        indicators: DEMO_IMAGES,
    })
}
