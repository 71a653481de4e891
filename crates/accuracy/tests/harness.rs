//! The harness's contract on small inputs: few images, few transformations, no timing.

use bulwark_accuracy::corpus::generate;
use bulwark_accuracy::{
    AccuracyConfig, Corpus, REAL_IMAGES, Settings, Transform, default_image_root, evaluate, plot,
    report, run,
};

fn settings(thresholds: &[u32], threads: usize) -> Settings {
    Settings {
        thresholds: thresholds.to_vec(),
        threads,
        ..Settings::default()
    }
}

fn generated(n: usize, w: u32, h: u32) -> Corpus {
    Corpus::from_images(
        (0..n)
            .map(|i| (format!("g{i}"), generate(w, h, 1000 + i as u64)))
            .collect(),
    )
}

#[test]
fn identity_is_detected_at_distance_zero() {
    let corpus = generated(3, 160, 120);
    let rep = evaluate(&corpus, &[Transform::Identity], &settings(&[0, 31], 1)).unwrap();
    let t = &rep.transforms[0];
    assert_eq!(t.distances_plain, vec![Some(0); 3]);
    assert_eq!(t.distances_dihedral, vec![Some(0); 3]);
    for c in &t.by_threshold {
        assert_eq!(c.detected_plain, 3);
        assert_eq!(c.detected_dihedral, 3);
        assert_eq!(c.detection_rate(t, false), 1.0);
    }
    assert!(rep.failures.is_empty());
}

#[test]
fn identity_on_real_images_is_distance_zero() {
    let root = default_image_root();
    let files: Vec<String> = REAL_IMAGES
        .iter()
        .filter(|f| f.contains("q0122") || f.contains("rgb.jpeg"))
        .map(|s| s.to_string())
        .collect();
    let corpus = Corpus::load(Some(&root), &files, 0, 1).unwrap();
    assert_eq!(corpus.images.len(), 2);
    let rep = evaluate(&corpus, &[Transform::Identity], &settings(&[0], 1)).unwrap();
    assert_eq!(rep.transforms[0].distances_plain, vec![Some(0); 2]);
    assert_eq!(rep.originals[0].quality, 100);
}

#[test]
fn flips_are_detected_only_with_dihedral_hashes() {
    let corpus = generated(2, 512, 512);
    let rep = evaluate(
        &corpus,
        &[Transform::FlipHorizontal, Transform::FlipVertical],
        &settings(&[31], 2),
    )
    .unwrap();
    for t in &rep.transforms {
        let c = t.at(31).unwrap();
        assert_eq!(c.detected_plain, 0, "{}: {:?}", t.name, t.distances_plain);
        assert_eq!(
            c.detected_dihedral, 2,
            "{}: {:?}",
            t.name, t.distances_dihedral
        );
        assert!(t.distances_plain.iter().all(|d| d.unwrap() > 64));
    }
}

#[test]
fn false_positives_count_only_cross_image_pairs() {
    let corpus = generated(4, 96, 96);
    // At threshold 256 everything matches everything: the false matches must be exactly
    // the ordered pairs of *different* originals, never a copy with its own original.
    let rep = evaluate(&corpus, &[Transform::Identity], &settings(&[0, 40, 256], 1)).unwrap();
    let t = &rep.transforms[0];
    assert_eq!(t.cross_pairs, 4 * 3);
    let all = t.at(256).unwrap();
    assert_eq!(all.false_plain, 12);
    assert_eq!(all.false_dihedral, 12);
    assert_eq!(all.detected_plain, 4);
    assert_eq!(all.false_positive_rate(t, true), 1.0);

    // The index's answer equals brute force on the originals' own hashes.
    let hashes: Vec<bulwark_pdq::Hash256> = rep
        .originals
        .iter()
        .map(|o| o.hash.parse().unwrap())
        .collect();
    for c in &t.by_threshold {
        let mut expected = 0;
        for (i, a) in hashes.iter().enumerate() {
            for (j, b) in hashes.iter().enumerate() {
                if i != j && a.distance(b) <= c.threshold {
                    expected += 1;
                }
            }
        }
        assert_eq!(c.false_plain, expected, "threshold {}", c.threshold);
    }

    // Two identical originals: each copy matches the other original, a real cross match.
    let img = generate(96, 96, 7);
    let dup = Corpus::from_images(vec![("a".into(), img.clone()), ("b".into(), img)]);
    let rep = evaluate(&dup, &[Transform::Identity], &settings(&[0], 1)).unwrap();
    let t = &rep.transforms[0];
    let c = t.at(0).unwrap();
    assert_eq!((c.detected_plain, c.false_plain, t.cross_pairs), (2, 2, 2));
}

