//! Bulwark's shared vocabulary.
//!
//! Types every pillar speaks: countries and Member States ([`country`]), the
//! sectors of the CER Directive's Annex ([`sector`]), handling markings
//! ([`marking`]), roles and permissions ([`access`]), typed identifiers
//! ([`id`]) and UTC timestamps ([`time`]).
//!
//! Architecture invariant: this crate does no I/O and knows nothing of
//! storage, HTTP or the command line. Every type parses from and displays to
//! a canonical text form, and a bad value is a [`ParseError`] naming the
//! value and the allowed set.

pub mod access;
pub mod country;
pub mod error;
pub mod id;
pub mod marking;
pub mod sector;
pub mod time;

pub use access::{MemberStateScope, Permission, Role};
pub use country::Country;
pub use error::ParseError;
pub use id::Id;
pub use marking::{EuClassification, HandlingCode, Marking, Tlp};
pub use sector::{Sector, Subsector};
pub use time::Timestamp;
