//! Tests on the real open data in `shared/data`.

use std::path::PathBuf;
use std::sync::OnceLock;

use bulwark_cascade::{CompiledModel, CompiledScenario, SimConfig, SimulationResult, simulate};
use bulwark_europe::*;

fn data_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

fn europe() -> &'static (EuropeModel, CompiledModel) {
    static M: OnceLock<(EuropeModel, CompiledModel)> = OnceLock::new();
    M.get_or_init(|| {
        let em = build_model(&data_root(), &BuildParams::default()).expect("model builds");
        let cm = CompiledModel::new(em.model.clone()).expect("model compiles");
        (em, cm)
    })
}

fn run(id: &str, samples: usize) -> SimulationResult {
    let (em, cm) = europe();
    let sc = scenario(em, id).expect("known scenario");
    let cs = CompiledScenario::new(cm, sc).expect("scenario compiles");
    simulate(cm, &cs, samples, 2026, &SimConfig::default()).expect("runs")
}

#[test]
fn model_loads_with_expected_counts() {
    let (em, _) = europe();
    let s = &em.stats;
    assert_eq!(s.buses, 8_807);
    // 11 151 lines of which 1 066 under construction; 62 links of which 5.
    assert_eq!(s.lines, 11_151 - 1_066);
    assert_eq!(s.hvdc_links, 62 - 5);
    assert_eq!(s.transformers, 1_039 + 6);
    assert_eq!(s.generators, 2_582);
    assert_eq!(s.pipes, 2_136);
    assert_eq!(s.gas_nodes, 1_604);
    assert_eq!(s.cities, 6_381);
    assert_eq!(s.countries, 32);
    assert!(s.interconnectors > 100, "{}", s.interconnectors);
    assert_eq!(s.nodes_by_service["electricity-supply"], 6_381);
    assert_eq!(s.nodes_by_service["mobile-telecom"], 6_381);
    assert_eq!(s.nodes_by_service["cloud-computing"], 4);
    assert_eq!(s.nodes, em.model.nodes.len());
    // Users are scaled to the GeoNames national population (Germany 82,927,922).
    let de = s.population_by_member_state["DE"];
    assert!((de - 82_927_922.0).abs() / 82_927_922.0 < 0.001, "{de}");
    // UK is GB everywhere, Greece is GR.
    assert!(s.population_by_member_state.contains_key("GB"));
    assert!(!em.model.nodes.iter().any(|n| n.member_state == "UK"));
    assert!(s.population_by_member_state.contains_key("GR"));
    assert!(
        em.model
            .description
            .contains("Not approved or endorsed by ENTSO-E")
    );
}

#[test]
fn iberia_split_matches_orders_of_magnitude() {
    let r = run("iberia-2025-system-split", 12);
    let sum = |ms: &str, f: &dyn Fn(&bulwark_cascade::GroupResult) -> f64| -> f64 {
        r.groups
            .iter()
            .filter(|g| g.service == "electricity-supply" && g.member_state == ms)
            .map(f)
            .sum()
    };
    let es_peak = sum("ES", &|g| g.mean_peak_users);
    let pt_peak = sum("PT", &|g| g.mean_peak_users);
    let fr_peak = sum("FR", &|g| g.mean_peak_users);
    // Spain and Portugal go dark: tens of millions (ES) and millions (PT).
    assert!((1e7..1e8).contains(&es_peak), "ES peak {es_peak}");
    assert!((1e6..2e7).contains(&pt_peak), "PT peak {pt_peak}");
    // South-west France is touched, much less.
    assert!(
        fr_peak > 0.0 && fr_peak < 0.1 * es_peak,
        "FR peak {fr_peak}"
    );
    // Restoration: users-weighted mean outage of hours, well within a day.
    let es_hours = sum("ES", &|g| g.mean_user_hours) / es_peak;
    assert!(
        (4.0..24.0).contains(&es_hours),
        "ES mean outage {es_hours} h"
    );
    // Hospitals ride through on generators (24–72 h autonomy, spec §4.4):
    // degraded (telecom) but rarely disrupted; rail stops at once.
    let mean_duration = |service: &str| -> f64 {
        let g: Vec<_> = r
            .groups
            .iter()
            .filter(|g| g.service == service && g.member_state == "ES")
            .collect();
        g.iter().map(|g| g.mean_duration_hours).sum::<f64>() / g.len().max(1) as f64
    };
    let (hospital_h, rail_h) = (mean_duration("healthcare"), mean_duration("rail-transport"));
    assert!(hospital_h < 2.0, "hospitals disrupted {hospital_h} h");
    assert!(rail_h > 5.0, "rail disrupted {rail_h} h");
    assert!(r.cross_border_probability > 0.5);
    assert!(r.six_member_states_probability < 0.5);
    let worst = r.worst_sample.as_ref().expect("impact");
    assert!(worst.affected_member_states.contains(&"ES".to_string()));
    let p = &worst.provisions[0];
    assert!(p.path.len() >= 2, "causal path {:?}", p.path);
}

