//! File decoding (feature `decode`): JPEG, PNG, GIF (first frame), WebP, BMP and TIFF through
//! the `image` crate, converted to the pixels PDQ hashes. This is the only module of the
//! crate that touches files; the hashing core takes pixel buffers.
//!
//! Conversions (deliberately correct where Meta's Python stack is not, see the spec's
//! section 1.11):
//!
//! * RGB8: hashed as is. RGBA8: alpha ignored (no compositing), as upstream.
//! * Grey8 / grey+alpha: the reference grey path (luma = value), alpha ignored.
//! * 16-bit and float images: scaled to 8 bits by the `image` crate (16-bit `v` becomes
//!   `round(v / 257)`), not clamped as Pillow's `convert("RGB")` does.
//! * Palette: expanded to the palette colours by the decoder (never hashed as indices).
//! * CMYK JPEG: converted to RGB by the decoder (never fed as raw channels).
//! * EXIF orientation: ignored by default (upstream compatibility: HMA and
//!   python-threatexchange hash the stored pixel grid); applied when
//!   [`DecodeOptions::apply_exif_orientation`] is set.
//!
//! Limits: the declared dimensions are checked against [`DecodeOptions::max_pixels`] before
//! any pixel is decoded, decoder allocations are capped, and the file size is capped, so
//! decompression bombs fail fast with [`PdqError::TooLarge`]. A panic inside a decoder is
//! caught and reported as [`PdqError::Decode`].

use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use crate::{Hasher, PdqError, PdqOutput};

#[cfg(feature = "libjpeg")]
mod jpeg;

/// Options for decoding image files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Maximum `width * height` accepted (checked on the header, before decoding).
    /// Default 100 million pixels.
    pub max_pixels: u64,
    /// Maximum file size in bytes. Default 256 MiB.
    pub max_file_bytes: u64,
    /// Apply the EXIF orientation tag (JPEG, TIFF, WebP) before hashing. Default `false`,
    /// which matches Meta's hashing stack (it hashes the stored pixel grid); turn it on to
    /// hash what a viewer displays.
    pub apply_exif_orientation: bool,
    /// Fast, inexact JPEG mode: decode JPEGs at a reduced DCT scale (n/8) chosen so the
    /// shorter side stays at least this many pixels. `None` (the default) decodes at full
    /// resolution, which is what the reference hashes; any `Some` changes pixels and so
    /// moves hashes by a few bits (see the crate README for the measured distances).
    pub jpeg_reduced_dct_min_side: Option<u32>,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_pixels: 100_000_000,
            max_file_bytes: 256 * 1024 * 1024,
            apply_exif_orientation: false,
            jpeg_reduced_dct_min_side: None,
        }
    }
}

/// Decoded pixels in the form the hasher consumes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pixels {
    /// Packed RGB, 3 bytes per pixel.
    Rgb8(Vec<u8>),
    /// Packed RGBA, 4 bytes per pixel; alpha is ignored when hashing.
    Rgba8(Vec<u8>),
    /// 8-bit grey, hashed through the reference grey path.
    Grey8(Vec<u8>),
}

/// A decoded image, ready to hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// The pixels.
    pub pixels: Pixels,
}

impl DecodedImage {
    /// Hashes the decoded pixels with `hasher` (reusing its buffers).
    pub fn hash(&self, hasher: &mut Hasher) -> Result<PdqOutput, PdqError> {
        let (w, h) = (self.width, self.height);
        match &self.pixels {
            Pixels::Rgb8(p) => hasher.hash_rgb8(w, h, p),
            Pixels::Rgba8(p) => hasher.hash_rgba8(w, h, p),
            Pixels::Grey8(p) => hasher.hash_grey8(w, h, p),
        }
    }
}

fn decode_err(e: impl std::fmt::Display) -> PdqError {
    PdqError::Decode(e.to_string())
}

/// Decodes an in-memory image file (format guessed from its content).
pub fn decode_bytes(bytes: &[u8], opts: &DecodeOptions) -> Result<DecodedImage, PdqError> {
    if bytes.len() as u64 > opts.max_file_bytes {
        return Err(PdqError::FileTooLarge {
            size: bytes.len() as u64,
            limit: opts.max_file_bytes,
        });
    }
    match catch_unwind(AssertUnwindSafe(|| decode_inner(bytes, opts))) {
        Ok(r) => r,
        Err(_) => Err(PdqError::Decode("the image decoder panicked".to_owned())),
    }
}

