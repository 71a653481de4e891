//! Accuracy harness for Bulwark's detection engines: how well PDQ hashing plus exact
//! Hamming matching finds known images after common transformations, and how often it
//! matches the wrong image.
//!
//! The method follows `detection.md` section 6.3: take originals, apply a fixed,
//! documented, seeded transformation suite ([`Transform::default_suite`]), hash every
//! transformed copy with `bulwark-pdq`, look it up among the originals' hashes in a
//! `bulwark-hamming` index, and count, for every threshold:
//!
//! * **detection** (true-positive rate, recall): the transformed copy matches *its own*
//!   original at Hamming distance `<= threshold` (inclusive, as upstream's `<= 31`),
//!   once with the query's plain hash and once with the best of its 8 dihedral hashes;
//! * **false positives**: the transformed copy (or, for `identity`, the original itself)
//!   matches a *different* original; the rate is per comparison, over all ordered
//!   (query, other original) pairs;
//! * the same two with the **quality gate** (both hashes need quality `>= 50`).
//!
//! Entry points: [`run`] (load the corpus, measure, return an [`AccuracyReport`]) and
//! [`evaluate`] (measure a [`Corpus`] already in memory). [`report`] renders Markdown and
//! CSV, [`plot`] draws SVG and PNG charts. The `accuracy` example writes
//! `docs/detection-accuracy.md` and its companion files.
//!
//! ```no_run
//! use bulwark_accuracy::{AccuracyConfig, run};
//! let config = AccuracyConfig::with_shared_images("../shared/data/pdq-vectors/images");
//! let report = run(&config)?;
//! let jpeg = report.family("jpeg").unwrap();
//! let at31 = jpeg.at(31).unwrap();
//! println!("JPEG detection at 31: {:.1}%", 100.0 * at31.detection_rate(jpeg, true));
//! # Ok::<(), bulwark_accuracy::AccuracyError>(())
//! ```
//!
//! No database, HTTP, async runtime or global state; results are a pure function of the
//! input images, the transformation list and the seed (thread count does not matter).

pub mod corpus;
pub mod font;
pub mod plot;
pub mod report;
pub mod rng;
pub mod transform;

use std::path::{Path, PathBuf};

use bulwark_hamming::{Config as IndexConfig, HammingIndex};
use bulwark_pdq::{Hasher, PdqOutput};

pub use corpus::{Corpus, CorpusImage, REAL_IMAGES, Source};
pub use transform::{Family, Transform};

/// Errors of the harness. Bad input is reported, never a panic.
#[derive(Debug, thiserror::Error)]
pub enum AccuracyError {
    /// An original could not be read or decoded.
    #[error("{path}: {message}")]
    Load {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Pixels could not be transformed, encoded or decoded.
    #[error("image: {0}")]
    Image(String),
    /// Hashing failed.
    #[error("PDQ: {0}")]
    Pdq(#[from] bulwark_pdq::PdqError),
    /// The Hamming index refused the hashes.
    #[error("index: {0}")]
    Index(#[from] bulwark_hamming::Error),
    /// The settings are inconsistent (for example no thresholds, or no originals).
    #[error("invalid settings: {0}")]
    Settings(String),
    /// Writing an output file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Drawing the plot failed.
    #[error("plot: {0}")]
    Plot(String),
}

/// Measurement settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Seed for everything random (generated originals, overlay positions, crop offsets,
    /// caption texts).
    pub seed: u64,
    /// Thresholds to report, each inclusive (`distance <= t` matches).
    pub thresholds: Vec<u32>,
    /// The threshold the summary tables highlight (upstream default 31).
    pub highlight: u32,
    /// Quality gate: hashes with quality below this are discarded (upstream 50).
    pub min_quality: u8,
    /// Worker threads (results do not depend on it). At least 1.
    pub threads: usize,
}

/// The default seed of published results.
pub const DEFAULT_SEED: u64 = 20_261_128;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seed: DEFAULT_SEED,
            thresholds: (16..=48)
                .step_by(4)
                .chain([31])
                .collect::<Vec<_>>()
                .sorted(),
            highlight: bulwark_pdq::MATCH_THRESHOLD,
            min_quality: bulwark_pdq::QUALITY_THRESHOLD,
            threads: std::thread::available_parallelism()
                .map(|n| n.get().min(2))
                .unwrap_or(1),
        }
    }
}

