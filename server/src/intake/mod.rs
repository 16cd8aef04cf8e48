//! Inbound channels: each turns what arrives from outside into stored complaints.

pub mod email;
