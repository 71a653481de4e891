//! Essential services: the non-exhaustive list of Commission Delegated
//! Regulation (EU) 2023/2450 (Art. 2), keyed by sector and subsector of the
//! CER Annex, plus national additions (CER Art. 7(2)(a)) kept in the store.
//!
//! Only the energy block (25 services) has been checked against the text of
//! Art. 2; the other sectors follow the specification's summary and carry
//! `verified: false` until checked. National additions are configuration:
//! [`add_national_service`].

use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::{Country, Sector, Subsector, Timestamp};
use bulwark_store::{Actor, AuditEntry, Store};

use crate::error::{ResilienceError, Result};

/// An essential service (CER Art. 2(5)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EssentialService {
    /// Stable code, e.g. `electricity.supply`.
    pub code: String,
    /// The CER Annex sector.
    pub sector: Sector,
    /// The CER Annex subsector, where the sector has subsectors.
    pub subsector: Option<Subsector>,
    /// A short name (our paraphrase, not the legal wording).
    pub name: String,
    /// Where it comes from: `Reg. 2023/2450 Art. 2` or `national (DE)`.
    pub source: String,
    /// Whether the entry was checked against the primary legal text.
    pub verified: bool,
}

use Sector as S;
use Subsector as U;

/// (code, sector, subsector, name, verified) of Reg. 2023/2450 Art. 2.
const EU_SERVICES: &[(&str, Sector, Option<Subsector>, &str, bool)] = &[
    (
        "electricity.supply",
        S::Energy,
        Some(U::Electricity),
        "Electricity supply",
        true,
    ),
    (
        "electricity.distribution",
        S::Energy,
        Some(U::Electricity),
        "Operation, maintenance and development of an electricity distribution system",
        true,
    ),
    (
        "electricity.transmission",
        S::Energy,
        Some(U::Electricity),
        "Operation, maintenance and development of an electricity transmission system",
        true,
    ),
    (
        "electricity.generation",
        S::Energy,
        Some(U::Electricity),
        "Electricity generation",
        true,
    ),
    (
        "electricity.nemo",
        S::Energy,
        Some(U::Electricity),
        "Nominated electricity market operator services",
        true,
    ),
    (
        "electricity.demand_response",
        S::Energy,
        Some(U::Electricity),
        "Demand response",
        true,
    ),
    (
        "electricity.aggregation",
        S::Energy,
        Some(U::Electricity),
        "Aggregation",
        true,
    ),
    (
        "electricity.storage",
        S::Energy,
        Some(U::Electricity),
        "Energy storage",
        true,
    ),
    (
        "district_heating_cooling.provision",
        S::Energy,
        Some(U::DistrictHeatingCooling),
        "Provision of district heating or cooling",
        true,
    ),
    (
        "oil.transmission",
        S::Energy,
        Some(U::Oil),
        "Oil transmission by pipeline",
        true,
    ),
    (
        "oil.production",
        S::Energy,
        Some(U::Oil),
        "Oil production",
        true,
    ),
    (
        "oil.refining",
        S::Energy,
        Some(U::Oil),
        "Oil refinement and treatment",
        true,
    ),
    ("oil.storage", S::Energy, Some(U::Oil), "Oil storage", true),
    (
        "oil.stocks",
        S::Energy,
        Some(U::Oil),
        "Management of oil stocks, including emergency and specific stocks",
        true,
    ),
    ("gas.supply", S::Energy, Some(U::Gas), "Gas supply", true),
    (
        "gas.distribution",
        S::Energy,
        Some(U::Gas),
        "Gas distribution",
        true,
    ),
    (
        "gas.transmission",
        S::Energy,
        Some(U::Gas),
        "Gas transmission",
        true,
    ),
    ("gas.storage", S::Energy, Some(U::Gas), "Gas storage", true),
    (
        "gas.lng",
        S::Energy,
        Some(U::Gas),
        "Operation of an LNG system",
        true,
    ),
    (
        "gas.production",
        S::Energy,
        Some(U::Gas),
        "Production of natural gas",
        true,
    ),
    (
        "gas.purchase",
        S::Energy,
        Some(U::Gas),
        "Purchase of natural gas",
        true,
    ),
    (
        "gas.refining",
        S::Energy,
        Some(U::Gas),
        "Refinement and treatment of natural gas",
        true,
    ),
    (
        "hydrogen.production",
        S::Energy,
        Some(U::Hydrogen),
        "Hydrogen production",
        true,
    ),
    (
        "hydrogen.storage",
        S::Energy,
        Some(U::Hydrogen),
        "Hydrogen storage",
        true,
    ),
    (
        "hydrogen.transmission",
        S::Energy,
        Some(U::Hydrogen),
        "Hydrogen transmission",
        true,
    ),
    (
        "air.carriage",
        S::Transport,
        Some(U::Air),
        "Air transport services of air carriers",
        false,
    ),
    (
        "air.airport",
        S::Transport,
        Some(U::Air),
        "Airport operation",
        false,
    ),
    (
        "air.traffic_control",
        S::Transport,
        Some(U::Air),
        "Air traffic control",
        false,
    ),
    (
        "rail.infrastructure",
        S::Transport,
        Some(U::Rail),
        "Operation of railway infrastructure",
        false,
    ),
    (
        "rail.transport",
        S::Transport,
        Some(U::Rail),
        "Rail transport services",
        false,
    ),
    (
        "water_transport.carriage",
        S::Transport,
        Some(U::WaterTransport),
        "Passenger and freight water transport",
        false,
    ),
    (
        "water_transport.port",
        S::Transport,
        Some(U::WaterTransport),
        "Port operation",
        false,
    ),
    (
        "water_transport.vessel_traffic",
        S::Transport,
        Some(U::WaterTransport),
        "Vessel traffic services",
        false,
    ),
    (
        "road.traffic_management",
        S::Transport,
        Some(U::Road),
        "Road traffic management",
        false,
    ),
    (
        "road.its",
        S::Transport,
        Some(U::Road),
        "Intelligent transport systems",
        false,
    ),
    (
        "public_transport.passenger",
        S::Transport,
        Some(U::PublicTransport),
        "Public passenger transport",
        false,
    ),
    (
        "banking.credit",
        S::Banking,
        None,
        "Banking services of credit institutions",
        false,
    ),
    (
        "fmi.trading_venue",
        S::FinancialMarketInfrastructure,
        None,
        "Operation of a trading venue",
        false,
    ),
    (
        "fmi.ccp_clearing",
        S::FinancialMarketInfrastructure,
        None,
        "Clearing by a central counterparty",
        false,
    ),
    (
        "health.healthcare",
        S::Health,
        None,
        "Healthcare provision",
        false,
    ),
    (
        "health.reference_laboratory",
        S::Health,
        None,
        "EU reference laboratory services",
        false,
    ),
    (
        "health.medicinal_rnd",
        S::Health,
        None,
        "Research and development of medicinal products",
        false,
    ),
    (
        "health.pharma_manufacturing",
        S::Health,
        None,
        "Manufacture of basic pharmaceutical products and preparations",
        false,
    ),
    (
        "health.medical_devices",
        S::Health,
        None,
        "Manufacture of critical medical devices",
        false,
    ),
    (
        "health.wholesale_distribution",
        S::Health,
        None,
        "Wholesale distribution of medicinal products",
        false,
    ),
    (
        "drinking_water.supply",
        S::DrinkingWater,
        None,
        "Supply and distribution of drinking water",
        false,
    ),
    (
        "waste_water.treatment",
        S::WasteWater,
        None,
        "Collection, disposal or treatment of waste water",
        false,
    ),
    (
        "digital.ixp",
        S::DigitalInfrastructure,
        None,
        "Internet exchange point",
        false,
    ),
    (
        "digital.dns",
        S::DigitalInfrastructure,
        None,
        "DNS service",
        false,
    ),
    (
        "digital.tld",
        S::DigitalInfrastructure,
        None,
        "Top-level domain name registry",
        false,
    ),
    (
        "digital.cloud",
        S::DigitalInfrastructure,
        None,
        "Cloud computing service",
        false,
    ),
    (
        "digital.data_centre",
        S::DigitalInfrastructure,
        None,
        "Data centre service",
        false,
    ),
    (
        "digital.cdn",
        S::DigitalInfrastructure,
        None,
        "Content delivery network",
        false,
    ),
    (
        "digital.trust",
        S::DigitalInfrastructure,
        None,
        "Trust service",
        false,
    ),
    (
        "digital.ecomms_network",
        S::DigitalInfrastructure,
        None,
        "Public electronic communications network",
        false,
    ),
    (
        "digital.ecomms_service",
        S::DigitalInfrastructure,
        None,
        "Publicly available electronic communications service",
        false,
    ),
    (
        "public_administration.central",
        S::PublicAdministration,
        None,
        "Central government administration services",
        false,
    ),
    (
        "space.ground_infrastructure",
        S::Space,
        None,
        "Operation of ground-based infrastructure supporting space-based services",
        false,
    ),
    ("food.logistics", S::Food, None, "Food logistics", false),
    (
        "food.wholesale",
        S::Food,
        None,
        "Food wholesale distribution",
        false,
    ),
    (
        "food.production",
        S::Food,
        None,
        "Large-scale industrial food production and processing",
        false,
    ),
];

