//! Import and export of the registry in CSV and JSON.
//!
//! An import is all-or-nothing: every row of every file is parsed and
//! checked (its own fields, duplicate keys, references to entities in the
//! import or the registry, the essential-service catalogue, the caller's
//! Member State) before anything is written; if any row is bad, the import
//! fails with [`ResilienceError::Import`] listing every bad row as file,
//! line, field and rule, and nothing is written. Otherwise all records are
//! written in one transaction with one audit record.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::{Country, Timestamp};
use bulwark_store::{Actor, AuditEntry, Store};

use crate::error::{ResilienceError, Result, RowError};
use crate::registry::{
    AssetRecord, Bundle, DependencyRecord, EntityId, EntityRecord, FieldError, ProvisionRecord,
    join_list, split_list,
};
use crate::vocab::{Format, RecordKind};

/// One file (or request body) to import.
#[derive(Debug, Clone)]
pub struct ImportFile {
    /// Its name, as reported in errors.
    pub name: String,
    /// CSV or JSON.
    pub format: Format,
    /// For CSV: which records the file holds.
    pub kind: Option<RecordKind>,
    /// The text.
    pub content: String,
}

impl ImportFile {
    /// A file whose format comes from its extension (`.csv`, `.json`) and,
    /// for CSV, whose kind comes from its stem (`entities.csv`, ...).
    pub fn from_name(name: &str, content: String) -> Result<ImportFile> {
        let path = std::path::Path::new(name);
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let format: Format = ext.parse().map_err(|_| {
            ResilienceError::invalid(
                "file",
                format!("{name}: the extension must be .csv or .json"),
            )
        })?;
        let kind = match format {
            Format::Json => None,
            Format::Csv => {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                Some(stem.parse().map_err(|e: bulwark_core::ParseError| {
                    ResilienceError::invalid(
                        "file",
                        format!("{name}: the file name must be the record kind: {e}"),
                    )
                })?)
            }
        };
        Ok(ImportFile {
            name: name.to_string(),
            format,
            kind,
            content,
        })
    }
}

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// Entities written (created or updated).
    pub entities: usize,
    /// Provisions written.
    pub provisions: usize,
    /// Assets written.
    pub assets: usize,
    /// Dependencies written.
    pub dependencies: usize,
}

#[derive(Debug, Clone)]
struct Origin {
    file: String,
    line: u64,
}

impl Origin {
    fn err(&self, field: impl Into<String>, rule: impl Into<String>) -> RowError {
        RowError {
            file: self.file.clone(),
            line: self.line,
            field: field.into(),
            rule: rule.into(),
        }
    }
}

#[derive(Default)]
struct Parsed {
    entities: Vec<(Origin, EntityRecord)>,
    provisions: Vec<(Origin, ProvisionRecord)>,
    assets: Vec<(Origin, AssetRecord)>,
    dependencies: Vec<(Origin, DependencyRecord)>,
}

// ------------------------------------------------------------- field maps

/// The text fields of one row, consumed as they are read.
struct Fields {
    map: BTreeMap<String, String>,
    errors: Vec<FieldError>,
}

impl Fields {
    fn take(&mut self, name: &str) -> Option<String> {
        self.map.remove(name).filter(|v| !v.trim().is_empty())
    }

    fn text(&mut self, name: &str) -> Option<String> {
        let v = self.take(name);
        if v.is_none() {
            self.errors.push((name.into(), "is required".into()));
        }
        v.map(|s| s.trim().to_string())
    }

