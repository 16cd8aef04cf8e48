//! Fonnte's stand-in: `POST /send` answered with the documented success payload.

use super::{StandIn, ok_fixture};

/// Starts a Fonnte stand-in (its base URL replaces `https://api.fonnte.com`).
pub async fn start() -> StandIn {
    StandIn::start(ok_fixture("fonnte/send_success.json")).await
}
