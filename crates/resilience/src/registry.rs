//! The registry: entities, their essential-service provisions, their
//! critical infrastructure (assets) and the dependencies between them.
//!
//! Records are addressed by a stable, user-given `key` (e.g. a national
//! register number) so that imports can refer to each other and be
//! repeated: writing a record whose key exists updates it. Every write goes
//! through [`crate::import::import`], which validates everything first and
//! commits all records with one audit record, or nothing.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use bulwark_core::{Country, Id, Sector, Subsector, Timestamp};
use bulwark_store::{Store, StoreError};

use crate::error::{ResilienceError, Result};
use crate::vocab::{DependencyKind, Resource};

/// The id of a stored entity.
pub type EntityId = Id<Entity>;

/// A (field, rule) pair: one broken rule of one record.
pub type FieldError = (String, String);

/// An entity as registered (CER Art. 2(1): a public or private entity that
/// may be identified as critical under Art. 6(1)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityRecord {
    /// Stable key, unique across the registry (letters, digits, `.`, `_`, `-`, `:`; 1-80).
    pub key: String,
    /// Name (1-200 characters).
    pub name: String,
    /// Member State of establishment (the identifying Member State).
    pub member_state: Country,
    /// CER Annex sector.
    pub sector: Sector,
    /// CER Annex subsector (required for energy and transport).
    #[serde(default)]
    pub subsector: Option<Subsector>,
    /// Category of entity in the Annex (e.g. "transmission system operator").
    pub category: String,
}

/// A stored entity.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Entity {
    /// Id (UUIDv7).
    pub id: EntityId,
    /// The registered fields.
    #[serde(flatten)]
    pub record: EntityRecord,
    /// First registered.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// Who provides which essential service where: entity x service x region,
/// with the figures CER Art. 7(1)(a), (d), (e), (f) and Art. 17(1)(b) need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisionRecord {
    /// Stable key.
    pub key: String,
    /// The providing entity's key.
    pub entity: String,
    /// Essential service code (see [`crate::services`]).
    pub service: String,
    /// Member State in which the service is provided here.
    pub member_state: Country,
    /// Region (NUTS code, starting with the Member State's code, e.g. `DE300`).
    pub region: String,
    /// Users relying on this provision (Art. 7(1)(a)).
    pub users_served: i64,
    /// Share of the market for the service in the region, 0 to 1 (Art. 7(1)(d)).
    pub market_share: f64,
    /// Other Member States the service is provided to or in from here (Art. 17(1)(b)).
    #[serde(default)]
    pub served_states: Vec<Country>,
    /// Share of demand others could take over, 0 (none) to 1 (all) (Art. 7(1)(f)).
    pub substitutability: f64,
    /// Whether the region is isolated: insular, remote or mountainous (Art. 7(1)(e)).
    #[serde(default)]
    pub isolated_area: bool,
}

/// An asset of critical infrastructure (CER Art. 2(4)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetRecord {
    /// Stable key.
    pub key: String,
    /// The owning or operating entity's key.
    pub entity: String,
    /// Asset type, e.g. `substation`, `data_centre` (1-60 characters).
    pub kind: String,
    /// Name (1-200 characters).
    pub name: String,
    /// Member State where it is located (CER Art. 6(2)(b)).
    pub member_state: Country,
    /// Region (NUTS code starting with the Member State's code).
    pub region: String,
    /// Latitude in degrees, if known.
    #[serde(default)]
    pub latitude: Option<f64>,
    /// Longitude in degrees, if known.
    #[serde(default)]
    pub longitude: Option<f64>,
    /// Own backup autonomy in hours (0 if none).
    #[serde(default)]
    pub backup_hours: f64,
}

/// A dependency of one entity (dependent) on another (supplier).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DependencyRecord {
    /// Stable key.
    pub key: String,
    /// The supplier's entity key.
    pub supplier: String,
    /// The dependent's entity key.
    pub dependent: String,
    /// Physical, cyber, geographic or logical.
    pub kind: DependencyKind,
    /// The resource the supplier provides.
    pub resource: Resource,
    /// Share of the dependent's function lost when the supplier is fully down, 0 to 1.
    pub strength: f64,
    /// Hours the dependent bridges an outage (buffer, autonomy).
    pub buffer_hours: f64,
    /// Hours the dependent needs to recover after the supplier is restored.
    pub recovery_lag_hours: f64,
    /// Keys of entities that could substitute the supplier.
    #[serde(default)]
    pub alternatives: Vec<String>,
}

