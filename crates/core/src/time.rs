//! UTC timestamps with microsecond precision.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::ParseError;

/// An instant in UTC, truncated to whole microseconds so that it survives a
/// round trip through every store exactly. Text form: RFC 3339 with six
/// fractional digits and `Z`, e.g. `2026-11-28T15:40:00.000000Z`, which
/// sorts lexicographically in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Self::from_datetime(Utc::now())
    }

    /// Wraps a `chrono` time, truncating to microseconds.
    pub fn from_datetime(t: DateTime<Utc>) -> Self {
        let micros = t.timestamp_micros();
        Self::from_unix_micros(micros).unwrap_or(Timestamp(t))
    }

    /// The instant `micros` microseconds after the Unix epoch, if representable.
    pub fn from_unix_micros(micros: i64) -> Option<Self> {
        DateTime::from_timestamp_micros(micros).map(Timestamp)
    }

    /// Microseconds since the Unix epoch (the storage form).
    pub fn unix_micros(self) -> i64 {
        self.0.timestamp_micros()
    }

    /// The wrapped `chrono` value.
    pub fn as_datetime(self) -> DateTime<Utc> {
        self.0
    }

    /// This instant plus `delta` (saturating at the representable range).
    pub fn plus(self, delta: TimeDelta) -> Self {
        Timestamp(
            self.0
                .checked_add_signed(delta)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        )
    }

    /// The canonical RFC 3339 text.
    pub fn to_rfc3339(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl FromStr for Timestamp {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| Self::from_datetime(t.with_timezone(&Utc)))
            .map_err(|_| ParseError::new("timestamp", s, ["RFC 3339, e.g. 2026-11-28T15:40:00Z"]))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .into()
    }
}
impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_micros_and_text() {
        let t = Timestamp::now();
        assert_eq!(Timestamp::from_unix_micros(t.unix_micros()).unwrap(), t);
        assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
        let parsed: Timestamp = "2026-11-28T16:40:00+01:00".parse().unwrap();
        assert_eq!(parsed.to_string(), "2026-11-28T15:40:00.000000Z");
        assert!("yesterday".parse::<Timestamp>().is_err());
    }
}
