//! The sectors and subsectors of the Annex to the CER Directive (EU) 2022/2557.
//!
//! The Annex lists 11 sectors; two of them (energy, transport) are split into
//! subsectors. NIS2 (EU) 2022/2555 Annexes I and II cover most of the same
//! ground; the pillar that needs the NIS2 mapping keeps it.

use crate::error::text_enum;

text_enum! {
    /// A sector of the CER Directive Annex (points 1 to 11).
    pub enum Sector: "CER sector" {
        /// Annex point 1: energy.
        Energy = "energy",
        /// Annex point 2: transport.
        Transport = "transport",
        /// Annex point 3: banking.
        Banking = "banking",
        /// Annex point 4: financial market infrastructure.
        FinancialMarketInfrastructure = "financial_market_infrastructure",
        /// Annex point 5: health.
        Health = "health",
        /// Annex point 6: drinking water.
        DrinkingWater = "drinking_water",
        /// Annex point 7: waste water.
        WasteWater = "waste_water",
        /// Annex point 8: digital infrastructure.
        DigitalInfrastructure = "digital_infrastructure",
        /// Annex point 9: public administration.
        PublicAdministration = "public_administration",
        /// Annex point 10: space.
        Space = "space",
        /// Annex point 11: production, processing and distribution of food.
        Food = "food",
    }
}

text_enum! {
    /// A subsector of the CER Directive Annex (energy: points 1(a)-(e);
    /// transport: points 2(a)-(e)).
    pub enum Subsector: "CER subsector" {
        /// Annex 1(a): electricity.
        Electricity = "electricity",
        /// Annex 1(b): district heating and cooling.
        DistrictHeatingCooling = "district_heating_cooling",
        /// Annex 1(c): oil.
        Oil = "oil",
        /// Annex 1(d): gas.
        Gas = "gas",
        /// Annex 1(e): hydrogen.
        Hydrogen = "hydrogen",
        /// Annex 2(a): air transport.
        Air = "air",
        /// Annex 2(b): rail transport.
        Rail = "rail",
        /// Annex 2(c): water transport.
        WaterTransport = "water_transport",
        /// Annex 2(d): road transport.
        Road = "road",
        /// Annex 2(e): public transport.
        PublicTransport = "public_transport",
    }
}

impl Sector {
    /// The number of the sector's point in the CER Annex (1 to 11).
    pub fn annex_point(self) -> u8 {
        match self {
            Sector::Energy => 1,
            Sector::Transport => 2,
            Sector::Banking => 3,
            Sector::FinancialMarketInfrastructure => 4,
            Sector::Health => 5,
            Sector::DrinkingWater => 6,
            Sector::WasteWater => 7,
            Sector::DigitalInfrastructure => 8,
            Sector::PublicAdministration => 9,
            Sector::Space => 10,
            Sector::Food => 11,
        }
    }

    /// The subsectors the Annex lists under this sector (empty for sectors
    /// without subsectors).
    pub fn subsectors(self) -> &'static [Subsector] {
        match self {
            Sector::Energy => &[
                Subsector::Electricity,
                Subsector::DistrictHeatingCooling,
                Subsector::Oil,
                Subsector::Gas,
                Subsector::Hydrogen,
            ],
            Sector::Transport => &[
                Subsector::Air,
                Subsector::Rail,
                Subsector::WaterTransport,
                Subsector::Road,
                Subsector::PublicTransport,
            ],
            _ => &[],
        }
    }
}

impl Subsector {
    /// The sector this subsector belongs to.
    pub fn sector(self) -> Sector {
        match self {
            Subsector::Electricity
            | Subsector::DistrictHeatingCooling
            | Subsector::Oil
            | Subsector::Gas
            | Subsector::Hydrogen => Sector::Energy,
            _ => Sector::Transport,
        }
    }

    /// The Annex point, e.g. `"1(a)"` for electricity.
    pub fn annex_point(self) -> String {
        let sector = self.sector();
        let index = sector
            .subsectors()
            .iter()
            .position(|s| *s == self)
            .unwrap_or(0);
        let letter = char::from(b'a' + index as u8);
        format!("{}({letter})", sector.annex_point())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cer_annex_has_eleven_sectors_and_ten_subsectors() {
        assert_eq!(Sector::ALL.len(), 11);
        assert_eq!(Subsector::ALL.len(), 10);
        let points: Vec<u8> = Sector::ALL.iter().map(|s| s.annex_point()).collect();
        assert_eq!(points, (1..=11).collect::<Vec<u8>>());
    }

    #[test]
    fn subsectors_belong_to_their_sector() {
        for sub in Subsector::ALL {
            assert!(sub.sector().subsectors().contains(sub));
        }
        assert_eq!(Subsector::Electricity.annex_point(), "1(a)");
        assert_eq!(Subsector::PublicTransport.annex_point(), "2(e)");
    }

    #[test]
    fn bad_sector_lists_allowed() {
        let e = "nuclear".parse::<Sector>().unwrap_err();
        assert!(e.to_string().contains("energy"));
        assert_eq!(e.allowed.len(), 11);
    }
}
