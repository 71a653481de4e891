//! Fuzz target over the file path: arbitrary bytes through format detection, decoding
//! (libjpeg for JPEG, the `image` crate for the rest), pixel conversion and hashing.
//! Any panic (including one caught inside the decoder wrapper, since libfuzzer's panic hook
//! aborts first) or sanitizer report is a finding.
#![no_main]

use bulwark_pdq::decode::{DecodeOptions, decode_bytes};
use bulwark_pdq::Hasher;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A small pixel limit keeps each run fast and exercises the limit paths.
    let opts = DecodeOptions {
        max_pixels: 4_000_000,
        apply_exif_orientation: data.first().is_some_and(|b| b & 1 == 1),
        ..DecodeOptions::default()
    };
    if let Ok(img) = decode_bytes(data, &opts) {
        let out = img.hash(&mut Hasher::new()).expect("decoded image must hash");
        assert!(out.quality <= 100);
        let _ = out.dihedral();
    }
});
