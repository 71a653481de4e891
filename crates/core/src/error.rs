//! The one parse error of the vocabulary.

use std::fmt;

/// A text value that is not one of a vocabulary's allowed values.
///
/// The message names the kind of value, the value given and the allowed set,
/// so that a CLI user or an API client can correct the input without reading
/// the source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// What was being parsed, e.g. `"country"` or `"TLP marking"`.
    pub kind: &'static str,
    /// The value as given.
    pub value: String,
    /// The allowed values, in their canonical spelling.
    pub allowed: Vec<String>,
}

impl ParseError {
    /// Builds an error for `value` given as a `kind`, allowed one of `allowed`.
    pub fn new<I, S>(kind: &'static str, value: &str, allowed: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: ToString,
    {
        ParseError {
            kind,
            value: value.chars().take(64).collect(),
            allowed: allowed.into_iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} {:?}: expected one of {}",
            self.kind,
            self.value,
            self.allowed.join(", ")
        )
    }
}

/// Declares a fieldless enum whose variants have one canonical spelling each
/// (plus optional aliases accepted on input only), with `ALL`, `as_str`,
/// `Display`, `FromStr` (case-insensitive; a bad value is a [`ParseError`]
/// naming the value and the allowed set), `Serialize`, `Deserialize` and an
/// OpenAPI string-enum schema. Pillar crates use it for their own
/// vocabularies (they need `serde` and `utoipa` as dependencies).
///
/// ```
/// bulwark_core::text_enum! {
///     /// A traffic light.
///     pub enum Light: "light" {
///         /// Stop.
///         Red = "red" | "stop",
///         /// Go.
///         Green = "green",
///     }
/// }
/// assert_eq!("STOP".parse::<Light>().unwrap(), Light::Red);
/// assert!("blue".parse::<Light>().unwrap_err().to_string().contains("red, green"));
/// ```
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The canonical text form.
            pub const fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $text ),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                $(
                    if t.eq_ignore_ascii_case($text) $(|| t.eq_ignore_ascii_case($alias))* {
                        return Ok($name::$variant);
                    }
                )+
                Err($crate::error::ParseError::new($kind, s, Self::ALL.iter().map(|v| v.as_str())))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::ALL.iter().map(|v| v.as_str())))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {}
    };
}
pub(crate) use crate::text_enum;
