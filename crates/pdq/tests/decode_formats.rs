//! File decoding: every supported format, colour modes (alpha, 16-bit, grey, palette), EXIF
//! orientation, and rejection of corrupt, truncated and oversized files without panics.

#![cfg(feature = "libjpeg")]

mod common;

use std::io::Cursor;

use bulwark_pdq::decode::{DecodeOptions, Pixels, decode_bytes, hash_bytes, hash_file};
use bulwark_pdq::{Hash256, PdqError, hash_grey8, hash_rgb8};
use common::{synthetic, vectors_dir};
use image::{DynamicImage, ImageFormat, RgbImage};

fn read(rel: &str) -> Vec<u8> {
    let p = vectors_dir().join("images").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

const PEN: &str = "pdq/data/reg-test-input/pen-and-coaster.png";
/// Reference hash of pen-and-coaster.png (images-pdqhash-0.2.8.tsv; alpha ignored).
fn pen_hash() -> Hash256 {
    let rows = common::tsv_rows("expected/images-pdqhash-0.2.8.tsv");
    let row = rows.iter().find(|r| r[0] == PEN).unwrap();
    row[5].parse().unwrap()
}

fn pen_rgb() -> RgbImage {
    image::load_from_memory(&read(PEN)).unwrap().to_rgb8()
}

#[test]
fn lossless_formats_give_the_reference_hash() {
    let rgb = DynamicImage::ImageRgb8(pen_rgb());
    let want = pen_hash();
    for format in [
        ImageFormat::Png,
        ImageFormat::Bmp,
        ImageFormat::Tiff,
        ImageFormat::WebP,
    ] {
        let bytes = encode(&rgb, format);
        let out = hash_bytes(&bytes, &DecodeOptions::default()).unwrap();
        assert_eq!(out.hash, want, "{format:?}");
        assert_eq!(out.quality, 100, "{format:?}");
    }
}

#[test]
fn sixteen_bit_images_are_scaled_to_the_same_hash() {
    let rgb = pen_rgb();
    let (w, h) = rgb.dimensions();
    let wide: Vec<u16> = rgb.as_raw().iter().map(|&v| u16::from(v) * 257).collect();
    let img16 = DynamicImage::ImageRgb16(image::ImageBuffer::from_raw(w, h, wide).unwrap());
    for format in [ImageFormat::Png, ImageFormat::Tiff] {
        let out = hash_bytes(&encode(&img16, format), &DecodeOptions::default()).unwrap();
        assert_eq!(out.hash, pen_hash(), "16-bit {format:?}");
    }
}

#[test]
fn grey_and_grey_alpha_use_the_grey_path() {
    let grey = synthetic("A", 257, 255, 1);
    let want = hash_grey8(257, 255, &grey).unwrap();
    let g = image::GrayImage::from_raw(257, 255, grey.clone()).unwrap();
    let png = encode(&DynamicImage::ImageLuma8(g), ImageFormat::Png);
    let decoded = decode_bytes(&png, &DecodeOptions::default()).unwrap();
    assert!(matches!(decoded.pixels, Pixels::Grey8(_)));
    assert_eq!(hash_bytes(&png, &DecodeOptions::default()).unwrap(), want);
    let la: Vec<u8> = grey.iter().flat_map(|&v| [v, 17]).collect();
    let la = image::GrayAlphaImage::from_raw(257, 255, la).unwrap();
    let png = encode(&DynamicImage::ImageLumaA8(la), ImageFormat::Png);
    assert_eq!(hash_bytes(&png, &DecodeOptions::default()).unwrap(), want);
}

/// A palette PNG is hashed by colour, not by palette index (python-threatexchange 1.2.17
/// hashes the indices as grey). Pattern C has fewer than 256 colours, so the palette image
/// is exactly the RGB image.
#[test]
fn palette_png_hashes_colours_not_indices() {
    let (w, h) = (640usize, 480usize);
    let rgb = synthetic("C", w, h, 3);
    let mut palette: Vec<[u8; 3]> = Vec::new();
    let mut indices = Vec::with_capacity(w * h);
    for p in rgb.chunks_exact(3) {
        let c = [p[0], p[1], p[2]];
        let i = match palette.iter().position(|&q| q == c) {
            Some(i) => i,
            None => {
                palette.push(c);
                palette.len() - 1
            }
        };
        indices.push(i as u8);
    }
    assert!(palette.len() <= 256);
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w as u32, h as u32);
        enc.set_color(png::ColorType::Indexed);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_palette(palette.concat());
        let mut writer = enc.write_header().unwrap();
        writer.write_image_data(&indices).unwrap();
    }
    let want = hash_rgb8(w, h, &rgb).unwrap();
    let got = hash_bytes(&bytes, &DecodeOptions::default()).unwrap();
    assert_eq!(got, want);
    let bug = hash_grey8(w, h, &indices).unwrap();
    assert!(got.hash.distance(&bug.hash) > 31);
}

