//! Native SMS and WhatsApp providers (issue 19): each speaks its provider's own
//! format, so an office uses the gateway it already pays for without an adapter.
//! Which one a unit's channel uses is the `"provider"` key of its channel settings
//! (`tanggap`, the generic signed-JSON gateway, when missing).

pub mod fonnte;
pub mod shared;
pub mod wablas;
pub mod zenziva;

/// The provider a channel's settings name: `tanggap`, `meta`, `fonnte`, `wablas`
/// or `zenziva`; `tanggap` when the key is missing or not a string.
pub fn provider_of(config: &serde_json::Value) -> &str {
    config.get("provider").and_then(|p| p.as_str()).unwrap_or("tanggap")
}
