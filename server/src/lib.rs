//! Tanggap: complaint intake and SKM satisfaction analytics for Indonesian public
//! service units. This library is the `tanggap` binary's body, split out so tests
//! can start the real application in-process.

pub mod auth;
pub mod backup;
pub mod cli;
pub mod codes;
pub mod config;
pub mod csv_safe;
pub mod demo;
pub mod domain;
pub mod i18n;
pub mod intake;
pub mod lapor;
pub mod notify;
pub mod passwords;
pub mod providers;
pub mod reporting;
pub mod server;
pub mod storage;
pub mod survey;
pub mod triage;
pub mod web;
