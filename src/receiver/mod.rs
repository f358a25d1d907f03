//! The receiver role: takes deliveries over HTTP, decides (validation, duplicate,
//! ordering, shrink guard), stores atomically and durably, answers, and serves lookups.

pub mod decide;
pub mod lookup;
