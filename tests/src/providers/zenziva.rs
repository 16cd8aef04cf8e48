//! Zenziva's stand-ins: one for `POST /reguler/api/sendsms/`, answered with the
//! documented success payload, and one for the inbox, answering the fixture inbox
//! (tests change what it holds with [`StandIn::set_default`]).

use super::{StandIn, ok_fixture};

/// Starts a Zenziva send stand-in (its base URL replaces `https://console.zenziva.net`).
pub async fn start() -> StandIn {
    StandIn::start(ok_fixture("zenziva/send_success.json")).await
}

/// Starts a Zenziva inbox stand-in holding the fixture inbox.
pub async fn start_inbox() -> StandIn {
    StandIn::start(ok_fixture("zenziva/inbox.json")).await
}
