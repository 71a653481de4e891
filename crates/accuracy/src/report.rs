//! Markdown tables and CSV files of an [`AccuracyReport`].

use std::fmt::Write as _;

use crate::{AccuracyReport, Counts, Tally};

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// A false-positive rate as `rate (k/n)`; exactly `0 (0/n)` when nothing matched.
fn fpr(k: usize, n: usize) -> String {
    if n == 0 {
        "n/a".into()
    } else if k == 0 {
        format!("0 (0/{n})")
    } else {
        format!("{:.3}% ({k}/{n})", 100.0 * k as f64 / n as f64)
    }
}

fn dist(v: Option<u32>) -> String {
    v.map_or("-".into(), |d| d.to_string())
}

/// All transformations pooled into one tally (for the "all" rows).
pub fn pooled_all(report: &AccuracyReport) -> Tally {
    let mut all = Tally {
        name: "all".into(),
        family: "all".into(),
        description: "every transformation".into(),
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
        by_threshold: report
            .settings
            .thresholds
            .iter()
            .map(|&threshold| Counts {
                threshold,
                ..Counts::default()
            })
            .collect(),
    };
    for t in &report.families {
        all.pairs += t.pairs;
        all.pairs_gated += t.pairs_gated;
        all.cross_pairs += t.cross_pairs;
        all.cross_pairs_gated += t.cross_pairs_gated;
        all.failed += t.failed;
        all.distances_plain.extend(&t.distances_plain);
        all.distances_dihedral.extend(&t.distances_dihedral);
        all.min_cross_distance = match (all.min_cross_distance, t.min_cross_distance) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        crate::add_histograms(&mut all, t);
        for (p, c) in all.by_threshold.iter_mut().zip(&t.by_threshold) {
            p.add(c);
        }
    }
    all
}

fn summary_row(out: &mut String, t: &Tally, threshold: u32) {
    let Some(c) = t.at(threshold) else {
        return;
    };
    let _ = writeln!(
        out,
        "| {} | {} | {} / {} | {} / {} | {} | {} | {} | {} | {} | {} |",
        t.name,
        t.pairs,
        dist(t.median_distance(false)),
        dist(t.max_distance(false)),
        dist(t.median_distance(true)),
        dist(t.max_distance(true)),
        pct(c.detection_rate(t, false)),
        pct(c.detection_rate(t, true)),
        pct(c.detection_rate_gated(t, true)),
        fpr(c.false_plain, t.cross_pairs),
        fpr(c.false_dihedral, t.cross_pairs),
        fpr(c.false_dihedral_gated, t.cross_pairs_gated),
    );
}

const SUMMARY_HEADER: &str = "| copies | distance to own original, plain: median / max | best of 8: median / max | detected, plain | detected, best of 8 | detected, best of 8, quality gate | FPR, plain | FPR, best of 8 | FPR, best of 8, quality gate |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