    fn parse<T: FromStr>(&mut self, name: &str, rule: &str) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        let v = self.text(name)?;
        self.convert(name, &v, rule)
    }

    fn parse_opt<T: FromStr>(&mut self, name: &str, rule: &str) -> Option<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        match self.take(name) {
            None => Some(None),
            Some(v) => self.convert(name, v.trim(), rule).map(Some),
        }
    }

    fn convert<T: FromStr>(&mut self, name: &str, v: &str, rule: &str) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        match v.parse::<T>() {
            Ok(t) => Some(t),
            Err(e) => {
                let msg = if rule.is_empty() {
                    e.to_string()
                } else {
                    format!("{rule} (got {:?})", v.chars().take(40).collect::<String>())
                };
                self.errors.push((name.into(), msg));
                None
            }
        }
    }

    fn flag(&mut self, name: &str) -> Option<bool> {
        match self.take(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Some(false),
            Some(v) if ["true", "yes", "1"].contains(&v.as_str()) => Some(true),
            Some(v) if ["false", "no", "0"].contains(&v.as_str()) => Some(false),
            Some(_) => {
                self.errors
                    .push((name.into(), "must be true or false".into()));
                None
            }
        }
    }

    fn list<T: FromStr>(&mut self, name: &str) -> Option<Vec<T>>
    where
        T::Err: std::fmt::Display,
    {
        let Some(text) = self.take(name) else {
            return Some(Vec::new());
        };
        let mut out = Vec::new();
        let mut ok = true;
        for item in split_list(&text) {
            match item.parse::<T>() {
                Ok(v) => out.push(v),
                Err(e) => {
                    self.errors.push((name.into(), e.to_string()));
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    fn finish(mut self, allowed: &[&str]) -> Vec<FieldError> {
        for k in self.map.keys() {
            self.errors.push((
                k.clone(),
                format!(
                    "is not a known field; expected one of {}",
                    allowed.join(", ")
                ),
            ));
        }
        self.errors
    }
}

const ENTITY_FIELDS: &[&str] = &[
    "key",
    "name",
    "member_state",
    "sector",
    "subsector",
    "category",
];
const PROVISION_FIELDS: &[&str] = &[
    "key",
    "entity",
    "service",
    "member_state",
    "region",
    "users_served",
    "market_share",
    "served_states",
    "substitutability",
    "isolated_area",
];
const ASSET_FIELDS: &[&str] = &[
    "key",
    "entity",
    "kind",
    "name",
    "member_state",
    "region",
    "latitude",
    "longitude",
    "backup_hours",
];
const DEPENDENCY_FIELDS: &[&str] = &[
    "key",
    "supplier",
    "dependent",
    "kind",
    "resource",
    "strength",
    "buffer_hours",
    "recovery_lag_hours",
    "alternatives",
];

fn fields_of(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Entities => ENTITY_FIELDS,
        RecordKind::Provisions => PROVISION_FIELDS,
        RecordKind::Assets => ASSET_FIELDS,
        RecordKind::Dependencies => DEPENDENCY_FIELDS,
    }
}

const NUMBER: &str = "must be a number";
const WHOLE: &str = "must be a whole number";

fn entity_from(mut f: Fields) -> std::result::Result<EntityRecord, Vec<FieldError>> {
    let key = f.text("key");
    let name = f.text("name");
    let member_state = f.parse("member_state", "");
    let sector = f.parse("sector", "");
    let subsector = f.parse_opt("subsector", "");
    let category = f.text("category");
    let errors = f.finish(ENTITY_FIELDS);
    match (key, name, member_state, sector, subsector, category) {
        (
            Some(key),
            Some(name),
            Some(member_state),
            Some(sector),
            Some(subsector),
            Some(category),
        ) if errors.is_empty() => Ok(EntityRecord {
            key,
            name,
            member_state,
            sector,
            subsector,
            category,
        }),
        _ => Err(errors),
    }
}

fn provision_from(mut f: Fields) -> std::result::Result<ProvisionRecord, Vec<FieldError>> {
    let key = f.text("key");
    let entity = f.text("entity");
    let service = f.text("service");
    let member_state = f.parse("member_state", "");
    let region = f.text("region");
    let users_served = f.parse("users_served", WHOLE);
    let market_share = f.parse("market_share", NUMBER);
    let served_states = f.list("served_states");
    let substitutability = f.parse("substitutability", NUMBER);
    let isolated_area = f.flag("isolated_area");
    let errors = f.finish(PROVISION_FIELDS);
    let (
        Some(key),
        Some(entity),
        Some(service),
        Some(member_state),
        Some(region),
        Some(users_served),
        Some(market_share),
        Some(served_states),
        Some(substitutability),
        Some(isolated_area),
    ) = (
        key,
        entity,
        service,
        member_state,
        region,
        users_served,
        market_share,
        served_states,
        substitutability,
        isolated_area,
    )
    else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ProvisionRecord {
        key,
        entity,
        service,
        member_state,
        region,
        users_served,
        market_share,
        served_states,
        substitutability,
        isolated_area,
    })
}

fn asset_from(mut f: Fields) -> std::result::Result<AssetRecord, Vec<FieldError>> {
    let key = f.text("key");
    let entity = f.text("entity");
    let kind = f.text("kind");
    let name = f.text("name");
    let member_state = f.parse("member_state", "");
    let region = f.text("region");
    let latitude = f.parse_opt("latitude", NUMBER);
    let longitude = f.parse_opt("longitude", NUMBER);
    let backup_hours = f.parse_opt("backup_hours", NUMBER);
    let errors = f.finish(ASSET_FIELDS);
    let (
        Some(key),
        Some(entity),
        Some(kind),
        Some(name),
        Some(member_state),
        Some(region),
        Some(latitude),
        Some(longitude),
        Some(backup_hours),
    ) = (
        key,
        entity,
        kind,
        name,
        member_state,
        region,
        latitude,
        longitude,
        backup_hours,
    )
    else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(AssetRecord {
        key,
        entity,
        kind,
        name,
        member_state,
        region,
        latitude,
        longitude,
        backup_hours: backup_hours.unwrap_or(0.0),
    })
}

fn dependency_from(mut f: Fields) -> std::result::Result<DependencyRecord, Vec<FieldError>> {
    let key = f.text("key");
    let supplier = f.text("supplier");
    let dependent = f.text("dependent");
    let kind = f.parse("kind", "");
    let resource = f.parse("resource", "");
    let strength = f.parse("strength", NUMBER);
    let buffer_hours = f.parse("buffer_hours", NUMBER);
    let recovery_lag_hours = f.parse("recovery_lag_hours", NUMBER);
    let alternatives = f.list::<String>("alternatives");
    let errors = f.finish(DEPENDENCY_FIELDS);
    let (
        Some(key),
        Some(supplier),
        Some(dependent),
        Some(kind),
        Some(resource),
        Some(strength),
        Some(buffer_hours),
        Some(recovery_lag_hours),
        Some(alternatives),
    ) = (
        key,
        supplier,
        dependent,
        kind,
        resource,
        strength,
        buffer_hours,
        recovery_lag_hours,
        alternatives,
    )
    else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(DependencyRecord {
        key,
        supplier,
        dependent,
        kind,
        resource,
        strength,
        buffer_hours,
        recovery_lag_hours,
        alternatives,
    })
}

fn add_row(
    parsed: &mut Parsed,
    errors: &mut Vec<RowError>,
    kind: RecordKind,
    origin: Origin,
    map: BTreeMap<String, String>,
) {
    let f = Fields {
        map,
        errors: Vec::new(),
    };
    macro_rules! take {
        ($conv:ident, $list:ident) => {
            match $conv(f) {
                Ok(r) => {
                    let problems = r.problems();
                    if problems.is_empty() {
                        parsed.$list.push((origin, r));
                    } else {
                        errors.extend(problems.into_iter().map(|(fl, ru)| origin.err(fl, ru)));
                    }
                }
                Err(e) => errors.extend(e.into_iter().map(|(fl, ru)| origin.err(fl, ru))),
            }
        };
    }
    match kind {
        RecordKind::Entities => take!(entity_from, entities),
        RecordKind::Provisions => take!(provision_from, provisions),
        RecordKind::Assets => take!(asset_from, assets),
        RecordKind::Dependencies => take!(dependency_from, dependencies),
    }
}

// ------------------------------------------------------------------ parsing

fn parse_csv(file: &ImportFile, kind: RecordKind, parsed: &mut Parsed, errors: &mut Vec<RowError>) {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file.content.trim_start_matches('\u{feff}').as_bytes());
    let header_origin = Origin {
        file: file.name.clone(),
        line: 1,
    };
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(header_origin.err("(header)", format!("unreadable CSV header: {e}")));
            return;
        }
    };
    let allowed = fields_of(kind);
    let mut seen = BTreeSet::new();
    for h in headers.iter() {
        if !allowed.contains(&h) {
            errors.push(header_origin.err(
                h,
                format!("is not a column of {kind}; expected {}", allowed.join(", ")),
            ));
        } else if !seen.insert(h) {
            errors.push(header_origin.err(h, "appears twice in the header"));
        }
    }
    for record in reader.records() {
        match record {
            Ok(rec) => {
                let line = rec.position().map(|p| p.line()).unwrap_or(0);
                let map = headers
                    .iter()
                    .zip(rec.iter())
                    .filter(|(h, _)| allowed.contains(h))
                    .map(|(h, v)| (h.to_string(), v.to_string()))
                    .collect();
                let origin = Origin {
                    file: file.name.clone(),
                    line,
                };
                add_row(parsed, errors, kind, origin, map);
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let rule = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        format!("has {len} fields; the header has {expected_len}")
                    }
                    _ => format!("unreadable row: {e}"),
                };
                errors.push(RowError {
                    file: file.name.clone(),
                    line,
                    field: "(row)".into(),
                    rule,
                });
            }
        }
    }
}

