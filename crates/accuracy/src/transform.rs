//! The transformations applied to every original: deterministic functions of the image and
//! a seed.
//!
//! Each [`Transform`] has a stable `name` (used in tables, CSV and as part of the RNG label),
//! a `family` (plotted together) and a one-line description. Transformations that need
//! randomness (overlay positions and colours, crop offsets, caption text) draw it from an
//! RNG derived from the run seed, the transformation name and the original's index, so the
//! result does not depend on the order of work or the number of threads.

use image::imageops::{self, FilterType};
use image::{Rgb, RgbImage};

use crate::rng::SplitMix64;
use crate::{AccuracyError, font};

/// One transformation of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transform {
    /// The original pixels, unchanged (baseline: must match at distance 0).
    Identity,
    /// Encode as baseline JPEG at this quality (1-100) with the `image` crate's encoder,
    /// then decode with Bulwark's decoder (libjpeg-turbo), as an upload pipeline would.
    Jpeg {
        /// Encoder quality, 1-100.
        quality: u8,
    },
    /// Scale both sides to this percentage (bilinear/triangle filter; below 100 shrinks).
    Resize {
        /// Percentage of the original width and height.
        percent: u32,
    },
    /// Remove this percentage of the width and of the height, keeping the centre.
    CropCentre {
        /// Percentage of each side removed in total (half on each edge).
        percent: u32,
    },
    /// Remove this percentage of the width and of the height, keeping a window at a
    /// random (seeded) position.
    CropOffset {
        /// Percentage of each side removed in total.
        percent: u32,
    },
    /// Rotate by 90 degrees clockwise (lossless).
    Rotate90,
    /// Rotate by 180 degrees (lossless).
    Rotate180,
    /// Rotate by 270 degrees clockwise (lossless).
    Rotate270,
    /// Rotate by a small angle counter-clockwise about the centre, same canvas size,
    /// bilinear sampling, black where the rotated image does not cover the canvas.
    RotateSmall {
        /// Angle in degrees.
        degrees: u32,
    },
    /// Mirror left-right.
    FlipHorizontal,
    /// Mirror top-bottom.
    FlipVertical,
    /// Pad all four sides with a plain border of this percentage of the width (left and
    /// right) and of the height (top and bottom).
    Border {
        /// Border thickness in percent of the corresponding side.
        percent: u32,
        /// Border colour.
        colour: [u8; 3],
    },
    /// Add black bars above and below, each this percentage of the height (letterboxing).
    Letterbox {
        /// Bar height in percent of the image height.
        percent: u32,
    },
    /// Paint an opaque square "logo" (seeded colours, ring and stripe) whose side is this
    /// percentage of the shorter side, in a seeded corner.
    Logo {
        /// Logo side in percent of the shorter image side.
        percent: u32,
    },
    /// Paint an opaque plain rectangle covering this percentage of the width and of the
    /// height, at a seeded position and in a seeded colour.
    Block {
        /// Rectangle size in percent of each side.
        percent: u32,
    },
    /// A white caption bar across the bottom (this percentage of the height) with black
    /// text drawn in the crate's bitmap font.
    CaptionBar {
        /// Bar height in percent of the image height.
        percent: u32,
    },
    /// White text with a black outline drawn straight onto the picture near the top
    /// (meme style), about 80% of the width wide, text height about this percentage of
    /// the image height.
    MemeText {
        /// Approximate text height in percent of the image height.
        percent: u32,
    },
    /// Add this value to every channel (clamped), `image::imageops::brighten`.
    Brightness {
        /// Added value, -255..=255.
        delta: i32,
    },
    /// Change contrast by this percentage, `image::imageops::contrast`.
    Contrast {
        /// Contrast change in percent (negative lowers contrast).
        percent: i32,
    },
    /// Convert to greyscale (`image::imageops::grayscale`), stored back as RGB.
    Greyscale,
}

