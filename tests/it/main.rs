//! lotgate's integration tests: one binary, modules per area, shared support.

mod alerts;
mod architecture;
mod cli;
mod clock;
mod codec;
mod codes;
mod connect;
mod corpus;
mod docs;
mod dry_run;
mod invariants;
mod journal;
mod mail;
mod metrics;
mod overview;
mod proxy;
mod receiver;
mod roundtrip;
mod security;
mod sender;
mod source;
mod store;
mod support;
mod tls;
mod verify;
mod watchdog;
