//! A unit's administration: its accounts, its API tokens and its audit log.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::account_admin::{self, Acting, unit_admin_may_manage};
use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{API_SCOPES, MANAGE_UNIT, READ_AUDIT, UnitStaff, hash_secret, new_secret};
use crate::domain::Role;
use crate::i18n::Tr;
use crate::storage::model::{ApiToken, AuditEntry, NewUser, Unit, User};

/// A user row with role labels for this unit.
pub struct UserRow {
    /// The account.
    pub user: User,
    /// Role labels in this unit.
    pub roles: Vec<&'static str>,
    /// False for accounts that also work elsewhere (or a system administrator):
    /// only a system administrator manages those.
    pub managed_here: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    users: Vec<UserRow>,
    roles: Vec<(&'static str, &'static str)>,
    error: Option<&'static str>,
    form_username: String,
    form_name: String,
    /// (username, password) shown once after a create or reset.
    secret: Option<(String, String)>,
}

async fn render_users(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    status: StatusCode,
    error: Option<&'static str>,
    form: Option<&NewUserForm>,
    secret: Option<(String, String)>,
) -> Result<Response, ErrorPage> {
    let tr = reader.tr;
    let users = state
        .store
        .list_unit_users(staff.unit.id)
        .await?
        .into_iter()
        .map(|user| UserRow {
            roles: user
                .roles
                .iter()
                .filter(|(u, _)| *u == staff.unit.id)
                .map(|(_, r)| tr.t(&format!("role.{}", r.key())))
                .collect(),
            managed_here: unit_admin_may_manage(&user, staff.unit.id),
            user,
        })
        .collect();
    let page = UsersPage {
        tr,
        page: reader.page,
        unit: staff.unit.clone(),
        users,
        roles: Role::ALL
            .iter()
            .map(|r| (r.key(), tr.t(&format!("role.{}", r.key()))))
            .collect(),
        error,
        form_username: form.map(|f| f.username.clone()).unwrap_or_default(),
        form_name: form.map(|f| f.full_name.clone()).unwrap_or_default(),
        secret,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The unit's accounts (admin only).
pub async fn users_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    render_users(&state, &staff, reader, StatusCode::OK, None, None, None).await
}

/// Fields of the new-account form.
#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    role: String,
}

/// Creates an account in this unit with a generated one-time password, shown once:
/// the owner must choose their own at first login, so the admin who saw it cannot
/// use the account (nor the identities its role sees) unnoticed.
pub async fn create_user(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(form): Form<NewUserForm>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let username = form.username.trim().to_owned();
    let full_name = form.full_name.trim().to_owned();
    let error = if username.is_empty()
        || username.len() > 64
        || !username.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        Some("users.bad_username")
    } else if full_name.is_empty() || full_name.chars().count() > 120 {
        Some("users.bad_name")
    } else if Role::parse(&form.role).is_err() {
        Some("users.bad_role")
    } else {
        None
    };
    if let Some(error) = error {
        return render_users(
            &state,
            &staff,
            reader,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(error),
            Some(&form),
            None,
        )
        .await;
    }
    let role = Role::parse(&form.role).expect("checked above");
    let password = crate::passwords::generate();
    let hash = crate::passwords::hash(&password).map_err(|_| ErrorPage::Internal)?;
    let new = NewUser {
        username: username.clone(),
        full_name,
        password_hash: hash,
        roles: vec![(staff.unit.id, role)],
    };
    match state.store.create_user(&new).await {
        Ok(id) => {
            // One-time: the owner replaces it at first login. Were this step lost, the
            // account would hold a password nobody was shown.
            state.store.set_password(id, &new.password_hash, true).await?;
            let created = state.store.user_by_id(id).await?.ok_or(ErrorPage::Internal)?;
            let acting = Acting {
                user: &staff.staff.session.user,
                unit: Some(&staff.unit),
                ip: &staff.staff.ip,
            };
            let detail = account_admin::audit_detail(&state, &acting, &created).await?;
            staff
                .audit(&state, "user.created", "user", &id.to_string(), &detail)
                .await?;
            render_users(
                &state,
                &staff,
                reader,
                StatusCode::CREATED,
                None,
                None,
                Some((username, password)),
            )
            .await
        }
        Err(e) if e.is_conflict() => {
            render_users(
                &state,
                &staff,
                reader,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("users.taken"),
                Some(&form),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Loads an account of this unit, or "not found" for accounts elsewhere.
async fn unit_user(state: &AppState, staff: &UnitStaff, id: i64) -> Result<User, ErrorPage> {
    let user = state.store.user_by_id(id).await?.ok_or(ErrorPage::NotFound)?;
    if user.roles.iter().any(|(u, _)| *u == staff.unit.id) {
        Ok(user)
    } else {
        Err(ErrorPage::NotFound)
    }
}

/// Why a unit admin may not act on this account, if they may not: it works in
/// other units too (or is a system administrator), so only a system administrator
/// manages it (403); or it is their own (422, use `/akun`).
fn refusal(staff: &UnitStaff, user: &User) -> Option<(StatusCode, &'static str)> {
    if user.id == staff.staff.session.user.id {
        Some((StatusCode::UNPROCESSABLE_ENTITY, "accounts.not_self"))
    } else if !unit_admin_may_manage(user, staff.unit.id) {
        Some((StatusCode::FORBIDDEN, "accounts.managed_by_system"))
    } else {
        None
    }
}

/// Resets an account's password to a new generated one-time password (shown once):
/// its sessions end, the owner must choose a new one at next login, the reset is
/// audited in every unit the account works in and its email gets a notice. Refused
/// for one's own account and for accounts that also work in other units.
pub async fn reset_password(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_unit, id)): Path<(String, i64)>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let user = unit_user(&state, &staff, id).await?;
    if let Some((status, error)) = refusal(&staff, &user) {
        return render_users(&state, &staff, reader, status, Some(error), None, None).await;
    }
    let acting = Acting {
        user: &staff.staff.session.user,
        unit: Some(&staff.unit),
        ip: &staff.staff.ip,
    };
    let password = account_admin::reset_password(&state, &acting, &user).await?;
    render_users(
        &state,
        &staff,
        reader,
        StatusCode::OK,
        None,
        None,
        Some((user.username, password)),
    )
    .await
}

/// Fields of the enable/disable form.
#[derive(Deserialize)]
pub struct StatusForm {
    /// "1" enables, anything else disables.
    #[serde(default)]
    pub active: String,
}

/// Enables or disables an account of this unit alone (never one's own), audited in
/// every unit it works in; a disable ends its sessions and notifies its email.
pub async fn set_user_status(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_unit, id)): Path<(String, i64)>,
    Form(form): Form<StatusForm>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let user = unit_user(&state, &staff, id).await?;
    let active = form.active == "1";
    if let Some((status, error)) = refusal(&staff, &user) {
        let error = if error == "accounts.not_self" {
            "users.not_self"
        } else {
            error
        };
        return render_users(&state, &staff, reader, status, Some(error), None, None).await;
    }
    let acting = Acting {
        user: &staff.staff.session.user,
        unit: Some(&staff.unit),
        ip: &staff.staff.ip,
    };
    account_admin::set_active(&state, &acting, &user, active).await?;
    render_users(&state, &staff, reader, StatusCode::OK, None, None, None).await
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    tokens: Vec<ApiToken>,
    scopes: &'static [&'static str],
    error: Option<&'static str>,
    secret: Option<String>,
}