/// The fixed texts of the caption transformations; one is chosen per image from the seed.
const CAPTIONS: [&str; 4] = [
    "BULWARK TEST IMAGE",
    "KNOWN CONTENT 2026",
    "SHARED FROM ELSEWHERE",
    "SAMPLE CAPTION 42",
];

impl Transform {
    /// The default suite: every transformation the published results cover.
    pub fn default_suite() -> Vec<Transform> {
        use Transform::*;
        vec![
            Identity,
            Jpeg { quality: 90 },
            Jpeg { quality: 70 },
            Jpeg { quality: 50 },
            Jpeg { quality: 30 },
            Jpeg { quality: 10 },
            Resize { percent: 200 },
            Resize { percent: 75 },
            Resize { percent: 50 },
            Resize { percent: 25 },
            CropCentre { percent: 3 },
            CropCentre { percent: 10 },
            CropCentre { percent: 25 },
            CropOffset { percent: 10 },
            Rotate90,
            Rotate180,
            Rotate270,
            RotateSmall { degrees: 2 },
            RotateSmall { degrees: 5 },
            RotateSmall { degrees: 10 },
            FlipHorizontal,
            FlipVertical,
            Border {
                percent: 5,
                colour: [255, 255, 255],
            },
            Border {
                percent: 10,
                colour: [0, 0, 0],
            },
            Letterbox { percent: 10 },
            Logo { percent: 10 },
            Logo { percent: 20 },
            Block { percent: 30 },
            CaptionBar { percent: 12 },
            MemeText { percent: 8 },
            Brightness { delta: 40 },
            Brightness { delta: -40 },
            Contrast { percent: 30 },
            Contrast { percent: -30 },
            Greyscale,
        ]
    }

    /// Stable short name, e.g. `jpeg-q50`, `crop-centre-10`.
    pub fn name(&self) -> String {
        use Transform::*;
        match *self {
            Identity => "identity".into(),
            Jpeg { quality } => format!("jpeg-q{quality}"),
            Resize { percent } => format!("resize-{percent}"),
            CropCentre { percent } => format!("crop-centre-{percent}"),
            CropOffset { percent } => format!("crop-offset-{percent}"),
            Rotate90 => "rotate-90".into(),
            Rotate180 => "rotate-180".into(),
            Rotate270 => "rotate-270".into(),
            RotateSmall { degrees } => format!("rotate-{degrees}deg"),
            FlipHorizontal => "flip-horizontal".into(),
            FlipVertical => "flip-vertical".into(),
            Border { percent, colour } => {
                let c = if colour == [255, 255, 255] {
                    "white".to_string()
                } else if colour == [0, 0, 0] {
                    "black".to_string()
                } else {
                    format!("{:02x}{:02x}{:02x}", colour[0], colour[1], colour[2])
                };
                format!("border-{percent}-{c}")
            }
            Letterbox { percent } => format!("letterbox-{percent}"),
            Logo { percent } => format!("logo-{percent}"),
            Block { percent } => format!("block-{percent}"),
            CaptionBar { percent } => format!("caption-bar-{percent}"),
            MemeText { percent } => format!("meme-text-{percent}"),
            Brightness { delta } => format!("brightness{delta:+}"),
            Contrast { percent } => format!("contrast{percent:+}"),
            Greyscale => "greyscale".into(),
        }
    }

    /// The family the transformation is reported and plotted under.
    pub fn family(&self) -> Family {
        use Transform::*;
        match self {
            Identity => Family::Identity,
            Jpeg { .. } => Family::Jpeg,
            Resize { .. } => Family::Resize,
            CropCentre { .. } | CropOffset { .. } => Family::Crop,
            Rotate90 | Rotate180 | Rotate270 => Family::RightAngle,
            RotateSmall { .. } => Family::SmallRotation,
            FlipHorizontal | FlipVertical => Family::Flip,
            Border { .. } | Letterbox { .. } => Family::Border,
            Logo { .. } | Block { .. } => Family::Overlay,
            CaptionBar { .. } | MemeText { .. } => Family::Text,
            Brightness { .. } | Contrast { .. } => Family::Colour,
            Greyscale => Family::Greyscale,
        }
    }