trait Sorted {
    fn sorted(self) -> Self;
}

impl Sorted for Vec<u32> {
    fn sorted(mut self) -> Self {
        self.sort_unstable();
        self.dedup();
        self
    }
}

/// What to measure: where the originals come from, which transformations, which settings.
#[derive(Clone, Debug)]
pub struct AccuracyConfig {
    /// Root directory of the real originals (`../shared/data/pdq-vectors/images`); `None`
    /// uses generated originals only.
    pub image_root: Option<PathBuf>,
    /// Real originals, relative to `image_root` (default [`REAL_IMAGES`]).
    pub files: Vec<String>,
    /// How many generated originals to add (default 24).
    pub generated: usize,
    /// The transformations (default [`Transform::default_suite`]).
    pub transforms: Vec<Transform>,
    /// Seed, thresholds, quality gate, threads.
    pub settings: Settings,
}

impl AccuracyConfig {
    /// The published configuration: the 15 real originals under `image_root`, 24 generated
    /// ones, the full transformation suite, default settings.
    pub fn with_shared_images(image_root: impl Into<PathBuf>) -> Self {
        AccuracyConfig {
            image_root: Some(image_root.into()),
            files: REAL_IMAGES.iter().map(|s| s.to_string()).collect(),
            generated: 24,
            transforms: Transform::default_suite(),
            settings: Settings::default(),
        }
    }

    /// Generated originals only (no files needed).
    pub fn generated_only(count: usize) -> Self {
        AccuracyConfig {
            image_root: None,
            files: Vec::new(),
            generated: count,
            transforms: Transform::default_suite(),
            settings: Settings::default(),
        }
    }
}

/// Loads the corpus described by `config` and measures it: the function a
/// `bulwark detect accuracy` command calls. Deterministic for a given config (same seed,
/// same images, same transformations give the same report, whatever the thread count).
/// Errors: an unreadable original, empty settings; a failure on one (transformation,
/// image) pair is not an error but is counted as a miss and listed in
/// [`AccuracyReport::failures`].
pub fn run(config: &AccuracyConfig) -> Result<AccuracyReport, AccuracyError> {
    let corpus = Corpus::load(
        config.image_root.as_deref(),
        &config.files,
        config.generated,
        config.settings.seed,
    )?;
    evaluate(&corpus, &config.transforms, &config.settings)
}

/// One original as reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginalInfo {
    /// Short name.
    pub name: String,
    /// `file:<path>`, `generated:<seed>` or `memory`.
    pub source: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// PDQ quality of the original.
    pub quality: u8,
    /// PDQ hash of the original (64 hex digits).
    pub hash: String,
}

/// Counts at one threshold for one transformation or family.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// The threshold (inclusive).
    pub threshold: u32,
    /// Copies matching their original with the plain hash.
    pub detected_plain: usize,
    /// Copies matching their original with the best of the 8 dihedral hashes.
    pub detected_dihedral: usize,
    /// As `detected_plain`, but only where both hashes pass the quality gate.
    pub detected_plain_gated: usize,
    /// As `detected_dihedral`, but only where both hashes pass the quality gate.
    pub detected_dihedral_gated: usize,
    /// Cross pairs (query vs a different original) matching with the plain hash.
    pub false_plain: usize,
    /// Cross pairs matching with the best of the 8 dihedral hashes.
    pub false_dihedral: usize,
    /// As `false_plain`, among cross pairs where both pass the quality gate.
    pub false_plain_gated: usize,
    /// As `false_dihedral`, among cross pairs where both pass the quality gate.
    pub false_dihedral_gated: usize,
}

