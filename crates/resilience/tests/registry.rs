//! The registry on SQLite and PostgreSQL: CSV and JSON import and export,
//! all-or-nothing imports that report every bad row, Member State scope.

mod common;

use std::path::Path;

use bulwark_core::Country;
use bulwark_resilience::import::{self, ImportFile};
use bulwark_resilience::registry;
use bulwark_resilience::{Format, RecordKind, ResilienceError};
use bulwark_store::{Actor, Store, audit};

const KINDS: [&str; 4] = ["entities", "provisions", "assets", "dependencies"];

fn fixture_files() -> Vec<ImportFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    KINDS
        .iter()
        .map(|k| {
            let name = format!("{k}.csv");
            let content = std::fs::read_to_string(dir.join(&name)).unwrap();
            ImportFile::from_name(&name, content).unwrap()
        })
        .collect()
}

async fn count(store: &Store, table: &str) -> i64 {
    let row: (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(store.pool())
        .await
        .unwrap();
    row.0
}

async fn audit_len(store: &Store) -> usize {
    audit::recent(store, 1000).await.unwrap().len()
}

#[tokio::test]
async fn csv_import_writes_everything_with_one_audit_record_and_round_trips() {
    for db in common::all().await {
        let s = &db.store;
        let summary = import::import(s, &Actor::cli("test"), &fixture_files(), None, "test")
            .await
            .unwrap();
        assert_eq!(
            (
                summary.entities,
                summary.provisions,
                summary.assets,
                summary.dependencies
            ),
            (5, 6, 3, 4),
            "{}",
            db.label
        );
        let records = audit::recent(s, 10).await.unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].action, "resilience.import");
        assert_eq!(records[0].details["provisions"], 6);

        let de = registry::list_entities(s, Some(Country::Germany))
            .await
            .unwrap();
        assert_eq!(de.len(), 4);
        let detail = registry::entity_detail(s, Some(Country::Germany), "DE-TSO-1")
            .await
            .unwrap();
        assert_eq!(detail.provisions.len(), 2);
        assert_eq!(
            detail.provisions[0].served_states,
            [Country::Austria, Country::Poland]
        );
        assert_eq!(detail.dependencies.len(), 3);
        // Outside its Member State an entity is not found.
        assert!(matches!(
            registry::get_entity(s, Some(Country::France), "DE-TSO-1").await,
            Err(ResilienceError::NotFound { .. })
        ));

        // Export as CSV and JSON; both import back unchanged (idempotent upsert).
        let bundle = registry::export(s, None).await.unwrap();
        let csv_files: Vec<ImportFile> = RecordKind::ALL
            .iter()
            .map(|k| ImportFile {
                name: format!("{k}.csv"),
                format: Format::Csv,
                kind: Some(*k),
                content: import::to_csv(&bundle, *k).unwrap(),
            })
            .collect();
        import::import(s, &Actor::cli("test"), &csv_files, None, "again")
            .await
            .unwrap();
        assert_eq!(
            registry::export(s, None).await.unwrap(),
            bundle,
            "{}",
            db.label
        );
        let json = ImportFile {
            name: "bundle.json".into(),
            format: Format::Json,
            kind: None,
            content: serde_json::to_string_pretty(&bundle).unwrap(),
        };
        import::import(s, &Actor::cli("test"), &[json], None, "again")
            .await
            .unwrap();
        assert_eq!(registry::export(s, None).await.unwrap(), bundle);
        assert_eq!(count(s, "res_entities").await, 5);

        // A Member State's export holds only its entities and their records.
        let fr = registry::export(s, Some(Country::France)).await.unwrap();
        assert_eq!(fr.entities.len(), 1);
        assert_eq!(fr.provisions.len(), 1);
        assert!(fr.dependencies.is_empty());
        assert!(audit::verify(s, &Default::default()).await.unwrap().ok);
    }
}