#[test]
fn results_are_deterministic_for_a_seed_and_independent_of_threads() {
    let corpus = generated(3, 128, 96);
    let suite = [
        Transform::Logo { percent: 20 },
        Transform::CropOffset { percent: 10 },
        Transform::MemeText { percent: 8 },
        Transform::Jpeg { quality: 30 },
    ];
    let a = evaluate(&corpus, &suite, &settings(&[16, 31, 48], 1)).unwrap();
    let b = evaluate(&corpus, &suite, &settings(&[16, 31, 48], 3)).unwrap();
    let mut a_cmp = a.clone();
    a_cmp.settings.threads = b.settings.threads;
    assert_eq!(a_cmp, b);

    // A different seed moves the seeded overlays (so at least the copies differ).
    let other = Settings {
        seed: 99,
        ..settings(&[16, 31, 48], 1)
    };
    let c = evaluate(&corpus, &suite, &other).unwrap();
    assert_ne!(a.pairs, c.pairs);

    // run() with generated originals only is deterministic as well.
    let mut cfg = AccuracyConfig::generated_only(2);
    cfg.transforms = vec![Transform::Rotate90, Transform::Greyscale];
    cfg.settings.thresholds = vec![31];
    assert_eq!(run(&cfg).unwrap(), run(&cfg).unwrap());
}

#[test]
fn quality_gate_drops_low_quality_pairs() {
    // A flat image has quality 0: its pairs are dropped by the gate.
    let flat = image::RgbImage::from_pixel(64, 64, image::Rgb([120, 120, 120]));
    let corpus = Corpus::from_images(vec![
        ("flat".into(), flat),
        ("photo".into(), generate(128, 128, 3)),
    ]);
    let rep = evaluate(&corpus, &[Transform::Identity], &settings(&[31], 1)).unwrap();
    let t = &rep.transforms[0];
    assert_eq!(rep.originals[0].quality, 0);
    assert_eq!(t.pairs_gated, 1);
    let c = t.at(31).unwrap();
    assert_eq!(c.detected_dihedral, 2);
    assert_eq!(c.detected_dihedral_gated, 1);
    assert_eq!(t.cross_pairs_gated, 0);
}

#[test]
fn bad_input_is_an_error() {
    assert!(
        evaluate(
            &Corpus::default(),
            &[Transform::Identity],
            &Settings::default()
        )
        .is_err()
    );
    let corpus = generated(1, 32, 32);
    assert!(evaluate(&corpus, &[Transform::Identity], &settings(&[], 1)).is_err());
    assert!(evaluate(&corpus, &[Transform::Identity], &settings(&[300], 1)).is_err());
    let mut cfg = AccuracyConfig::with_shared_images("/nonexistent/images");
    cfg.generated = 0;
    let e = run(&cfg).unwrap_err().to_string();
    assert!(e.contains("/nonexistent/images"), "{e}");
    // Tiny images (below PDQ's 5x5 minimum after a 25% resize) are measured, not errors.
    let tiny = Corpus::from_images(vec![("t".into(), generate(8, 8, 1))]);
    let rep = evaluate(
        &tiny,
        &[Transform::Resize { percent: 25 }],
        &settings(&[31], 1),
    )
    .unwrap();
    assert!(rep.failures.is_empty());
}

#[test]
fn real_originals_are_distinct_scenes() {
    let root = default_image_root();
    let files: Vec<String> = REAL_IMAGES.iter().map(|s| s.to_string()).collect();
    let corpus = Corpus::load(Some(&root), &files, 0, 1).unwrap();
    let rep = evaluate(&corpus, &[Transform::Identity], &settings(&[48], 2)).unwrap();
    let t = &rep.transforms[0];
    // No pair of different real originals is within 48 bits, even with dihedral hashes.
    assert_eq!(t.at(48).unwrap().false_dihedral, 0);
    assert!(
        t.min_cross_distance.unwrap() > 48,
        "{:?}",
        t.min_cross_distance
    );
    // Histograms: every copy once against its own original, 15 x 14 cross pairs.
    assert_eq!(t.own_histogram_plain[0], 15);
    assert_eq!(t.cross_histogram_dihedral.iter().sum::<u64>(), 15 * 14);
}

#[test]
fn outputs_render() {
    let corpus = generated(2, 96, 64);
    let suite = [
        Transform::Identity,
        Transform::Rotate180,
        Transform::Greyscale,
    ];
    let rep = evaluate(&corpus, &suite, &settings(&[16, 31, 48], 1)).unwrap();
    let md = report::markdown(&rep);
    assert!(md.contains("| identity |"));
    assert!(md.contains("**31**"));
    let csv = report::csv(&rep);
    // Header + (3 transformations + 3 families + "all") x 3 thresholds.
    assert_eq!(csv.lines().count(), 1 + 7 * 3);
    assert_eq!(report::pairs_csv(&rep).lines().count(), 1 + 3 * 2);
    assert_eq!(report::histogram_csv(&rep).lines().count(), 1 + 257);
    let svg = plot::svg(&rep).unwrap();
    assert!(svg.contains("<svg"));
    let png = plot::png(&rep).unwrap();
    assert!(png.starts_with(&[0x89, b'P', b'N', b'G']));
}
