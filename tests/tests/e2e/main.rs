//! One test binary for all end-to-end tests (one link instead of many).

mod authz;
mod browser;
mod http;
mod intake;
mod lapor;
mod mail;
mod privacy;
mod reports;
mod reports_browser;
mod reports_rules;
mod reports_server;
mod stats;
mod storage;
mod survey;
mod survey_admin;
mod survey_data;
mod triage;
