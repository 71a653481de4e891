//! Roles, permissions and Member State scopes: the vocabulary of access control.
//!
//! Every API route and console page declares one [`Permission`]; a token's
//! [`Role`] grants a fixed set of permissions ([`Role::grants`]); a token's
//! [`MemberStateScope`] bounds which Member States' data it may touch.
//! Anything not granted is denied.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::text_enum;
use crate::{Country, ParseError};

text_enum! {
    /// The role a token is issued for.
    pub enum Role: "role" {
        /// Manages the platform: tokens, configuration. Reads the audit log.
        Admin = "admin",
        /// Works with a pillar's records: registers, assesses, simulates.
        Analyst = "analyst",
        /// Reviews matches and decisions before anything leaves the platform.
        Reviewer = "reviewer",
        /// Reads and verifies the audit log; changes nothing.
        Auditor = "auditor",
        /// A critical entity (CER Art. 6) or NIS2 entity reporting its own
        /// incidents; its organisation is its registry key (resilience pillar).
        Entity = "entity",
        /// An online service provider (hosting or interpersonal communications)
        /// that scans its service for known material under a detection basis;
        /// its organisation is the provider's name (detection pillar).
        Provider = "provider",
        /// A competent authority: issues detection and removal orders and
        /// receives reports (CSA proposal Arts 7, 14; TCO Regulation Art. 3).
        Authority = "authority",
    }
}

text_enum! {
    /// Something a request may do. Each route declares exactly one.
    pub enum Permission: "permission" {
        /// No credentials needed. Only the console's sign-in page declares it;
        /// no API route may.
        Public = "public",
        /// See who one is (`/api/v1/me`), the console dashboard and the API description.
        SelfRead = "self:read",
        /// Create, list and revoke API tokens.
        TokenManage = "token:manage",
        /// Read the audit log and its verification status.
        AuditRead = "audit:read",
        /// Read the resilience registry, identification results and incidents.
        ResilienceRead = "resilience:read",
        /// Change the resilience registry and national thresholds.
        ResilienceWrite = "resilience:write",
        /// Notify incidents and their reports (CER Art. 15, NIS2 Art. 23).
        IncidentReport = "incident:report",
        /// Read detection bases, lists, matches, reports, removal orders and
        /// transparency figures (hashes and metadata only: never content).
        DetectionRead = "detection:read",
        /// Scan content or hashes against the active indicator lists.
        DetectionScan = "detection:scan",
        /// Import indicator lists, declare bases, control indicators, execute
        /// removal orders and handle complaints (the provider's side).
        DetectionManage = "detection:manage",
        /// Confirm or reject matches in the human-review queue.
        DetectionReview = "detection:review",
        /// Issue detection and removal orders and receive reports (the
        /// authority's side).
        DetectionAuthority = "detection:authority",
    }
}

impl Role {
    /// The permissions this role grants. Deny by default: a permission not
    /// listed here is refused.
    pub fn grants(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &[SelfRead, TokenManage, AuditRead],
            Role::Analyst => &[SelfRead, ResilienceRead, ResilienceWrite, IncidentReport],
            Role::Reviewer => &[SelfRead, ResilienceRead, DetectionRead, DetectionReview],
            Role::Auditor => &[SelfRead, AuditRead, DetectionRead],
            Role::Entity => &[SelfRead, IncidentReport],
            Role::Provider => &[SelfRead, DetectionRead, DetectionScan, DetectionManage],
            Role::Authority => &[SelfRead, DetectionRead, DetectionAuthority],
        }
    }

    /// Whether this role grants `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        self.grants().contains(&permission)
    }
}

/// Which Member States' data a token may touch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MemberStateScope {
    /// Every Member State: EU-level bodies and platform operators. Written `*`.
    All,
    /// Only these (non-empty) countries. Written as a comma-separated list, e.g. `DE,AT`.
    Only(BTreeSet<Country>),
}

impl MemberStateScope {
    /// Whether data of `country` is within scope.
    pub fn covers(&self, country: Country) -> bool {
        match self {
            MemberStateScope::All => true,
            MemberStateScope::Only(set) => set.contains(&country),
        }
    }

    /// Whether the scope is EU-wide (required for platform-wide actions).
    pub fn is_all(&self) -> bool {
        matches!(self, MemberStateScope::All)
    }

    /// Whether every country of `other` is also covered by `self` (a token
    /// may only issue tokens within its own scope).
    pub fn contains(&self, other: &MemberStateScope) -> bool {
        match (self, other) {
            (MemberStateScope::All, _) => true,
            (MemberStateScope::Only(_), MemberStateScope::All) => false,
            (MemberStateScope::Only(a), MemberStateScope::Only(b)) => b.is_subset(a),
        }
    }
}

impl fmt::Display for MemberStateScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemberStateScope::All => f.write_str("*"),
            MemberStateScope::Only(set) => {
                let codes: Vec<&str> = set.iter().map(|c| c.as_str()).collect();
                f.write_str(&codes.join(","))
            }
        }
    }
}

impl FromStr for MemberStateScope {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t == "*" {
            return Ok(MemberStateScope::All);
        }
        let mut set = BTreeSet::new();
        for part in t.split(',') {
            set.insert(part.trim().parse::<Country>()?);
        }
        if set.is_empty() {
            return Err(ParseError::new(
                "Member State scope",
                s,
                ["*", "a comma-separated list of country codes"],
            ));
        }
        Ok(MemberStateScope::Only(set))
    }
}

impl Serialize for MemberStateScope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MemberStateScope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for MemberStateScope {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "`*` for every Member State, or a comma-separated list of country codes such as `DE,AT`",
            ))
            .into()
    }
}
impl utoipa::ToSchema for MemberStateScope {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_by_default() {
        assert!(!Role::Analyst.allows(Permission::TokenManage));
        assert!(!Role::Auditor.allows(Permission::TokenManage));
        assert!(Role::Auditor.allows(Permission::AuditRead));
        for role in Role::ALL {
            assert!(role.allows(Permission::SelfRead));
        }
    }

    #[test]
    fn scope_parses_and_checks() {
        let s: MemberStateScope = "DE, AT".parse().unwrap();
        assert!(s.covers(Country::Germany));
        assert!(!s.covers(Country::France));
        assert_eq!(s.to_string(), "AT,DE");
        assert!(MemberStateScope::All.contains(&s));
        assert!(!s.contains(&MemberStateScope::All));
        assert!("DE,XX".parse::<MemberStateScope>().is_err());
        assert!("".parse::<MemberStateScope>().is_err());
    }
}
