//! Readers for the open data files in `shared/data` (see `SOURCES.md` there).
//!
//! Every parse error names the file, the line and the field.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::EuropeError;

/// Paths of the input files below a data root (`shared/data`).
#[derive(Debug, Clone)]
pub struct DataPaths {
    /// GridKit `buses.csv`.
    pub buses: PathBuf,
    /// GridKit `lines.csv`.
    pub lines: PathBuf,
    /// GridKit `links.csv`.
    pub links: PathBuf,
    /// GridKit `transformers.csv`.
    pub transformers: PathBuf,
    /// GridKit `converters.csv`.
    pub converters: PathBuf,
    /// GridKit `generators.csv`.
    pub generators: PathBuf,
    /// SciGRID_gas-derived `gas_network_dataset.csv`.
    pub gas: PathBuf,
    /// GeoNames `cities15000_europe.csv`.
    pub cities: PathBuf,
    /// GeoNames `countries_europe.csv`.
    pub countries: PathBuf,
}

impl DataPaths {
    /// Standard layout below `root` (the `shared/data` folder).
    pub fn from_root(root: &Path) -> DataPaths {
        let g = root.join("grid").join("entsoe-gridkit");
        DataPaths {
            buses: g.join("buses.csv"),
            lines: g.join("lines.csv"),
            links: g.join("links.csv"),
            transformers: g.join("transformers.csv"),
            converters: g.join("converters.csv"),
            generators: g.join("generators.csv"),
            gas: root
                .join("grid")
                .join("gas")
                .join("gas_network_dataset.csv"),
            cities: root.join("geo").join("cities15000_europe.csv"),
            countries: root.join("geo").join("countries_europe.csv"),
        }
    }
}

/// A GridKit bus (substation busbar at one voltage).
#[derive(Debug, Clone, PartialEq)]
pub struct Bus {
    /// `bus_id`.
    pub id: String,
    /// Voltage in kV (None for DC buses and some joints).
    pub voltage: Option<f64>,
    /// HVDC terminal.
    pub dc: bool,
    /// Station type (`Substation`, `joint`, …).
    pub symbol: String,
    /// Under construction (`None` for synthetic joints).
    pub under_construction: Option<bool>,
    /// Country from the tags, normalised (`UK` → `GB`), if tagged.
    pub country: Option<String>,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
}

/// A GridKit AC line or HVDC link.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// `line_id` / `link_id`.
    pub id: String,
    /// First bus id.
    pub bus0: String,
    /// Second bus id.
    pub bus1: String,
    /// Voltage in kV (AC lines only).
    pub voltage: Option<f64>,
    /// Number of circuits (AC lines; 1 for links).
    pub circuits: u32,
    /// Length in km (the files store metres, see `SOURCES.md` "Units check").
    pub length_km: f64,
    /// Underground cable.
    pub underground: bool,
    /// Under construction.
    pub under_construction: bool,
    /// HVDC link (from `links.csv`).
    pub hvdc: bool,
}

/// A GridKit generator.
#[derive(Debug, Clone, PartialEq)]
pub struct Generator {
    /// `generator_id`.
    pub id: String,
    /// Bus it is attached to.
    pub bus: String,
    /// Technology category.
    pub technology: String,
    /// Capacity in MW when known and positive.
    pub capacity_mw: Option<f64>,
    /// Plant name from the tags.
    pub name: String,
}

/// A gas pipeline segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipe {
    /// Segment id.
    pub id: String,
    /// Pipeline name.
    pub name: String,
    /// Start and end node ids.
    pub nodes: [String; 2],
    /// Start and end (lat, lon).
    pub ends: [(f64, f64); 2],
    /// Start and end country codes (trimmed; `XX` = unknown).
    pub countries: [String; 2],
    /// Length in km.
    pub length_km: f64,
    /// Capacity in GW (GWh/h).
    pub capacity_gw: f64,
}