#[test]
fn peak_people_of_the_iberian_split_never_exceed_the_population() {
    // Regression: peak users used to be summed over services (electricity,
    // telecom, water, waste water, payments, ...), so the split reported
    // ~1.9e8 "users" for ~58 million people in Spain and Portugal.
    let (em, _) = europe();
    let r = run("iberia-2025-system-split", 8);
    let pop = |ms: &str| em.stats.population_by_member_state[ms];
    let peak = |ms: &str| {
        r.member_states
            .iter()
            .find(|m| m.member_state == ms)
            .map_or(0.0, |m| m.peak_users.max)
    };
    let (es, pt) = (peak("ES"), peak("PT"));
    assert!(es <= pop("ES") * (1.0 + 1e-9), "ES {es} > {}", pop("ES"));
    assert!(pt <= pop("PT") * (1.0 + 1e-9), "PT {pt} > {}", pop("PT"));
    assert!(
        es + pt <= pop("ES") + pop("PT"),
        "Iberia {} > {}",
        es + pt,
        pop("ES") + pop("PT")
    );
    // Spain goes dark: tens of millions of people at the peak.
    assert!(es > 1e7, "ES {es}");
    for m in &r.member_states {
        assert!(
            m.peak_users.max <= pop(&m.member_state) * (1.0 + 1e-9),
            "{} {}",
            m.member_state,
            m.peak_users.max
        );
    }
    let everyone: f64 = r.member_states.iter().map(|m| pop(&m.member_state)).sum();
    assert!(r.peak_users.max <= everyone * (1.0 + 1e-9));
}

#[test]
fn scenario_library_is_complete_and_runs() {
    let (em, cm) = europe();
    let all = scenarios(em);
    assert_eq!(all.len(), CATALOGUE.len());
    let mut ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), CATALOGUE.len(), "ids are unique");
    for sc in all {
        assert!(sc.description.len() > 80, "{} is documented", sc.id);
        let id = sc.id.clone();
        let cs = CompiledScenario::new(cm, sc).expect("compiles");
        let r = simulate(cm, &cs, 3, 1, &SimConfig::default()).expect("runs");
        assert_eq!(r.samples, 3, "{id}");
    }
    assert!(scenario(em, "no-such-scenario").is_none());
    let c = run("cyber-cloud-provider", 6);
    assert!(
        c.six_member_states_probability > 0.5,
        "a provider serving all Member States"
    );
    let s = run("sabotage-top20-substations", 2);
    assert!(s.user_hours.mean > 0.0);
}