/// A set of registry records: the unit of import and export.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Entities.
    #[serde(default)]
    pub entities: Vec<EntityRecord>,
    /// Service provisions.
    #[serde(default)]
    pub provisions: Vec<ProvisionRecord>,
    /// Assets.
    #[serde(default)]
    pub assets: Vec<AssetRecord>,
    /// Dependencies.
    #[serde(default)]
    pub dependencies: Vec<DependencyRecord>,
}

/// An entity with everything registered about it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EntityDetail {
    /// The entity.
    pub entity: Entity,
    /// Its provisions.
    pub provisions: Vec<ProvisionRecord>,
    /// Its assets.
    pub assets: Vec<AssetRecord>,
    /// Dependencies where it is the supplier or the dependent.
    pub dependencies: Vec<DependencyRecord>,
}

// ---------------------------------------------------------------- validation

/// Checks a record key: 1-80 characters of letters, digits, `.`, `_`, `-`, `:`.
pub fn check_key(field: &str, key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.len() <= 80
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'));
    if ok {
        Ok(())
    } else {
        Err(ResilienceError::invalid(
            field,
            "must be 1 to 80 characters of letters, digits, `.`, `_`, `-` or `:`",
        ))
    }
}

/// Checks a free text: 1 to `max` characters, no control characters.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    let n = value.trim().chars().count();
    if n == 0 || n > max {
        return Err(ResilienceError::invalid(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ResilienceError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Checks that a subsector is given exactly when the CER Annex sector has
/// subsectors, and that it belongs to the sector.
pub fn check_subsector(sector: Sector, subsector: Option<Subsector>) -> Result<()> {
    match subsector {
        None if !sector.subsectors().is_empty() => Err(ResilienceError::invalid(
            "subsector",
            format!(
                "is required for sector {sector} (CER Annex point {})",
                sector.annex_point()
            ),
        )),
        Some(sub) if sub.sector() != sector => Err(ResilienceError::invalid(
            "subsector",
            format!("{sub} belongs to sector {}, not {sector}", sub.sector()),
        )),
        _ => Ok(()),
    }
}

fn check_ms(field: &str, c: Country) -> Result<()> {
    if c.is_member_state() {
        Ok(())
    } else {
        Err(ResilienceError::invalid(
            field,
            "must be an EU Member State",
        ))
    }
}

fn check_region(region: &str, ms: Country) -> Result<()> {
    let ok = region.len() >= 2
        && region.len() <= 10
        && region.chars().all(|c| c.is_ascii_alphanumeric())
        && region.get(..2) == Some(ms.as_str());
    if ok {
        Ok(())
    } else {
        Err(ResilienceError::invalid(
            "region",
            format!("must be a NUTS code of {ms} (2-10 letters and digits starting with {ms})"),
        ))
    }
}

fn check_unit(field: &str, v: f64) -> Result<()> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(ResilienceError::invalid(
            field,
            "must be a number from 0 to 1",
        ))
    }
}

fn check_hours(field: &str, v: f64) -> Result<()> {
    if v.is_finite() && (0.0..=1_000_000.0).contains(&v) {
        Ok(())
    } else {
        Err(ResilienceError::invalid(
            field,
            "must be a number of hours from 0 to 1000000",
        ))
    }
}

fn collect(errors: &mut Vec<FieldError>, r: Result<()>) {
    if let Err(ResilienceError::Invalid { field, rule }) = r {
        errors.push((field, rule));
    }
}

impl EntityRecord {
    /// Every rule this record breaks (empty if valid).
    pub fn problems(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        collect(&mut e, check_key("key", &self.key));
        collect(&mut e, check_text("name", &self.name, 200));
        collect(&mut e, check_ms("member_state", self.member_state));
        collect(&mut e, check_subsector(self.sector, self.subsector));
        collect(&mut e, check_text("category", &self.category, 200));
        e
    }
}

impl ProvisionRecord {
    /// Every rule this record breaks on its own (references are checked on import).
    pub fn problems(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        collect(&mut e, check_key("key", &self.key));
        collect(&mut e, check_key("entity", &self.entity));
        collect(&mut e, check_key("service", &self.service));
        collect(&mut e, check_ms("member_state", self.member_state));
        collect(&mut e, check_region(&self.region, self.member_state));
        if self.users_served < 0 {
            e.push(("users_served".into(), "must be 0 or more".into()));
        }
        collect(&mut e, check_unit("market_share", self.market_share));
        collect(
            &mut e,
            check_unit("substitutability", self.substitutability),
        );
        e
    }
}

impl AssetRecord {
    /// Every rule this record breaks on its own.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        collect(&mut e, check_key("key", &self.key));
        collect(&mut e, check_key("entity", &self.entity));
        collect(&mut e, check_text("kind", &self.kind, 60));
        collect(&mut e, check_text("name", &self.name, 200));
        collect(&mut e, check_ms("member_state", self.member_state));
        collect(&mut e, check_region(&self.region, self.member_state));
        if let Some(lat) = self.latitude
            && !(lat.is_finite() && (-90.0..=90.0).contains(&lat))
        {
            e.push(("latitude".into(), "must be from -90 to 90 degrees".into()));
        }
        if let Some(lon) = self.longitude
            && !(lon.is_finite() && (-180.0..=180.0).contains(&lon))
        {
            e.push((
                "longitude".into(),
                "must be from -180 to 180 degrees".into(),
            ));
        }
        collect(&mut e, check_hours("backup_hours", self.backup_hours));
        e
    }
}

