//! Builds the European cascade model from the open data plus synthetic
//! layers calibrated on the spec (§4.4, §5.4).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use bulwark_cascade::{
    Dependency, DependencyKind, Dist, Model, NetworkLink, NetworkSource, Node, Resource,
    SupplyNetwork,
};
use serde::{Deserialize, Serialize};

use crate::data::{self, City, DataPaths};
use crate::error::EuropeError;

/// Parameters of the synthetic layers. Values taken from the spec cite the
/// section; values the spec does not give (or marks `[check]`) are
/// assumptions and therefore parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildParams {
    /// Restoration time of a de-energised grid island. Log-normal with median
    /// 9 h and σ 0.53, fitted to the Iberian blackout of 28 Apr 2025 (spec §4.4:
    /// ~61 % of demand back by late evening, > 92 % by next morning).
    pub grid_restoration_hours: Dist,
    /// Island viability threshold of the grid (supply share / demand share) [assumption].
    pub grid_min_supply_ratio: f64,
    /// Restoration of a gas-network island without supply [assumption].
    pub gas_restoration_hours: Dist,
    /// Base-station battery: 0.5–4 h (spec §4.4, Sweden PTS rule / user reports).
    pub base_station_buffer: Dist,
    /// Telecom core / central office: ≥ 24 h (spec §4.4, FCC 2007 proposal).
    pub telecom_core_buffer: Dist,
    /// Data centre: ≥ 12 h fuel, 24–72 h common (spec §4.4, Uptime Institute).
    pub data_centre_buffer: Dist,
    /// Hospital: 24–72 h (spec §4.4 and §5.4).
    pub hospital_buffer: Dist,
    /// Drinking water: 0–12 h (spec §5.4; §4.4 gives 0–24 h).
    pub water_buffer: Dist,
    /// Waste-water pumping: 0 to a few hours (spec §4.4).
    pub waste_water_buffer: Dist,
    /// Card payments / ATMs: immediate to a few hours (spec §4.4).
    pub payments_buffer: Dist,
    /// Rail traction and signalling: immediate (spec §4.4).
    pub rail_buffer: Dist,
    /// Airports / ATC: generator-backed, "relatively robust" (spec §4.4) [assumption: 24–48 h].
    pub airport_buffer: Dist,
    /// Gas supply to consumers from storage and linepack: days (spec §4.4, marked [check]).
    pub gas_supply_buffer: Dist,
    /// Gas-fired plant autonomy on the gas network [assumption].
    pub gas_plant_buffer: Dist,
    /// Hours a distribution grid needs after its substation is back [assumption].
    pub distribution_recovery_lag: f64,
    /// Spare capacity of a substation as a share of the demand it serves [assumption].
    pub bus_spare_share: f64,
    /// Additional spare capacity of every substation, persons [assumption].
    pub bus_spare_floor: f64,
    /// Switch-over time of a distribution grid to a neighbouring substation, hours [assumption].
    pub distribution_switchover_hours: f64,
    /// Mobile operators per Member State (market shares are symmetric) [assumption].
    pub operators_per_state: usize,
    /// Spare capacity of each operator core for national roaming, share of national users [assumption].
    pub roaming_spare_share: f64,
    /// Share of the population using piped gas [assumption].
    pub gas_user_share: f64,
    /// Share of the population using rail on a given day [assumption].
    pub rail_user_share: f64,
    /// Share of the population using air transport on a given day [assumption].
    pub air_user_share: f64,
    /// Switch-over time of a payment processor to its backup cloud provider [assumption].
    pub payment_failover_hours: f64,
}

impl Default for BuildParams {
    fn default() -> Self {
        BuildParams {
            grid_restoration_hours: Dist::lognormal(9.0, 0.53),
            grid_min_supply_ratio: 0.5,
            gas_restoration_hours: Dist::lognormal(72.0, 0.5),
            base_station_buffer: Dist::uniform(0.5, 4.0),
            telecom_core_buffer: Dist::uniform(24.0, 48.0),
            data_centre_buffer: Dist::uniform(12.0, 72.0),
            hospital_buffer: Dist::uniform(24.0, 72.0),
            water_buffer: Dist::uniform(0.0, 12.0),
            waste_water_buffer: Dist::uniform(0.0, 3.0),
            payments_buffer: Dist::uniform(0.0, 2.0),
            rail_buffer: Dist::constant(0.0),
            airport_buffer: Dist::uniform(24.0, 48.0),
            gas_supply_buffer: Dist::uniform(48.0, 240.0),
            gas_plant_buffer: Dist::uniform(12.0, 48.0),
            distribution_recovery_lag: 0.5,
            bus_spare_share: 0.3,
            bus_spare_floor: 50_000.0,
            distribution_switchover_hours: 1.0,
            operators_per_state: 3,
            roaming_spare_share: 0.4,
            gas_user_share: 0.35,
            rail_user_share: 0.05,
            air_user_share: 0.01,
            payment_failover_hours: 6.0,
        }
    }
}