/// GIF: the first frame is hashed. Pattern C fits a 256-colour palette exactly.
#[test]
fn gif_first_frame() {
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame, RgbaImage};
    let (w, h) = (257u32, 255u32);
    let rgb = synthetic("C", w as usize, h as usize, 3);
    let rgba: Vec<u8> = rgb
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    let first = RgbaImage::from_raw(w, h, rgba).unwrap();
    let second = RgbaImage::from_pixel(w, h, image::Rgba([200, 10, 10, 255]));
    let mut bytes = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut bytes);
        for img in [first, second] {
            enc.encode_frame(Frame::from_parts(
                img,
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            ))
            .unwrap();
        }
    }
    let want = hash_rgb8(w as usize, h as usize, &rgb).unwrap();
    let got = hash_bytes(&bytes, &DecodeOptions::default()).unwrap();
    assert_eq!(got.hash, want.hash);
    assert_eq!(got.quality, want.quality);
}

/// Inserts an EXIF APP1 segment with the given orientation right after the JPEG SOI.
fn with_exif_orientation(jpeg: &[u8], orientation: u8) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes()); // IFD0 offset
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes()); // count
    tiff.extend_from_slice(&[orientation, 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let len = (payload.len() + 2) as u16;
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn exif_orientation_is_an_option() {
    // A JPEG without an EXIF segment of its own (JFIF only).
    let jpeg = read("pdq/data/reg-test-input/labelme-subset/q0291.jpg");
    let tagged = with_exif_orientation(&jpeg, 6); // stored grid must be turned 90 deg clockwise
    let plain = DecodeOptions::default();
    let oriented = DecodeOptions {
        apply_exif_orientation: true,
        ..DecodeOptions::default()
    };
    let base = hash_bytes(&jpeg, &plain).unwrap();
    assert_eq!(
        hash_bytes(&tagged, &plain).unwrap(),
        base,
        "default ignores EXIF"
    );
    let decoded = decode_bytes(&jpeg, &plain).unwrap();
    let Pixels::Rgb8(px) = decoded.pixels else {
        panic!("expected RGB")
    };
    let img = RgbImage::from_raw(decoded.width as u32, decoded.height as u32, px).unwrap();
    let turned = image::imageops::rotate90(&img);
    let want = hash_rgb8(
        turned.width() as usize,
        turned.height() as usize,
        turned.as_raw(),
    )
    .unwrap();
    assert_eq!(hash_bytes(&tagged, &oriented).unwrap(), want);
    assert_ne!(want.hash, base.hash);
}

fn assert_decode_error(bytes: &[u8], what: &str) -> String {
    match decode_bytes(bytes, &DecodeOptions::default()) {
        Err(PdqError::Decode(msg)) => {
            assert!(!msg.contains("panicked"), "{what}: decoder panicked");
            msg
        }
        Err(other) => panic!("{what}: unexpected error kind {other}"),
        Ok(_) => panic!("{what}: decoded successfully"),
    }
}

#[test]
fn empty_garbage_and_truncated_files_are_rejected() {
    assert_decode_error(b"", "empty");
    assert_decode_error(b"hello, this is not an image at all", "text");
    let jpeg = read("pdq/data/bridge-mods/aaa-orig.jpg");
    let msg = assert_decode_error(&jpeg[..jpeg.len() / 2], "half a JPEG");
    assert!(msg.contains("truncated"), "{msg}");
    assert_decode_error(&jpeg[..200], "JPEG header only");
    let png = read("pdq/data/misc-images/c.png");
    assert_decode_error(&png[..png.len() / 2], "half a PNG");
    assert_decode_error(&png[..40], "PNG header only");
}

/// Truncations and byte corruptions of every vector image never panic: each gives either an
/// error or a hash.
#[test]
fn corrupted_vector_images_never_panic() {
    let mut files = Vec::new();
    let mut stack = vec![vectors_dir().join("images")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    assert_eq!(files.len(), 34);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for f in files
        .iter()
        .filter(|f| std::fs::metadata(f).unwrap().len() < 400_000)
    {
        let bytes = std::fs::read(f).unwrap();
        for _ in 0..4 {
            let mut b = bytes.clone();
            for _ in 0..8 {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
            if let Err(PdqError::Decode(msg)) = decode_bytes(&b, &DecodeOptions::default()) {
                assert!(!msg.contains("panicked"), "{}: {msg}", f.display());
            }
            let cut = (next() as usize) % b.len();
            if let Err(PdqError::Decode(msg)) = decode_bytes(&b[..cut], &DecodeOptions::default()) {
                assert!(!msg.contains("panicked"), "{}: {msg}", f.display());
            }
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header declares 100000 x 100000 pixels: rejected from the header, before any
/// allocation, by the pixel limit.
#[test]
fn decompression_bomb_header_is_rejected() {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // A tiny IDAT (zlib stream of nothing) and IEND: a few dozen bytes in all.
    for (kind, data) in [
        (&b"IDAT"[..], &[0x78u8, 0x9c, 0x03, 0, 0, 0, 0, 1][..]),
        (b"IEND", &[]),
    ] {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(data);
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    match decode_bytes(&png, &DecodeOptions::default()) {
        Err(PdqError::TooLarge { width, height, .. }) => {
            assert_eq!((width, height), (100_000, 100_000))
        }
        Err(PdqError::Decode(msg)) => assert!(msg.contains("limit"), "{msg}"),
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[test]
fn pixel_and_file_size_limits() {
    let small = DecodeOptions {
        max_pixels: 1_000_000,
        ..DecodeOptions::default()
    };
    let big_jpeg = vectors_dir().join("images/pdq/data/bridge-mods/aaa-orig.jpg");
    assert!(matches!(
        hash_file(&big_jpeg, &small),
        Err(PdqError::TooLarge {
            width: 1600,
            height: 1004,
            limit: 1_000_000
        })
    ));
    let png = vectors_dir().join("images").join(PEN);
    assert!(hash_file(&png, &small).is_ok());
    let tiny = DecodeOptions {
        max_pixels: 10_000,
        ..DecodeOptions::default()
    };
    assert!(matches!(
        hash_file(&png, &tiny),
        Err(PdqError::TooLarge { .. })
    ));
    let few_bytes = DecodeOptions {
        max_file_bytes: 1000,
        ..DecodeOptions::default()
    };
    assert!(matches!(
        hash_file(&png, &few_bytes),
        Err(PdqError::FileTooLarge { .. })
    ));
    assert!(matches!(
        hash_file(
            &vectors_dir().join("no-such-file.png"),
            &DecodeOptions::default()
        ),
        Err(PdqError::Io { .. })
    ));
}

/// A CMYK JPEG (Pillow's Adobe-style CMYK of `square-256x256.jpg`, quality 75, in
/// `tests/data/`) is converted to RGB, not fed as raw channels: python-threatexchange's bug
/// puts such a file at distance ~254 from its RGB original.
#[test]
fn cmyk_jpeg_is_converted_to_rgb() {
    let cmyk =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bridge-256-cmyk.jpg");
    let got = hash_file(&cmyk, &DecodeOptions::default()).unwrap();
    let rgb = hash_file(
        &vectors_dir().join("images/pdq/data/bridge-mods/square-256x256.jpg"),
        &DecodeOptions::default(),
    )
    .unwrap();
    let d = got.hash.distance(&rgb.hash);
    assert!(d <= 8, "distance {d}");
    assert_eq!(got.quality, 100);
}

/// An arithmetic-coded JPEG (`q0291.jpg` losslessly transcoded with libjpeg-turbo's
/// `jpegtran -arithmetic`, in `tests/data/`): same DCT coefficients, so the same pixels and
/// exactly the reference hash of the original.
#[test]
fn arithmetic_coded_jpeg_decodes_exactly() {
    let arith =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/q0291-arithmetic.jpg");
    let got = hash_file(&arith, &DecodeOptions::default()).unwrap();
    let rows = common::tsv_rows("expected/images-pdqhash-0.2.8.tsv");
    let row = rows
        .iter()
        .find(|r| r[0] == "pdq/data/reg-test-input/labelme-subset/q0291.jpg")
        .unwrap();
    assert_eq!(got.hash.to_hex(), row[5]);
    assert_eq!(got.quality.to_string(), row[4]);
}