/// The Markdown results section: summary per family and per transformation at the
/// highlighted threshold, a threshold sweep, the quality gate's effect and the originals.
pub fn markdown(report: &AccuracyReport) -> String {
    let s = &report.settings;
    let hl = s.highlight;
    let mut out = String::new();
    let all = pooled_all(report);

    let _ = writeln!(
        out,
        "### Per family at threshold {hl} (distance <= {hl}, quality gate >= {})\n",
        s.min_quality
    );
    let _ = writeln!(out, "| family {SUMMARY_HEADER}");
    for f in &report.families {
        summary_row(&mut out, f, hl);
    }
    summary_row(&mut out, &all, hl);

    let _ = writeln!(out, "\n### Per transformation at threshold {hl}\n");
    let _ = writeln!(out, "| transformation {SUMMARY_HEADER}");
    for t in &report.transforms {
        summary_row(&mut out, t, hl);
    }

    by_origin(&mut out, report);

    let _ = writeln!(
        out,
        "\n### Detection rate (best of 8 dihedral hashes) by threshold\n"
    );
    let mut header = String::from("| family |");
    let mut rule = String::from("|---|");
    for &t in &s.thresholds {
        if t == hl {
            let _ = write!(header, " **{t}** |");
        } else {
            let _ = write!(header, " {t} |");
        }
        rule.push_str("---:|");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for f in report.families.iter().chain(std::iter::once(&all)) {
        let _ = write!(out, "| {} |", f.name);
        for c in &f.by_threshold {
            let _ = write!(out, " {} |", pct(c.detection_rate(f, true)));
        }
        out.push('\n');
    }

    let _ = writeln!(
        out,
        "\n### False positives by threshold (all transformations and originals pooled)\n"
    );
    let _ = writeln!(
        out,
        "{} comparisons of a copy with a different original ({} where both hashes pass the quality gate).\n",
        all.cross_pairs, all.cross_pairs_gated
    );
    let _ = writeln!(
        out,
        "| threshold | false matches, plain | FPR, plain | false matches, best of 8 | FPR, best of 8 | FPR, best of 8, quality gate |\n|---:|---:|---:|---:|---:|---:|"
    );
    for c in &all.by_threshold {
        let t = if c.threshold == hl {
            format!("**{}**", c.threshold)
        } else {
            c.threshold.to_string()
        };
        let _ = writeln!(
            out,
            "| {t} | {} | {} | {} | {} | {} |",
            c.false_plain,
            fpr(c.false_plain, all.cross_pairs),
            c.false_dihedral,
            fpr(c.false_dihedral, all.cross_pairs),
            fpr(c.false_dihedral_gated, all.cross_pairs_gated),
        );
    }

    let _ = writeln!(
        out,
        "\nDistance from a copy to a *different* original, all {} comparisons (exact, brute force): \
         best of 8: minimum {}, 0.1st percentile {}, 1st percentile {}, median {}; plain hash: \
         minimum {}, median {}. Distance from a copy to its own original (best of 8): median {}, \
         90th percentile {}, maximum {}.",
        all.cross_pairs,
        dist(histogram_quantile(&all.cross_histogram_dihedral, 0.0)),
        dist(histogram_quantile(&all.cross_histogram_dihedral, 0.001)),
        dist(histogram_quantile(&all.cross_histogram_dihedral, 0.01)),
        dist(histogram_quantile(&all.cross_histogram_dihedral, 0.5)),
        dist(histogram_quantile(&all.cross_histogram_plain, 0.0)),
        dist(histogram_quantile(&all.cross_histogram_plain, 0.5)),
        dist(histogram_quantile(&all.own_histogram_dihedral, 0.5)),
        dist(histogram_quantile(&all.own_histogram_dihedral, 0.9)),
        dist(histogram_quantile(&all.own_histogram_dihedral, 1.0)),
    );

    let _ = writeln!(out, "\n### False positives by family at threshold {hl}\n");
    let _ = writeln!(
        out,
        "| family | closest different original (best of 8) | FPR, plain | FPR, best of 8 | FPR, best of 8, quality gate |\n|---|---:|---:|---:|---:|"
    );
    for f in &report.families {
        if let Some(c) = f.at(hl) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                f.name,
                f.min_cross_distance.map_or(
                    format!("> {}", s.thresholds.last().copied().unwrap_or(0)),
                    |d| d.to_string()
                ),
                fpr(c.false_plain, f.cross_pairs),
                fpr(c.false_dihedral, f.cross_pairs),
                fpr(c.false_dihedral_gated, f.cross_pairs_gated),
            );
        }
    }

    let low: Vec<&str> = report
        .originals
        .iter()
        .filter(|o| o.quality < s.min_quality)
        .map(|o| o.name.as_str())
        .collect();
    let _ = writeln!(out, "\n### Quality gate (quality >= {})\n", s.min_quality);
    let _ = writeln!(
        out,
        "{} of {} originals are below the gate and would not be accepted as indicators ({}). \
         Of {} copies, {} ({}) are dropped because the copy or its original is below the gate; \
         the gated detection columns count them as misses.\n",
        low.len(),
        report.originals.len(),
        if low.is_empty() {
            "none".to_string()
        } else {
            low.join(", ")
        },
        all.pairs,
        all.pairs - all.pairs_gated,
        pct(if all.pairs == 0 {
            0.0
        } else {
            (all.pairs - all.pairs_gated) as f64 / all.pairs as f64
        }),
    );
    let _ = writeln!(
        out,
        "| transformation | copies dropped by the gate | detected among kept pairs, best of 8 |\n|---|---:|---:|"
    );
    for t in &report.transforms {
        if let Some(c) = t.at(hl) {
            let kept = if t.pairs_gated == 0 {
                "n/a".to_string()
            } else {
                pct(c.detected_dihedral_gated as f64 / t.pairs_gated as f64)
            };
            let _ = writeln!(
                out,
                "| {} | {} of {} | {} |",
                t.name,
                t.pairs - t.pairs_gated,
                t.pairs,
                kept
            );
        }
    }

    let _ = writeln!(out, "\n### Originals\n");
    let _ = writeln!(
        out,
        "| # | name | size | PDQ quality | source |\n|---:|---|---|---:|---|"
    );
    for (i, o) in report.originals.iter().enumerate() {
        let source = o
            .source
            .strip_prefix("file:")
            .map(|p| {
                // Show the path from the shared data folder on, not the machine's layout.
                match p.find("pdq-vectors/") {
                    Some(k) => format!("file `../shared/data/{}`", &p[k..]),
                    None => format!("file `{p}`"),
                }
            })
            .unwrap_or_else(|| o.source.replace(':', " seed "));
        let _ = writeln!(
            out,
            "| {i} | {} | {}x{} | {} | {} |",
            o.name, o.width, o.height, o.quality, source
        );
    }

    if !report.failures.is_empty() {
        let _ = writeln!(out, "\n### Failures (counted as misses)\n");
        for f in &report.failures {
            let _ = writeln!(out, "* {f}");
        }
    }
    out
}