    /// One-line human description.
    pub fn description(&self) -> String {
        use Transform::*;
        match *self {
            Identity => "original pixels".into(),
            Jpeg { quality } => format!("JPEG re-encode at quality {quality}"),
            Resize { percent } => format!("resize to {percent}% (triangle filter)"),
            CropCentre { percent } => format!("centre crop removing {percent}% of each side"),
            CropOffset { percent } => {
                format!("crop removing {percent}% of each side, seeded position")
            }
            Rotate90 => "rotate 90 degrees clockwise".into(),
            Rotate180 => "rotate 180 degrees".into(),
            Rotate270 => "rotate 270 degrees clockwise".into(),
            RotateSmall { degrees } => {
                format!("rotate {degrees} degrees, same canvas, black corners")
            }
            FlipHorizontal => "mirror left-right".into(),
            FlipVertical => "mirror top-bottom".into(),
            Border { percent, .. } => format!("{percent}% plain border on all sides"),
            Letterbox { percent } => {
                format!("black bars of {percent}% of the height above and below")
            }
            Logo { percent } => {
                format!("opaque logo, side {percent}% of shorter side, seeded corner")
            }
            Block { percent } => {
                format!("opaque rectangle {percent}% x {percent}% at a seeded position")
            }
            CaptionBar { percent } => {
                format!("white caption bar ({percent}% of height) with black text")
            }
            MemeText { percent } => {
                format!("outlined white text, ~{percent}% of height, near the top")
            }
            Brightness { delta } => format!("brightness {delta:+} on every channel"),
            Contrast { percent } => format!("contrast {percent:+}%"),
            Greyscale => "convert to greyscale".into(),
        }
    }

