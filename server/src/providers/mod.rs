//! Native SMS and WhatsApp providers (issue 19): each speaks its provider's own
//! webhook and send formats, so an office can connect the service it already pays
//! for without writing an adapter. Which one a unit uses is the `"provider"` key of
//! its channel settings JSON; the generic signed-JSON gateway (`"tanggap"`) stays
//! for everything else.

pub mod fonnte;
pub mod meta;
pub mod shared;
pub mod wablas;
pub mod zenziva;

/// The provider a channel's settings name: `tanggap`, `meta`, `fonnte`, `wablas`
/// or `zenziva`; `tanggap` (the generic gateway) when the key is missing or not a
/// string, so settings saved before providers existed keep working unchanged.
pub fn provider_of(config: &serde_json::Value) -> &str {
    config
        .get("provider")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("tanggap")
}