/// A GeoNames populated place.
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    /// GeoNames id.
    pub geonameid: String,
    /// ASCII name.
    pub name: String,
    /// ISO-2 country code.
    pub country: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Population (GeoNames; districts overlap with their city).
    pub population: f64,
    /// First-level administrative division code (string, leading zeros kept).
    pub admin1: String,
}

/// A GeoNames country.
#[derive(Debug, Clone, PartialEq)]
pub struct Country {
    /// ISO-2 code.
    pub code: String,
    /// English name.
    pub name: String,
    /// Capital.
    pub capital: String,
    /// Population.
    pub population: f64,
    /// `EU`, `EFTA` or `UK`.
    pub group: String,
}

/// Normalises country codes across files: GridKit `UK` → `GB`; `EL` → `GR`.
pub fn normalise_country(code: &str) -> String {
    match code.trim() {
        "UK" => "GB".to_string(),
        "EL" => "GR".to_string(),
        other => other.to_string(),
    }
}

struct Table {
    file: String,
    header: HashMap<String, usize>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    fn read(path: &Path, quote: u8) -> Result<Table, EuropeError> {
        let file = path.display().to_string();
        let mut rdr = csv::ReaderBuilder::new()
            .quote(quote)
            .has_headers(true)
            .from_path(path)
            .map_err(|e| EuropeError::Io {
                file: file.clone(),
                message: e.to_string(),
            })?;
        let header: HashMap<String, usize> = rdr
            .headers()
            .map_err(|e| csv_error(&file, e))?
            .iter()
            .enumerate()
            .map(|(i, h)| (h.to_string(), i))
            .collect();
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| csv_error(&file, e))?;
            let line = rec.position().map_or(0, |p| p.line());
            rows.push((line, rec));
        }
        Ok(Table { file, header, rows })
    }

    fn col(&self, name: &str) -> Result<usize, EuropeError> {
        self.header
            .get(name)
            .copied()
            .ok_or_else(|| EuropeError::MissingColumn {
                file: self.file.clone(),
                column: name.to_string(),
            })
    }

    fn field<'a>(
        &self,
        line: u64,
        rec: &'a csv::StringRecord,
        col: usize,
        name: &str,
    ) -> Result<&'a str, EuropeError> {
        rec.get(col).ok_or_else(|| EuropeError::Field {
            file: self.file.clone(),
            line,
            field: name.to_string(),
            message: "missing field".into(),
        })
    }

    fn bad(&self, line: u64, field: &str, message: String) -> EuropeError {
        EuropeError::Field {
            file: self.file.clone(),
            line,
            field: field.to_string(),
            message,
        }
    }

    fn f64_at(
        &self,
        line: u64,
        rec: &csv::StringRecord,
        col: usize,
        name: &str,
    ) -> Result<f64, EuropeError> {
        let s = self.field(line, rec, col, name)?;
        let v: f64 = s
            .trim()
            .parse()
            .map_err(|_| self.bad(line, name, format!("not a number: {s:?}")))?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(self.bad(line, name, format!("not finite: {s:?}")))
        }
    }

    fn opt_f64_at(
        &self,
        line: u64,
        rec: &csv::StringRecord,
        col: usize,
        name: &str,
    ) -> Result<Option<f64>, EuropeError> {
        let s = self.field(line, rec, col, name)?.trim();
        if s.is_empty() {
            return Ok(None);
        }
        self.f64_at(line, rec, col, name).map(Some)
    }

    fn bool_at(
        &self,
        line: u64,
        rec: &csv::StringRecord,
        col: usize,
        name: &str,
    ) -> Result<Option<bool>, EuropeError> {
        let s = self.field(line, rec, col, name)?.trim();
        match s {
            "" => Ok(None),
            "t" | "True" | "true" | "1" | "1.0" => Ok(Some(true)),
            "f" | "False" | "false" | "0" | "0.0" => Ok(Some(false)),
            other => Err(self.bad(line, name, format!("not a boolean: {other:?}"))),
        }
    }
}