/// Detection at the highlighted threshold split by where the original comes from (real
/// files vs generated images): the two populations behave differently.
fn by_origin(out: &mut String, report: &AccuracyReport) {
    let hl = report.settings.highlight;
    let real: Vec<bool> = report
        .originals
        .iter()
        .map(|o| o.source.starts_with("file:"))
        .collect();
    let n_real = real.iter().filter(|&&r| r).count();
    let n_gen = real.len() - n_real;
    if n_real == 0 || n_gen == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "\n### Detection at threshold {hl} by origin of the original ({n_real} real, {n_gen} generated)\n"
    );
    let _ = writeln!(
        out,
        "| family | real: detected, plain | real: detected, best of 8 | real: median distance, best of 8 | generated: detected, plain | generated: detected, best of 8 | generated: median distance, best of 8 |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for fam in &report.families {
        // [real, generated] x (copies, detected plain, detected best of 8, distances)
        let mut acc: [(usize, usize, usize, Vec<u32>); 2] = Default::default();
        for p in &report.pairs {
            let in_family = report
                .transforms
                .iter()
                .any(|t| t.name == p.transform && t.family == fam.name);
            if !in_family {
                continue;
            }
            let k = usize::from(!real.get(p.original).copied().unwrap_or(false));
            let a = &mut acc[k];
            a.0 += 1;
            a.1 += usize::from(p.distance_plain.is_some_and(|d| d <= hl));
            a.2 += usize::from(p.distance_dihedral.is_some_and(|d| d <= hl));
            if let Some(d) = p.distance_dihedral {
                a.3.push(d);
            }
        }
        let cell = |a: &(usize, usize, usize, Vec<u32>)| {
            let mut v = a.3.clone();
            v.sort_unstable();
            let median = v.get(v.len().saturating_sub(1) / 2).copied();
            let r = |k: usize| {
                if a.0 == 0 {
                    "n/a".to_string()
                } else {
                    pct(k as f64 / a.0 as f64)
                }
            };
            format!("{} | {} | {}", r(a.1), r(a.2), dist(median))
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            fam.name,
            cell(&acc[0]),
            cell(&acc[1])
        );
    }
}