    /// Applies the transformation. `rng` supplies the seeded choices (positions, colours,
    /// text); it is not used by transformations that need none.
    pub fn apply(&self, img: &RgbImage, rng: &mut SplitMix64) -> Result<RgbImage, AccuracyError> {
        use Transform::*;
        let (w, h) = img.dimensions();
        if w == 0 || h == 0 {
            return Err(AccuracyError::Image(format!(
                "cannot transform an empty {w}x{h} image"
            )));
        }
        Ok(match *self {
            Identity => img.clone(),
            Jpeg { quality } => jpeg_round_trip(img, quality)?,
            Resize { percent } => {
                let nw = scaled(w, percent);
                let nh = scaled(h, percent);
                imageops::resize(img, nw, nh, FilterType::Triangle)
            }
            CropCentre { percent } => {
                let (kw, kh) = (kept(w, percent), kept(h, percent));
                imageops::crop_imm(img, (w - kw) / 2, (h - kh) / 2, kw, kh).to_image()
            }
            CropOffset { percent } => {
                let (kw, kh) = (kept(w, percent), kept(h, percent));
                let x = rng.below(u64::from(w - kw) + 1) as u32;
                let y = rng.below(u64::from(h - kh) + 1) as u32;
                imageops::crop_imm(img, x, y, kw, kh).to_image()
            }
            Rotate90 => imageops::rotate90(img),
            Rotate180 => imageops::rotate180(img),
            Rotate270 => imageops::rotate270(img),
            RotateSmall { degrees } => rotate_small(img, f64::from(degrees)),
            FlipHorizontal => imageops::flip_horizontal(img),
            FlipVertical => imageops::flip_vertical(img),
            Border { percent, colour } => {
                let pw = part(w, percent);
                let ph = part(h, percent);
                pad(img, pw, ph, colour)?
            }
            Letterbox { percent } => pad(img, 0, part(h, percent), [0, 0, 0])?,
            Logo { percent } => {
                let mut out = img.clone();
                paint_logo(&mut out, percent, rng);
                out
            }
            Block { percent } => {
                let mut out = img.clone();
                let bw = part(w, percent).max(1);
                let bh = part(h, percent).max(1);
                let x = rng.below(u64::from(w - bw.min(w)) + 1) as u32;
                let y = rng.below(u64::from(h - bh.min(h)) + 1) as u32;
                let colour = [rng.byte(), rng.byte(), rng.byte()];
                fill_rect(&mut out, x, y, bw, bh, colour);
                out
            }
            CaptionBar { percent } => {
                let mut out = img.clone();
                let bar = part(h, percent).max(1);
                fill_rect(&mut out, 0, h - bar.min(h), w, bar, [255, 255, 255]);
                let text = CAPTIONS[rng.below(CAPTIONS.len() as u64) as usize];
                let (tw, th) = font::text_size(text, 1);
                // Fit the text into 90% of the width and 70% of the bar.
                let scale = ((w * 9 / 10) / tw.max(1))
                    .min((bar * 7 / 10) / th.max(1))
                    .max(1);
                let (sw, sh) = font::text_size(text, scale);
                let x = (i64::from(w) - i64::from(sw)) / 2;
                let y = i64::from(h) - i64::from(bar) + (i64::from(bar) - i64::from(sh)) / 2;
                font::draw_text(&mut out, x, y, text, scale, [0, 0, 0], None);
                out
            }
            MemeText { percent } => {
                let mut out = img.clone();
                let text = CAPTIONS[rng.below(CAPTIONS.len() as u64) as usize];
                let (tw, th) = font::text_size(text, 1);
                let target_h = part(h, percent).max(1);
                let scale = ((w * 8 / 10) / tw.max(1)).min(target_h / th.max(1)).max(1);
                let (sw, _) = font::text_size(text, scale);
                let x = (i64::from(w) - i64::from(sw)) / 2;
                let y = i64::from(h) / 20 + i64::from(scale);
                font::draw_text(
                    &mut out,
                    x,
                    y,
                    text,
                    scale,
                    [255, 255, 255],
                    Some([0, 0, 0]),
                );
                out
            }
            Brightness { delta } => imageops::colorops::brighten(img, delta),
            Contrast { percent } => imageops::colorops::contrast(img, percent as f32),
            Greyscale => {
                let g = imageops::grayscale(img);
                RgbImage::from_fn(w, h, |x, y| {
                    let v = g.get_pixel(x, y).0[0];
                    Rgb([v, v, v])
                })
            }
        })
    }
}

/// Transformation families: the groups the plot and the family table pool together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Unchanged pixels.
    Identity,
    /// JPEG re-encoding.
    Jpeg,
    /// Scaling.
    Resize,
    /// Cropping.
    Crop,
    /// Rotations by multiples of 90 degrees.
    RightAngle,
    /// Rotations by a few degrees.
    SmallRotation,
    /// Mirrors.
    Flip,
    /// Borders, padding, letterbox.
    Border,
    /// Opaque logos and blocks.
    Overlay,
    /// Text overlays.
    Text,
    /// Brightness and contrast.
    Colour,
    /// Greyscale conversion.
    Greyscale,
}

impl Family {
    /// All families in report order.
    pub const ALL: [Family; 12] = [
        Family::Identity,
        Family::Jpeg,
        Family::Resize,
        Family::Crop,
        Family::RightAngle,
        Family::SmallRotation,
        Family::Flip,
        Family::Border,
        Family::Overlay,
        Family::Text,
        Family::Colour,
        Family::Greyscale,
    ];

    /// Stable short name.
    pub fn name(&self) -> &'static str {
        match self {
            Family::Identity => "identity",
            Family::Jpeg => "jpeg",
            Family::Resize => "resize",
            Family::Crop => "crop",
            Family::RightAngle => "rotate-90-steps",
            Family::SmallRotation => "rotate-small",
            Family::Flip => "flip",
            Family::Border => "border",
            Family::Overlay => "overlay",
            Family::Text => "text",
            Family::Colour => "brightness-contrast",
            Family::Greyscale => "greyscale",
        }
    }
}

