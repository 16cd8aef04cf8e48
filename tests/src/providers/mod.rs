//! Stand-ins for the outside providers (issue 19): small real HTTP servers on
//! loopback that answer as the providers' documentation says and record every
//! request Tanggap makes, so tests check what was sent, byte for byte.

pub mod meta;