#[tokio::test]
async fn malformed_import_is_rejected_with_every_bad_row_and_nothing_written() {
    for db in common::all().await {
        let s = &db.store;
        let entities = "key,name,member_state,sector,subsector,category\n\
            E1,Good One,DE,energy,electricity,TSO\n\
            E2,Bad Country,XX,health,,hospital\n\
            E3,No Subsector,DE,energy,,producer\n\
            E1,Duplicate,DE,health,,hospital\n\
            E5,Too,Many,Fields,DE,health,,x\n";
        let provisions = "key,entity,service,member_state,region,users_served,market_share,served_states,substitutability,isolated_area\n\
            P1,E1,electricity.transmission,DE,DE300,1000,1.5,,0.1,false\n\
            P2,NOPE,electricity.transmission,DE,DE300,1000,0.5,,0.1,false\n\
            P3,E1,electricity.teleportation,DE,FR101,many,0.5,AT;ZZ,0.1,maybe\n";
        let json = r#"{
  "assets": [
    {"key": "A1", "entity": "E1", "kind": "substation", "name": "ok", "member_state": "DE", "region": "DE300"},
    {"key": "A2", "entity": "E1", "kind": "substation", "name": "bad", "member_state": "DE",
     "region": "DE300", "latitude": 123, "colour": "red"}
  ]
}"#;
        let files = vec![
            ImportFile::from_name("entities.csv", entities.into()).unwrap(),
            ImportFile::from_name("provisions.csv", provisions.into()).unwrap(),
            ImportFile::from_name("more.json", json.into()).unwrap(),
        ];
        let before = audit_len(s).await;
        let err = import::import(s, &Actor::cli("test"), &files, None, "test")
            .await
            .unwrap_err();
        let ResilienceError::Import(rows) = err else {
            panic!("expected an import error, got {err}");
        };
        let has = |file: &str, line: u64, field: &str| {
            rows.iter()
                .any(|r| r.file == file && r.line == line && r.field == field)
        };
        let all: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        assert!(has("entities.csv", 3, "member_state"), "{all:#?}");
        assert!(has("entities.csv", 4, "subsector"), "{all:#?}");
        assert!(has("entities.csv", 5, "key"), "duplicate key: {all:#?}");
        assert!(has("entities.csv", 6, "(row)"), "field count: {all:#?}");
        assert!(has("provisions.csv", 2, "market_share"), "{all:#?}");
        assert!(
            has("provisions.csv", 3, "entity"),
            "dangling reference: {all:#?}"
        );
        assert!(has("provisions.csv", 4, "users_served"), "{all:#?}");
        assert!(has("provisions.csv", 4, "served_states"), "{all:#?}");
        assert!(has("provisions.csv", 4, "isolated_area"), "{all:#?}");
        assert!(
            has("more.json", 4, "latitude") || has("more.json", 4, "colour"),
            "{all:#?}"
        );
        assert!(has("more.json", 4, "colour"), "{all:#?}");
        // The good rows are not reported; the rules are named.
        assert!(!rows.iter().any(|r| r.file == "entities.csv" && r.line == 2));
        assert!(
            rows.iter()
                .any(|r| r.rule.contains("is required for sector energy"))
        );
        // Nothing written, not even an audit record.
        for table in [
            "res_entities",
            "res_provisions",
            "res_assets",
            "res_dependencies",
        ] {
            assert_eq!(count(s, table).await, 0, "{table} on {}", db.label);
        }
        assert_eq!(audit_len(s).await, before);

        // After the bad rows are fixed the same import goes through; an
        // unknown service once the references are fine is still caught.
        let ok_provisions = "key,entity,service,member_state,region,users_served,market_share,served_states,substitutability,isolated_area\n\
            P1,E1,electricity.teleportation,DE,DE300,1000,0.5,,0.1,false\n";
        let files = vec![
            ImportFile::from_name("entities.csv", "key,name,member_state,sector,subsector,category\nE1,Good,DE,energy,electricity,TSO\n".into()).unwrap(),
            ImportFile::from_name("provisions.csv", ok_provisions.into()).unwrap(),
        ];
        let Err(ResilienceError::Import(rows)) =
            import::import(s, &Actor::cli("test"), &files, None, "test").await
        else {
            panic!("unknown service accepted");
        };
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].line, rows[0].field.as_str()), (2, "service"));
        assert_eq!(count(s, "res_entities").await, 0);
    }
}

#[tokio::test]
async fn import_for_one_member_state_refuses_other_member_states_records() {
    for db in common::all().await {
        let s = &db.store;
        import::import(s, &Actor::cli("test"), &fixture_files(), None, "seed")
            .await
            .unwrap();
        // A DE-scoped import may not create a French entity, nor overwrite
        // one by key, nor attach records to a French entity.
        let json = r#"{
  "entities": [
    {"key": "FR-NEW", "name": "x", "member_state": "FR", "sector": "health", "category": "hospital"},
    {"key": "FR-TSO-1", "name": "hijack", "member_state": "DE", "sector": "health", "category": "hospital"}
  ],
  "assets": [
    {"key": "A-X", "entity": "FR-TSO-1", "kind": "line", "name": "x", "member_state": "FR", "region": "FR101"}
  ],
  "dependencies": [
    {"key": "D-X", "supplier": "FR-TSO-1", "dependent": "DE-HOSP-1", "kind": "physical",
     "resource": "electricity", "strength": 0.2, "buffer_hours": 24, "recovery_lag_hours": 0}
  ]
}"#;
        let file = ImportFile::from_name("de.json", json.into()).unwrap();
        let Err(ResilienceError::Import(rows)) = import::import(
            s,
            &Actor::cli("test"),
            std::slice::from_ref(&file),
            Some(Country::Germany),
            "t",
        )
        .await
        else {
            panic!("cross-Member-State import accepted on {}", db.label);
        };
        let lines: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.field.as_str())).collect();
        assert!(lines.contains(&(3, "member_state")), "{rows:#?}");
        assert!(lines.contains(&(4, "key")), "{rows:#?}");
        assert!(lines.contains(&(7, "entity")), "{rows:#?}");
        // A supplier abroad is fine: only the dependency's dependent must be in DE.
        assert!(!rows.iter().any(|r| r.line == 10), "{rows:#?}");
        let fr = registry::get_entity(s, None, "FR-TSO-1").await.unwrap();
        assert_eq!(fr.record.member_state, Country::France);
        // Without a scope (the local operator) the same dependency is accepted.
        let dep_only = r#"{"dependencies": [{"key": "D-X", "supplier": "FR-TSO-1", "dependent": "DE-HOSP-1",
            "kind": "physical", "resource": "electricity", "strength": 0.2, "buffer_hours": 24, "recovery_lag_hours": 0}]}"#;
        let f = ImportFile::from_name("dep.json", dep_only.into()).unwrap();
        import::import(s, &Actor::cli("test"), &[f], Some(Country::Germany), "t")
            .await
            .unwrap();
    }
}
