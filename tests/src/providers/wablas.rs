//! Wablas' stand-in: `POST /api/v2/send-message` answered with the documented
//! success payload (its base URL is the unit's region host).

use super::{StandIn, ok_fixture};

/// Starts a Wablas stand-in.
pub async fn start() -> StandIn {
    StandIn::start(ok_fixture("wablas/send_success.json")).await
}
