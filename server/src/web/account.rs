//! Logging in and out, and a staff member's own account.

use askama::Template;
use axum::Form;
use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::{AppState, ErrorPage, PageChrome, PublicRateLimit, Reader};
use crate::auth::{
    self, ClientIp, MAX_FAILED_PER_ACCOUNT, MAX_FAILED_PER_IP, SESSION_COOKIE, StaffUser, THROTTLE_MINUTES,
    hash_secret, new_secret,
};
use crate::i18n::Tr;
use crate::storage::model::{AuditEntry, NewSession};

/// A real argon2id hash of a random secret, verified when the account does not
/// exist so that a wrong name and a wrong password take the same time.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| crate::passwords::hash(&new_secret()).expect("a 43-character secret is long enough"))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    page: PageChrome,
    next: String,
    username: String,
    error: Option<&'static str>,
}

/// Opens a fresh session for `user_id` and returns its `Set-Cookie` value. A new
/// token every time, so a cookie planted before login is never promoted.
async fn start_session(state: &AppState, user_id: i64, ip: &str) -> Result<axum::http::HeaderValue, ErrorPage> {
    let token = new_secret();
    let hours = i64::from(state.config.session_hours);
    state
        .store
        .create_session(&NewSession {
            token_hash: hash_secret(&token),
            user_id,
            csrf_token: new_secret(),
            expires_at: Utc::now() + Duration::hours(hours),
            ip: ip.to_owned(),
            user_agent: String::new(),
        })
        .await?;
    Ok(auth::set_cookie(state, SESSION_COOKIE, &token, hours * 3600))
}

/// Audits an action on one's own account (not tied to a unit).
pub(super) async fn audit_self(state: &AppState, user_id: i64, ip: &str, action: &str) -> Result<(), ErrorPage> {
    state
        .store
        .audit(&AuditEntry {
            at: Utc::now(),
            user_id: Some(user_id),
            username: None,
            unit_id: None,
            action: action.to_owned(),
            entity: "user".to_owned(),
            entity_id: user_id.to_string(),
            detail: String::new(),
            ip: ip.to_owned(),
        })
        .await?;
    Ok(())
}

/// Only local paths are followed after login: never an open redirect.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(super::safe_next).unwrap_or_else(|| "/staf".to_owned())
}

/// Query of the login page.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The login form (or straight on, when already logged in).
pub async fn login_form(Query(q): Query<NextQuery>, reader: Reader) -> Result<Response, ErrorPage> {
    let next = safe_next(q.next.as_deref());
    if reader.page.user.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let page = LoginPage {
        tr: reader.tr,
        page: reader.page,
        next,
        username: String::new(),
        error: None,
    };
    Ok(Html(page.render()?).into_response())
}

/// Fields of the login form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// Checks the password, throttled per account and per address, and opens a new
/// session (a fresh token, so a planted cookie is never promoted).
///
/// The attempt is recorded as failed BEFORE the password is checked, and the limits
/// count it: of any number of parallel guesses at one account, at most
/// [`MAX_FAILED_PER_ACCOUNT`] are checked (each sees every attempt recorded before
/// its count, so the last of any six checked would have seen six). A right
/// password turns the record into a success. Attempts refused as throttled stay
/// recorded as failures, so hammering a locked account keeps it locked.
///
/// An account whose password was set by an admin goes straight to `/akun` to
/// choose its own.
pub async fn login(
    State(state): State<AppState>,
    axum::Extension(ClientIp(ip)): axum::Extension<ClientIp>,
    reader: Reader,
    _limit: PublicRateLimit,
    Form(form): Form<LoginForm>,
) -> Result<Response, ErrorPage> {
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim().to_owned();
    let fail = |status: StatusCode, error: &'static str, reader: Reader| -> Result<Response, ErrorPage> {
        let page = LoginPage {
            tr: reader.tr,
            page: reader.page,
            next: next.clone(),
            username: username.clone(),
            error: Some(error),
        };
        Ok((status, Html(page.render()?)).into_response())
    };
    if username.is_empty() || form.password.is_empty() {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, "login.missing", reader);
    }
    let now = Utc::now();
    let attempt = state.store.record_login_attempt(&username, &ip, false, now).await?;
    let (by_account, by_ip) = state
        .store
        .failed_logins_since(&username, &ip, now - Duration::minutes(THROTTLE_MINUTES))
        .await?;
    // Both counts include this attempt.
    if by_account > MAX_FAILED_PER_ACCOUNT || by_ip > MAX_FAILED_PER_IP {
        tracing::warn!(username, ip, by_account, by_ip, "login throttled");
        return fail(StatusCode::TOO_MANY_REQUESTS, "login.throttled", reader);
    }
    let user = state.store.user_by_username(&username).await?;
    let hash = user.as_ref().map(|u| u.password_hash.as_str()).unwrap_or(dummy_hash());
    let password = form.password.clone();
    let hash_owned = hash.to_owned();
    let matches = tokio::task::spawn_blocking(move || crate::passwords::verify(&password, &hash_owned))
        .await
        .map_err(|_| ErrorPage::Internal)?;
    let Some(user) = user.filter(|u| matches && u.active) else {
        return fail(StatusCode::UNAUTHORIZED, "login.wrong", reader);
    };
    state.store.login_attempt_succeeded(attempt).await?;
    let cookie = start_session(&state, user.id, &ip).await?;
    audit_self(&state, user.id, &ip, "session.login").await?;
    let next = if user.must_change_password {
        "/akun"
    } else {
        next.as_str()
    };
    let mut response = Redirect::to(next).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Ends the session and clears its cookie.