async fn render_tokens(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    status: StatusCode,
    error: Option<&'static str>,
    secret: Option<String>,
) -> Result<Response, ErrorPage> {
    let tokens = state.store.list_api_tokens(staff.unit.id).await?;
    let page = TokensPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        tokens,
        scopes: API_SCOPES,
        error,
        secret,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The unit's API tokens (admin only).
pub async fn tokens_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    render_tokens(&state, &staff, reader, StatusCode::OK, None, None).await
}

/// Creates a token with the chosen scopes; the secret is shown once and only its
/// hash is stored.
pub async fn create_token(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let name = fields
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let scopes: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.clone())
        .collect();
    let error = if name.is_empty() || name.chars().count() > 80 {
        Some("tokens.bad_name")
    } else if scopes.is_empty() || scopes.iter().any(|s| !API_SCOPES.contains(&s.as_str())) {
        Some("tokens.bad_scope")
    } else {
        None
    };
    if let Some(error) = error {
        return render_tokens(
            &state,
            &staff,
            reader,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(error),
            None,
        )
        .await;
    }
    let secret = format!("tgp_{}", new_secret());
    let id = state
        .store
        .create_api_token(
            staff.unit.id,
            &name,
            &hash_secret(&secret),
            &scopes,
            Some(staff.staff.session.user.id),
        )
        .await?;
    staff
        .audit(
            &state,
            "api_token.created",
            "api_token",
            &id.to_string(),
            &format!("{name}: {}", scopes.join(" ")),
        )
        .await?;
    render_tokens(&state, &staff, reader, StatusCode::CREATED, None, Some(secret)).await
}

/// Revokes one of the unit's tokens.
pub async fn revoke_token(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_unit, id)): Path<(String, i64)>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    if !state
        .store
        .revoke_api_token(staff.unit.id, id, chrono::Utc::now())
        .await?
    {
        return Err(ErrorPage::NotFound);
    }
    staff
        .audit(&state, "api_token.revoked", "api_token", &id.to_string(), "")
        .await?;
    render_tokens(&state, &staff, reader, StatusCode::OK, None, None).await
}

/// Query of the audit page.
#[derive(Deserialize)]
pub struct AuditQuery {
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    entries: Vec<(String, AuditEntry)>,
    page_no: i64,
    has_next: bool,
}

/// The unit's audit log, newest first (admin and auditor).
pub async fn audit_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Query(q): Query<AuditQuery>,
) -> Result<Html<String>, ErrorPage> {
    staff.require(READ_AUDIT)?;
    const PAGE: i64 = 100;
    let page_no = q.page.unwrap_or(1).clamp(1, 100_000);
    let mut entries = state
        .store
        .list_audit(staff.unit.id, PAGE + 1, (page_no - 1) * PAGE)
        .await?;
    let has_next = entries.len() as i64 > PAGE;
    entries.truncate(PAGE as usize);
    let zone: chrono_tz::Tz = staff.unit.time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
    let entries = entries
        .into_iter()
        .map(|e| (e.at.with_timezone(&zone).format("%d-%m-%Y %H:%M:%S").to_string(), e))
        .collect();
    Ok(Html(
        AuditPage {
            tr: reader.tr,
            page: reader.page,
            unit: staff.unit,
            entries,
            page_no,
            has_next,
        }
        .render()?,
    ))
}
