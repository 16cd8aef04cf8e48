//! `/akun`: how the signed-in staff member hears of complaints that need them
//! (issue 19): by email (the address set on the same page), by WhatsApp (a number,
//! normalised to `08...`) or not at all; a kepala dinas may take one daily digest
//! per unit instead of single notices. The form changes only the session's own
//! account: no field names an account. What is sent is `triage::staff_notices`.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

use super::account::{AccountNotice, audit_self, render_account};
use super::{AppState, ErrorPage, Reader};
use crate::auth::StaffUser;
use crate::storage::model::User;
use crate::storage::staff_notices::StaffNoticePrefs;
use crate::triage::staff_notices::DIGEST_ROLE;

/// What the notices part of the account page shows: the current (or refused, as
/// typed) choice and the outcome of the last form.
#[derive(Debug, Clone, Default)]
pub struct NoticePrefsView {
    /// `email`, `whatsapp` or `none`.
    pub channel: String,
    /// The WhatsApp number as stored (or as typed when refused).
    pub whatsapp: String,
    /// The daily digest is chosen.
    pub digest: bool,
    /// The account is kepala dinas somewhere: the digest is offered.
    pub may_digest: bool,
    /// The account has an email address.
    pub has_email: bool,
    /// Why the form was refused (a locale key).
    pub error: Option<&'static str>,
    /// The choice was just saved.
    pub saved: bool,
}

impl NoticePrefsView {
    /// The WhatsApp number was refused (the field is marked invalid).
    pub fn phone_refused(&self) -> bool {
        self.error == Some("staff_notices.error.bad_phone")
    }
}

/// Whether `user` may choose the daily digest (kepala dinas of some unit).
fn may_digest(user: &User) -> bool {
    user.roles.iter().any(|(_, r)| *r == DIGEST_ROLE)
}

/// The stored choice of the session's account (email when it never chose and has an
/// address, nothing otherwise), for the account page.
pub async fn current_view(state: &AppState, user: &User, saved: bool) -> Result<NoticePrefsView, ErrorPage> {
    let email = state.store.user_email(user.id).await?.unwrap_or_default();
    let has_email = !email.trim().is_empty();
    let prefs = state.store.staff_notice_prefs(user.id).await?;
    let (channel, whatsapp, digest) = match prefs {
        Some(p) => (p.channel, p.whatsapp, p.digest),
        None if has_email => ("email".to_owned(), String::new(), false),
        None => ("none".to_owned(), String::new(), false),
    };
    Ok(NoticePrefsView {
        channel,
        whatsapp,
        digest,
        may_digest: may_digest(user),
        has_email,
        error: None,
        saved,
    })
}

/// Fields of the notices form.
#[derive(Deserialize)]
pub struct NoticePrefsForm {
    /// `surel`, `whatsapp` or `tidak`.
    #[serde(default)]
    cara: String,
    /// The WhatsApp number, any usual writing (`0812...`, `+62 812-...`).
    #[serde(default)]
    whatsapp: String,
    /// `1` when the daily digest is chosen.
    #[serde(default)]
    ringkasan: String,
}

/// Checks the form against the account (whether it may take the digest and has an
/// email address): the choice to store, or why it is refused (a locale key).
fn validate(form: &NoticePrefsForm, may_digest: bool, has_email: bool) -> Result<StaffNoticePrefs, &'static str> {
    let channel = match form.cara.trim() {
        "surel" => "email",
        "whatsapp" => "whatsapp",
        "tidak" => "none",
        _ => return Err("staff_notices.error.bad_choice"),
    };
    let digest = match form.ringkasan.trim() {
        "" => false,
        "1" => true,
        _ => return Err("staff_notices.error.bad_choice"),
    };
    let whatsapp = if channel == "whatsapp" {
        crate::intake::form::normalize_phone(form.whatsapp.trim()).ok_or("staff_notices.error.bad_phone")?
    } else {
        String::new()
    };
    if channel == "email" && !has_email {
        return Err("staff_notices.error.no_email");
    }
    if digest && !may_digest {
        return Err("staff_notices.error.digest_role");
    }
    if digest && channel == "none" {
        return Err("staff_notices.error.digest_needs_channel");
    }
    Ok(StaffNoticePrefs {
        channel: channel.to_owned(),
        whatsapp,
        digest,
    })
}

