//! Exit codes and error reporting at the binary's edge.

use std::process::ExitCode;

/// Bad usage or bad input: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Prints an error, if any, and maps it to the documented exit code:
/// 2 for bad input ([`UsageError`], a store validation error, a bad key
/// file), 1 otherwise.
pub fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            let bad_input = err.downcast_ref::<UsageError>().is_some()
                || matches!(
                    err.downcast_ref::<bulwark_store::StoreError>(),
                    Some(
                        bulwark_store::StoreError::Invalid { .. }
                            | bulwark_store::StoreError::Location { .. }
                            | bulwark_store::StoreError::KeyFile { .. }
                    )
                )
                || err.downcast_ref::<bulwark_core::ParseError>().is_some();
            if bad_input {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
