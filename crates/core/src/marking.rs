//! Handling markings that travel with data.
//!
//! Three families exist side by side and are not equivalent:
//! - [`Tlp`]: FIRST Traffic Light Protocol 2.0, used for CSIRT and
//!   cyber-threat information.
//! - [`HandlingCode`]: Europol/SIENA handling codes H0-H3 for police
//!   information.
//! - [`EuClassification`]: EU classification levels of Council Decision
//!   2013/488/EU, Art. 2. Bulwark is not accredited for classified
//!   information: it carries these levels as metadata only so that it can
//!   refuse data above its configured ceiling.

use serde::{Deserialize, Serialize};

use crate::error::text_enum;

text_enum! {
    /// A TLP 2.0 label (FIRST). Ordered from least to most restrictive.
    pub enum Tlp: "TLP marking" {
        /// TLP:CLEAR: disclosure is not limited.
        Clear = "TLP:CLEAR" | "CLEAR" | "TLP:WHITE",
        /// TLP:GREEN: the recipients' community, not publicly.
        Green = "TLP:GREEN" | "GREEN",
        /// TLP:AMBER: the recipients' organisation and its clients, need-to-know.
        Amber = "TLP:AMBER" | "AMBER",
        /// TLP:AMBER+STRICT: the recipients' organisation only.
        AmberStrict = "TLP:AMBER+STRICT" | "AMBER+STRICT",
        /// TLP:RED: the individual recipients only.
        Red = "TLP:RED" | "RED",
    }
}

text_enum! {
    /// A Europol handling code (SIENA), ordered by restriction.
    pub enum HandlingCode: "Europol handling code" {
        /// H0: use only for preventing and combating crime (baseline).
        H0 = "H0",
        /// H1: not to be disclosed in judicial proceedings without the provider's permission.
        H1 = "H1",
        /// H2: not to be disseminated without the provider's permission.
        H2 = "H2",
        /// H3: other restrictions stated by the provider in free text.
        H3 = "H3",
    }
}

text_enum! {
    /// An EU classification level (Council Decision 2013/488/EU, Art. 2),
    /// ordered from unclassified upwards.
    pub enum EuClassification: "EU classification level" {
        /// Not classified.
        Unclassified = "UNCLASSIFIED",
        /// RESTREINT UE / EU RESTRICTED.
        Restricted = "RESTREINT UE" | "EU RESTRICTED",
        /// CONFIDENTIEL UE / EU CONFIDENTIAL.
        Confidential = "CONFIDENTIEL UE" | "EU CONFIDENTIAL",
        /// SECRET UE / EU SECRET.
        Secret = "SECRET UE" | "EU SECRET",
        /// TRÈS SECRET UE / EU TOP SECRET.
        TopSecret = "TRÈS SECRET UE" | "TRES SECRET UE" | "EU TOP SECRET",
    }
}

/// The marking a piece of data carries: at most one label of each family,
/// plus the free-text restriction that H3 requires.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Marking {
    /// TLP 2.0 label, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
    /// Europol handling code, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handling: Option<HandlingCode>,
    /// The provider's restriction text; required with H3, refused otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction: Option<String>,
    /// EU classification level, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<EuClassification>,
}

/// A marking that breaks a rule of its own family.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkingError {
    /// H3 must state the provider's restriction.
    #[error("handling code H3 requires a restriction text (field `restriction`)")]
    H3WithoutRestriction,
    /// A restriction text only goes with H3.
    #[error("a restriction text is only allowed with handling code H3 (field `restriction`)")]
    RestrictionWithoutH3,
    /// The data is classified above what this deployment may hold.
    #[error("classification {given} is above this deployment's ceiling {ceiling}")]
    AboveCeiling {
        /// The data's level.
        given: EuClassification,
        /// The deployment's ceiling.
        ceiling: EuClassification,
    },
}

