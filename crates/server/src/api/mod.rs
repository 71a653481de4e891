//! The JSON API under `/api/v1`: one module per area, each handler a thin
//! call into a domain function.

pub mod audit;
pub mod detection;
pub mod me;
pub mod resilience;
pub mod simulations;
pub mod tokens;

use bulwark_core::Permission;

use crate::routes::{Routes, ScopeRule};

/// Registers every API route with its permission and scope rule.
pub fn routes(r: Routes) -> Routes {
    detection::routes(simulations::routes(resilience::routes(r)))
        .api::<me::__path_me, _, _>(Permission::SelfRead, ScopeRule::Own, me::me)
        .api::<crate::openapi::__path_openapi_json, _, _>(
            Permission::SelfRead,
            ScopeRule::Own,
            crate::openapi::openapi_json,
        )
        .api::<tokens::__path_list_tokens, _, _>(
            Permission::TokenManage,
            ScopeRule::EuWide,
            tokens::list_tokens,
        )
        .api::<tokens::__path_create_token, _, _>(
            Permission::TokenManage,
            ScopeRule::EuWide,
            tokens::create_token,
        )
        .api::<tokens::__path_revoke_token, _, _>(
            Permission::TokenManage,
            ScopeRule::EuWide,
            tokens::revoke_token,
        )
        .api::<audit::__path_list_audit, _, _>(
            Permission::AuditRead,
            ScopeRule::EuWide,
            audit::list_audit,
        )
        .api::<audit::__path_verify_audit, _, _>(
            Permission::AuditRead,
            ScopeRule::EuWide,
            audit::verify_audit,
        )
}
