//! `bulwark resilience scenarios|simulate` on the real European model.

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
        .unwrap()
}

#[test]
fn scenario_library_lists_stable_ids() {
    let o = bulwark(&["resilience", "scenarios", "--json"]);
    assert!(o.status.success());
    let list: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert!(list.len() >= 9);
    assert!(list.iter().any(|s| s["id"] == "iberia-2025-system-split"));
    assert!(
        list.iter()
            .all(|s| s["description"].as_str().is_some_and(|d| !d.is_empty()))
    );
}

#[test]
fn same_seed_same_result_and_iberia_is_cross_border() {
    let args = [
        "resilience",
        "simulate",
        "--scenario",
        "iberia-2025-system-split",
        "--samples",
        "24",
        "--seed",
        "5",
        "--json",
        "--data",
    ];
    let run = |threads: &str| {
        let mut a = args.to_vec();
        let d = data();
        a.push(&d);
        a.extend(["--threads", threads]);
        let o = bulwark(&a);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let one = run("1");
    let two = run("2");
    assert_eq!(
        one, two,
        "the same seed must give the same result on any thread count"
    );
    assert_eq!(one["samples"], 24);
    let states: Vec<&str> = one["member_states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["member_state"].as_str().unwrap())
        .collect();
    assert_eq!(
        &states[..2],
        ["ES", "PT"],
        "Spain then Portugal carry the Iberian split"
    );
    assert!(one["user_hours"]["mean"].as_f64().unwrap() > 1e8);
}

#[test]
fn bad_scenario_samples_or_data_exit_2() {
    let d = data();
    let o = bulwark(&["resilience", "simulate", "--scenario", "nope", "--data", &d]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("iberia-2025-system-split"));
    let o = bulwark(&[
        "resilience",
        "simulate",
        "--scenario",
        "windstorm-north-west",
        "--samples",
        "0",
        "--data",
        &d,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = bulwark(&[
        "resilience",
        "simulate",
        "--scenario",
        "windstorm-north-west",
        "--data",
        "/nonexistent",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--data"));
}