fn decode_inner(bytes: &[u8], opts: &DecodeOptions) -> Result<DecodedImage, PdqError> {
    let img = decode_pixels(bytes, opts)?;
    if !opts.apply_exif_orientation {
        return Ok(img);
    }
    match read_orientation(bytes) {
        Some(o) if o != Orientation::NoTransforms => Ok(orient(img, o)),
        _ => Ok(img),
    }
}

/// The EXIF orientation of the file, read from the header only (`None` if absent).
fn read_orientation(bytes: &[u8]) -> Option<Orientation> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut decoder = reader.into_decoder().ok()?;
    decoder.orientation().ok()
}

fn orient(img: DecodedImage, o: Orientation) -> DecodedImage {
    let (w, h) = (img.width as u32, img.height as u32);
    let dynamic = match img.pixels {
        Pixels::Rgb8(p) => image::RgbImage::from_raw(w, h, p).map(DynamicImage::ImageRgb8),
        Pixels::Rgba8(p) => image::RgbaImage::from_raw(w, h, p).map(DynamicImage::ImageRgba8),
        Pixels::Grey8(p) => image::GrayImage::from_raw(w, h, p).map(DynamicImage::ImageLuma8),
    };
    match dynamic {
        Some(mut d) => {
            d.apply_orientation(o);
            to_pixels(d)
        }
        // Unreachable: DecodedImage buffers always match their dimensions.
        None => DecodedImage {
            width: 0,
            height: 0,
            pixels: Pixels::Grey8(Vec::new()),
        },
    }
}

fn decode_pixels(bytes: &[u8], opts: &DecodeOptions) -> Result<DecodedImage, PdqError> {
    #[cfg(feature = "libjpeg")]
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        && let Some(img) = jpeg::decode(bytes, opts)?
    {
        return Ok(img);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(decode_err)?;
    if reader.format().is_none() {
        return Err(PdqError::Decode("unrecognised image format".to_owned()));
    }
    let side = u32::try_from(opts.max_pixels.min(u64::from(u32::MAX))).unwrap_or(u32::MAX);
    let mut limits = Limits::default();
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    // Room for the output at up to 16 bytes per pixel (RGBA f32) plus decoder state.
    limits.max_alloc = Some(opts.max_pixels.saturating_mul(16).saturating_add(64 << 20));
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(map_image_err(opts))?;
    let (w, h) = decoder.dimensions();
    let pixels = u64::from(w) * u64::from(h);
    if pixels > opts.max_pixels {
        return Err(PdqError::TooLarge {
            width: u64::from(w),
            height: u64::from(h),
            limit: opts.max_pixels,
        });
    }
    let img = DynamicImage::from_decoder(decoder).map_err(map_image_err(opts))?;
    Ok(to_pixels(img))
}

fn map_image_err(opts: &DecodeOptions) -> impl Fn(image::ImageError) -> PdqError + '_ {
    move |e| match e {
        image::ImageError::Limits(l) => PdqError::Decode(format!(
            "{l} (limit {} pixels; decompression bomb?)",
            opts.max_pixels
        )),
        other => decode_err(other),
    }
}

fn to_pixels(img: DynamicImage) -> DecodedImage {
    let width = img.width() as usize;
    let height = img.height() as usize;
    let pixels = match img {
        DynamicImage::ImageRgb8(b) => Pixels::Rgb8(b.into_raw()),
        DynamicImage::ImageRgba8(b) => Pixels::Rgba8(b.into_raw()),
        DynamicImage::ImageLuma8(b) => Pixels::Grey8(b.into_raw()),
        DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageLumaA16(_) => Pixels::Grey8(img.into_luma8().into_raw()),
        other => Pixels::Rgb8(other.into_rgb8().into_raw()),
    };
    DecodedImage {
        width,
        height,
        pixels,
    }
}

/// Reads and decodes an image file, enforcing [`DecodeOptions::max_file_bytes`].
pub fn decode_file(path: &Path, opts: &DecodeOptions) -> Result<DecodedImage, PdqError> {
    let io_err = |source| PdqError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let size = file.metadata().map_err(io_err)?.len();
    if size > opts.max_file_bytes {
        return Err(PdqError::FileTooLarge {
            size,
            limit: opts.max_file_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(opts.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    decode_bytes(&bytes, opts)
}

/// Decodes and hashes an image file with a fresh [`Hasher`].
pub fn hash_file(path: &Path, opts: &DecodeOptions) -> Result<PdqOutput, PdqError> {
    decode_file(path, opts)?.hash(&mut Hasher::new())
}

/// Decodes and hashes an in-memory image file with a fresh [`Hasher`].
pub fn hash_bytes(bytes: &[u8], opts: &DecodeOptions) -> Result<PdqOutput, PdqError> {
    decode_bytes(bytes, opts)?.hash(&mut Hasher::new())
}
