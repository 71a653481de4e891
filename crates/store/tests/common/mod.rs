//! Test databases on both stores: see `bulwark_store::testing`.

pub use bulwark_store::testing::all;