fn csv_error(file: &str, e: csv::Error) -> EuropeError {
    let line = e.position().map_or(0, |p| p.line());
    EuropeError::Field {
        file: file.to_string(),
        line,
        field: "(record)".into(),
        message: e.to_string(),
    }
}

/// Extracts `"key"=>"value"` from an hstore-encoded tags field.
pub fn hstore_get<'a>(tags: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{key}\"=>\"");
    let start = tags.find(&pat)? + pat.len();
    let rest = &tags[start..];
    let end = rest.find('"')?;
    Some(&rest[..end])
}

/// GridKit files quote with `'` (SOURCES.md "Loading notes").
const GRIDKIT_QUOTE: u8 = b'\'';

/// Reads GridKit `buses.csv`.
pub fn read_buses(path: &Path) -> Result<Vec<Bus>, EuropeError> {
    let t = Table::read(path, GRIDKIT_QUOTE)?;
    let (c_id, c_v, c_dc, c_sym, c_uc, c_tags, c_x, c_y) = (
        t.col("bus_id")?,
        t.col("voltage")?,
        t.col("dc")?,
        t.col("symbol")?,
        t.col("under_construction")?,
        t.col("tags")?,
        t.col("x")?,
        t.col("y")?,
    );
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        let line = *line;
        let tags = t.field(line, rec, c_tags, "tags")?;
        let lon = t.f64_at(line, rec, c_x, "x")?;
        let lat = t.f64_at(line, rec, c_y, "y")?;
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(t.bad(line, "y", format!("coordinates out of range: {lat}, {lon}")));
        }
        out.push(Bus {
            id: t.field(line, rec, c_id, "bus_id")?.trim().to_string(),
            voltage: t.opt_f64_at(line, rec, c_v, "voltage")?,
            dc: t.bool_at(line, rec, c_dc, "dc")?.unwrap_or(false),
            symbol: t.field(line, rec, c_sym, "symbol")?.to_string(),
            under_construction: t.bool_at(line, rec, c_uc, "under_construction")?,
            country: hstore_get(tags, "country")
                .filter(|c| !c.is_empty())
                .map(normalise_country),
            lon,
            lat,
        });
    }
    Ok(out)
}

/// Reads GridKit `lines.csv` (AC lines).
pub fn read_lines(path: &Path) -> Result<Vec<Line>, EuropeError> {
    let t = Table::read(path, GRIDKIT_QUOTE)?;
    let (c_id, c_b0, c_b1, c_v, c_c, c_len, c_ug, c_uc) = (
        t.col("line_id")?,
        t.col("bus0")?,
        t.col("bus1")?,
        t.col("voltage")?,
        t.col("circuits")?,
        t.col("length")?,
        t.col("underground")?,
        t.col("under_construction")?,
    );
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        let line = *line;
        let circuits = t.f64_at(line, rec, c_c, "circuits")?;
        out.push(Line {
            id: t.field(line, rec, c_id, "line_id")?.trim().to_string(),
            bus0: t.field(line, rec, c_b0, "bus0")?.trim().to_string(),
            bus1: t.field(line, rec, c_b1, "bus1")?.trim().to_string(),
            voltage: t.opt_f64_at(line, rec, c_v, "voltage")?,
            circuits: circuits.max(1.0) as u32,
            length_km: t.f64_at(line, rec, c_len, "length")? / 1000.0,
            underground: t.bool_at(line, rec, c_ug, "underground")?.unwrap_or(false),
            under_construction: t
                .bool_at(line, rec, c_uc, "under_construction")?
                .unwrap_or(false),
            hvdc: false,
        });
    }
    Ok(out)
}