impl Marking {
    /// Checks the marking's internal rules and that its classification does
    /// not exceed `ceiling`.
    pub fn validate(&self, ceiling: EuClassification) -> Result<(), MarkingError> {
        match (self.handling, &self.restriction) {
            (Some(HandlingCode::H3), None) => return Err(MarkingError::H3WithoutRestriction),
            (Some(HandlingCode::H3), Some(text)) if text.trim().is_empty() => {
                return Err(MarkingError::H3WithoutRestriction);
            }
            (h, Some(_)) if h != Some(HandlingCode::H3) => {
                return Err(MarkingError::RestrictionWithoutH3);
            }
            _ => {}
        }
        if let Some(given) = self.classification
            && given > ceiling
        {
            return Err(MarkingError::AboveCeiling { given, ceiling });
        }
        Ok(())
    }

    /// The most restrictive combination of two markings: what derived data
    /// (a report built from both, a link between two cases) must carry.
    pub fn join(&self, other: &Marking) -> Marking {
        let restriction = match (&self.restriction, &other.restriction) {
            (Some(a), Some(b)) if a != b => Some(format!("{a}; {b}")),
            (a, b) => a.clone().or_else(|| b.clone()),
        };
        Marking {
            tlp: self.tlp.max(other.tlp),
            handling: self.handling.max(other.handling),
            restriction,
            classification: self.classification.max(other.classification),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlp_2_0_has_five_labels_and_white_is_clear() {
        assert_eq!(Tlp::ALL.len(), 5);
        assert_eq!("TLP:WHITE".parse::<Tlp>().unwrap(), Tlp::Clear);
        assert_eq!("amber+strict".parse::<Tlp>().unwrap(), Tlp::AmberStrict);
        assert_eq!(Tlp::AmberStrict.to_string(), "TLP:AMBER+STRICT");
        assert!(Tlp::Red > Tlp::AmberStrict && Tlp::AmberStrict > Tlp::Amber);
    }

    #[test]
    fn unknown_tlp_is_named() {
        let e = "TLP:PURPLE".parse::<Tlp>().unwrap_err().to_string();
        assert!(
            e.contains("TLP:PURPLE") && e.contains("TLP:AMBER+STRICT"),
            "{e}"
        );
    }

    #[test]
    fn h3_requires_restriction_text() {
        let m = Marking {
            handling: Some(HandlingCode::H3),
            ..Marking::default()
        };
        assert_eq!(
            m.validate(EuClassification::Unclassified),
            Err(MarkingError::H3WithoutRestriction)
        );
        let m = Marking {
            handling: Some(HandlingCode::H1),
            restriction: Some("x".into()),
            ..Marking::default()
        };
        assert_eq!(
            m.validate(EuClassification::Unclassified),
            Err(MarkingError::RestrictionWithoutH3)
        );
    }

    #[test]
    fn classification_above_ceiling_refused_council_decision_2013_488_art_2() {
        let m = Marking {
            classification: Some(EuClassification::Confidential),
            ..Marking::default()
        };
        assert!(m.validate(EuClassification::Restricted).is_err());
        assert!(m.validate(EuClassification::Secret).is_ok());
        assert_eq!(
            "EU RESTRICTED".parse::<EuClassification>().unwrap(),
            EuClassification::Restricted
        );
    }

    #[test]
    fn join_takes_most_restrictive() {
        let a = Marking {
            tlp: Some(Tlp::Green),
            handling: Some(HandlingCode::H2),
            ..Marking::default()
        };
        let b = Marking {
            tlp: Some(Tlp::Red),
            handling: Some(HandlingCode::H0),
            ..Marking::default()
        };
        let j = a.join(&b);
        assert_eq!(j.tlp, Some(Tlp::Red));
        assert_eq!(j.handling, Some(HandlingCode::H2));
    }

    #[test]
    fn marking_json_rejects_unknown_field_and_value() {
        assert!(serde_json::from_str::<Marking>(r#"{"tlp":"TLP:RED","colour":1}"#).is_err());
        let e = serde_json::from_str::<Marking>(r#"{"tlp":"TLP:BLUE"}"#).unwrap_err();
        assert!(e.to_string().contains("TLP:BLUE"));
    }
}
