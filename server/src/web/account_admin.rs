//! Managing someone else's account: who may do it, and what every reset or
//! disable leaves behind (issue 17).
//!
//! The rules, shared by the unit admin pages (`/staf/{unit}/pengguna`) and the
//! system administrator's pages (`/sistem/pengguna`):
//! - a unit admin acts only on accounts whose roles are all in that unit; an account
//!   that works in several units, or a system administrator, is managed only by a
//!   system administrator (simpler to audit than "admin in all its units");
//! - nobody resets their own password or disables themselves here (`/akun` is for that);
//! - a password set by someone else is one-time: the account can do nothing until its
//!   owner chooses a new one (see `account::password_change_gate`);
//! - every reset, disable and enable ends the account's sessions where relevant, is
//!   audited in every unit the account works in (naming who acted, from where, and
//!   which roles see complainants' identities), and a reset or disable sends a notice
//!   to the account's email when it has one.

use chrono::Utc;

use super::{AppState, ErrorPage};
use crate::auth::{COMPLAINT_MANAGERS, HANDLE_COMPLAINTS};
use crate::domain::Role;
use crate::i18n::{Lang, t, tf};
use crate::storage::model::{AuditEntry, NewOutbox, Unit, User};

/// Whether the admin of `unit_id` may manage `user`: the account works in that
/// unit alone and is not a system administrator.
pub fn unit_admin_may_manage(user: &User, unit_id: i64) -> bool {
    !user.system_admin && !user.roles.is_empty() && user.roles.iter().all(|(u, _)| *u == unit_id)
}

/// Who is acting on an account, for the audit log and the notice.
pub struct Acting<'a> {
    /// The acting account.
    pub user: &'a User,
    /// The unit whose admin page they used; `None` for the system administrator.
    pub unit: Option<&'a Unit>,
    /// Their address.
    pub ip: &'a str,
}

impl Acting<'_> {
    /// "admin_a, admin unit-a" or "root, admin sistem" (Indonesian: the audit log's language).
    fn describe(&self) -> String {
        match self.unit {
            Some(unit) => tf(
                Lang::Id,
                "accounts.by_unit_admin",
                &[("username", &self.user.username), ("unit", &unit.code)],
            ),
            None => tf(
                Lang::Id,
                "accounts.by_system_admin",
                &[("username", &self.user.username)],
            ),
        }
    }
}

/// What a role may see of complainants, in the audit log's words.
fn identity_note(role: Role) -> &'static str {
    if COMPLAINT_MANAGERS.contains(&role) {
        t(Lang::Id, "accounts.identity_all")
    } else if HANDLE_COMPLAINTS.contains(&role) {
        t(Lang::Id, "accounts.identity_named")
    } else {
        t(Lang::Id, "accounts.identity_none")
    }
}

/// The account's roles with, for each, whether it sees identities: what an auditor
/// needs to judge an admin's reset or creation of an account.
pub async fn roles_detail(state: &AppState, user: &User) -> Result<String, ErrorPage> {
    let units = state.store.list_units().await?;
    let mut parts: Vec<String> = user
        .roles
        .iter()
        .map(|(unit_id, role)| {
            let code = units
                .iter()
                .find(|u| u.id == *unit_id)
                .map(|u| u.code.clone())
                .unwrap_or_else(|| unit_id.to_string());
            tf(
                Lang::Id,
                "accounts.role_in_unit",
                &[("role", role.key()), ("unit", &code), ("note", identity_note(*role))],
            )
        })
        .collect();
    if user.system_admin {
        parts.push(t(Lang::Id, "accounts.system_role").to_owned());
    }
    Ok(parts.join("; "))
}

/// The audit detail of an action on `target`: who, by whom, and its roles.
pub async fn audit_detail(state: &AppState, acting: &Acting<'_>, target: &User) -> Result<String, ErrorPage> {
    Ok(tf(
        Lang::Id,
        "accounts.audit_detail",
        &[
            ("target", &target.username),
            ("by", &acting.describe()),
            ("roles", &roles_detail(state, target).await?),
        ],
    ))
}

/// Writes one audit entry per unit the account works in (one without a unit when it
/// works in none), so every unit's admin and auditor see what happened to it.
pub async fn audit_everywhere(
    state: &AppState,
    acting_user_id: i64,
    ip: &str,
    target: &User,
    action: &str,
    detail: &str,
) -> Result<(), ErrorPage> {
    let mut units: Vec<Option<i64>> = target.unit_ids().into_iter().map(Some).collect();
    if units.is_empty() {
        units.push(None);
    }
    let at = Utc::now();
    for unit_id in units {
        state
            .store
            .audit(&AuditEntry {
                at,
                user_id: Some(acting_user_id),
                username: None,
                unit_id,
                action: action.to_owned(),
                entity: "user".to_owned(),
                entity_id: target.id.to_string(),
                detail: detail.to_owned(),
                ip: ip.to_owned(),
            })
            .await?;
    }
    Ok(())
}