impl DependencyRecord {
    /// Every rule this record breaks on its own.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        collect(&mut e, check_key("key", &self.key));
        collect(&mut e, check_key("supplier", &self.supplier));
        collect(&mut e, check_key("dependent", &self.dependent));
        if self.supplier == self.dependent {
            e.push(("dependent".into(), "must differ from the supplier".into()));
        }
        collect(&mut e, check_unit("strength", self.strength));
        collect(&mut e, check_hours("buffer_hours", self.buffer_hours));
        collect(
            &mut e,
            check_hours("recovery_lag_hours", self.recovery_lag_hours),
        );
        for (i, a) in self.alternatives.iter().enumerate() {
            collect(&mut e, check_key(&format!("alternatives[{i}]"), a));
        }
        e
    }
}

// ------------------------------------------------------------------ reading

pub(crate) fn corrupt(what: &'static str, detail: impl ToString) -> ResilienceError {
    ResilienceError::Store(StoreError::Corrupt {
        what,
        detail: detail.to_string(),
    })
}

fn col<T: std::str::FromStr>(row: &AnyRow, what: &'static str, name: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    let text: String = row.try_get(name)?;
    text.parse().map_err(|e: T::Err| corrupt(what, e))
}

fn time(row: &AnyRow, what: &'static str, name: &str) -> Result<Timestamp> {
    let micros: i64 = row.try_get(name)?;
    Timestamp::from_unix_micros(micros).ok_or_else(|| corrupt(what, "time out of range"))
}

pub(crate) fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(';').map(str::trim).filter(|s| !s.is_empty())
}

pub(crate) fn join_list<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(";")
}

fn entity_from_row(row: &AnyRow) -> Result<Entity> {
    let w = "res_entities";
    let subsector: Option<String> = row.try_get("subsector")?;
    Ok(Entity {
        id: col(row, w, "id")?,
        record: EntityRecord {
            key: row.try_get("key")?,
            name: row.try_get("name")?,
            member_state: col(row, w, "member_state")?,
            sector: col(row, w, "sector")?,
            subsector: subsector
                .map(|s| s.parse())
                .transpose()
                .map_err(|e: bulwark_core::ParseError| corrupt(w, e))?,
            category: row.try_get("category")?,
        },
        created_at: time(row, w, "created_at")?,
        updated_at: time(row, w, "updated_at")?,
    })
}