/// CSV with one row per (transformation or family, threshold): raw counts and rates.
/// `level` is `transform`, `family` or `all`.
pub fn csv(report: &AccuracyReport) -> String {
    let mut out = String::from(
        "level,name,family,threshold,pairs,pairs_gated,cross_pairs,cross_pairs_gated,failed,\
         detected_plain,detected_dihedral,detected_plain_gated,detected_dihedral_gated,\
         false_plain,false_dihedral,false_plain_gated,false_dihedral_gated,\
         detection_rate_plain,detection_rate_dihedral,detection_rate_dihedral_gated,\
         fpr_plain,fpr_dihedral,fpr_dihedral_gated\n",
    );
    let all = pooled_all(report);
    let rows = report
        .transforms
        .iter()
        .map(|t| ("transform", t))
        .chain(report.families.iter().map(|t| ("family", t)))
        .chain(std::iter::once(("all", &all)));
    for (level, t) in rows {
        for c in &t.by_threshold {
            let _ = writeln!(
                out,
                "{level},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.6},{:.6},{:.6},{:.8},{:.8},{:.8}",
                t.name,
                t.family,
                c.threshold,
                t.pairs,
                t.pairs_gated,
                t.cross_pairs,
                t.cross_pairs_gated,
                t.failed,
                c.detected_plain,
                c.detected_dihedral,
                c.detected_plain_gated,
                c.detected_dihedral_gated,
                c.false_plain,
                c.false_dihedral,
                c.false_plain_gated,
                c.false_dihedral_gated,
                c.detection_rate(t, false),
                c.detection_rate(t, true),
                c.detection_rate_gated(t, true),
                c.false_positive_rate(t, false),
                c.false_positive_rate(t, true),
                c.false_positive_rate_gated(t, true),
            );
        }
    }
    out
}

/// The `q`-quantile (0..=1) of a histogram (index = distance); `None` if it is empty.
pub fn histogram_quantile(hist: &[u64], q: f64) -> Option<u32> {
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
    let mut seen = 0;
    for (d, &n) in hist.iter().enumerate() {
        seen += n;
        if seen >= rank {
            return Some(d as u32);
        }
    }
    None
}

/// CSV of the distance histograms, all transformations pooled plus one column pair per
/// family: `distance,own_plain,own_dihedral,cross_plain,cross_dihedral` (counts).
pub fn histogram_csv(report: &AccuracyReport) -> String {
    let all = pooled_all(report);
    let mut out = String::from("distance,own_plain,own_dihedral,cross_plain,cross_dihedral\n");
    for d in 0..all.own_histogram_plain.len() {
        let _ = writeln!(
            out,
            "{d},{},{},{},{}",
            all.own_histogram_plain[d],
            all.own_histogram_dihedral[d],
            all.cross_histogram_plain.get(d).copied().unwrap_or(0),
            all.cross_histogram_dihedral.get(d).copied().unwrap_or(0),
        );
    }
    out
}

/// CSV with one row per transformed copy: sizes, qualities and distances (the raw data
/// behind the distance histograms).
pub fn pairs_csv(report: &AccuracyReport) -> String {
    let mut out = String::from(
        "transform,original,width,height,quality_copy,quality_original,distance_plain,distance_dihedral,nearest_other_original\n",
    );
    let opt = |v: Option<u32>| v.map_or(String::new(), |d| d.to_string());
    for p in &report.pairs {
        let o = report.originals.get(p.original);
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            p.transform,
            o.map_or("?", |o| o.name.as_str()),
            p.width,
            p.height,
            p.quality.map_or(String::new(), |q| q.to_string()),
            o.map_or(String::new(), |o| o.quality.to_string()),
            opt(p.distance_plain),
            opt(p.distance_dihedral),
            opt(p.nearest_other),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles() {
        let mut h = vec![0u64; 257];
        assert_eq!(histogram_quantile(&h, 0.5), None);
        h[3] = 1;
        h[10] = 2;
        h[200] = 1;
        assert_eq!(histogram_quantile(&h, 0.0), Some(3));
        assert_eq!(histogram_quantile(&h, 0.25), Some(3));
        assert_eq!(histogram_quantile(&h, 0.5), Some(10));
        assert_eq!(histogram_quantile(&h, 1.0), Some(200));
        assert_eq!(fpr(0, 10), "0 (0/10)");
        assert_eq!(fpr(1, 4), "25.000% (1/4)");
        assert_eq!(fpr(0, 0), "n/a");
    }
}
