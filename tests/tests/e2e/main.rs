//! One test binary for all end-to-end tests (one link instead of many).

mod accounts;
mod authz;
mod authz_cross_unit;
mod browser;
mod holidays;
mod hostile;
mod http;
mod intake;
mod lapor;
mod mail;
mod mail_trust;
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
mod survey_files;
mod triage;