/// The EU list of essential services (Delegated Regulation (EU) 2023/2450 Art. 2).
pub fn eu_catalogue() -> Vec<EssentialService> {
    EU_SERVICES
        .iter()
        .map(
            |(code, sector, subsector, name, verified)| EssentialService {
                code: (*code).to_string(),
                sector: *sector,
                subsector: *subsector,
                name: (*name).to_string(),
                source: "Reg. 2023/2450 Art. 2".into(),
                verified: *verified,
            },
        )
        .collect()
}

/// The EU service with this code, if any.
pub fn eu_service(code: &str) -> Option<EssentialService> {
    eu_catalogue().into_iter().find(|s| s.code == code)
}

/// The services that count in `ms`: the EU list plus `ms`'s national
/// additions (or every national addition when `ms` is `None`).
pub async fn catalogue(store: &Store, ms: Option<Country>) -> Result<Vec<EssentialService>> {
    let mut out = eu_catalogue();
    let rows = sqlx::query(
        "SELECT code, member_state, sector, subsector, name FROM res_national_services ORDER BY code",
    )
    .fetch_all(store.pool())
    .await?;
    for row in rows {
        let state: String = row.try_get("member_state")?;
        if let Some(ms) = ms
            && state != ms.as_str()
        {
            continue;
        }
        let sector: String = row.try_get("sector")?;
        let subsector: Option<String> = row.try_get("subsector")?;
        out.push(EssentialService {
            code: row.try_get("code")?,
            sector: sector.parse().map_err(corrupt)?,
            subsector: subsector.map(|s| s.parse()).transpose().map_err(corrupt)?,
            name: row.try_get("name")?,
            source: format!("national ({state})"),
            verified: true,
        });
    }
    Ok(out)
}

