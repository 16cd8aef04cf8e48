//! A unit's administration: its accounts, its API tokens and its audit log.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

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

/// Creates an account in this unit with a generated password, shown once.
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
            staff
                .audit(
                    &state,
                    "user.created",
                    "user",
                    &id.to_string(),
                    &format!("{username} ({})", role.key()),
                )
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

/// Resets an account's password to a new generated one (shown once) and ends its sessions.
pub async fn reset_password(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_unit, id)): Path<(String, i64)>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let user = unit_user(&state, &staff, id).await?;
    let password = crate::passwords::generate();
    let hash = crate::passwords::hash(&password).map_err(|_| ErrorPage::Internal)?;
    state.store.set_password(user.id, &hash, true).await?;
    staff
        .audit(
            &state,
            "user.password_reset",
            "user",
            &user.id.to_string(),
            &user.username,
        )
        .await?;
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
    #[serde(default)]
    active: String,
}

/// Enables or disables an account of this unit (never one's own).
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
    if user.id == staff.staff.session.user.id && !active {
        return render_users(
            &state,
            &staff,
            reader,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("users.not_self"),
            None,
            None,
        )
        .await;
    }
    state.store.set_user_active(user.id, active).await?;
    let action = if active { "user.enabled" } else { "user.disabled" };
    staff
        .audit(&state, action, "user", &user.id.to_string(), &user.username)
        .await?;
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