/// Queues the notice of a reset (`kind = "reset"`) or disable (`"disabled"`) to the
/// account's email, if it has one. It is sent through the acting unit's email
/// channel, or the account's first unit's when a system administrator acted; an
/// account with no unit and no acting unit gets none (there is no sender).
async fn notify(state: &AppState, acting: &Acting<'_>, target: &User, kind: &str) -> Result<(), ErrorPage> {
    let email = state.store.user_email(target.id).await?.unwrap_or_default();
    if email.trim().is_empty() {
        return Ok(());
    }
    let sender = match acting.unit {
        Some(unit) => Some(unit.clone()),
        None => {
            let first = target.unit_ids().first().copied();
            state
                .store
                .list_units()
                .await?
                .into_iter()
                .find(|u| Some(u.id) == first)
        }
    };
    let Some(sender) = sender else {
        return Ok(());
    };
    let zone: chrono_tz::Tz = sender.time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
    let at = Utc::now().with_timezone(&zone).format("%d-%m-%Y %H:%M %Z").to_string();
    let by = acting.describe();
    let args = [
        ("name", target.full_name.as_str()),
        ("username", target.username.as_str()),
        ("by", by.as_str()),
        ("at", at.as_str()),
    ];
    state
        .store
        .enqueue_outbox(&NewOutbox {
            unit_id: Some(sender.id),
            complaint_id: None,
            channel: "email".into(),
            recipient: email.trim().to_owned(),
            subject: Some(tf(Lang::Id, &format!("accounts.mail_{kind}_subject"), &args)),
            body: tf(Lang::Id, &format!("accounts.mail_{kind}_body"), &args),
            headers: Default::default(),
            dedupe_key: format!("account-{kind}:{}:{}", target.id, crate::auth::new_secret()),
        })
        .await?;
    Ok(())
}

/// Sets a new generated one-time password on `target` (its sessions end), audits it
/// in each of its units and notifies its owner. Returns the password, to be shown
/// once to the admin. The caller has checked that `acting` may do this.
pub async fn reset_password(state: &AppState, acting: &Acting<'_>, target: &User) -> Result<String, ErrorPage> {
    let password = crate::passwords::generate();
    let hash = crate::passwords::hash(&password).map_err(|_| ErrorPage::Internal)?;
    state.store.set_password(target.id, &hash, true).await?;
    let detail = audit_detail(state, acting, target).await?;
    audit_everywhere(state, acting.user.id, acting.ip, target, "user.password_reset", &detail).await?;
    notify(state, acting, target, "reset").await?;
    Ok(password)
}

/// Enables or disables `target` (disabling ends its sessions), audits it in each of
/// its units and, for a disable, notifies its owner. The caller has checked that
/// `acting` may do this and that it is not their own account.
pub async fn set_active(state: &AppState, acting: &Acting<'_>, target: &User, active: bool) -> Result<(), ErrorPage> {
    state.store.set_user_active(target.id, active).await?;
    let detail = audit_detail(state, acting, target).await?;
    let action = if active { "user.enabled" } else { "user.disabled" };
    audit_everywhere(state, acting.user.id, acting.ip, target, action, &detail).await?;
    if !active {
        notify(state, acting, target, "disabled").await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: Vec<(i64, Role)>, system_admin: bool) -> User {
        User {
            id: 1,
            username: "u".into(),
            full_name: "U".into(),
            password_hash: String::new(),
            active: true,
            roles,
            system_admin,
            must_change_password: false,
        }
    }

    #[test]
    fn unit_admins_manage_only_accounts_of_their_unit_alone() {
        assert!(unit_admin_may_manage(&user(vec![(1, Role::Petugas)], false), 1));
        assert!(unit_admin_may_manage(
            &user(vec![(1, Role::Petugas), (1, Role::Auditor)], false),
            1
        ));
        assert!(!unit_admin_may_manage(&user(vec![(2, Role::Petugas)], false), 1));
        assert!(!unit_admin_may_manage(
            &user(vec![(1, Role::KepalaDinas), (2, Role::KepalaDinas)], false),
            1
        ));
        assert!(!unit_admin_may_manage(&user(vec![(1, Role::Admin)], true), 1));
        assert!(!unit_admin_may_manage(&user(vec![], false), 1));
    }

    #[test]
    fn identity_notes_follow_the_identity_rules() {
        assert!(identity_note(Role::Petugas).contains("anonim"));
        assert_eq!(identity_note(Role::KepalaDinas), t(Lang::Id, "accounts.identity_named"));
        assert_eq!(identity_note(Role::Admin), t(Lang::Id, "accounts.identity_none"));
        assert_eq!(identity_note(Role::Auditor), t(Lang::Id, "accounts.identity_none"));
    }
}
