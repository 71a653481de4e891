//! # bulwark-cascade
//!
//! Event-driven Monte Carlo simulation of cascading disruption of essential
//! services, following the Bulwark resilience specification §4
//! (`shared/specs/resilience.md`).
//!
//! * A [`Model`] holds nodes (assets and service provisions with service,
//!   region, Member State, users and spare capacity), [`Dependency`] edges
//!   (Rinaldi kind, resource, strength, buffer, recovery lag, substitutes) and
//!   optional [`SupplyNetwork`]s checked for islanding.
//! * A [`Scenario`] describes the hazard: footprints (area, circle, the k most
//!   central assets, one random provider), fragility curves and repair times.
//! * [`simulate`] runs seeded samples in parallel with rayon. Sample *i* uses
//!   its own ChaCha8 stream and per-element counter-based draws, so results are
//!   identical for any thread count, and [`compare`] evaluates what-if
//!   [`Measure`]s with common random numbers.
//!
//! The crate is pure: no I/O, no network, no database.
//!
//! ## Cascade semantics (per sample)
//!
//! 1. Initial damage from each hazard component; damaged assets drop to their
//!    residual function until repaired.
//! 2. Supply networks: connected components that lose too much supply are
//!    de-energised and restored after a drawn restoration time.
//! 3. When a supplier's functional level drops below 1, each outgoing
//!    dependency first tries a substitute with spare capacity (switch-over
//!    time), else waits for its buffer; when the buffer is exhausted the
//!    dependent's level becomes `min(1 − s·(1 − f_supplier))` over its cut
//!    inputs (weakest link). After the supplier is restored, the dependent
//!    resumes after the recovery lag. A disruption cannot sustain itself
//!    through a loop: an input whose supplier is (transitively) disrupted by
//!    the dependent itself is ignored.
//! 4. Impact per provision: users × (1 − f) integrated to user-hours, peak users,
//!    duration below the disruption threshold; aggregated per
//!    service × region × Member State and per Member State.
//!
//! ## People affected
//!
//! User-hours add up over services (an hour without power and water is two
//! user-hours: a person-service measure). Peak *people* affected must not:
//! one person without electricity, water and telecom is one person. At any
//! time the people affected in an area (region × Member State) are counted
//! as the largest number of users affected of any single service there. Each
//! person uses one provision of each service, so this is a lower bound on the
//! distinct people who lost at least one service, exact when the affected
//! users are nested (a power cut takes water, telecom and payments from the
//! same people), and never above the area's largest user base. Member State
//! and sample figures are sums over areas, and peaks are maxima over time of
//! those sums, so no Member State's peak exceeds its population. Per
//! service × region figures ([`GroupResult`]) are users of that one service.

mod compiled;
mod dist;
mod engine;
mod error;
mod model;
mod results;
mod scenario;

pub use compiled::{CompiledModel, CompiledScenario, GroupKey, centrality_scores};
pub use dist::{Dist, normal_cdf, normal_quantile};
pub use error::CascadeError;
pub use model::{
    Dependency, DependencyKind, Model, NetworkLink, NetworkSource, Node, Resource, SupplyNetwork,
};
pub use results::{
    Comparison, CrossBorderFlow, DependencyShare, DisruptedProvision, EntityShare, ExceedancePoint,
    FocusResult, GroupResult, MeasureComparison, MemberStateResult, PathStep, SampleDetail,
    SimConfig, SimulationResult, Stats, TailAttribution, compare, replay_sample, simulate,
    simulate_with_progress,
};
pub use scenario::{
    Centrality, DamageRule, DependencyFilter, Footprint, Fragility, HazardClass, HazardComponent,
    Measure, MeasureChange, NodeFilter, Scenario,
};