/// The line on which each element of each top-level array starts.
fn element_lines(text: &str) -> HashMap<(String, usize), u64> {
    let mut out = HashMap::new();
    let (mut depth, mut line) = (0usize, 1u64);
    let (mut in_str, mut esc) = (false, false);
    let (mut cur, mut last, mut key) = (String::new(), String::new(), String::new());
    let (mut expect, mut index) = (false, 0usize);
    for ch in text.chars() {
        if ch == '\n' {
            line += 1;
        }
        if in_str {
            if esc {
                esc = false;
                cur.push(ch);
            } else if ch == '\\' {
                esc = true;
            } else if ch == '"' {
                in_str = false;
                last = std::mem::take(&mut cur);
            } else {
                cur.push(ch);
            }
            continue;
        }
        if depth == 2 && expect && !ch.is_whitespace() && ch != ']' {
            out.insert((key.clone(), index), line);
            index += 1;
            expect = false;
        }
        match ch {
            '"' => in_str = true,
            ':' if depth == 1 => key = last.clone(),
            '{' | '[' => {
                depth += 1;
                if depth == 2 && ch == '[' {
                    expect = true;
                    index = 0;
                }
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 2 => expect = true,
            _ => {}
        }
    }
    out
}

fn json_text(v: &serde_json::Value) -> Option<std::result::Result<String, &'static str>> {
    use serde_json::Value as V;
    match v {
        V::Null => None,
        V::String(s) => Some(Ok(s.clone())),
        V::Number(n) => Some(Ok(n.to_string())),
        V::Bool(b) => Some(Ok(b.to_string())),
        V::Array(items) => {
            let mut parts = Vec::new();
            for i in items {
                match i {
                    V::String(s) => parts.push(s.clone()),
                    V::Number(n) => parts.push(n.to_string()),
                    _ => return Some(Err("must be a list of texts")),
                }
            }
            Some(Ok(parts.join(";")))
        }
        V::Object(_) => Some(Err("must not be an object")),
    }
}