fn provision_from_row(row: &AnyRow) -> Result<ProvisionRecord> {
    let w = "res_provisions";
    let served: String = row.try_get("served_states")?;
    let isolated: i64 = row.try_get("isolated_area")?;
    Ok(ProvisionRecord {
        key: row.try_get("key")?,
        entity: row.try_get("entity_key")?,
        service: row.try_get("service")?,
        member_state: col(row, w, "member_state")?,
        region: row.try_get("region")?,
        users_served: row.try_get("users_served")?,
        market_share: row.try_get("market_share")?,
        served_states: split_list(&served)
            .map(|s| s.parse())
            .collect::<std::result::Result<_, _>>()
            .map_err(|e: bulwark_core::ParseError| corrupt(w, e))?,
        substitutability: row.try_get("substitutability")?,
        isolated_area: isolated != 0,
    })
}

fn asset_from_row(row: &AnyRow) -> Result<AssetRecord> {
    let w = "res_assets";
    Ok(AssetRecord {
        key: row.try_get("key")?,
        entity: row.try_get("entity_key")?,
        kind: row.try_get("kind")?,
        name: row.try_get("name")?,
        member_state: col(row, w, "member_state")?,
        region: row.try_get("region")?,
        latitude: row.try_get("latitude")?,
        longitude: row.try_get("longitude")?,
        backup_hours: row.try_get("backup_hours")?,
    })
}

fn dependency_from_row(row: &AnyRow) -> Result<DependencyRecord> {
    let w = "res_dependencies";
    let alternatives: String = row.try_get("alternatives")?;
    Ok(DependencyRecord {
        key: row.try_get("key")?,
        supplier: row.try_get("supplier_key")?,
        dependent: row.try_get("dependent_key")?,
        kind: col(row, w, "kind")?,
        resource: col(row, w, "resource")?,
        strength: row.try_get("strength")?,
        buffer_hours: row.try_get("buffer_hours")?,
        recovery_lag_hours: row.try_get("recovery_lag_hours")?,
        alternatives: split_list(&alternatives).map(str::to_string).collect(),
    })
}

const ENTITY_COLS: &str =
    "id, key, name, member_state, sector, subsector, category, created_at, updated_at";
const PROVISION_COLS: &str = "key, entity_key, service, member_state, region, users_served, \
    market_share, served_states, substitutability, isolated_area";
const ASSET_COLS: &str =
    "key, entity_key, kind, name, member_state, region, latitude, longitude, backup_hours";
const DEPENDENCY_COLS: &str = "key, supplier_key, dependent_key, kind, resource, strength, \
    buffer_hours, recovery_lag_hours, alternatives";

/// Entities established in `ms` (every entity when `None`), by key.
pub async fn list_entities(store: &Store, ms: Option<Country>) -> Result<Vec<Entity>> {
    let rows = match ms {
        Some(ms) => {
            sqlx::query(&format!(
                "SELECT {ENTITY_COLS} FROM res_entities WHERE member_state = $1 ORDER BY key"
            ))
            .bind(ms.as_str())
            .fetch_all(store.pool())
            .await?
        }
        None => {
            sqlx::query(&format!(
                "SELECT {ENTITY_COLS} FROM res_entities ORDER BY key"
            ))
            .fetch_all(store.pool())
            .await?
        }
    };
    rows.iter().map(entity_from_row).collect()
}

/// The entity with `key`, if it is established in `ms` (any Member State
/// when `None`).
pub async fn get_entity(store: &Store, ms: Option<Country>, key: &str) -> Result<Entity> {
    let row = sqlx::query(&format!(
        "SELECT {ENTITY_COLS} FROM res_entities WHERE key = $1"
    ))
    .bind(key)
    .fetch_optional(store.pool())
    .await?;
    let not_found = || ResilienceError::NotFound {
        kind: "entity",
        key: key.chars().take(80).collect(),
    };
    let entity = entity_from_row(&row.ok_or_else(not_found)?)?;
    match ms {
        Some(ms) if entity.record.member_state != ms => Err(not_found()),
        _ => Ok(entity),
    }
}

/// The provisions of an entity.
pub async fn provisions_of(store: &Store, entity_key: &str) -> Result<Vec<ProvisionRecord>> {
    sqlx::query(&format!(
        "SELECT {PROVISION_COLS} FROM res_provisions WHERE entity_key = $1 ORDER BY key"
    ))
    .bind(entity_key)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(provision_from_row)
    .collect()
}