impl Counts {
    /// Detection rate over all pairs of `tally`: plain or best-of-8 (`dihedral`).
    pub fn detection_rate(&self, tally: &Tally, dihedral: bool) -> f64 {
        ratio(
            if dihedral {
                self.detected_dihedral
            } else {
                self.detected_plain
            },
            tally.pairs,
        )
    }

    /// End-to-end detection rate with the quality gate: detected and both hashes kept,
    /// over all pairs (a dropped copy counts as a miss).
    pub fn detection_rate_gated(&self, tally: &Tally, dihedral: bool) -> f64 {
        ratio(
            if dihedral {
                self.detected_dihedral_gated
            } else {
                self.detected_plain_gated
            },
            tally.pairs,
        )
    }

    /// False-positive rate per comparison, over all cross pairs of `tally`.
    pub fn false_positive_rate(&self, tally: &Tally, dihedral: bool) -> f64 {
        ratio(
            if dihedral {
                self.false_dihedral
            } else {
                self.false_plain
            },
            tally.cross_pairs,
        )
    }

    /// False-positive rate per comparison among cross pairs that pass the quality gate.
    pub fn false_positive_rate_gated(&self, tally: &Tally, dihedral: bool) -> f64 {
        ratio(
            if dihedral {
                self.false_dihedral_gated
            } else {
                self.false_plain_gated
            },
            tally.cross_pairs_gated,
        )
    }

    fn add(&mut self, o: &Counts) {
        self.detected_plain += o.detected_plain;
        self.detected_dihedral += o.detected_dihedral;
        self.detected_plain_gated += o.detected_plain_gated;
        self.detected_dihedral_gated += o.detected_dihedral_gated;
        self.false_plain += o.false_plain;
        self.false_dihedral += o.false_dihedral;
        self.false_plain_gated += o.false_plain_gated;
        self.false_dihedral_gated += o.false_dihedral_gated;
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

/// Results for one transformation, or pooled over a family.
#[derive(Clone, Debug, PartialEq)]
pub struct Tally {
    /// Transformation name (or family name for a family tally).
    pub name: String,
    /// Family name.
    pub family: String,
    /// What the transformation does (for a family: the member names).
    pub description: String,
    /// Number of (copy, own original) pairs = transformed copies.
    pub pairs: usize,
    /// Pairs where both hashes pass the quality gate.
    pub pairs_gated: usize,
    /// Ordered (copy, different original) pairs.
    pub cross_pairs: usize,
    /// Cross pairs where both hashes pass the quality gate.
    pub cross_pairs_gated: usize,
    /// Copies that could not be produced or hashed (counted as misses, no cross pairs).
    pub failed: usize,
    /// Distance of each copy's plain hash to its original (corpus order; `None` = failed).
    pub distances_plain: Vec<Option<u32>>,
    /// Best distance over the copy's 8 dihedral hashes to its original.
    pub distances_dihedral: Vec<Option<u32>>,
    /// Smallest best-of-8 distance from any copy to a *different* original (`None` with a
    /// single original).
    pub min_cross_distance: Option<u32>,
    /// Histogram (index = distance 0..=256) of the plain distance of every copy to its own
    /// original.
    pub own_histogram_plain: Vec<u64>,
    /// Histogram of the best-of-8 distance of every copy to its own original.
    pub own_histogram_dihedral: Vec<u64>,
    /// Histogram of the plain distance of every copy to every *different* original.
    pub cross_histogram_plain: Vec<u64>,
    /// Histogram of the best-of-8 distance of every copy to every *different* original.
    pub cross_histogram_dihedral: Vec<u64>,
    /// Counts per threshold, in [`Settings::thresholds`] order.
    pub by_threshold: Vec<Counts>,
}

impl Tally {
    /// The counts at threshold `t`, if `t` was measured.
    pub fn at(&self, t: u32) -> Option<&Counts> {
        self.by_threshold.iter().find(|c| c.threshold == t)
    }

    /// Median of the known plain / best-of-8 distances to the own original.
    pub fn median_distance(&self, dihedral: bool) -> Option<u32> {
        let mut v: Vec<u32> = self.distances(dihedral).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        Some(v[(v.len() - 1) / 2])
    }

    /// Largest known plain / best-of-8 distance to the own original.
    pub fn max_distance(&self, dihedral: bool) -> Option<u32> {
        self.distances(dihedral).max()
    }

    fn distances(&self, dihedral: bool) -> impl Iterator<Item = u32> + '_ {
        let v = if dihedral {
            &self.distances_dihedral
        } else {
            &self.distances_plain
        };
        v.iter().flatten().copied()
    }
}

/// Everything measured.
#[derive(Clone, Debug, PartialEq)]
pub struct AccuracyReport {
    /// The settings used.
    pub settings: Settings,
    /// The originals (the "indicator list").
    pub originals: Vec<OriginalInfo>,
    /// One tally per transformation, in suite order.
    pub transforms: Vec<Tally>,
    /// One tally per family present, pooled, in [`Family::ALL`] order.
    pub families: Vec<Tally>,
    /// Per-pair failures as `transformation/original: message`.
    pub failures: Vec<String>,
    /// Per-copy records (transformation, original index, query quality), suite order.
    pub pairs: Vec<PairRecord>,
}

impl AccuracyReport {
    /// The tally of the family named `name` (see [`Family::name`]).
    pub fn family(&self, name: &str) -> Option<&Tally> {
        self.families.iter().find(|t| t.name == name)
    }