fn parse_json(file: &ImportFile, parsed: &mut Parsed, errors: &mut Vec<RowError>) {
    let origin = |line| Origin {
        file: file.name.clone(),
        line,
    };
    let value: serde_json::Value = match serde_json::from_str(&file.content) {
        Ok(v) => v,
        Err(e) => {
            errors.push(origin(e.line() as u64).err("(file)", format!("malformed JSON: {e}")));
            return;
        }
    };
    let serde_json::Value::Object(top) = value else {
        errors.push(origin(1).err(
            "(file)",
            "must be an object with arrays entities, provisions, assets, dependencies",
        ));
        return;
    };
    let lines = element_lines(&file.content);
    for (name, items) in top {
        let Ok(kind) = name.parse::<RecordKind>() else {
            errors.push(origin(1).err(
                name.clone(),
                "is not a record kind; expected entities, provisions, assets or dependencies",
            ));
            continue;
        };
        let serde_json::Value::Array(items) = items else {
            errors.push(origin(1).err(name.clone(), "must be an array"));
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let line = lines.get(&(name.clone(), i)).copied().unwrap_or(1);
            let o = origin(line);
            let serde_json::Value::Object(obj) = item else {
                errors.push(o.err(format!("{name}[{i}]"), "must be an object"));
                continue;
            };
            let mut map = BTreeMap::new();
            let mut bad = false;
            for (k, v) in obj {
                match json_text(v) {
                    None => {}
                    Some(Ok(t)) => {
                        map.insert(k.clone(), t);
                    }
                    Some(Err(rule)) => {
                        errors.push(o.err(k.clone(), rule));
                        bad = true;
                    }
                }
            }
            if !bad {
                add_row(parsed, errors, kind, o, map);
            }
        }
    }
}