/// Reads GridKit `links.csv` (HVDC links).
pub fn read_links(path: &Path) -> Result<Vec<Line>, EuropeError> {
    let t = Table::read(path, GRIDKIT_QUOTE)?;
    let (c_id, c_b0, c_b1, c_len, c_ug, c_uc) = (
        t.col("link_id")?,
        t.col("bus0")?,
        t.col("bus1")?,
        t.col("length")?,
        t.col("underground")?,
        t.col("under_construction")?,
    );
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        let line = *line;
        out.push(Line {
            id: t.field(line, rec, c_id, "link_id")?.trim().to_string(),
            bus0: t.field(line, rec, c_b0, "bus0")?.trim().to_string(),
            bus1: t.field(line, rec, c_b1, "bus1")?.trim().to_string(),
            voltage: None,
            circuits: 1,
            length_km: t.f64_at(line, rec, c_len, "length")? / 1000.0,
            underground: t.bool_at(line, rec, c_ug, "underground")?.unwrap_or(false),
            under_construction: t
                .bool_at(line, rec, c_uc, "under_construction")?
                .unwrap_or(false),
            hvdc: true,
        });
    }
    Ok(out)
}

/// Reads a two-bus table (`transformers.csv`, `converters.csv`).
pub fn read_bus_pairs(path: &Path) -> Result<Vec<(String, String)>, EuropeError> {
    let t = Table::read(path, GRIDKIT_QUOTE)?;
    let (c_b0, c_b1) = (t.col("bus0")?, t.col("bus1")?);
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        out.push((
            t.field(*line, rec, c_b0, "bus0")?.trim().to_string(),
            t.field(*line, rec, c_b1, "bus1")?.trim().to_string(),
        ));
    }
    Ok(out)
}

/// Reads GridKit `generators.csv`.
pub fn read_generators(path: &Path) -> Result<Vec<Generator>, EuropeError> {
    let t = Table::read(path, GRIDKIT_QUOTE)?;
    let (c_id, c_bus, c_tech, c_cap, c_tags) = (
        t.col("generator_id")?,
        t.col("bus_id")?,
        t.col("technology")?,
        t.col("capacity")?,
        t.col("tags")?,
    );
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        let line = *line;
        let cap = t.opt_f64_at(line, rec, c_cap, "capacity")?;
        let tags = t.field(line, rec, c_tags, "tags")?;
        out.push(Generator {
            id: t.field(line, rec, c_id, "generator_id")?.trim().to_string(),
            bus: t.field(line, rec, c_bus, "bus_id")?.trim().to_string(),
            technology: t.field(line, rec, c_tech, "technology")?.to_string(),
            capacity_mw: cap.filter(|c| *c > 0.0),
            name: hstore_get(tags, "name").unwrap_or("").to_string(),
        });
    }
    Ok(out)
}

/// Parses a Python-literal list of strings or numbers (`['DE', 'DK']`, `[1.0, 2.0]`).
fn py_list(s: &str) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('[')?.strip_suffix(']')?;
    Some(
        inner
            .split(',')
            .map(|x| x.trim().trim_matches('\'').trim_matches('"').to_string())
            .filter(|x| !x.is_empty())
            .collect(),
    )
}