/// Counts describing a built model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ModelStats {
    /// GridKit buses read.
    pub buses: usize,
    /// AC lines in service (not under construction) used.
    pub lines: usize,
    /// HVDC links in service used.
    pub hvdc_links: usize,
    /// Transformers and converters used as network links.
    pub transformers: usize,
    /// Generators.
    pub generators: usize,
    /// Gas pipeline segments.
    pub pipes: usize,
    /// Gas network nodes.
    pub gas_nodes: usize,
    /// Populated places used as demand.
    pub cities: usize,
    /// Regions (country × GeoNames admin1).
    pub regions: usize,
    /// Countries with population data.
    pub countries: usize,
    /// Electricity interconnectors (lines/links between two countries).
    pub interconnectors: usize,
    /// Nodes in the model.
    pub nodes: usize,
    /// Dependencies in the model.
    pub dependencies: usize,
    /// Nodes per service.
    pub nodes_by_service: BTreeMap<String, usize>,
    /// Users (persons) of the electricity-supply service per Member State.
    pub population_by_member_state: BTreeMap<String, f64>,
}

/// An electricity interconnector between two countries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interconnector {
    /// Node id of the line or link asset.
    pub id: String,
    /// Country of the first end.
    pub from: String,
    /// Country of the second end.
    pub to: String,
}

/// The European model with provenance and statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EuropeModel {
    /// The cascade model.
    pub model: Model,
    /// Counts.
    pub stats: ModelStats,
    /// Interconnectors (for scenario construction).
    pub interconnectors: Vec<Interconnector>,
    /// Parameters used.
    pub params: BuildParams,
}

/// Attribution lines required by `shared/data/SOURCES.md`.
pub const ATTRIBUTION: &str = "Electricity grid: unofficial extract of the ENTSO-E Transmission System Map, processed with GridKit, as distributed by the PyPSA-Eur authors (CC BY 4.0). Not approved or endorsed by ENTSO-E.\nGas grid: SciGRID_gas project, DLR Institute of Networked Energy Systems (CC BY 4.0), with processing by the PyPSA-Eur-Sec authors.\nPopulation centres and countries: GeoNames, geonames.org (CC BY 4.0).";

/// Spatial index for nearest-point queries (0.5° cells, ring search).
struct NearIndex {
    cells: HashMap<(i32, i32), Vec<usize>>,
    pts: Vec<(f64, f64)>,
}

const CELL: f64 = 0.5;

fn cell(lat: f64, lon: f64) -> (i32, i32) {
    ((lat / CELL).floor() as i32, (lon / CELL).floor() as i32)
}

/// Great-circle distance in km.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().min(1.0).asin()
}

impl NearIndex {
    fn new(pts: Vec<(f64, f64)>) -> NearIndex {
        let mut cells: HashMap<(i32, i32), Vec<usize>> = HashMap::new();
        for (i, &(lat, lon)) in pts.iter().enumerate() {
            cells.entry(cell(lat, lon)).or_default().push(i);
        }
        NearIndex { cells, pts }
    }

    /// Up to `k` nearest points satisfying `ok`, nearest first (ties by index).
    fn nearest(
        &self,
        lat: f64,
        lon: f64,
        k: usize,
        max_rings: i32,
        ok: impl Fn(usize) -> bool,
    ) -> Vec<(usize, f64)> {
        let (ci, cj) = cell(lat, lon);
        let mut found: Vec<(usize, f64)> = Vec::new();
        let mut extra = -1;
        for r in 0..=max_rings {
            for a in (ci - r)..=(ci + r) {
                for b in (cj - r)..=(cj + r) {
                    if (a - ci).abs() != r && (b - cj).abs() != r {
                        continue;
                    }
                    if let Some(list) = self.cells.get(&(a, b)) {
                        for &i in list {
                            if ok(i) {
                                let (plat, plon) = self.pts[i];
                                found.push((i, distance_km(lat, lon, plat, plon)));
                            }
                        }
                    }
                }
            }
            if found.len() >= k && extra < 0 {
                // One more ring guards against a closer point just across a cell edge.
                extra = r + 2;
            }
            if extra >= 0 && r >= extra {
                break;
            }
        }
        found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        found.truncate(k);
        found
    }
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Deterministic 64-bit hash of a string (FNV-1a).
fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

struct Builder {
    nodes: Vec<Node>,
    deps: Vec<Dependency>,
    index: HashMap<String, u32>,
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn node(
        &mut self,
        id: String,
        name: String,
        service: &str,
        class: &str,
        region: String,
        ms: &str,
        users: f64,
        lat: f64,
        lon: f64,
    ) -> u32 {
        let i = self.nodes.len() as u32;
        self.index.insert(id.clone(), i);
        self.nodes.push(Node {
            id,
            name,
            service: service.to_string(),
            asset_class: class.to_string(),
            region,
            member_state: ms.to_string(),
            served_member_states: Vec::new(),
            users,
            spare_capacity: 0.0,
            lat,
            lon,
        });
        i
    }

