//! `bulwark resilience`: CSV import (all or nothing, exit code 2 with every
//! bad row), entities, identification, incidents with an injected clock.

mod common;

use common::text;

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_bulwark");

fn bulwark(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("BULWARK_DB")
        .output()
        .unwrap()
}

#[test]
fn import_identify_and_incident_clocks_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("b.db");
    let db = db.to_str().unwrap();
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../resilience/tests/fixtures");
    let files: Vec<String> = ["entities", "provisions", "assets", "dependencies"]
        .iter()
        .map(|k| {
            fixtures
                .join(format!("{k}.csv"))
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();

    // A bad file: exit 2, each bad row on stderr, nothing written.
    let bad = dir.path().join("entities.csv");
    std::fs::write(
        &bad,
        "key,name,member_state,sector,subsector,category\nX1,x,XX,health,,y\nX2,,DE,health,,y\n",
    )
    .unwrap();
    let o = bulwark(&[
        "resilience",
        "import",
        "--db",
        db,
        bad.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["member_state", "name"]);
    assert!(text(&o).contains("entities.csv:2") && text(&o).contains("entities.csv:3"));
    let o = bulwark(&["resilience", "entities", "--db", db, "--json"]);
    assert_eq!(o.stdout, b"[]\n");

    let mut args = vec!["resilience", "import", "--db", db, "--json"];
    args.extend(files.iter().map(String::as_str));
    let o = bulwark(&args);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["entities"], 5);

    let o = bulwark(&["resilience", "entities", "--db", db, "--ms", "DE", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 4);

    let o = bulwark(&[
        "resilience",
        "identify",
        "--db",
        db,
        "--ms",
        "DE",
        "DE-CLOUD-1",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["cepes"]["candidate"], true);
    let o = bulwark(&[
        "resilience",
        "identify",
        "--db",
        db,
        "--ms",
        "FR",
        "DE-CLOUD-1",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    let incident = dir.path().join("incident.json");
    std::fs::write(
        &incident,
        r#"{"entity": "DE-TSO-1", "aware_at": "2027-03-10T08:00:00Z", "cer": true}"#,
    )
    .unwrap();
    let o = bulwark(&[
        "resilience",
        "incident",
        "report",
        "--db",
        db,
        "--ms",
        "DE",
        incident.to_str().unwrap(),
        "--now",
        "2027-03-10T09:00:00Z",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = bulwark(&[
        "resilience",
        "incident",
        "list",
        "--db",
        db,
        "--ms",
        "DE",
        "--now",
        "2027-03-11T08:00:01Z",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["overdue"], true);
    assert_eq!(v[0]["clocks"][0]["status"], "overdue");

    let out = dir.path().join("export");
    let o = bulwark(&[
        "resilience",
        "export",
        "--db",
        db,
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let exported = std::fs::read_to_string(out.join("dependencies.csv")).unwrap();
    assert!(
        exported.contains("D-3,DE-TSO-1,DE-WATER-1,physical,electricity,0.9,4,6,FR-TSO-1"),
        "{exported}"
    );
}

fn data() -> String {
    format!("{}/../../../shared/data", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn demo_seeds_the_registry_idempotently_and_reports_the_european_model() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let db = db.to_str().unwrap();
    let d = data();

    // Not the open-data folder: a usage error naming --data, before any write.
    let o = Command::new(BIN)
        .args(["resilience", "demo", "--db", db, "--data"])
        .arg(dir.path())
        .env_remove("BULWARK_DB")
        .env_remove("BULWARK_DATA")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--data"), "{}", text(&o));

    let o = bulwark(&["resilience", "demo", "--db", db, "--data", &d, "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let seeded = &v["registry"]["seeded"];
    assert_eq!(
        (
            &seeded["entities"],
            &seeded["provisions"],
            &seeded["assets"],
            &seeded["dependencies"]
        ),
        (&5.into(), &6.into(), &3.into(), &4.into()),
        "{v}"
    );
    assert_eq!(v["registry"]["entities"], 5);
    assert_eq!(v["registry"]["entities_by_sector"]["energy"], 2);
    let model = &v["model"];
    let nodes = model["nodes"].as_u64().unwrap();
    assert!(nodes > 1000, "{model}");
    let per_layer: u64 = model["nodes_by_layer"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(per_layer, nodes, "every node is in one layer");
    let deps: u64 = model["dependencies_by_resource"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(deps, model["dependencies"].as_u64().unwrap());
    assert!(model["dependencies_by_resource"]["electricity"].as_u64() > Some(0));
    let states: Vec<&str> = model["member_states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(states.len() >= 20, "{states:?}");
    assert!(
        states.contains(&"DE") && states.contains(&"EL"),
        "{states:?}"
    );
    let scenarios = v["scenarios"].as_array().unwrap();
    assert!(scenarios.len() >= 9);
    assert!(
        scenarios
            .iter()
            .any(|s| s["id"] == "iberia-2025-system-split")
    );

    // Again, as text: idempotent (still five entities), names what was loaded.
    let o = bulwark(&["resilience", "demo", "--db", db, "--data", &d]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("5 entities in the registry"), "{out}");
    assert!(out.contains("European model:"), "{out}");
    assert!(out.contains("electricity-supply"), "{out}");
    assert!(out.contains("iberia-2025-system-split"), "{out}");
    assert!(out.contains("GeoNames"), "attribution: {out}");
    let o = bulwark(&["resilience", "entities", "--db", db, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 5);
}

#[test]
fn cer_art_12_obligations_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("o.db");
    let db = db.to_str().unwrap();
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../resilience/tests/fixtures");
    let files: Vec<String> = ["entities", "provisions", "assets", "dependencies"]
        .iter()
        .map(|k| {
            fixtures
                .join(format!("{k}.csv"))
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut args = vec!["resilience", "import", "--db", db];
    args.extend(files.iter().map(|s| s.as_str()));
    let o = bulwark(&args);
    assert!(o.status.success(), "{}", text(&o));
    let list = bulwark(&["resilience", "entities", "--db", db, "--json"]);
    let entities: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let first = &entities[0];
    let key = first["key"].as_str().unwrap();
    let ms = first["member_state"].as_str().unwrap();
    // A risk assessment before the Art. 6(3) notification: exit 2, naming Art. 12(1).
    let o = bulwark(&[
        "resilience",
        "obligations",
        "--db",
        db,
        "--ms",
        ms,
        key,
        "--record",
        "risk_assessment",
        "--at",
        "2026-09-01T00:00:00Z",
        "--reference",
        "RA-1",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("Art. 12(1)"), "{}", text(&o));
    let o = bulwark(&[
        "resilience",
        "obligations",
        "--db",
        db,
        "--ms",
        ms,
        key,
        "--record",
        "notified",
        "--at",
        "2026-08-17T00:00:00Z",
        "--reference",
        "N-1",
        "--now",
        "2027-06-01T00:00:00Z",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["overdue"], true);
    assert_eq!(v["risk_assessment_due"], "2027-05-17T00:00:00.000000Z");
}