    /// The tally of the transformation named `name` (see [`Transform::name`]).
    pub fn transform(&self, name: &str) -> Option<&Tally> {
        self.transforms.iter().find(|t| t.name == name)
    }
}

/// One transformed copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairRecord {
    /// Transformation name.
    pub transform: String,
    /// Index into [`AccuracyReport::originals`].
    pub original: usize,
    /// Size of the copy.
    pub width: u32,
    /// Size of the copy.
    pub height: u32,
    /// Quality of the copy's hash (`None` if it failed).
    pub quality: Option<u8>,
    /// Plain distance to its original.
    pub distance_plain: Option<u32>,
    /// Best-of-8 distance to its original.
    pub distance_dihedral: Option<u32>,
    /// Best-of-8 distance to the nearest *different* original (`None` with a single
    /// original or if the copy failed).
    pub nearest_other: Option<u32>,
}

/// The measured outcome of one copy.
struct Outcome {
    width: u32,
    height: u32,
    quality: u8,
    plain: u32,
    dihedral: u32,
    /// (other original, plain distance if <= max threshold, best-of-8 distance), only
    /// entries whose best-of-8 distance is within the largest threshold.
    cross: Vec<(usize, Option<u32>, u32)>,
    /// Exact (plain, best-of-8) distance to every other original, by brute force.
    cross_all: Vec<(u32, u32)>,
}

fn to_index_hash(h: &bulwark_pdq::Hash256) -> bulwark_hamming::Hash256 {
    bulwark_hamming::Hash256::from_bytes(h.to_bytes())
}

fn hash_image(hasher: &mut Hasher, img: &image::RgbImage) -> Result<PdqOutput, AccuracyError> {
    Ok(hasher.hash_rgb8(img.width() as usize, img.height() as usize, img.as_raw())?)
}