/// The assets of an entity.
pub async fn assets_of(store: &Store, entity_key: &str) -> Result<Vec<AssetRecord>> {
    sqlx::query(&format!(
        "SELECT {ASSET_COLS} FROM res_assets WHERE entity_key = $1 ORDER BY key"
    ))
    .bind(entity_key)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(asset_from_row)
    .collect()
}

/// Dependencies where the entity is the supplier or the dependent.
pub async fn dependencies_of(store: &Store, entity_key: &str) -> Result<Vec<DependencyRecord>> {
    sqlx::query(&format!(
        "SELECT {DEPENDENCY_COLS} FROM res_dependencies \
         WHERE supplier_key = $1 OR dependent_key = $1 ORDER BY key"
    ))
    .bind(entity_key)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(dependency_from_row)
    .collect()
}

/// An entity of `ms` with its provisions, assets and dependencies.
pub async fn entity_detail(store: &Store, ms: Option<Country>, key: &str) -> Result<EntityDetail> {
    let entity = get_entity(store, ms, key).await?;
    Ok(EntityDetail {
        provisions: provisions_of(store, key).await?,
        assets: assets_of(store, key).await?,
        dependencies: dependencies_of(store, key).await?,
        entity,
    })
}

/// Everything registered for entities of `ms` (everything when `None`):
/// their provisions and assets, and the dependencies whose dependent is
/// one of them. The result imports back unchanged.
pub async fn export(store: &Store, ms: Option<Country>) -> Result<Bundle> {
    let entities = list_entities(store, ms).await?;
    let keys: BTreeSet<&str> = entities.iter().map(|e| e.record.key.as_str()).collect();
    let mine = |k: &str| keys.contains(k);
    let provisions = sqlx::query(&format!(
        "SELECT {PROVISION_COLS} FROM res_provisions ORDER BY key"
    ))
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(provision_from_row)
    .filter(|r| r.as_ref().map(|p| mine(&p.entity)).unwrap_or(true))
    .collect::<Result<Vec<_>>>()?;
    let assets = sqlx::query(&format!("SELECT {ASSET_COLS} FROM res_assets ORDER BY key"))
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(asset_from_row)
        .filter(|r| r.as_ref().map(|a| mine(&a.entity)).unwrap_or(true))
        .collect::<Result<Vec<_>>>()?;
    let dependencies = sqlx::query(&format!(
        "SELECT {DEPENDENCY_COLS} FROM res_dependencies ORDER BY key"
    ))
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(dependency_from_row)
    .filter(|r| r.as_ref().map(|d| mine(&d.dependent)).unwrap_or(true))
    .collect::<Result<Vec<_>>>()?;
    Ok(Bundle {
        entities: entities.into_iter().map(|e| e.record).collect(),
        provisions,
        assets,
        dependencies,
    })
}

/// The Member State of each entity key that exists in the store.
pub(crate) async fn entity_states(
    store: &Store,
) -> Result<std::collections::BTreeMap<String, (Country, Sector)>> {
    let rows = sqlx::query("SELECT key, member_state, sector FROM res_entities")
        .fetch_all(store.pool())
        .await?;
    let mut out = std::collections::BTreeMap::new();
    for row in rows {
        let key: String = row.try_get("key")?;
        out.insert(
            key,
            (
                col(&row, "res_entities", "member_state")?,
                col(&row, "res_entities", "sector")?,
            ),
        );
    }
    Ok(out)
}

/// For each existing key of `table` (provisions, assets, dependencies): the
/// key of the entity that owns it (the dependent, for dependencies).
pub(crate) async fn existing_owners(
    store: &Store,
    table: &'static str,
    owner_col: &'static str,
) -> Result<std::collections::BTreeMap<String, String>> {
    let rows = sqlx::query(&format!("SELECT key, {owner_col} AS owner FROM {table}"))
        .fetch_all(store.pool())
        .await?;
    let mut out = std::collections::BTreeMap::new();
    for row in rows {
        out.insert(row.try_get("key")?, row.try_get("owner")?);
    }
    Ok(out)
}