// ------------------------------------------------------------------- import

/// Imports `files` as `actor`, all or nothing.
///
/// With `scope` set (an API call for one Member State), every entity must
/// be established in that Member State, and every provision, asset and
/// dependency must belong to (for dependencies: have as dependent) an
/// entity established there; suppliers may be anywhere.
pub async fn import(
    store: &Store,
    actor: &Actor,
    files: &[ImportFile],
    scope: Option<Country>,
    purpose: &str,
) -> Result<ImportSummary> {
    let mut parsed = Parsed::default();
    let mut errors = Vec::new();
    for file in files {
        match (file.format, file.kind) {
            (Format::Json, _) => parse_json(file, &mut parsed, &mut errors),
            (Format::Csv, Some(kind)) => parse_csv(file, kind, &mut parsed, &mut errors),
            (Format::Csv, None) => errors.push(RowError {
                file: file.name.clone(),
                line: 1,
                field: "(file)".into(),
                rule: "a CSV file needs its record kind".into(),
            }),
        }
    }
    check_references(store, &parsed, scope, &mut errors).await?;
    let total = parsed.entities.len()
        + parsed.provisions.len()
        + parsed.assets.len()
        + parsed.dependencies.len();
    if errors.is_empty() && total == 0 {
        errors.push(RowError {
            file: files.first().map(|f| f.name.clone()).unwrap_or_default(),
            line: 1,
            field: "(file)".into(),
            rule: "contains no records".into(),
        });
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        return Err(ResilienceError::Import(errors));
    }
    write(store, actor, &parsed, scope, purpose).await
}

/// Imports one [`Bundle`] given as a value (API and tests); rows are
/// reported as `name` with the record's position as line.
pub async fn import_bundle(
    store: &Store,
    actor: &Actor,
    name: &str,
    bundle: &Bundle,
    scope: Option<Country>,
    purpose: &str,
) -> Result<ImportSummary> {
    let content = serde_json::to_string_pretty(bundle)
        .map_err(|e| ResilienceError::invalid("(body)", e.to_string()))?;
    let file = ImportFile {
        name: name.into(),
        format: Format::Json,
        kind: None,
        content,
    };
    import(store, actor, &[file], scope, purpose).await
}