pub async fn logout(State(state): State<AppState>, staff: StaffUser) -> Result<Response, ErrorPage> {
    state.store.delete_session(&staff.session.token_hash).await?;
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, auth::set_cookie(&state, SESSION_COOKIE, "", 0));
    Ok(response)
}

/// One line of the account page: a unit and the roles held there.
pub struct UnitRoles {
    /// Unit code.
    pub code: String,
    /// Unit name.
    pub name: String,
    /// Role labels.
    pub roles: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    tr: Tr,
    page: PageChrome,
    username: String,
    full_name: String,
    email: String,
    units: Vec<UnitRoles>,
    error: Option<&'static str>,
    done: bool,
    email_error: Option<&'static str>,
    email_saved: bool,
    /// The password was set by an admin: nothing else works until it is replaced.
    must_change: bool,
    /// How the account hears of complaints (issue 19).
    notices: super::staff_notices::NoticePrefsView,
}

/// The units and roles of the logged-in user, with their labels.
pub async fn units_of(state: &AppState, tr: Tr, staff: &StaffUser) -> Result<Vec<UnitRoles>, ErrorPage> {
    let mut out: Vec<UnitRoles> = Vec::new();
    for unit in state.store.list_units().await? {
        let roles: Vec<&'static str> = staff
            .session
            .user
            .roles
            .iter()
            .filter(|(u, _)| *u == unit.id)
            .map(|(_, r)| tr.t(&format!("role.{}", r.key())))
            .collect();
        if !roles.is_empty() {
            out.push(UnitRoles {
                code: unit.code,
                name: unit.name,
                roles,
            });
        }
    }
    Ok(out)
}

/// What the account page reports after a form: the password, email or notices outcome.
#[derive(Default)]
pub(super) struct AccountNotice {
    pub(super) error: Option<&'static str>,
    pub(super) done: bool,
    pub(super) email_error: Option<&'static str>,
    pub(super) email_saved: bool,
    /// The email as typed, kept when it was refused.
    pub(super) email_typed: Option<String>,
    /// The notices form as typed, when it was refused; or None to show the stored choice.
    pub(super) notices: Option<super::staff_notices::NoticePrefsView>,
    /// The notices choice was just saved.
    pub(super) notices_saved: bool,
}