/// `round(v * percent / 100)`, at least 1.
fn scaled(v: u32, percent: u32) -> u32 {
    let s = (u64::from(v) * u64::from(percent) + 50) / 100;
    s.clamp(1, u64::from(u32::MAX / 4)) as u32
}

/// `round(v * percent / 100)` (may be 0).
fn part(v: u32, percent: u32) -> u32 {
    ((u64::from(v) * u64::from(percent) + 50) / 100).min(u64::from(u32::MAX / 4)) as u32
}

/// The side kept when `percent` of it is cropped away: at least 1, at most `v`.
fn kept(v: u32, percent: u32) -> u32 {
    v.saturating_sub(part(v, percent.min(100))).clamp(1, v)
}

fn pad(img: &RgbImage, pw: u32, ph: u32, colour: [u8; 3]) -> Result<RgbImage, AccuracyError> {
    let (w, h) = img.dimensions();
    let nw = w
        .checked_add(pw.saturating_mul(2))
        .ok_or_else(|| AccuracyError::Image("padded image too large".into()))?;
    let nh = h
        .checked_add(ph.saturating_mul(2))
        .ok_or_else(|| AccuracyError::Image("padded image too large".into()))?;
    let mut out = RgbImage::from_pixel(nw, nh, Rgb(colour));
    imageops::replace(&mut out, img, i64::from(pw), i64::from(ph));
    Ok(out)
}

fn fill_rect(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, colour: [u8; 3]) {
    let (iw, ih) = img.dimensions();
    for yy in y..y.saturating_add(h).min(ih) {
        for xx in x..x.saturating_add(w).min(iw) {
            img.put_pixel(xx, yy, Rgb(colour));
        }
    }
}

/// A square logo: seeded background, a ring in a second colour and a diagonal stripe,
/// in a seeded corner with a small margin.
fn paint_logo(img: &mut RgbImage, percent: u32, rng: &mut SplitMix64) {
    let (w, h) = img.dimensions();
    let side = part(w.min(h), percent).max(1);
    let margin = part(w.min(h), 3);
    let corner = rng.below(4);
    let x0 = if corner.is_multiple_of(2) {
        margin
    } else {
        w.saturating_sub(side + margin)
    };
    let y0 = if corner < 2 {
        margin
    } else {
        h.saturating_sub(side + margin)
    };
    let bg = [rng.byte(), rng.byte(), rng.byte()];
    let fg = [255 - bg[0], 255 - bg[1], 255 - bg[2]];
    let c = f64::from(side) / 2.0;
    for dy in 0..side {
        for dx in 0..side {
            let (x, y) = (x0 + dx, y0 + dy);
            if x >= w || y >= h {
                continue;
            }
            let (fx, fy) = (f64::from(dx) + 0.5 - c, f64::from(dy) + 0.5 - c);
            let r = (fx * fx + fy * fy).sqrt() / c;
            let ring = (0.55..0.8).contains(&r);
            let stripe = (i64::from(dx) - i64::from(dy)).unsigned_abs() < u64::from(side / 8 + 1);
            img.put_pixel(x, y, Rgb(if ring || stripe { fg } else { bg }));
        }
    }
}

