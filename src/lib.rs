//! lotgate: a reliable gateway for vaccine lot numbers (JGZ-4 "Versturen partijnummers").
pub mod cli;
pub mod config;
pub mod http;
pub mod ids;
pub mod lot;
pub mod mail;
pub mod message;
pub mod receiver;
pub mod sample;
pub mod startup;
pub mod store;
pub mod strings;
pub mod timestamp;
pub mod vaccine;
pub mod validate;
pub mod wire;
pub mod xml;