/// Renders the account page with the outcome of the last form (`notice`).
pub(super) async fn render_account(
    state: &AppState,
    reader: Reader,
    staff: &StaffUser,
    status: StatusCode,
    notice: AccountNotice,
) -> Result<Response, ErrorPage> {
    let units = units_of(state, reader.tr, staff).await?;
    // The session caches the user; read the email fresh so a change shows at once.
    let email = match notice.email_typed {
        Some(typed) => typed,
        None => state.store.user_email(staff.session.user.id).await?.unwrap_or_default(),
    };
    let notices = match notice.notices {
        Some(typed) => typed,
        None => super::staff_notices::current_view(state, &staff.session.user, notice.notices_saved).await?,
    };
    let page = AccountPage {
        tr: reader.tr,
        page: reader.page,
        username: staff.session.user.username.clone(),
        full_name: staff.session.user.full_name.clone(),
        email,
        units,
        error: notice.error,
        done: notice.done,
        email_error: notice.email_error,
        email_saved: notice.email_saved,
        must_change: staff.session.user.must_change_password,
        notices,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Query of the account page: `selesai=1` after a password change, `surel=1` after
/// an email change, `pemberitahuan=1` after a notices change.
#[derive(Deserialize)]
pub struct AccountQuery {
    selesai: Option<String>,
    surel: Option<String>,
    pemberitahuan: Option<String>,
}

/// The account page: who I am, where I work, and the change-password form.
pub async fn account_page(
    State(state): State<AppState>,
    staff: StaffUser,
    reader: Reader,
    Query(q): Query<AccountQuery>,
) -> Result<Response, ErrorPage> {
    let notice = AccountNotice {
        done: q.selesai.is_some(),
        email_saved: q.surel.is_some(),
        notices_saved: q.pemberitahuan.is_some(),
        ..AccountNotice::default()
    };
    render_account(&state, reader, &staff, StatusCode::OK, notice).await
}

/// Fields of the change-password form.
#[derive(Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// Changes one's own password. Every other session of the account ends; this
/// browser gets a new one. Replacing a password an admin set (the one-time password
/// of a new or reset account) is audited in every unit the account works in as
/// `user.password_set_after_reset`, and only then does the account work again.
pub async fn change_password(
    State(state): State<AppState>,
    staff: StaffUser,
    reader: Reader,
    Form(form): Form<ChangePasswordForm>,
) -> Result<Response, ErrorPage> {
    let user = &staff.session.user;
    let (current, hash) = (form.current.clone(), user.password_hash.clone());
    let current_ok = tokio::task::spawn_blocking(move || crate::passwords::verify(&current, &hash))
        .await
        .map_err(|_| ErrorPage::Internal)?;
    let error = if !current_ok {
        Some("account.wrong_current")
    } else if form.new != form.confirm {
        Some("account.mismatch")
    } else if form.new.chars().count() < crate::passwords::MIN_LENGTH {
        Some("account.too_short")
    } else if form.new == form.current {
        Some("account.same")
    } else {
        None
    };
    if let Some(error) = error {
        let notice = AccountNotice {
            error: Some(error),
            ..AccountNotice::default()
        };
        return render_account(&state, reader, &staff, StatusCode::UNPROCESSABLE_ENTITY, notice).await;
    }
    let new_hash = crate::passwords::hash(&form.new).map_err(|_| ErrorPage::Internal)?;
    state.store.set_password(user.id, &new_hash, false).await?;
    if user.must_change_password {
        super::account_admin::audit_everywhere(
            &state,
            user.id,
            &staff.ip,
            user,
            "user.password_set_after_reset",
            &user.username,
        )
        .await?;
    } else {
        audit_self(&state, user.id, &staff.ip, "user.password_changed").await?;
    }
    let cookie = start_session(&state, user.id, &staff.ip).await?;
    let mut response = Redirect::to("/akun?selesai=1").into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Fields of the email form.
#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

/// Sets (or, left empty, removes) one's own email address: where SLA reminders and
/// approved reports are sent. A malformed address is refused and nothing changes.
pub async fn change_email(
    State(state): State<AppState>,
    staff: StaffUser,
    reader: Reader,
    Form(form): Form<EmailForm>,
) -> Result<Response, ErrorPage> {
    let email = form.email.trim();
    let valid =
        email.is_empty() || (email.len() <= 254 && email_address::EmailAddress::is_valid(email) && email.contains('.'));
    if !valid {
        let notice = AccountNotice {
            email_error: Some("account.bad_email"),
            email_typed: Some(email.chars().take(254).collect()),
            ..AccountNotice::default()
        };
        return render_account(&state, reader, &staff, StatusCode::UNPROCESSABLE_ENTITY, notice).await;
    }
    state.store.set_user_email(staff.session.user.id, email).await?;
    audit_self(&state, staff.session.user.id, &staff.ip, "user.email_changed").await?;
    Ok(Redirect::to("/akun?surel=1").into_response())
}

/// Whether a request may go through while the account must first replace a
/// password an admin set: its own account page, the password form and logging out
/// do; the staff area (`/staf`, `/sistem`) and the other account forms do not.
/// Public pages are not affected (they show nothing a session unlocks).
fn blocked_until_password_changed(path: &str) -> bool {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    (under("/staf") || under("/sistem") || under("/akun")) && path != "/akun" && path != "/akun/kata-sandi"
}

/// Middleware (inside the session layer): an account whose password was set by
/// someone else (an admin's create or reset) can do nothing in the staff area until
/// its owner chooses a new one. Every such page and form is sent to `/akun` (303),
/// where the change form is; nothing is done.
pub async fn password_change_gate(req: Request, next: Next) -> Response {
    let must_change = req
        .extensions()
        .get::<auth::MaybeSession>()
        .and_then(|s| s.0.as_ref())
        .is_some_and(|s| s.user.must_change_password);
    if must_change && blocked_until_password_changed(req.uri().path()) {
        return Redirect::to("/akun").into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::blocked_until_password_changed as blocked;

    #[test]
    fn only_the_password_form_and_logout_stay_open_until_the_password_is_changed() {
        for open in [
            "/akun",
            "/akun/kata-sandi",
            "/keluar",
            "/masuk",
            "/",
            "/lacak",
            "/assets/style.css",
        ] {
            assert!(!blocked(open), "{open}");
        }
        for shut in [
            "/staf",
            "/staf/unit-a",
            "/staf/unit-a/pengaduan/1",
            "/sistem/pengguna",
            "/akun/email",
            "/akun/pemberitahuan",
        ] {
            assert!(blocked(shut), "{shut}");
        }
        assert!(!blocked("/stafx") && !blocked("/sistemx"));
    }
}