/// Rotation by `degrees` counter-clockwise about the centre on the same canvas, bilinear
/// sampling, black outside the source.
fn rotate_small(img: &RgbImage, degrees: f64) -> RgbImage {
    let (w, h) = img.dimensions();
    let (sin, cos) = degrees.to_radians().sin_cos();
    let cx = (f64::from(w) - 1.0) / 2.0;
    let cy = (f64::from(h) - 1.0) / 2.0;
    let max_x = f64::from(w) - 1.0;
    let max_y = f64::from(h) - 1.0;
    RgbImage::from_fn(w, h, |x, y| {
        let dx = f64::from(x) - cx;
        let dy = f64::from(y) - cy;
        // Inverse mapping: where in the source does this output pixel come from. With
        // y pointing down, this turns the picture counter-clockwise on screen.
        let sx = cx + dx * cos - dy * sin;
        let sy = cy + dx * sin + dy * cos;
        if sx < -0.5 || sy < -0.5 || sx > max_x + 0.5 || sy > max_y + 0.5 {
            return Rgb([0, 0, 0]);
        }
        let sx = sx.clamp(0.0, max_x);
        let sy = sy.clamp(0.0, max_y);
        let x0 = sx.floor() as u32;
        let y0 = sy.floor() as u32;
        let x1 = (x0 + 1).min(w - 1);
        let y1 = (y0 + 1).min(h - 1);
        let fx = sx - f64::from(x0);
        let fy = sy - f64::from(y0);
        let p00 = img.get_pixel(x0, y0).0;
        let p10 = img.get_pixel(x1, y0).0;
        let p01 = img.get_pixel(x0, y1).0;
        let p11 = img.get_pixel(x1, y1).0;
        let mut out = [0u8; 3];
        for k in 0..3 {
            let top = f64::from(p00[k]) * (1.0 - fx) + f64::from(p10[k]) * fx;
            let bottom = f64::from(p01[k]) * (1.0 - fx) + f64::from(p11[k]) * fx;
            out[k] = (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8;
        }
        Rgb(out)
    })
}

/// Encodes as JPEG at `quality` and decodes again with Bulwark's decoder.
fn jpeg_round_trip(img: &RgbImage, quality: u8) -> Result<RgbImage, AccuracyError> {
    let mut buf = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality.clamp(1, 100));
    img.write_with_encoder(enc)
        .map_err(|e| AccuracyError::Image(format!("JPEG encode: {e}")))?;
    let decoded =
        bulwark_pdq::decode::decode_bytes(&buf, &bulwark_pdq::decode::DecodeOptions::default())
            .map_err(|e| AccuracyError::Image(format!("JPEG decode: {e}")))?;
    crate::corpus::to_rgb(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            Rgb([(x * 7) as u8, (y * 5) as u8, ((x + y) * 3) as u8])
        })
    }

    #[test]
    fn names_are_unique_and_every_transform_runs_on_tiny_images() {
        let suite = Transform::default_suite();
        let mut names: Vec<String> = suite.iter().map(|t| t.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), suite.len());
        for (w, h) in [(1, 1), (2, 3), (7, 5), (40, 30)] {
            let img = sample(w, h);
            for t in &suite {
                let mut rng = SplitMix64::new(3);
                let out = t.apply(&img, &mut rng).unwrap();
                assert!(out.width() >= 1 && out.height() >= 1, "{}", t.name());
            }
        }
    }

    #[test]
    fn empty_image_is_an_error_not_a_panic() {
        let img = RgbImage::new(0, 0);
        let mut rng = SplitMix64::new(1);
        assert!(Transform::Identity.apply(&img, &mut rng).is_err());
    }

    #[test]
    fn geometry() {
        let img = sample(100, 60);
        let mut rng = SplitMix64::new(1);
        let c = Transform::CropCentre { percent: 10 }
            .apply(&img, &mut rng)
            .unwrap();
        assert_eq!(c.dimensions(), (90, 54));
        let b = Transform::Border {
            percent: 10,
            colour: [0, 0, 0],
        }
        .apply(&img, &mut rng)
        .unwrap();
        assert_eq!(b.dimensions(), (120, 72));
        let r = Transform::Rotate90.apply(&img, &mut rng).unwrap();
        assert_eq!(r.dimensions(), (60, 100));
        let z = Transform::RotateSmall { degrees: 0 }
            .apply(&img, &mut rng)
            .unwrap();
        assert_eq!(z, img);
    }
}