/// Reads the SciGRID_gas-derived `gas_network_dataset.csv`.
pub fn read_gas(path: &Path) -> Result<Vec<Pipe>, EuropeError> {
    let t = Table::read(path, b'"')?;
    let (c_id, c_name, c_nodes, c_lat, c_lon, c_cc, c_len, c_cap) = (
        t.col("id")?,
        t.col("name")?,
        t.col("node_id")?,
        t.col("lat")?,
        t.col("long")?,
        t.col("country_code")?,
        t.col("length_km")?,
        t.col("Capacity_GWh_h")?,
    );
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        let line = *line;
        let list = |col: usize, name: &str, min: usize| -> Result<Vec<String>, EuropeError> {
            let raw = t.field(line, rec, col, name)?;
            match py_list(raw) {
                Some(v) if v.len() >= min => Ok(v),
                _ => Err(t.bad(
                    line,
                    name,
                    format!("expected a list with at least {min} items: {raw:?}"),
                )),
            }
        };
        let nums = |col: usize, name: &str| -> Result<Vec<f64>, EuropeError> {
            list(col, name, 2)?
                .iter()
                .map(|x| {
                    x.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .ok_or_else(|| t.bad(line, name, format!("not a number: {x:?}")))
                })
                .collect()
        };
        let nodes = list(c_nodes, "node_id", 2)?;
        let lats = nums(c_lat, "lat")?;
        let lons = nums(c_lon, "long")?;
        let cc = list(c_cc, "country_code", 2)?;
        let (la0, la1) = (lats[0], lats[lats.len() - 1]);
        let (lo0, lo1) = (lons[0], lons[lons.len() - 1]);
        out.push(Pipe {
            id: t.field(line, rec, c_id, "id")?.trim().to_string(),
            name: t.field(line, rec, c_name, "name")?.to_string(),
            nodes: [nodes[0].clone(), nodes[1].clone()],
            ends: [(la0, lo0), (la1, lo1)],
            countries: [normalise_country(&cc[0]), normalise_country(&cc[1])],
            length_km: t.f64_at(line, rec, c_len, "length_km")?,
            capacity_gw: t.f64_at(line, rec, c_cap, "Capacity_GWh_h")?,
        });
    }
    Ok(out)
}

/// Reads GeoNames `cities15000_europe.csv`.
pub fn read_cities(path: &Path) -> Result<Vec<City>, EuropeError> {
    let t = Table::read(path, b'"')?;
    let (c_id, c_name, c_cc, c_lat, c_lon, c_pop, c_a1) = (
        t.col("geonameid")?,
        t.col("ascii_name")?,
        t.col("country_code")?,
        t.col("latitude")?,
        t.col("longitude")?,
        t.col("population")?,
        t.col("admin1_code")?,
    );
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        let line = *line;
        let population = t.f64_at(line, rec, c_pop, "population")?;
        if population < 0.0 {
            return Err(t.bad(line, "population", "negative population".into()));
        }
        out.push(City {
            geonameid: t.field(line, rec, c_id, "geonameid")?.trim().to_string(),
            name: t.field(line, rec, c_name, "ascii_name")?.to_string(),
            country: normalise_country(t.field(line, rec, c_cc, "country_code")?),
            lat: t.f64_at(line, rec, c_lat, "latitude")?,
            lon: t.f64_at(line, rec, c_lon, "longitude")?,
            population,
            admin1: t.field(line, rec, c_a1, "admin1_code")?.trim().to_string(),
        });
    }
    Ok(out)
}

/// Reads GeoNames `countries_europe.csv`.
pub fn read_countries(path: &Path) -> Result<Vec<Country>, EuropeError> {
    let t = Table::read(path, b'"')?;
    let (c_cc, c_name, c_cap, c_pop, c_group) = (
        t.col("country_code")?,
        t.col("name")?,
        t.col("capital")?,
        t.col("population")?,
        t.col("group")?,
    );
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        let line = *line;
        out.push(Country {
            code: normalise_country(t.field(line, rec, c_cc, "country_code")?),
            name: t.field(line, rec, c_name, "name")?.to_string(),
            capital: t.field(line, rec, c_cap, "capital")?.to_string(),
            population: t.f64_at(line, rec, c_pop, "population")?,
            group: t.field(line, rec, c_group, "group")?.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hstore_and_lists() {
        let tags = r#""TSO"=>"", "oid"=>"1", "country"=>"UK""#;
        assert_eq!(hstore_get(tags, "country"), Some("UK"));
        assert_eq!(hstore_get(tags, "missing"), None);
        assert_eq!(normalise_country("UK"), "GB");
        assert_eq!(normalise_country("EL"), "GR");
        assert_eq!(normalise_country("PL "), "PL");
        assert_eq!(
            py_list("['DE', 'PL ']"),
            Some(vec!["DE".to_string(), "PL ".to_string()])
        );
        assert_eq!(py_list("[1.0, 2.5]").map(|v| v.len()), Some(2));
        assert_eq!(py_list("DE"), None);
    }
}