fn corrupt(e: bulwark_core::ParseError) -> ResilienceError {
    ResilienceError::Store(bulwark_store::StoreError::Corrupt {
        what: "res_national_services",
        detail: e.to_string(),
    })
}

/// A national essential service to add (CER Art. 7(2)(a)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNationalService {
    /// Code, lowercase letters, digits, `.`, `_` and `-` (1-80 characters),
    /// conventionally `<ms>.<name>`, e.g. `de.emergency_calls`.
    pub code: String,
    /// The CER Annex sector.
    pub sector: Sector,
    /// The subsector (required for energy and transport).
    #[serde(default)]
    pub subsector: Option<Subsector>,
    /// Short name (1-200 characters).
    pub name: String,
}

/// Adds a national essential service for `ms` (CER Art. 7(2)(a): Member
/// States report services they add to the list of Reg. 2023/2450).
pub async fn add_national_service(
    store: &Store,
    actor: &Actor,
    ms: Country,
    service: NewNationalService,
    purpose: &str,
) -> Result<EssentialService> {
    crate::registry::check_key("code", &service.code)?;
    crate::registry::check_text("name", &service.name, 200)?;
    crate::registry::check_subsector(service.sector, service.subsector)?;
    if !ms.is_member_state() {
        return Err(ResilienceError::invalid("ms", "must be an EU Member State"));
    }
    if eu_service(&service.code).is_some() {
        return Err(ResilienceError::invalid(
            "code",
            "is already an essential service of Reg. 2023/2450",
        ));
    }
    let mut tx = store.write().await?;
    let existing = sqlx::query("SELECT code FROM res_national_services WHERE code = $1")
        .bind(&service.code)
        .fetch_optional(&mut *tx.conn())
        .await?;
    if existing.is_some() {
        return Err(ResilienceError::invalid("code", "already exists"));
    }
    sqlx::query(
        "INSERT INTO res_national_services (code, member_state, sector, subsector, name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&service.code)
    .bind(ms.as_str())
    .bind(service.sector.as_str())
    .bind(service.subsector.map(|s| s.as_str().to_string()))
    .bind(service.name.trim())
    .bind(Timestamp::now().unix_micros())
    .execute(tx.conn())
    .await?;
    tx.commit(
        actor,
        AuditEntry::new(
            "resilience.service.add",
            format!("service:{}", service.code),
            purpose,
        )
        .with_details(serde_json::json!({"member_state": ms.as_str()})),
    )
    .await?;
    Ok(EssentialService {
        code: service.code,
        sector: service.sector,
        subsector: service.subsector,
        name: service.name.trim().to_string(),
        source: format!("national ({ms})"),
        verified: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reg_2023_2450_art_2_energy_block_has_25_services_in_cer_annex_subsectors() {
        let cat = eu_catalogue();
        let energy: Vec<_> = cat.iter().filter(|s| s.sector == Sector::Energy).collect();
        assert_eq!(energy.len(), 25);
        assert!(energy.iter().all(|s| s.verified));
        for s in &cat {
            match s.subsector {
                Some(sub) => assert_eq!(sub.sector(), s.sector, "{}", s.code),
                None => assert!(s.sector.subsectors().is_empty(), "{}", s.code),
            }
        }
        let mut codes: Vec<_> = cat.iter().map(|s| s.code.as_str()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), cat.len(), "codes are unique");
        for sector in Sector::ALL {
            assert!(
                cat.iter().any(|s| s.sector == *sector),
                "every CER Annex sector has a service: {sector}"
            );
        }
    }
}