/// Measures `transforms` on `corpus`. The originals' hashes form the indicator list (a
/// `bulwark-hamming` index); every copy is queried against it at the largest threshold,
/// plain and with its 8 dihedral hashes. Deterministic for a given input and seed.
pub fn evaluate(
    corpus: &Corpus,
    transforms: &[Transform],
    settings: &Settings,
) -> Result<AccuracyReport, AccuracyError> {
    if corpus.images.is_empty() {
        return Err(AccuracyError::Settings("no originals".into()));
    }
    if settings.thresholds.is_empty() {
        return Err(AccuracyError::Settings("no thresholds".into()));
    }
    if settings.thresholds.iter().any(|&t| t > 256) {
        return Err(AccuracyError::Settings("thresholds must be 0..=256".into()));
    }
    let mut thresholds = settings.thresholds.clone();
    thresholds.sort_unstable();
    thresholds.dedup();
    let max_t = *thresholds.last().unwrap_or(&0);
    let settings = Settings {
        thresholds,
        threads: settings.threads.max(1),
        ..settings.clone()
    };

    // The indicator list: the originals' plain hashes.
    let mut hasher = Hasher::new();
    let mut originals = Vec::with_capacity(corpus.images.len());
    let mut orig_out = Vec::with_capacity(corpus.images.len());
    for img in &corpus.images {
        let out = hash_image(&mut hasher, &img.image).map_err(|e| AccuracyError::Load {
            path: PathBuf::from(&img.name),
            message: e.to_string(),
        })?;
        originals.push(OriginalInfo {
            name: img.name.clone(),
            source: match &img.source {
                Source::File(p) => format!("file:{}", p.display()),
                Source::Generated { seed } => format!("generated:{seed}"),
                Source::Memory => "memory".into(),
            },
            width: img.image.width(),
            height: img.image.height(),
            quality: out.quality,
            hash: out.hash.to_hex(),
        });
        orig_out.push(out);
    }
    let index = HammingIndex::build(
        orig_out
            .iter()
            .enumerate()
            .map(|(i, o)| (i as u64, to_index_hash(&o.hash))),
        IndexConfig::default(),
    )?;

    // Every (transformation, original) job, spread over threads; results by job index.
    let n = corpus.images.len();
    let jobs: Vec<(usize, usize)> = (0..transforms.len())
        .flat_map(|t| (0..n).map(move |i| (t, i)))
        .collect();
    let mut results: Vec<Option<Result<Outcome, AccuracyError>>> =
        (0..jobs.len()).map(|_| None).collect();
    let chunk = jobs.len().div_ceil(settings.threads).max(1);
    std::thread::scope(|s| {
        for (job_chunk, out_chunk) in jobs.chunks(chunk).zip(results.chunks_mut(chunk)) {
            let index = &index;
            let orig_out = &orig_out;
            let settings = &settings;
            s.spawn(move || {
                let mut hasher = Hasher::new();
                for (&(t, i), slot) in job_chunk.iter().zip(out_chunk.iter_mut()) {
                    *slot = Some(measure_one(
                        &mut hasher,
                        &transforms[t],
                        i,
                        &corpus.images[i].image,
                        orig_out,
                        index,
                        settings.seed,
                        max_t,
                    ));
                }
            });
        }
    });

    let mut report = AccuracyReport {
        settings: settings.clone(),
        originals,
        transforms: Vec::new(),
        families: Vec::new(),
        failures: Vec::new(),
        pairs: Vec::new(),
    };
    let gate = settings.min_quality;
    let orig_pass: Vec<bool> = orig_out.iter().map(|o| o.quality >= gate).collect();
    let passing_originals = orig_pass.iter().filter(|&&p| p).count();
    for (t, tr) in transforms.iter().enumerate() {
        let mut tally = Tally {
            name: tr.name(),
            family: tr.family().name().to_string(),
            description: tr.description(),
            pairs: n,
            pairs_gated: 0,
            cross_pairs: 0,
            cross_pairs_gated: 0,
            failed: 0,
            distances_plain: Vec::with_capacity(n),
            distances_dihedral: Vec::with_capacity(n),
            min_cross_distance: None,
            own_histogram_plain: vec![0; 257],
            own_histogram_dihedral: vec![0; 257],
            cross_histogram_plain: vec![0; 257],
            cross_histogram_dihedral: vec![0; 257],
            by_threshold: settings
                .thresholds
                .iter()
                .map(|&threshold| Counts {
                    threshold,
                    ..Counts::default()
                })
                .collect(),
        };
        for i in 0..n {
            let r = results[t * n + i].take();
            let outcome = match r {
                Some(Ok(o)) => o,
                Some(Err(e)) => {
                    report
                        .failures
                        .push(format!("{}/{}: {e}", tr.name(), corpus.images[i].name));
                    record_failure(&mut tally, &mut report.pairs, tr, i);
                    continue;
                }
                None => {
                    report.failures.push(format!(
                        "{}/{}: not measured",
                        tr.name(),
                        corpus.images[i].name
                    ));
                    record_failure(&mut tally, &mut report.pairs, tr, i);
                    continue;
                }
            };
            let q_pass = outcome.quality >= gate;
            let pair_pass = q_pass && orig_pass[i];
            tally.distances_plain.push(Some(outcome.plain));
            tally.distances_dihedral.push(Some(outcome.dihedral));
            tally.cross_pairs += n - 1;
            if pair_pass {
                tally.pairs_gated += 1;
            }
            if q_pass {
                tally.cross_pairs_gated += passing_originals - usize::from(orig_pass[i]);
            }
            let nearest_other = outcome.cross_all.iter().map(|c| c.1).min();
            tally.own_histogram_plain[outcome.plain.min(256) as usize] += 1;
            tally.own_histogram_dihedral[outcome.dihedral.min(256) as usize] += 1;
            for &(p, d) in &outcome.cross_all {
                tally.cross_histogram_plain[p.min(256) as usize] += 1;
                tally.cross_histogram_dihedral[d.min(256) as usize] += 1;
            }
            if let Some(d) = nearest_other {
                tally.min_cross_distance = Some(tally.min_cross_distance.map_or(d, |m| m.min(d)));
            }
            for c in tally.by_threshold.iter_mut() {
                let th = c.threshold;
                if outcome.plain <= th {
                    c.detected_plain += 1;
                    c.detected_plain_gated += usize::from(pair_pass);
                }
                if outcome.dihedral <= th {
                    c.detected_dihedral += 1;
                    c.detected_dihedral_gated += usize::from(pair_pass);
                }
                for &(j, plain, dih) in &outcome.cross {
                    let cross_pass = q_pass && orig_pass[j];
                    if plain.is_some_and(|d| d <= th) {
                        c.false_plain += 1;
                        c.false_plain_gated += usize::from(cross_pass);
                    }
                    if dih <= th {
                        c.false_dihedral += 1;
                        c.false_dihedral_gated += usize::from(cross_pass);
                    }
                }
            }
            report.pairs.push(PairRecord {
                transform: tr.name(),
                original: i,
                width: outcome.width,
                height: outcome.height,
                quality: Some(outcome.quality),
                distance_plain: Some(outcome.plain),
                distance_dihedral: Some(outcome.dihedral),
                nearest_other,
            });
        }
        report.transforms.push(tally);
    }

    for fam in Family::ALL {
        let members: Vec<&Tally> = report
            .transforms
            .iter()
            .filter(|t| t.family == fam.name())
            .collect();
        if members.is_empty() {
            continue;
        }
        let mut pooled = Tally {
            name: fam.name().to_string(),
            family: fam.name().to_string(),
            description: members
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            pairs: 0,
            pairs_gated: 0,
            cross_pairs: 0,
            cross_pairs_gated: 0,
            failed: 0,
            distances_plain: Vec::new(),
            distances_dihedral: Vec::new(),
            min_cross_distance: None,
            own_histogram_plain: vec![0; 257],
            own_histogram_dihedral: vec![0; 257],
            cross_histogram_plain: vec![0; 257],
            cross_histogram_dihedral: vec![0; 257],
            by_threshold: settings
                .thresholds
                .iter()
                .map(|&threshold| Counts {
                    threshold,
                    ..Counts::default()
                })
                .collect(),
        };
        for m in members {
            pooled.pairs += m.pairs;
            pooled.pairs_gated += m.pairs_gated;
            pooled.cross_pairs += m.cross_pairs;
            pooled.cross_pairs_gated += m.cross_pairs_gated;
            pooled.failed += m.failed;
            pooled.distances_plain.extend(&m.distances_plain);
            pooled.distances_dihedral.extend(&m.distances_dihedral);
            pooled.min_cross_distance = match (pooled.min_cross_distance, m.min_cross_distance) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            add_histograms(&mut pooled, m);
            for (p, c) in pooled.by_threshold.iter_mut().zip(&m.by_threshold) {
                p.add(c);
            }
        }
        report.families.push(pooled);
    }
    Ok(report)
}