async fn national_services(store: &Store) -> Result<BTreeMap<String, String>> {
    let rows = sqlx::query("SELECT code, member_state FROM res_national_services")
        .fetch_all(store.pool())
        .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        out.insert(r.try_get("code")?, r.try_get("member_state")?);
    }
    Ok(out)
}

async fn check_references(
    store: &Store,
    p: &Parsed,
    scope: Option<Country>,
    errors: &mut Vec<RowError>,
) -> Result<()> {
    let existing = crate::registry::entity_states(store).await?;
    let national = national_services(store).await?;
    let mut states: BTreeMap<String, Country> =
        existing.iter().map(|(k, (c, _))| (k.clone(), *c)).collect();
    let in_scope = |c: Country| scope.is_none_or(|s| s == c);
    let mut dup = |kind: &str, key: &str, seen: &mut BTreeSet<String>, o: &Origin| {
        if !seen.insert(key.to_string()) {
            errors.push(o.err(
                "key",
                format!("{key:?} appears twice among the {kind} of this import"),
            ));
        }
    };
    let mut seen = BTreeSet::new();
    let mut dup_errors = Vec::new();
    for (o, e) in &p.entities {
        dup("entities", &e.key, &mut seen, o);
        if let Some(s) = scope
            && e.member_state != s
        {
            dup_errors.push(o.err(
                "member_state",
                format!("must be {s}, the Member State of the request"),
            ));
        }
        if let Some((old, _)) = existing.get(&e.key)
            && !in_scope(*old)
        {
            dup_errors.push(o.err(
                "key",
                format!(
                    "belongs to an entity established in {old}, outside the request's Member State"
                ),
            ));
        }
    }
    // An existing entity keeps its Member State for the scope checks (a
    // scoped import cannot move it; that is reported above).
    for (_, e) in &p.entities {
        states.entry(e.key.clone()).or_insert(e.member_state);
    }
    let check_entity =
        |field: &str, key: &str, o: &Origin, must_be_in_scope: bool, out: &mut Vec<RowError>| {
            match states.get(key) {
                None => out.push(o.err(
                    field,
                    format!("no entity with key {key:?} in this import or the registry"),
                )),
                Some(c) if must_be_in_scope && !in_scope(*c) => out.push(o.err(
                    field,
                    format!(
                        "entity {key:?} is established in {c}, outside the request's Member State"
                    ),
                )),
                _ => {}
            }
        };
    let mut seen = BTreeSet::new();
    for (o, r) in &p.provisions {
        dup("provisions", &r.key, &mut seen, o);
        check_entity("entity", &r.entity, o, true, &mut dup_errors);
        let known = crate::services::eu_service(&r.service).is_some()
            || national.get(&r.service).map(String::as_str) == Some(r.member_state.as_str());
        if !known {
            dup_errors.push(o.err(
                "service",
                format!(
                    "{:?} is neither an essential service of Reg. 2023/2450 nor a national addition of {}",
                    r.service, r.member_state
                ),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (o, r) in &p.assets {
        dup("assets", &r.key, &mut seen, o);
        check_entity("entity", &r.entity, o, true, &mut dup_errors);
    }
    let mut seen = BTreeSet::new();
    for (o, r) in &p.dependencies {
        dup("dependencies", &r.key, &mut seen, o);
        check_entity("supplier", &r.supplier, o, false, &mut dup_errors);
        check_entity("dependent", &r.dependent, o, true, &mut dup_errors);
        for (i, a) in r.alternatives.iter().enumerate() {
            check_entity(&format!("alternatives[{i}]"), a, o, false, &mut dup_errors);
        }
    }
    if scope.is_some() {
        for (table, owner, list) in [
            (
                "res_provisions",
                "entity_key",
                p.provisions
                    .iter()
                    .map(|(o, r)| (o, &r.key))
                    .collect::<Vec<_>>(),
            ),
            (
                "res_assets",
                "entity_key",
                p.assets.iter().map(|(o, r)| (o, &r.key)).collect(),
            ),
            (
                "res_dependencies",
                "dependent_key",
                p.dependencies.iter().map(|(o, r)| (o, &r.key)).collect(),
            ),
        ] {
            let owners = crate::registry::existing_owners(store, table, owner).await?;
            for (o, key) in list {
                if let Some(owner) = owners.get(key.as_str())
                    && let Some((c, _)) = existing.get(owner)
                    && !in_scope(*c)
                {
                    dup_errors.push(o.err("key", format!("belongs to entity {owner:?} established in {c}, outside the request's Member State")));
                }
            }
        }
    }
    errors.extend(dup_errors);
    Ok(())
}

async fn write(
    store: &Store,
    actor: &Actor,
    p: &Parsed,
    scope: Option<Country>,
    purpose: &str,
) -> Result<ImportSummary> {
    let now = Timestamp::now().unix_micros();
    let mut tx = store.write().await?;
    for (_, e) in &p.entities {
        sqlx::query(
            "INSERT INTO res_entities (id, key, name, member_state, sector, subsector, category, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             ON CONFLICT (key) DO UPDATE SET name = excluded.name, member_state = excluded.member_state, \
             sector = excluded.sector, subsector = excluded.subsector, category = excluded.category, \
             updated_at = excluded.updated_at",
        )
        .bind(EntityId::new().to_string())
        .bind(&e.key)
        .bind(e.name.trim())
        .bind(e.member_state.as_str())
        .bind(e.sector.as_str())
        .bind(e.subsector.map(|s| s.as_str().to_string()))
        .bind(e.category.trim())
        .bind(now)
        .execute(tx.conn())
        .await?;
    }
    for (_, r) in &p.provisions {
        sqlx::query(
            "INSERT INTO res_provisions (id, key, entity_key, service, member_state, region, users_served, \
             market_share, served_states, substitutability, isolated_area, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (key) DO UPDATE SET entity_key = excluded.entity_key, service = excluded.service, \
             member_state = excluded.member_state, region = excluded.region, users_served = excluded.users_served, \
             market_share = excluded.market_share, served_states = excluded.served_states, \
             substitutability = excluded.substitutability, isolated_area = excluded.isolated_area",
        )
        .bind(EntityId::new().to_string())
        .bind(&r.key)
        .bind(&r.entity)
        .bind(&r.service)
        .bind(r.member_state.as_str())
        .bind(&r.region)
        .bind(r.users_served)
        .bind(r.market_share)
        .bind(join_list(&r.served_states))
        .bind(r.substitutability)
        .bind(i64::from(r.isolated_area))
        .bind(now)
        .execute(tx.conn())
        .await?;
    }
    for (_, a) in &p.assets {
        sqlx::query(
            "INSERT INTO res_assets (id, key, entity_key, kind, name, member_state, region, latitude, longitude, \
             backup_hours, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (key) DO UPDATE SET entity_key = excluded.entity_key, kind = excluded.kind, \
             name = excluded.name, member_state = excluded.member_state, region = excluded.region, \
             latitude = excluded.latitude, longitude = excluded.longitude, backup_hours = excluded.backup_hours",
        )
        .bind(EntityId::new().to_string())
        .bind(&a.key)
        .bind(&a.entity)
        .bind(a.kind.trim())
        .bind(a.name.trim())
        .bind(a.member_state.as_str())
        .bind(&a.region)
        .bind(a.latitude)
        .bind(a.longitude)
        .bind(a.backup_hours)
        .bind(now)
        .execute(tx.conn())
        .await?;
    }
    for (_, d) in &p.dependencies {
        sqlx::query(
            "INSERT INTO res_dependencies (id, key, supplier_key, dependent_key, kind, resource, strength, \
             buffer_hours, recovery_lag_hours, alternatives, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (key) DO UPDATE SET supplier_key = excluded.supplier_key, \
             dependent_key = excluded.dependent_key, kind = excluded.kind, resource = excluded.resource, \
             strength = excluded.strength, buffer_hours = excluded.buffer_hours, \
             recovery_lag_hours = excluded.recovery_lag_hours, alternatives = excluded.alternatives",
        )
        .bind(EntityId::new().to_string())
        .bind(&d.key)
        .bind(&d.supplier)
        .bind(&d.dependent)
        .bind(d.kind.as_str())
        .bind(d.resource.as_str())
        .bind(d.strength)
        .bind(d.buffer_hours)
        .bind(d.recovery_lag_hours)
        .bind(d.alternatives.join(";"))
        .bind(now)
        .execute(tx.conn())
        .await?;
    }
    let summary = ImportSummary {
        entities: p.entities.len(),
        provisions: p.provisions.len(),
        assets: p.assets.len(),
        dependencies: p.dependencies.len(),
    };
    let object = match scope {
        Some(ms) => format!("registry:{ms}"),
        None => "registry:*".to_string(),
    };
    tx.commit(
        actor,
        AuditEntry::new("resilience.import", object, purpose).with_details(serde_json::json!({
            "entities": summary.entities,
            "provisions": summary.provisions,
            "assets": summary.assets,
            "dependencies": summary.dependencies,
        })),
    )
    .await?;
    Ok(summary)
}

// ------------------------------------------------------------------- export

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_default()
}

/// One kind of records of `bundle` as CSV (header row, lists joined by `;`).
/// The output imports back unchanged.
pub fn to_csv(bundle: &Bundle, kind: RecordKind) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| ResilienceError::invalid("(export)", e.to_string());
    w.write_record(fields_of(kind)).map_err(io)?;
    match kind {
        RecordKind::Entities => {
            for e in &bundle.entities {
                w.write_record([
                    e.key.clone(),
                    e.name.clone(),
                    e.member_state.to_string(),
                    e.sector.to_string(),
                    opt(&e.subsector),
                    e.category.clone(),
                ])
                .map_err(io)?;
            }
        }
        RecordKind::Provisions => {
            for r in &bundle.provisions {
                w.write_record([
                    r.key.clone(),
                    r.entity.clone(),
                    r.service.clone(),
                    r.member_state.to_string(),
                    r.region.clone(),
                    r.users_served.to_string(),
                    r.market_share.to_string(),
                    join_list(&r.served_states),
                    r.substitutability.to_string(),
                    r.isolated_area.to_string(),
                ])
                .map_err(io)?;
            }
        }
        RecordKind::Assets => {
            for a in &bundle.assets {
                w.write_record([
                    a.key.clone(),
                    a.entity.clone(),
                    a.kind.clone(),
                    a.name.clone(),
                    a.member_state.to_string(),
                    a.region.clone(),
                    opt(&a.latitude),
                    opt(&a.longitude),
                    a.backup_hours.to_string(),
                ])
                .map_err(io)?;
            }
        }
        RecordKind::Dependencies => {
            for d in &bundle.dependencies {
                w.write_record([
                    d.key.clone(),
                    d.supplier.clone(),
                    d.dependent.clone(),
                    d.kind.to_string(),
                    d.resource.to_string(),
                    d.strength.to_string(),
                    d.buffer_hours.to_string(),
                    d.recovery_lag_hours.to_string(),
                    d.alternatives.join(";"),
                ])
                .map_err(io)?;
            }
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ResilienceError::invalid("(export)", e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ResilienceError::invalid("(export)", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_element_lines_are_found() {
        let text = "{\n  \"entities\": [\n    {\"key\": \"a\"},\n    {\n      \"key\": \"b,[\"\n    }\n  ],\n  \"assets\": [ {\"k\": 1} ]\n}";
        let lines = element_lines(text);
        assert_eq!(lines.get(&("entities".into(), 0)), Some(&3));
        assert_eq!(lines.get(&("entities".into(), 1)), Some(&4));
        assert_eq!(lines.get(&("assets".into(), 0)), Some(&8));
    }
}
