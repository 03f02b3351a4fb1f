//! Helpers shared by the integration tests.

pub mod engine_input;
