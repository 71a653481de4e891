//! Error type of the cascade engine.

use thiserror::Error;

/// Errors raised when a model, scenario or configuration is inconsistent.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CascadeError {
    /// The model or scenario refers to something that does not exist or has
    /// out-of-range parameters.
    #[error("invalid model or scenario: {0}")]
    Invalid(String),
    /// The simulation configuration is out of range.
    #[error("invalid simulation configuration: {0}")]
    Config(String),
}
