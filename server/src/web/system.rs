//! The system administrator's account pages (`/sistem/pengguna`): every account with
//! its units and roles, and the reset and enable/disable actions for the accounts a
//! unit admin may not touch (those working in several units, and system
//! administrators). The rules themselves are in [`super::account_admin`].

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::account_admin::{self, Acting};
use super::admin::StatusForm;
use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::SystemAdmin;
use crate::i18n::Tr;
use crate::storage::model::User;

/// One account on the system page: the account and its roles, unit by unit.
pub struct SystemUserRow {
    /// The account.
    pub user: User,
    /// "Unit name: role, role" for each unit it works in.
    pub units: Vec<String>,
    /// It works in more than one unit (so only a system administrator manages it).
    pub multi_unit: bool,
}

#[derive(Template)]
#[template(path = "system_users.html")]
struct SystemUsersPage {
    tr: Tr,
    page: PageChrome,
    me: i64,
    users: Vec<SystemUserRow>,
    error: Option<&'static str>,
    /// (username, password) shown once after a reset.
    secret: Option<(String, String)>,
}

async fn render(
    state: &AppState,
    admin: &SystemAdmin,
    reader: Reader,
    status: StatusCode,
    error: Option<&'static str>,
    secret: Option<(String, String)>,
) -> Result<Response, ErrorPage> {
    let tr = reader.tr;
    let units = state.store.list_units().await?;
    let users = state
        .store
        .list_all_users()
        .await?
        .into_iter()
        .map(|user| {
            let ids = user.unit_ids();
            let unit_lines = ids
                .iter()
                .map(|id| {
                    let name = units
                        .iter()
                        .find(|u| u.id == *id)
                        .map(|u| u.short_name.as_str())
                        .unwrap_or_default();
                    let roles: Vec<&str> = user
                        .roles
                        .iter()
                        .filter(|(u, _)| u == id)
                        .map(|(_, r)| tr.t(&format!("role.{}", r.key())))
                        .collect();
                    format!("{name}: {}", roles.join(", "))
                })
                .collect();
            SystemUserRow {
                multi_unit: ids.len() > 1,
                units: unit_lines,
                user,
            }
        })
        .collect();
    let page = SystemUsersPage {
        tr,
        page: reader.page,
        me: admin.staff.session.user.id,
        users,
        error,
        secret,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Every account with its units and roles (system administrators only).
pub async fn users_page(
    State(state): State<AppState>,
    admin: SystemAdmin,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    render(&state, &admin, reader, StatusCode::OK, None, None).await
}

/// Loads the account, refusing one's own (422: `/akun` is for that).
async fn target(state: &AppState, admin: &SystemAdmin, id: i64) -> Result<Result<User, &'static str>, ErrorPage> {
    let user = state.store.user_by_id(id).await?.ok_or(ErrorPage::NotFound)?;
    Ok(if user.id == admin.staff.session.user.id {
        Err("accounts.not_self")
    } else {
        Ok(user)
    })
}

/// Resets any account's password (not one's own) to a one-time password shown
/// once; see [`account_admin::reset_password`] for what else happens.
pub async fn reset_password(
    State(state): State<AppState>,
    admin: SystemAdmin,
    reader: Reader,
    Path(id): Path<i64>,
) -> Result<Response, ErrorPage> {
    let user = match target(&state, &admin, id).await? {
        Ok(user) => user,
        Err(error) => {
            return render(
                &state,
                &admin,
                reader,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(error),
                None,
            )
            .await;
        }
    };
    let acting = Acting {
        user: &admin.staff.session.user,
        unit: None,
        ip: &admin.staff.ip,
    };
    let password = account_admin::reset_password(&state, &acting, &user).await?;
    render(
        &state,
        &admin,
        reader,
        StatusCode::OK,
        None,
        Some((user.username, password)),
    )
    .await
}

/// Enables or disables any account (not one's own); see [`account_admin::set_active`].
pub async fn set_user_status(
    State(state): State<AppState>,
    admin: SystemAdmin,
    reader: Reader,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, ErrorPage> {
    let user = match target(&state, &admin, id).await? {
        Ok(user) => user,
        Err(_) => {
            return render(
                &state,
                &admin,
                reader,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("users.not_self"),
                None,
            )
            .await;
        }
    };
    let acting = Acting {
        user: &admin.staff.session.user,
        unit: None,
        ip: &admin.staff.ip,
    };
    account_admin::set_active(&state, &acting, &user, form.active == "1").await?;
    render(&state, &admin, reader, StatusCode::OK, None, None).await
}