#[test]
fn real_model_is_reproducible_across_thread_counts() {
    let (em, cm) = europe();
    let sc = scenario(em, "windstorm-north-west").expect("known");
    let cs = CompiledScenario::new(cm, sc).expect("compiles");
    let go = |t: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .expect("pool")
            .install(|| simulate(cm, &cs, 40, 5, &SimConfig::default()).expect("runs"))
    };
    let (a, b) = (go(1), go(2));
    assert_eq!(a.sample_user_hours, b.sample_user_hours);
    assert_eq!(a, b);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bulwark-europe-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn malformed_field_names_file_line_and_field() {
    let dir = temp_dir("bad-bus");
    let path = dir.join("buses.csv");
    std::fs::write(
        &path,
        "bus_id,station_id,voltage,dc,symbol,under_construction,tags,x,y\n\
         1,3,380,f,Substation,f,'\"country\"=>\"ES\"',-3.7,40.4\n\
         2,4,380,f,Substation,f,'\"country\"=>\"ES\"',west,40.5\n",
    )
    .expect("write");
    let err = data::read_buses(&path).expect_err("bad x");
    let msg = err.to_string();
    assert!(msg.contains("buses.csv"), "{msg}");
    assert!(msg.contains("line 3"), "{msg}");
    assert!(msg.contains("\"x\""), "{msg}");
    assert!(msg.contains("west"), "{msg}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn malformed_gas_list_and_missing_file_are_reported() {
    let dir = temp_dir("bad-gas");
    let path = dir.join("gas.csv");
    std::fs::write(
        &path,
        "id,name,source_id,node_id,lat,long,country_code,is_bothDirection,lat_mean,length_km,long_mean,max_pressure_bar,num_compressor,start_year,Capacity_GWh_h,diameter_mm\n\
         P1,Pipe,['X'],\"['A', 'B']\",\"[50.0, 51.0]\",\"[8.0, 9.0]\",\"['DE', 'DE']\",1.0,50.5,100.0,8.5,70.0,1.0,2000.0,3.0,600.0\n\
         P2,Pipe,['X'],\"['A']\",\"[50.0, 51.0]\",\"[8.0, 9.0]\",\"['DE', 'PL ']\",1.0,50.5,100.0,8.5,70.0,1.0,2000.0,3.0,600.0\n",
    )
    .expect("write");
    let msg = data::read_gas(&path).expect_err("bad list").to_string();
    assert!(
        msg.contains("gas.csv") && msg.contains("line 3") && msg.contains("node_id"),
        "{msg}"
    );
    let missing = dir.join("nope.csv");
    let msg = data::read_cities(&missing)
        .expect_err("missing")
        .to_string();
    assert!(msg.contains("nope.csv"), "{msg}");
    // A missing column is named too.
    let cols = dir.join("cities.csv");
    std::fs::write(&cols, "geonameid,name\n1,X\n").expect("write");
    let msg = data::read_cities(&cols).expect_err("columns").to_string();
    assert!(
        msg.contains("cities.csv") && msg.contains("ascii_name"),
        "{msg}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gridkit_quote_character_is_handled() {
    // Generators have names with doubled single quotes and tags with double quotes.
    let gens = data::read_generators(&data_root().join("grid/entsoe-gridkit/generators.csv"))
        .expect("generators");
    assert_eq!(gens.len(), 2_582);
    assert!(gens.iter().any(|g| g.name.contains('\'')));
    let unknown = gens.iter().filter(|g| g.capacity_mw.is_none()).count();
    // -1 (463), empty (275) and 0 (167) are unknown.
    assert_eq!(unknown, 463 + 275 + 167);
}

#[test]
fn measures_are_compared_with_common_random_numbers() {
    let (em, _) = europe();
    let c = compare_measures(
        em,
        "windstorm-north-west",
        &["base-stations-8h"],
        16,
        9,
        &SimConfig::default(),
    )
    .expect("compare");
    let m = &c.measures[0];
    assert_eq!(m.measure_id, "base-stations-8h");
    assert_eq!(m.result.samples, 16);
    assert!(c.baseline.user_hours.mean > 0.0);
    assert!(
        m.mean_difference_user_hours < 0.0,
        "longer base-station autonomy reduces impact: {}",
        m.mean_difference_user_hours
    );
    assert!(
        compare_measures(
            em,
            "windstorm-north-west",
            &["nope"],
            1,
            1,
            &SimConfig::default()
        )
        .is_err()
    );
    assert!(simulate_scenario(em, "nope", 1, 1, &SimConfig::default()).is_err());
}