    #[allow(clippy::too_many_arguments)]
    fn dep(
        &mut self,
        supplier: u32,
        dependent: u32,
        kind: DependencyKind,
        resource: Resource,
        strength: f64,
        buffer: Dist,
        lag: f64,
    ) -> usize {
        self.deps.push(Dependency {
            supplier,
            dependent,
            kind,
            resource,
            strength,
            buffer_hours: buffer,
            recovery_lag_hours: lag,
            substitutes: Vec::new(),
            switchover_hours: 0.0,
            load: 0.0,
        });
        self.deps.len() - 1
    }
}

/// Metros hosting synthetic cloud data centres (name, ISO-2, lat, lon).
const METROS: [(&str, &str, f64, f64); 8] = [
    ("Frankfurt", "DE", 50.11, 8.68),
    ("Amsterdam", "NL", 52.37, 4.90),
    ("Dublin", "IE", 53.35, -6.26),
    ("Paris", "FR", 48.86, 2.35),
    ("Milan", "IT", 45.46, 9.19),
    ("Madrid", "ES", 40.42, -3.70),
    ("Warsaw", "PL", 52.23, 21.01),
    ("Stockholm", "SE", 59.33, 18.07),
];

/// Synthetic cloud providers and the metros of their data centres
/// (indices into [`METROS`]); the first is the primary site [assumption].
const CLOUDS: [(&str, [usize; 3]); 4] = [
    ("cloud-a", [0, 1, 2]),
    ("cloud-b", [2, 3, 0]),
    ("cloud-c", [1, 7, 6]),
    ("cloud-d", [4, 5, 3]),
];

/// Gas network entry points: nodes in these countries feed the network
/// (imports, domestic production) [assumption].
fn gas_source_country(cc: &str) -> bool {
    matches!(
        cc,
        "NO" | "GB" | "NL" | "RO" | "DK" | "IT" | "RU" | "BY" | "UA" | "TR" | "DZ" | "LY" | "MA"
    )
}

/// Builds the model from the data below `root` (`shared/data`).
pub fn build_model(root: &Path, params: &BuildParams) -> Result<EuropeModel, EuropeError> {
    build_from_paths(&DataPaths::from_root(root), params)
}

/// Builds the model from explicit file paths.
pub fn build_from_paths(paths: &DataPaths, p: &BuildParams) -> Result<EuropeModel, EuropeError> {
    let buses = data::read_buses(&paths.buses)?;
    let lines = data::read_lines(&paths.lines)?;
    let links = data::read_links(&paths.links)?;
    let mut pairs = data::read_bus_pairs(&paths.transformers)?;
    pairs.extend(data::read_bus_pairs(&paths.converters)?);
    let gens = data::read_generators(&paths.generators)?;
    let pipes = data::read_gas(&paths.gas)?;
    let cities = data::read_cities(&paths.cities)?;
    let countries = data::read_countries(&paths.countries)?;
    if buses.is_empty() || cities.is_empty() || countries.is_empty() {
        return Err(EuropeError::Inconsistent(
            "buses, cities and countries must not be empty".into(),
        ));
    }
    let country_pop: HashMap<&str, f64> = countries
        .iter()
        .map(|c| (c.code.as_str(), c.population))
        .collect();
    let in_scope: BTreeSet<String> = countries.iter().map(|c| c.code.clone()).collect();

    // Country of every bus; untagged joints take the nearest tagged bus.
    let bus_index = NearIndex::new(buses.iter().map(|b| (b.lat, b.lon)).collect());
    let bus_country: Vec<String> = buses
        .iter()
        .map(|b| match &b.country {
            Some(c) => c.clone(),
            None => bus_index
                .nearest(b.lat, b.lon, 1, 40, |j| buses[j].country.is_some())
                .first()
                .and_then(|(j, _)| buses[*j].country.clone())
                .unwrap_or_else(|| "XX".to_string()),
        })
        .collect();

    // Regions from cities: country × admin1; users scaled to national population.
    let mut city_sum: HashMap<&str, f64> = HashMap::new();
    for c in &cities {
        *city_sum.entry(c.country.as_str()).or_default() += c.population;
    }
    let users_of = |c: &City| -> f64 {
        let total = city_sum.get(c.country.as_str()).copied().unwrap_or(0.0);
        let pop = country_pop.get(c.country.as_str()).copied().unwrap_or(0.0);
        if total > 0.0 {
            (pop * c.population / total).round()
        } else {
            0.0
        }
    };
    let region_of_city = |c: &City| format!("{}-{}", c.country, c.admin1);
    let city_index = NearIndex::new(cities.iter().map(|c| (c.lat, c.lon)).collect());
    let region_near = |lat: f64, lon: f64, ms: &str| -> String {
        city_index
            .nearest(lat, lon, 1, 6, |j| cities[j].country == ms)
            .first()
            .map(|(j, _)| region_of_city(&cities[*j]))
            .unwrap_or_else(|| ms.to_string())
    };

    let mut b = Builder {
        nodes: Vec::new(),
        deps: Vec::new(),
        index: HashMap::new(),
    };
    let mut stats = ModelStats {
        buses: buses.len(),
        countries: countries.len(),
        ..Default::default()
    };

    // --- Electricity layer (GridKit) ---
    let mut bus_node: HashMap<&str, u32> = HashMap::with_capacity(buses.len());
    let mut bus_node_vec: Vec<u32> = Vec::with_capacity(buses.len());
    for (k, bus) in buses.iter().enumerate() {
        let class = if bus.dc {
            "converter-station".to_string()
        } else if bus.symbol == "joint" {
            "joint".to_string()
        } else {
            match bus.voltage {
                Some(v) => format!("substation-{}", v.round() as i64),
                None => "substation".to_string(),
            }
        };
        let ms = &bus_country[k];
        let region = if in_scope.contains(ms) {
            region_near(bus.lat, bus.lon, ms)
        } else {
            ms.clone()
        };
        let i = b.node(
            format!("bus:{}", bus.id),
            format!("{} {} ({})", bus.symbol, bus.id, ms),
            "electricity-transmission",
            &class,
            region,
            ms,
            0.0,
            bus.lat,
            bus.lon,
        );
        bus_node.insert(bus.id.as_str(), i);
        bus_node_vec.push(i);
    }
    let mut net_links: Vec<NetworkLink> = Vec::new();
    let mut interconnectors = Vec::new();
    for l in lines.iter().chain(links.iter()) {
        if l.under_construction {
            continue;
        }
        let (Some(&a), Some(&c)) = (bus_node.get(l.bus0.as_str()), bus_node.get(l.bus1.as_str()))
        else {
            return Err(EuropeError::Inconsistent(format!(
                "line {} refers to an unknown bus",
                l.id
            )));
        };
        let (ma, mb) = (
            b.nodes[a as usize].member_state.clone(),
            b.nodes[c as usize].member_state.clone(),
        );
        let cross = ma != mb;
        let (prefix, class) = match (l.hvdc, cross) {
            (false, false) => ("line", "line"),
            (false, true) => ("line", "line-interconnector"),
            (true, false) => ("hvdc", "hvdc"),
            (true, true) => ("hvdc", "hvdc-interconnector"),
        };
        let lat = (b.nodes[a as usize].lat + b.nodes[c as usize].lat) / 2.0;
        let lon = (b.nodes[a as usize].lon + b.nodes[c as usize].lon) / 2.0;
        let region = b.nodes[a as usize].region.clone();
        let id = format!("{prefix}:{}", l.id);
        let name = match l.voltage {
            Some(v) => format!("{} kV line {} {}–{}", v.round(), l.id, ma, mb),
            None => format!("HVDC link {} {}–{}", l.id, ma, mb),
        };
        let asset = b.node(
            id.clone(),
            name,
            "electricity-transmission",
            class,
            region,
            &ma,
            0.0,
            lat,
            lon,
        );
        net_links.push(NetworkLink {
            a,
            b: c,
            asset: Some(asset),
        });
        if cross {
            interconnectors.push(Interconnector {
                id,
                from: ma,
                to: mb,
            });
        }
        if l.hvdc {
            stats.hvdc_links += 1;
        } else {
            stats.lines += 1;
        }
    }
    for (x, y) in &pairs {
        if let (Some(&a), Some(&c)) = (bus_node.get(x.as_str()), bus_node.get(y.as_str())) {
            net_links.push(NetworkLink {
                a,
                b: c,
                asset: None,
            });
            stats.transformers += 1;
        }
    }
    stats.interconnectors = interconnectors.len();

    // Generators: capacity when known, else the median of the technology.
    let mut by_tech: HashMap<&str, Vec<f64>> = HashMap::new();
    for g in &gens {
        if let Some(c) = g.capacity_mw {
            by_tech.entry(g.technology.as_str()).or_default().push(c);
        }
    }
    let median_of = |t: &str| -> f64 {
        match by_tech.get(t) {
            Some(v) if !v.is_empty() => {
                let mut v = v.clone();
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            }
            _ => 100.0,
        }
    };
    let mut sources = Vec::new();
    let mut gas_plants: Vec<u32> = Vec::new();
    for g in &gens {
        let Some(&bn) = bus_node.get(g.bus.as_str()) else {
            return Err(EuropeError::Inconsistent(format!(
                "generator {} refers to unknown bus {}",
                g.id, g.bus
            )));
        };
        let (ms, region, lat, lon) = {
            let n = &b.nodes[bn as usize];
            (n.member_state.clone(), n.region.clone(), n.lat, n.lon)
        };
        let cap = g.capacity_mw.unwrap_or_else(|| median_of(&g.technology));
        let name = if g.name.is_empty() {
            format!("{} plant {}", g.technology, g.id)
        } else {
            g.name.clone()
        };
        let gi = b.node(
            format!("gen:{}", g.id),
            name,
            "electricity-generation",
            &format!("generator-{}", slug(&g.technology)),
            region,
            &ms,
            0.0,
            lat,
            lon,
        );
        sources.push(NetworkSource {
            node: gi,
            member: bn,
            capacity: cap,
        });
        if g.technology == "Fossil gas" {
            gas_plants.push(gi);
        }
        stats.generators += 1;
    }

    // --- Gas layer (SciGRID_gas) ---
    let mut gas_node: BTreeMap<String, u32> = BTreeMap::new();
    let mut gas_links = Vec::new();
    for pipe in &pipes {
        let mut ends = [0u32; 2];
        for (k, end) in ends.iter_mut().enumerate() {
            let nid = &pipe.nodes[k];
            let (lat, lon) = pipe.ends[k];
            let cc = pipe.countries[k].clone();
            let idx = match gas_node.get(nid) {
                Some(&i) => i,
                None => {
                    let region = if in_scope.contains(&cc) {
                        region_near(lat, lon, &cc)
                    } else {
                        cc.clone()
                    };
                    let i = b.node(
                        format!("gasnode:{nid}"),
                        format!("gas node {nid}"),
                        "gas-transmission",
                        "gas-node",
                        region,
                        &cc,
                        0.0,
                        lat,
                        lon,
                    );
                    gas_node.insert(nid.clone(), i);
                    i
                }
            };
            *end = idx;
        }
        let cross = pipe.countries[0] != pipe.countries[1];
        let (lat, lon) = (
            (pipe.ends[0].0 + pipe.ends[1].0) / 2.0,
            (pipe.ends[0].1 + pipe.ends[1].1) / 2.0,
        );
        let ms = pipe.countries[0].clone();
        let region = b.nodes[ends[0] as usize].region.clone();
        let asset = b.node(
            format!("pipe:{}", pipe.id),
            format!(
                "{} ({} GW)",
                pipe.name,
                (pipe.capacity_gw * 10.0).round() / 10.0
            ),
            "gas-transmission",
            if cross {
                "pipeline-interconnector"
            } else {
                "pipeline"
            },
            region,
            &ms,
            0.0,
            lat,
            lon,
        );
        if ends[0] != ends[1] {
            gas_links.push(NetworkLink {
                a: ends[0],
                b: ends[1],
                asset: Some(asset),
            });
        }
        stats.pipes += 1;
    }
    stats.gas_nodes = gas_node.len();
    let gas_members: Vec<u32> = gas_node.values().copied().collect();
    let gas_pts: Vec<(f64, f64)> = gas_members
        .iter()
        .map(|&i| (b.nodes[i as usize].lat, b.nodes[i as usize].lon))
        .collect();
    let gas_index = NearIndex::new(gas_pts);
    for &gp in &gas_plants {
        let (lat, lon) = (b.nodes[gp as usize].lat, b.nodes[gp as usize].lon);
        if let Some(&(j, d)) = gas_index.nearest(lat, lon, 1, 2, |_| true).first()
            && d < 100.0
        {
            b.dep(
                gas_members[j],
                gp,
                DependencyKind::Physical,
                Resource::Gas,
                1.0,
                p.gas_plant_buffer.clone(),
                1.0,
            );
        }
    }

    // --- Demand: cities and regions ---
    let ac_ok = |j: usize, ms: &str| {
        let bus = &buses[j];
        !bus.dc && bus.under_construction != Some(true) && bus_country[j] == ms
    };
    let ac_any = |j: usize| !buses[j].dc && buses[j].under_construction != Some(true);
    let mut bus_demand = vec![0.0f64; buses.len()];
    let mut city_dso: Vec<u32> = Vec::with_capacity(cities.len());
    let mut city_mobile: Vec<u32> = Vec::with_capacity(cities.len());
    let mut city_water: Vec<u32> = Vec::with_capacity(cities.len());
    let ms_list: Vec<String> = countries.iter().map(|c| c.code.clone()).collect();
    let ops = p.operators_per_state.max(1);
    // National nodes first so that city services can depend on them.
    let capital_of = |ms: &str| -> Option<&City> {
        let cap = countries
            .iter()
            .find(|c| c.code == ms)
            .map(|c| c.capital.as_str());
        cities
            .iter()
            .filter(|c| c.country == ms)
            .find(|c| Some(c.name.as_str()) == cap)
            .or_else(|| {
                cities
                    .iter()
                    .filter(|c| c.country == ms)
                    .max_by(|a, b| a.population.total_cmp(&b.population))
            })
    };
    let nearest_bus = |lat: f64, lon: f64, ms: &str, k: usize| -> Vec<usize> {
        let v = bus_index.nearest(lat, lon, k, 12, |j| ac_ok(j, ms));
        let v = if v.is_empty() {
            bus_index.nearest(lat, lon, k, 40, ac_any)
        } else {
            v
        };
        v.into_iter().map(|(j, _)| j).collect()
    };

    // Cloud providers and data centres.
    let mut cloud_nodes = Vec::new();
    for (name, sites) in CLOUDS.iter() {
        let (_, hq_cc, hq_lat, hq_lon) = METROS[sites[0]];
        let pi = b.node(
            format!("cloud:{name}"),
            format!("{name} cloud provider"),
            "cloud-computing",
            "cloud-provider",
            hq_cc.to_string(),
            hq_cc,
            0.0,
            hq_lat,
            hq_lon,
        );
        b.nodes[pi as usize].served_member_states = ms_list.clone();
        b.nodes[pi as usize].spare_capacity = 8.0;
        let mut dcs = Vec::new();
        for &s in sites {
            let (mname, cc, lat, lon) = METROS[s];
            let region = region_near(lat, lon, cc);
            let di = b.node(
                format!("dc:{name}:{}", slug(mname)),
                format!("{name} data centre {mname}"),
                "data-centre",
                "data-centre",
                region,
                cc,
                0.0,
                lat,
                lon,
            );
            b.nodes[di as usize].spare_capacity = 1.0;
            if let Some(&j) = nearest_bus(lat, lon, cc, 1).first() {
                b.dep(
                    bus_node_vec[j],
                    di,
                    DependencyKind::Physical,
                    Resource::Electricity,
                    1.0,
                    p.data_centre_buffer.clone(),
                    0.5,
                );
            }
            dcs.push(di);
        }
        let e = b.dep(
            dcs[0],
            pi,
            DependencyKind::Cyber,
            Resource::Data,
            1.0,
            Dist::constant(0.0),
            0.25,
        );
        b.deps[e].substitutes = dcs[1..].to_vec();
        b.deps[e].switchover_hours = 0.25;
        b.deps[e].load = 1.0;
        cloud_nodes.push(pi);
    }

    let mut cores: HashMap<String, Vec<u32>> = HashMap::new();
    let mut processors: HashMap<String, u32> = HashMap::new();
    for ms in &ms_list {
        let Some(cap) = capital_of(ms) else { continue };
        let pop = country_pop.get(ms.as_str()).copied().unwrap_or(0.0);
        let region = region_of_city(cap);
        let h = fnv(ms) as usize;
        let bus = nearest_bus(cap.lat, cap.lon, ms, 1);
        let mut list = Vec::new();
        for k in 0..ops {
            let ci = b.node(
                format!("core:{ms}:{k}"),
                format!("mobile operator {} core network {ms}", k + 1),
                "mobile-telecom-core",
                "telecom-core",
                region.clone(),
                ms,
                0.0,
                cap.lat,
                cap.lon,
            );
            b.nodes[ci as usize].spare_capacity = p.roaming_spare_share * pop;
            if let Some(&j) = bus.first() {
                b.dep(
                    bus_node_vec[j],
                    ci,
                    DependencyKind::Physical,
                    Resource::Electricity,
                    1.0,
                    p.telecom_core_buffer.clone(),
                    0.5,
                );
            }
            b.dep(
                cloud_nodes[(h + k) % cloud_nodes.len()],
                ci,
                DependencyKind::Cyber,
                Resource::Data,
                0.5,
                Dist::constant(1.0),
                0.5,
            );
            list.push(ci);
        }
        cores.insert(ms.clone(), list);
        let pi = b.node(
            format!("payments:{ms}"),
            format!("card payment processor {ms}"),
            "payment-processing",
            "payment-processor",
            region.clone(),
            ms,
            0.0,
            cap.lat,
            cap.lon,
        );
        let primary = h % cloud_nodes.len();
        let e = b.dep(
            cloud_nodes[primary],
            pi,
            DependencyKind::Cyber,
            Resource::Data,
            1.0,
            Dist::constant(0.0),
            1.0,
        );
        b.deps[e].substitutes = vec![cloud_nodes[(primary + 1) % cloud_nodes.len()]];
        b.deps[e].switchover_hours = p.payment_failover_hours;
        b.deps[e].load = 1.0;
        processors.insert(ms.clone(), pi);
        let ai = b.node(
            format!("airport:{ms}"),
            format!("main airport {}", cap.name),
            "air-transport",
            "airport",
            region,
            ms,
            (p.air_user_share * pop).round(),
            cap.lat,
            cap.lon,
        );
        if let Some(&j) = bus.first() {
            b.dep(
                bus_node_vec[j],
                ai,
                DependencyKind::Physical,
                Resource::Electricity,
                1.0,
                p.airport_buffer.clone(),
                2.0,
            );
        }
        if let Some(&c0) = cores.get(ms).and_then(|v| v.first()) {
            b.dep(
                c0,
                ai,
                DependencyKind::Cyber,
                Resource::Telecom,
                0.5,
                Dist::constant(0.5),
                0.5,
            );
        }
    }

    // City services.
    for c in &cities {
        let u = users_of(c);
        let region = region_of_city(c);
        let ms = c.country.as_str();
        let id = &c.geonameid;
        let near = nearest_bus(c.lat, c.lon, ms, 3);
        let dso = b.node(
            format!("dso:{id}"),
            format!("electricity distribution {}", c.name),
            "electricity-supply",
            "distribution",
            region.clone(),
            ms,
            u,
            c.lat,
            c.lon,
        );
        if let Some(&j0) = near.first() {
            bus_demand[j0] += u;
            let e = b.dep(
                bus_node_vec[j0],
                dso,
                DependencyKind::Physical,
                Resource::Electricity,
                1.0,
                Dist::constant(0.0),
                p.distribution_recovery_lag,
            );
            b.deps[e].substitutes = near[1..].iter().map(|&j| bus_node_vec[j]).collect();
            b.deps[e].switchover_hours = p.distribution_switchover_hours;
            b.deps[e].load = u;
        }
        let mobile = b.node(
            format!("mobile:{id}"),
            format!("mobile network {}", c.name),
            "mobile-telecom",
            "base-station",
            region.clone(),
            ms,
            u,
            c.lat,
            c.lon,
        );
        b.dep(
            dso,
            mobile,
            DependencyKind::Physical,
            Resource::Electricity,
            1.0,
            p.base_station_buffer.clone(),
            0.25,
        );
        if let Some(list) = cores.get(ms) {
            let k = (fnv(id) as usize) % list.len();
            let e = b.dep(
                list[k],
                mobile,
                DependencyKind::Cyber,
                Resource::Telecom,
                1.0,
                Dist::constant(0.0),
                0.5,
            );
            b.deps[e].substitutes = (1..list.len())
                .map(|o| list[(k + o) % list.len()])
                .collect();
            b.deps[e].switchover_hours = 2.0;
            b.deps[e].load = u;
        }
        let water = b.node(
            format!("water:{id}"),
            format!("drinking water {}", c.name),
            "drinking-water",
            "water-utility",
            region.clone(),
            ms,
            u,
            c.lat,
            c.lon,
        );
        b.dep(
            dso,
            water,
            DependencyKind::Physical,
            Resource::Electricity,
            1.0,
            p.water_buffer.clone(),
            2.0,
        );
        let ww = b.node(
            format!("wastewater:{id}"),
            format!("waste water {}", c.name),
            "waste-water",
            "waste-water-plant",
            region.clone(),
            ms,
            u,
            c.lat,
            c.lon,
        );
        b.dep(
            dso,
            ww,
            DependencyKind::Physical,
            Resource::Electricity,
            1.0,
            p.waste_water_buffer.clone(),
            1.0,
        );
        let pay = b.node(
            format!("pay:{id}"),
            format!("card payments and ATMs {}", c.name),
            "retail-payments",
            "payment-terminal",
            region,
            ms,
            u,
            c.lat,
            c.lon,
        );
        b.dep(
            dso,
            pay,
            DependencyKind::Physical,
            Resource::Electricity,
            1.0,
            p.payments_buffer.clone(),
            0.5,
        );
        b.dep(
            mobile,
            pay,
            DependencyKind::Cyber,
            Resource::Telecom,
            0.8,
            Dist::constant(0.5),
            0.25,
        );
        if let Some(&pi) = processors.get(ms) {
            b.dep(
                pi,
                pay,
                DependencyKind::Cyber,
                Resource::Payment,
                1.0,
                Dist::constant(0.0),
                0.5,
            );
        }
        city_dso.push(dso);
        city_mobile.push(mobile);
        city_water.push(water);
        stats.cities += 1;
    }

    // Regions: hospital, rail and gas supply at the largest place.
    let mut regions: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    for (k, c) in cities.iter().enumerate() {
        let r = regions.entry(region_of_city(c)).or_insert((k, 0.0));
        r.1 += users_of(c);
        if c.population > cities[r.0].population {
            r.0 = k;
        }
    }
    stats.regions = regions.len();
    let mut gas_demand = vec![0.0f64; gas_members.len()];
    for (region, &(k, pop)) in &regions {
        let c = &cities[k];
        let ms = c.country.as_str();
        let rid = slug(region);
        let h = b.node(
            format!("hospital:{rid}"),
            format!("hospitals {region}"),
            "healthcare",
            "hospital",
            region.clone(),
            ms,
            pop,
            c.lat,
            c.lon,
        );
        b.dep(
            city_dso[k],
            h,
            DependencyKind::Physical,
            Resource::Electricity,
            1.0,
            p.hospital_buffer.clone(),
            2.0,
        );
        b.dep(
            city_water[k],
            h,
            DependencyKind::Physical,
            Resource::Water,
            0.5,
            Dist::constant(12.0),
            1.0,
        );
        b.dep(
            city_mobile[k],
            h,
            DependencyKind::Cyber,
            Resource::Telecom,
            0.3,
            Dist::constant(0.0),
            0.0,
        );
        let r = b.node(
            format!("rail:{rid}"),
            format!("rail services {region}"),
            "rail-transport",
            "rail",
            region.clone(),
            ms,
            (p.rail_user_share * pop).round(),
            c.lat,
            c.lon,
        );
        b.dep(
            city_dso[k],
            r,
            DependencyKind::Physical,
            Resource::Electricity,
            1.0,
            p.rail_buffer.clone(),
            3.0,
        );
        b.dep(
            city_mobile[k],
            r,
            DependencyKind::Cyber,
            Resource::Telecom,
            1.0,
            Dist::constant(0.5),
            1.0,
        );
        if let Some(&(j, d)) = gas_index.nearest(c.lat, c.lon, 1, 6, |_| true).first()
            && d < 250.0
        {
            let users = (p.gas_user_share * pop).round();
            let g = b.node(
                format!("gas:{rid}"),
                format!("gas distribution {region}"),
                "gas-supply",
                "gas-distribution",
                region.clone(),
                ms,
                users,
                c.lat,
                c.lon,
            );
            b.dep(
                gas_members[j],
                g,
                DependencyKind::Physical,
                Resource::Gas,
                1.0,
                p.gas_supply_buffer.clone(),
                6.0,
            );
            gas_demand[j] += users;
        }
    }

    // Spare capacity of substations (substitution of distribution feeds).
    for (j, &bn) in bus_node_vec.iter().enumerate() {
        b.nodes[bn as usize].spare_capacity = p.bus_spare_share * bus_demand[j] + p.bus_spare_floor;
    }

    let grid = SupplyNetwork {
        name: "electricity-transmission".into(),
        members: bus_node_vec.clone(),
        demand: bus_demand.iter().map(|d| d + 1.0).collect(),
        links: net_links,
        sources,
        min_supply_ratio: p.grid_min_supply_ratio,
        restoration_hours: p.grid_restoration_hours.clone(),
    };
    let gas_sources: Vec<NetworkSource> = gas_members
        .iter()
        .filter(|&&m| gas_source_country(&b.nodes[m as usize].member_state))
        .map(|&m| NetworkSource {
            node: m,
            member: m,
            capacity: 1.0,
        })
        .collect();
    let gas = SupplyNetwork {
        name: "gas-transmission".into(),
        members: gas_members,
        demand: gas_demand,
        links: gas_links,
        sources: gas_sources,
        min_supply_ratio: 1e-9,
        restoration_hours: p.gas_restoration_hours.clone(),
    };

    let model = Model {
        name: "europe".into(),
        description: format!(
            "European cascade model built by bulwark-europe from GridKit, SciGRID_gas and GeoNames data with synthetic telecom, water, health, finance, transport and digital layers.\n{ATTRIBUTION}"
        ),
        nodes: b.nodes,
        dependencies: b.deps,
        networks: vec![grid, gas],
    };
    model.validate()?;
    stats.nodes = model.nodes.len();
    stats.dependencies = model.dependencies.len();
    for n in &model.nodes {
        *stats.nodes_by_service.entry(n.service.clone()).or_default() += 1;
        if n.service == "electricity-supply" {
            *stats
                .population_by_member_state
                .entry(n.member_state.clone())
                .or_default() += n.users;
        }
    }
    Ok(EuropeModel {
        model,
        stats,
        interconnectors,
        params: p.clone(),
    })
}
