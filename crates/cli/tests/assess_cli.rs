//! `bulwark resilience assess` on the real European model: the report's
//! sections, plots and citations, reproducibility, and bad input.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_bulwark");

fn data() -> String {
    format!("{}/../../../shared/data", env!("CARGO_MANIFEST_DIR"))
}

fn bulwark(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("BULWARK_DATA")
        .output()
        .expect("the binary runs")
}

fn assess(out: &Path, extra: &[&str]) -> Output {
    let d = data();
    let o = out.to_string_lossy().into_owned();
    let mut args = vec![
        "resilience",
        "assess",
        "--member-state",
        "ES",
        "--samples",
        "4",
        "--seed",
        "3",
        "--data",
        &d,
        "--out",
        &o,
    ];
    args.extend_from_slice(extra);
    bulwark(&args)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("temp dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn report_for_spain_has_sections_plots_and_citations_and_is_reproducible() {
    let dir = tempfile::tempdir().expect("temp dir");
    let one = dir.path().join("es-1.html");
    let o = assess(&one, &["--threads", "1", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&one).expect("report written");
    for section in [
        "id=\"scope\"",
        "id=\"matrix\"",
        "id=\"exceedance\"",
        "id=\"tail\"",
        "id=\"cross-border\"",
        "id=\"reproducibility\"",
        "id=\"likelihood\"",
        "id=\"attribution\"",
    ] {
        assert!(html.contains(section), "missing section {section}");
    }
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Article 5(1) of Directive (EU) 2022/2557"));
    assert!(html.contains("Art. 17(1)(b)") && html.contains("Art. 15(1)"));
    assert!(
        html.contains("Not approved or endorsed by ENTSO-E"),
        "attribution"
    );
    assert!(html.contains("GeoNames"));
    assert!(html.contains("Seed 3, 4 samples per scenario"));
    // Plots: inline SVG with labelled axes; the Iberian split hits Spain.
    assert!(
        html.matches("<svg").count() >= 3,
        "exceedance, expected annual, cross-border"
    );
    assert!(html.contains("annual exceedance probability (log scale)"));
    assert!(html.contains("user-hours in ES per event"));
    assert!(html.contains("@media print"));
    // Self-contained: no scripts, no external assets.
    for bad in ["<script", "<link", "src=\"http", "href=\"http", "url("] {
        assert!(!html.contains(bad), "external asset or script: {bad}");
    }
    // The JSON carries the numbers: Spain is significantly affected by the
    // Iberian split, and no peak exceeds its population.
    let a: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(a["member_state"], "ES");
    let population = a["population"].as_f64().expect("population");
    let scenarios = a["scenarios"].as_array().expect("scenarios");
    assert_eq!(scenarios.len(), 9);
    let iberia = scenarios
        .iter()
        .find(|s| s["id"] == "iberia-2025-system-split")
        .expect("iberia");
    assert_eq!(iberia["probability_significant"], 1.0);
    assert!(iberia["likelihood_class"].as_u64().is_some());
    for s in scenarios {
        let peak = s["peak_people"]["max"].as_f64().expect("peak");
        assert!(peak <= population, "{}: {peak} > {population}", s["id"]);
    }
    // Cross-border exposure: disruption reaches Spain through other Member
    // States (e.g. data centres of a cloud provider), never through Spain itself.
    let cross = a["cross_border"].as_array().expect("cross_border");
    assert!(!cross.is_empty(), "cross-border exposure of Spain");
    assert!(cross.iter().all(|x| x["member_state"] != "ES"));

    // Same seed, other thread count: identical bytes.
    let two = dir.path().join("es-2.html");
    let o = assess(&two, &["--threads", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let again = std::fs::read(&two).expect("second report");
    assert!(
        again == html.as_bytes(),
        "same seed must give the same report bytes"
    );
    // A report is readable like any file, not private like a temporary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&two)
            .expect("report")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "{mode:o}");
    }
    // Only the two reports: no temporary files left behind.
    assert_eq!(files_in(dir.path()), ["es-1.html", "es-2.html"]);
}

#[test]
fn bad_input_exits_2_names_the_flag_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("r.html");
    let o = out.to_string_lossy().into_owned();
    let d = data();
    let run = |args: &[&str]| -> (Option<i32>, String) {
        let mut a = vec!["resilience", "assess", "--data", &d];
        a.extend_from_slice(args);
        let r = bulwark(&a);
        (
            r.status.code(),
            String::from_utf8_lossy(&r.stderr).into_owned(),
        )
    };
    // Unknown code, and a country that is not an EU Member State.
    for ms in ["XX", "CH"] {
        let (code, err) = run(&["--member-state", ms, "--out", &o, "--samples", "2"]);
        assert_eq!(code, Some(2), "{ms}: {err}");
        assert!(err.contains("--member-state"), "{err}");
    }
    // Zero samples.
    let (code, err) = run(&["--member-state", "ES", "--out", &o, "--samples", "0"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--samples"), "{err}");
    // A folder that does not exist.
    let (code, err) = run(&[
        "--member-state",
        "ES",
        "--out",
        "/nonexistent-bulwark-dir/r.html",
        "--samples",
        "2",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--out"), "{err}");
    // A folder as output.
    let folder = dir.path().to_string_lossy().into_owned();
    let (code, err) = run(&["--member-state", "ES", "--out", &folder, "--samples", "2"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--out"), "{err}");
    // A bad likelihood table.
    let table = dir.path().join("likelihood.json");
    std::fs::write(&table, r#"{"no-such-scenario": 0.1}"#).expect("write table");
    let t = table.to_string_lossy().into_owned();
    let (code, err) = run(&[
        "--member-state",
        "ES",
        "--out",
        &o,
        "--samples",
        "2",
        "--likelihood",
        &t,
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--likelihood") && err.contains("no-such-scenario"),
        "{err}"
    );
    assert!(!out.exists(), "no report on bad input");
    assert_eq!(
        files_in(dir.path()),
        ["likelihood.json"],
        "no partial or temporary file"
    );
}

#[test]
fn member_state_missing_from_the_model_exits_2() {
    // The open data without Malta: Malta is a Member State but not in the model.
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("data");
    std::fs::create_dir_all(root.join("geo")).expect("geo dir");
    std::os::unix::fs::symlink(Path::new(&data()).join("grid"), root.join("grid"))
        .expect("grid link");
    for file in ["countries_europe.csv", "cities15000_europe.csv"] {
        let text =
            std::fs::read_to_string(Path::new(&data()).join("geo").join(file)).expect("geo file");
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("MT,") && !l.contains(",MT,"))
            .collect();
        std::fs::write(root.join("geo").join(file), kept.join("\n") + "\n").expect("write");
    }
    let out = dir.path().join("mt.html");
    let r = bulwark(&[
        "resilience",
        "assess",
        "--member-state",
        "MT",
        "--samples",
        "1",
        "--data",
        &root.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--member-state MT") && err.contains("not in the European model"),
        "{err}"
    );
    assert!(!out.exists());
}
