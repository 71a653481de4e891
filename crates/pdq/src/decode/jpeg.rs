//! JPEG decoding with libjpeg-turbo's decoder (through the `mozjpeg` crate, a libjpeg-turbo
//! fork whose decompressor is unchanged): integer "slow" IDCT and fancy upsampling, the
//! defaults Pillow uses, so the pixels and therefore the hashes are those of Meta's Python
//! stack bit for bit.
//!
//! The unsafe code here is the libjpeg error manager: C callbacks that turn fatal errors and
//! the "premature end of file" warning into Rust unwinds, which the `mozjpeg` crate catches
//! and returns as errors.

#![allow(unsafe_code)]

use std::os::raw::c_int;

use mozjpeg::{Decompress, Format};
use mozjpeg_sys::{J_COLOR_SPACE, JWRN_JPEG_EOF, jpeg_common_struct, jpeg_error_mgr};

use super::{DecodeOptions, DecodedImage, Pixels};
use crate::PdqError;

/// Why libjpeg stopped, carried through the unwind.
struct JpegFailure(String);

fn message(cinfo: &mut jpeg_common_struct) -> String {
    // SAFETY: `cinfo.err` is set by the mozjpeg crate to our live, boxed error manager for
    // the whole lifetime of the decompressor, and libjpeg only calls us with that cinfo.
    let err = unsafe { cinfo.err.as_ref() };
    let Some(err) = err else {
        return "libjpeg error".to_owned();
    };
    let code = err.msg_code;
    match err.format_message {
        Some(fmt) => {
            let buffer = [0u8; 80];
            // SAFETY: `format_message` is libjpeg's own formatter (set by jpeg_std_error); it
            // writes at most JMSG_LENGTH_MAX (80) bytes, NUL-terminated, into the buffer.
            unsafe { fmt(cinfo, &buffer) };
            let text = buffer.split(|&c| c == 0).next().unwrap_or_default();
            String::from_utf8_lossy(text).into_owned()
        }
        None => format!("libjpeg error code {code}"),
    }
}

extern "C-unwind" fn error_exit(cinfo: &mut jpeg_common_struct) {
    let msg = message(cinfo);
    std::panic::resume_unwind(Box::new(JpegFailure(msg)));
}

extern "C-unwind" fn emit_message(cinfo: &mut jpeg_common_struct, level: c_int) {
    if level >= 0 {
        return; // trace messages
    }
    // SAFETY: as in `message`: `cinfo.err` points to our live error manager.
    let code = unsafe { cinfo.err.as_ref() }.map(|e| e.msg_code);
    if code == Some(JWRN_JPEG_EOF as c_int) {
        std::panic::resume_unwind(Box::new(JpegFailure(
            "truncated JPEG (premature end of data)".to_owned(),
        )));
    }
    // Other warnings (e.g. extraneous bytes before a marker) are tolerated, as Pillow does.
}

fn error_manager() -> jpeg_error_mgr {
    // SAFETY: jpeg_error_mgr is a plain C struct of integers, pointers and nullable function
    // pointers, for which all-zero is a valid value; jpeg_std_error then fills it in.
    let mut err: jpeg_error_mgr = unsafe { std::mem::zeroed() };
    // SAFETY: `err` is a valid, exclusively borrowed error manager.
    unsafe { mozjpeg_sys::jpeg_std_error(&mut err) };
    err.error_exit = Some(error_exit);
    err.emit_message = Some(emit_message);
    err
}

/// Decodes a JPEG with libjpeg. Returns `Ok(None)` for colour spaces this path leaves to the
/// `image` crate (CMYK and YCCK).
pub(super) fn decode(bytes: &[u8], opts: &DecodeOptions) -> Result<Option<DecodedImage>, PdqError> {
    let result = std::panic::catch_unwind(|| decode_inner(bytes, opts));
    match result {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<JpegFailure>()
                .map(|f| f.0.clone())
                .unwrap_or_else(|| "JPEG decoder failed".to_owned());
            Err(PdqError::Decode(msg))
        }
    }
}

fn io_err(e: std::io::Error) -> PdqError {
    PdqError::Decode(format!("JPEG: {e}"))
}

fn decode_inner(bytes: &[u8], opts: &DecodeOptions) -> Result<Option<DecodedImage>, PdqError> {
    let mut d = Decompress::with_err(error_manager())
        .from_mem(bytes)
        .map_err(io_err)?;
    if matches!(
        d.color_space(),
        J_COLOR_SPACE::JCS_CMYK | J_COLOR_SPACE::JCS_YCCK
    ) {
        return Ok(None);
    }
    let (w, h) = d.size();
    let pixels = (w as u64).saturating_mul(h as u64);
    if pixels > opts.max_pixels {
        return Err(PdqError::TooLarge {
            width: w as u64,
            height: h as u64,
            limit: opts.max_pixels,
        });
    }
    if let Some(min_side) = opts.jpeg_reduced_dct_min_side {
        // Smallest scale n/8 that keeps both sides >= min_side (never upscales).
        let short = w.min(h);
        let num = (1..=8u8)
            .find(|&n| short * usize::from(n) / 8 >= min_side as usize)
            .unwrap_or(8);
        d.scale(num);
    }
    match d.image().map_err(io_err)? {
        Format::RGB(mut s) => {
            let (w, h) = (s.width(), s.height());
            let px: Vec<u8> = s.read_scanlines().map_err(io_err)?;
            s.finish().map_err(io_err)?;
            check_len(&px, w * h * 3)?;
            Ok(Some(DecodedImage {
                width: w,
                height: h,
                pixels: Pixels::Rgb8(px),
            }))
        }
        Format::Gray(mut s) => {
            let (w, h) = (s.width(), s.height());
            let px: Vec<u8> = s.read_scanlines().map_err(io_err)?;
            s.finish().map_err(io_err)?;
            check_len(&px, w * h)?;
            Ok(Some(DecodedImage {
                width: w,
                height: h,
                pixels: Pixels::Grey8(px),
            }))
        }
        Format::CMYK(_) => Ok(None),
    }
}

fn check_len(px: &[u8], want: usize) -> Result<(), PdqError> {
    if px.len() != want {
        return Err(PdqError::Decode(format!(
            "JPEG decoder returned {} bytes, expected {want}",
            px.len()
        )));
    }
    Ok(())
}