/// `POST /akun/pemberitahuan`: stores how the session's own account hears of
/// complaints. A refused form changes nothing and shows why, in the reader's
/// language, with what was typed.
pub async fn save_prefs(
    State(state): State<AppState>,
    staff: StaffUser,
    reader: Reader,
    Form(form): Form<NoticePrefsForm>,
) -> Result<Response, ErrorPage> {
    let user = &staff.session.user;
    let has_email = state
        .store
        .user_email(user.id)
        .await?
        .is_some_and(|e| !e.trim().is_empty());
    match validate(&form, may_digest(user), has_email) {
        Ok(prefs) => {
            state.store.save_staff_notice_prefs(user.id, &prefs, Utc::now()).await?;
            audit_self(&state, user.id, &staff.ip, "user.notice_prefs_changed").await?;
            Ok(Redirect::to("/akun?pemberitahuan=1#notices-h").into_response())
        }
        Err(error) => {
            let typed = NoticePrefsView {
                channel: match form.cara.trim() {
                    "surel" => "email",
                    "whatsapp" => "whatsapp",
                    "tidak" => "none",
                    _ => "",
                }
                .to_owned(),
                whatsapp: form.whatsapp.trim().chars().take(20).collect(),
                digest: form.ringkasan.trim() == "1",
                may_digest: may_digest(user),
                has_email,
                error: Some(error),
                saved: false,
            };
            let notice = AccountNotice {
                notices: Some(typed),
                ..AccountNotice::default()
            };
            render_account(&state, reader, &staff, StatusCode::UNPROCESSABLE_ENTITY, notice).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(cara: &str, whatsapp: &str, ringkasan: &str) -> NoticePrefsForm {
        NoticePrefsForm {
            cara: cara.into(),
            whatsapp: whatsapp.into(),
            ringkasan: ringkasan.into(),
        }
    }

    #[test]
    fn each_wrong_field_is_refused_with_its_reason() {
        // (may take the digest, has an email address)
        let (petugas, kadis) = (false, true);
        let refused = |f: NoticePrefsForm, digest: bool, email: bool| validate(&f, digest, email).unwrap_err();
        assert_eq!(
            refused(form("pos", "", ""), petugas, true),
            "staff_notices.error.bad_choice"
        );
        assert_eq!(
            refused(form("whatsapp", "bukan nomor", ""), petugas, true),
            "staff_notices.error.bad_phone"
        );
        assert_eq!(
            refused(form("whatsapp", "", ""), petugas, true),
            "staff_notices.error.bad_phone"
        );
        assert_eq!(
            refused(form("surel", "", ""), petugas, false),
            "staff_notices.error.no_email"
        );
        assert_eq!(
            refused(form("surel", "", "1"), petugas, true),
            "staff_notices.error.digest_role"
        );
        assert_eq!(
            refused(form("tidak", "", "1"), kadis, true),
            "staff_notices.error.digest_needs_channel"
        );
        assert_eq!(
            refused(form("surel", "", "ya"), kadis, true),
            "staff_notices.error.bad_choice"
        );
        let ok = validate(&form("whatsapp", "+62 812-3456-7890", "1"), kadis, false).unwrap();
        assert_eq!(
            (ok.channel.as_str(), ok.whatsapp.as_str(), ok.digest),
            ("whatsapp", "081234567890", true)
        );
        let none = validate(&form("tidak", "0812345678", ""), petugas, false).unwrap();
        assert_eq!((none.channel.as_str(), none.whatsapp.as_str()), ("none", ""));
    }
}
