//! Countries: the 27 EU Member States, the EEA EFTA states and other partners.
//!
//! Codes are ISO 3166-1 alpha-2 with the two exceptions of the EU's
//! Interinstitutional Style Guide: Greece is written `EL` (ISO `GR`) and the
//! United Kingdom `UK` (ISO `GB`). Bulwark's canonical form is the EU one;
//! parsing accepts both, and [`Country::iso_code`] gives the ISO form for
//! external formats that need it (GeoNames, SciGRID, most CSV exports).

use crate::error::text_enum;

text_enum! {
    /// A country Bulwark exchanges data about or with.
    pub enum Country: "country code" {
        /// Austria.
        Austria = "AT",
        /// Belgium.
        Belgium = "BE",
        /// Bulgaria.
        Bulgaria = "BG",
        /// Croatia.
        Croatia = "HR",
        /// Cyprus.
        Cyprus = "CY",
        /// Czechia.
        Czechia = "CZ",
        /// Denmark.
        Denmark = "DK",
        /// Estonia.
        Estonia = "EE",
        /// Finland.
        Finland = "FI",
        /// France.
        France = "FR",
        /// Germany.
        Germany = "DE",
        /// Greece: `EL` in EU usage, `GR` in ISO 3166-1 (both accepted).
        Greece = "EL" | "GR",
        /// Hungary.
        Hungary = "HU",
        /// Ireland.
        Ireland = "IE",
        /// Italy.
        Italy = "IT",
        /// Latvia.
        Latvia = "LV",
        /// Lithuania.
        Lithuania = "LT",
        /// Luxembourg.
        Luxembourg = "LU",
        /// Malta.
        Malta = "MT",
        /// The Netherlands.
        Netherlands = "NL",
        /// Poland.
        Poland = "PL",
        /// Portugal.
        Portugal = "PT",
        /// Romania.
        Romania = "RO",
        /// Slovakia.
        Slovakia = "SK",
        /// Slovenia.
        Slovenia = "SI",
        /// Spain.
        Spain = "ES",
        /// Sweden.
        Sweden = "SE",
        /// Iceland (EEA).
        Iceland = "IS",
        /// Liechtenstein (EEA).
        Liechtenstein = "LI",
        /// Norway (EEA).
        Norway = "NO",
        /// Switzerland.
        Switzerland = "CH",
        /// The United Kingdom: `UK` in EU usage, `GB` in ISO 3166-1 (both accepted).
        UnitedKingdom = "UK" | "GB",
        /// Ukraine.
        Ukraine = "UA",
        /// Moldova.
        Moldova = "MD",
        /// Serbia.
        Serbia = "RS",
        /// Bosnia and Herzegovina.
        BosniaAndHerzegovina = "BA",
        /// Montenegro.
        Montenegro = "ME",
        /// North Macedonia.
        NorthMacedonia = "MK",
        /// Albania.
        Albania = "AL",
        /// Kosovo (code used by the EU and the European Commission).
        Kosovo = "XK",
        /// Türkiye.
        Turkiye = "TR",
        /// Georgia.
        Georgia = "GE",
        /// Andorra.
        Andorra = "AD",
        /// Monaco.
        Monaco = "MC",
        /// San Marino.
        SanMarino = "SM",
        /// Vatican City.
        VaticanCity = "VA",
    }
}

impl Country {
    /// The 27 Member States of the European Union.
    pub const MEMBER_STATES: [Country; 27] = [
        Country::Austria,
        Country::Belgium,
        Country::Bulgaria,
        Country::Croatia,
        Country::Cyprus,
        Country::Czechia,
        Country::Denmark,
        Country::Estonia,
        Country::Finland,
        Country::France,
        Country::Germany,
        Country::Greece,
        Country::Hungary,
        Country::Ireland,
        Country::Italy,
        Country::Latvia,
        Country::Lithuania,
        Country::Luxembourg,
        Country::Malta,
        Country::Netherlands,
        Country::Poland,
        Country::Portugal,
        Country::Romania,
        Country::Slovakia,
        Country::Slovenia,
        Country::Spain,
        Country::Sweden,
    ];

    /// Whether the country is one of the 27 EU Member States.
    pub fn is_member_state(self) -> bool {
        Self::MEMBER_STATES.contains(&self)
    }

    /// Whether the country is in the European Economic Area (EU plus
    /// Iceland, Liechtenstein and Norway).
    pub fn is_eea(self) -> bool {
        self.is_member_state()
            || matches!(
                self,
                Country::Iceland | Country::Liechtenstein | Country::Norway
            )
    }

    /// The EU code (canonical in Bulwark): `EL` for Greece, `UK` for the
    /// United Kingdom, ISO 3166-1 alpha-2 otherwise.
    pub fn eu_code(self) -> &'static str {
        self.as_str()
    }

    /// The ISO 3166-1 alpha-2 code: `GR` for Greece, `GB` for the United
    /// Kingdom, the same as [`Country::eu_code`] otherwise.
    pub fn iso_code(self) -> &'static str {
        match self {
            Country::Greece => "GR",
            Country::UnitedKingdom => "GB",
            other => other.as_str(),
        }
    }

    /// Parses a code that must name an EU Member State.
    pub fn parse_member_state(s: &str) -> Result<Country, crate::ParseError> {
        match s.parse::<Country>() {
            Ok(c) if c.is_member_state() => Ok(c),
            _ => Err(crate::ParseError::new(
                "EU Member State code",
                s,
                Self::MEMBER_STATES.iter().map(|c| c.as_str()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_seven_member_states_and_thirty_eea() {
        assert_eq!(Country::MEMBER_STATES.len(), 27);
        let eea = Country::ALL.iter().filter(|c| c.is_eea()).count();
        assert_eq!(eea, 30);
        assert!(!Country::Switzerland.is_eea());
        assert!(!Country::UnitedKingdom.is_member_state());
    }

    #[test]
    fn greece_and_uk_map_both_ways() {
        assert_eq!("GR".parse::<Country>().unwrap(), Country::Greece);
        assert_eq!("EL".parse::<Country>().unwrap(), Country::Greece);
        assert_eq!(Country::Greece.eu_code(), "EL");
        assert_eq!(Country::Greece.iso_code(), "GR");
        assert_eq!("GB".parse::<Country>().unwrap(), Country::UnitedKingdom);
        assert_eq!("uk".parse::<Country>().unwrap(), Country::UnitedKingdom);
        assert_eq!(Country::UnitedKingdom.iso_code(), "GB");
    }

    #[test]
    fn every_code_round_trips_through_text_and_json() {
        for c in Country::ALL {
            assert_eq!(c.as_str().parse::<Country>().unwrap(), *c);
            assert_eq!(c.iso_code().parse::<Country>().unwrap(), *c);
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(serde_json::from_str::<Country>(&json).unwrap(), *c);
        }
    }

    #[test]
    fn bad_code_names_value_and_allowed_set() {
        let err = "XX".parse::<Country>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("\"XX\""), "{msg}");
        assert!(msg.contains("EL") && msg.contains("SE"), "{msg}");
        let err = Country::parse_member_state("CH").unwrap_err();
        assert!(err.to_string().contains("EU Member State"));
        assert!(!err.allowed.contains(&"CH".to_string()));
    }
}