fn add_histograms(into: &mut Tally, from: &Tally) {
    for (a, b) in [
        (&mut into.own_histogram_plain, &from.own_histogram_plain),
        (
            &mut into.own_histogram_dihedral,
            &from.own_histogram_dihedral,
        ),
        (&mut into.cross_histogram_plain, &from.cross_histogram_plain),
        (
            &mut into.cross_histogram_dihedral,
            &from.cross_histogram_dihedral,
        ),
    ] {
        a.resize(b.len().max(a.len()), 0);
        for (x, y) in a.iter_mut().zip(b) {
            *x += y;
        }
    }
}

fn record_failure(tally: &mut Tally, pairs: &mut Vec<PairRecord>, tr: &Transform, i: usize) {
    tally.failed += 1;
    tally.distances_plain.push(None);
    tally.distances_dihedral.push(None);
    pairs.push(PairRecord {
        transform: tr.name(),
        original: i,
        width: 0,
        height: 0,
        quality: None,
        distance_plain: None,
        distance_dihedral: None,
        nearest_other: None,
    });
}

#[allow(clippy::too_many_arguments)]
fn measure_one(
    hasher: &mut Hasher,
    transform: &Transform,
    i: usize,
    img: &image::RgbImage,
    orig_out: &[PdqOutput],
    index: &HammingIndex,
    seed: u64,
    max_t: u32,
) -> Result<Outcome, AccuracyError> {
    let mut rng = rng::SplitMix64::derive(seed, &[rng::label(&transform.name()), i as u64]);
    let copy = transform.apply(img, &mut rng)?;
    let out = hash_image(hasher, &copy)?;
    let variants = out.dihedral().to_array();
    let own = &orig_out[i].hash;
    let plain = out.hash.distance(own);
    let dihedral = variants
        .iter()
        .map(|h| h.distance(own))
        .min()
        .unwrap_or(plain);
    // Index lookups: the plain hash and the 8 dihedral hashes at the largest threshold.
    let queries: Vec<bulwark_hamming::Hash256> = variants.iter().map(to_index_hash).collect();
    let mut best: std::collections::BTreeMap<usize, (Option<u32>, u32)> = Default::default();
    for (k, matches) in index.query_batch(&queries, max_t).into_iter().enumerate() {
        for m in matches {
            let j = m.id as usize;
            if j == i {
                continue;
            }
            let e = best.entry(j).or_insert((None, u32::MAX));
            e.1 = e.1.min(m.distance);
            // Variant 0 is the plain hash (`Dihedral::to_array` starts with `orig`).
            if k == 0 {
                e.0 = Some(m.distance);
            }
        }
    }
    // Brute force over the (small) list: the exact distance to every other original, for
    // the histograms, and a cross-check of the index's answer.
    let mut cross_all = Vec::with_capacity(orig_out.len().saturating_sub(1));
    let mut expected = Vec::new();
    for (j, o) in orig_out.iter().enumerate() {
        if j == i {
            continue;
        }
        let p = out.hash.distance(&o.hash);
        let d = variants
            .iter()
            .map(|h| h.distance(&o.hash))
            .min()
            .unwrap_or(p);
        cross_all.push((p, d));
        if d <= max_t {
            expected.push((j, (p <= max_t).then_some(p), d));
        }
    }
    let cross: Vec<(usize, Option<u32>, u32)> =
        best.into_iter().map(|(j, (p, d))| (j, p, d)).collect();
    if cross != expected {
        return Err(AccuracyError::Image(format!(
            "index and brute force disagree for {}: {cross:?} vs {expected:?}",
            transform.name()
        )));
    }
    Ok(Outcome {
        width: copy.width(),
        height: copy.height(),
        quality: out.quality,
        plain,
        dihedral,
        cross,
        cross_all,
    })
}

/// Where the shared test images are, relative to the workspace root.
pub const SHARED_IMAGES_FROM_WORKSPACE: &str = "../shared/data/pdq-vectors/images";

/// The shared images directory seen from this crate's manifest directory (for tests and
/// the example; callers with their own layout pass their own path).
pub fn default_image_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pdq-vectors/images")
}
