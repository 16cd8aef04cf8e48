//! Who is asking and what they may do: sessions, CSRF, roles per unit, API tokens,
//! login throttling and the audit trail.
//!
//! Every decision is made on the server. Pages ask through the extractors here
//! ([`StaffUser`], [`UnitStaff`], [`ApiClient`]) and the policy functions
//! ([`may_see_identity`] and friends), so the rules live in one file.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::Role;
use crate::storage::model::{ApiToken, AuditEntry, Session, Unit};
use crate::web::{AppState, ErrorPage};

/// Cookie holding a staff session token.
pub const SESSION_COOKIE: &str = "tanggap_sesi";
/// Cookie holding the CSRF token of visitors without a session.
pub const CSRF_COOKIE: &str = "tanggap_csrf";
/// Form field (or `x-csrf-token` header, or `csrf` query parameter) carrying the token.
pub const CSRF_FIELD: &str = "csrf";

/// Failed logins for one account within [`THROTTLE_MINUTES`] before it is locked.
pub const MAX_FAILED_PER_ACCOUNT: i64 = 5;
/// Failed logins from one address within [`THROTTLE_MINUTES`] before it is locked.
pub const MAX_FAILED_PER_IP: i64 = 20;
/// Length of the throttling window.
pub const THROTTLE_MINUTES: i64 = 15;

/// A fresh random secret: 32 bytes, URL-safe base64.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored instead of a secret: its SHA-256 in hex. Secrets are 256 random
/// bits, so a fast hash is enough (no salt or stretching needed, unlike passwords).
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value with the project's flags: HttpOnly, SameSite=Lax, Path=/,
/// and Secure when the public URL is https.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_seconds: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; SameSite=Lax{secure}"
    ))
    .expect("cookie values are base64url")
}

/// The client's address, as trusted for throttling and the audit log.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

/// The CSRF token the current page must put in its forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// The request's session, if a valid one came with it.
#[derive(Debug, Clone)]
pub struct MaybeSession(pub Option<Arc<Session>>);

/// The client's address. Behind a trusted proxy it is the address that proxy
/// appended: the last entry of `X-Forwarded-For` taken across ALL its header lines
/// in order (a client can send its own line first, and some proxies add a separate
/// line instead of extending the client's). Without `trust_proxy`, the socket peer.
fn client_ip(parts_headers: &HeaderMap, connect: Option<&ConnectInfo<SocketAddr>>, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(ip) = parts_headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return ip.to_string();
    }
    connect
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "0.0.0.0".to_owned())
}

/// Middleware: loads the session, works out the client address, and refuses any
/// state-changing browser request whose CSRF token does not match. JSON API calls
/// (`/api/`) authenticate with bearer tokens instead and carry no ambient cookie
/// authority, so they are exempt; so are providers' webhooks (`/webhook/`), which
/// a provider's signature or a secret in the URL authenticates.
pub async fn session_and_csrf(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let ip = client_ip(
        req.headers(),
        req.extensions().get::<ConnectInfo<SocketAddr>>(),
        state.config.trust_proxy,
    );
    let now = Utc::now();
    let session = match cookie(req.headers(), SESSION_COOKIE) {
        Some(token) => {
            let extend_to = now + Duration::hours(i64::from(state.config.session_hours));
            match state.store.session(&hash_secret(token), now, extend_to).await {
                Ok(s) => s.map(Arc::new),
                Err(e) => return ErrorPage::from(e).into_response(),
            }
        }
        None => None,
    };
    let mut new_csrf_cookie = None;
    let expected = match &session {
        Some(s) => s.csrf_token.clone(),
        None => match cookie(req.headers(), CSRF_COOKIE).filter(|v| v.len() == 43) {
            Some(v) => v.to_owned(),
            None => {
                let fresh = new_secret();
                new_csrf_cookie = Some(fresh.clone());
                fresh
            }
        },
    };
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let path = req.uri().path();
    if unsafe_method && !path.starts_with("/api/") && !path.starts_with("/webhook/") {
        let (parts, body) = req.into_parts();
        let limit = FORM_BODY_LIMIT.min(state.config.max_body_bytes);
        let (given, body) = match csrf_from_request(&parts, body, limit).await {
            Ok(found) => found,
            Err(response) => return response,
        };
        if !given.as_deref().is_some_and(|g| constant_time_eq(g, &expected)) {
            let route = parts
                .extensions
                .get::<axum::extract::MatchedPath>()
                .map_or(crate::web::privacy::UNMATCHED, |m| m.as_str());
            tracing::warn!(path = %route, "CSRF token missing or wrong");
            return ErrorPage::CsrfRejected.into_response();
        }
        req = Request::from_parts(parts, body);
    }
    req.extensions_mut().insert(ClientIp(ip));
    req.extensions_mut().insert(CsrfToken(expected));
    req.extensions_mut().insert(MaybeSession(session));
    let mut response = next.run(req).await;
    if let Some(token) = new_csrf_cookie {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, CSRF_COOKIE, &token, 60 * 60 * 24 * 30),
        );
    }
    response
}

/// The largest `application/x-www-form-urlencoded` body accepted (bytes). The
/// longest text form is a complaint of 10,000 characters (plus subject, name and
/// address); even fully percent-encoded four-byte characters (12 bytes each) fit in
/// 128 KiB, so 256 KiB leaves a wide margin. Only multipart uploads may use the large
/// `max_body_bytes`.
pub const FORM_BODY_LIMIT: usize = 256 * 1024;

fn is_urlencoded(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// Middleware, before the session and CSRF check: an urlencoded body over
/// [`FORM_BODY_LIMIT`] is refused with 413 (at once when its `Content-Length` says
/// so, otherwise as soon as the limit is passed), before any handler, session lookup
/// or rate limit spends time on it. Other bodies keep the general limit.
pub async fn form_body_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_urlencoded(req.headers()) {
        return next.run(req).await;
    }
    let limit = FORM_BODY_LIMIT.min(state.config.max_body_bytes);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ErrorPage::PayloadTooLarge.into_response();
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(_) => ErrorPage::PayloadTooLarge.into_response(),
    }
}

/// Finds the CSRF token in the header, the query string, or an urlencoded form
/// body (which is read, then put back for the handler).
async fn csrf_from_request(parts: &Parts, body: Body, limit: usize) -> Result<(Option<String>, Body), Response> {
    if let Some(v) = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return Ok((Some(v.to_owned()), body));
    }
    if let Some(v) = parts.uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned())
    }) {
        return Ok((Some(v), body));
    }
    if !is_urlencoded(&parts.headers) {
        return Ok((None, body));
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ErrorPage::PayloadTooLarge.into_response())?;
    let found = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned());
    Ok((found, Body::from(bytes)))
}

/// A logged-in staff member. Anonymous browsers are sent to the login page.
#[derive(Debug, Clone)]
pub struct StaffUser {
    /// The session (and its user).
    pub session: Arc<Session>,
    /// The client address.
    pub ip: String,
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = ErrorPage;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        let session = parts.extensions.get::<MaybeSession>().and_then(|s| s.0.clone());
        let ip = parts
            .extensions
            .get::<ClientIp>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        match session {
            Some(session) => Ok(StaffUser { session, ip }),
            None => {
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/staf");
                Err(ErrorPage::LoginRequired(next.to_owned()))
            }
        }
    }
}

/// A logged-in holder of the system-level role (`users.system_admin`): the one who
/// keeps the national holiday calendar and manages accounts that work in more than
/// one unit. Everyone else is refused with 403.
#[derive(Debug, Clone)]
pub struct SystemAdmin {
    /// The logged-in user.
    pub staff: StaffUser,
}

impl FromRequestParts<AppState> for SystemAdmin {
    type Rejection = ErrorPage;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let staff = StaffUser::from_request_parts(parts, state).await?;
        if staff.session.user.system_admin {
            Ok(SystemAdmin { staff })
        } else {
            Err(ErrorPage::Forbidden)
        }
    }
}

/// A staff member acting in one unit (the `{unit}` path segment): they must hold a
/// role there, or the request stops with 403. This is where unit isolation happens.
#[derive(Debug, Clone)]
pub struct UnitStaff {
    /// The logged-in user.
    pub staff: StaffUser,
    /// The unit of the URL.
    pub unit: Unit,
    /// Their roles in that unit.
    pub roles: Vec<Role>,
}

impl FromRequestParts<AppState> for UnitStaff {
    type Rejection = ErrorPage;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let staff = StaffUser::from_request_parts(parts, state).await?;
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ErrorPage::NotFound)?;
        let code = params
            .iter()
            .find(|(k, _)| k == "unit")
            .map(|(_, v)| v.clone())
            .ok_or(ErrorPage::NotFound)?;
        let unit = state.store.unit_by_code(&code).await?.ok_or(ErrorPage::NotFound)?;
        let roles = roles_in(&staff.session.user, unit.id);
        if roles.is_empty() {
            return Err(ErrorPage::Forbidden);
        }
        Ok(UnitStaff { staff, unit, roles })
    }
}

/// The roles `user` holds in the unit `unit_id` (none: no access to it).
pub fn roles_in(user: &crate::storage::model::User, unit_id: i64) -> Vec<Role> {
    user.roles
        .iter()
        .filter(|(u, _)| *u == unit_id)
        .map(|(_, r)| *r)
        .collect()
}

impl UnitStaff {
    /// Passes when the user holds any of `allowed` in this unit.
    pub fn require(&self, allowed: &[Role]) -> Result<(), ErrorPage> {
        if self.roles.iter().any(|r| allowed.contains(r)) {
            Ok(())
        } else {
            Err(ErrorPage::Forbidden)
        }
    }

    /// Whether the user holds any of `roles` here.
    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }

    /// Writes an audit entry for an action of this user in this unit.
    pub async fn audit(
        &self,
        state: &AppState,
        action: &str,
        entity: &str,
        entity_id: &str,
        detail: &str,
    ) -> Result<(), ErrorPage> {
        state
            .store
            .audit(&AuditEntry {
                at: Utc::now(),
                user_id: Some(self.staff.session.user.id),
                username: None,
                unit_id: Some(self.unit.id),
                action: action.to_owned(),
                entity: entity.to_owned(),
                entity_id: entity_id.to_owned(),
                detail: detail.to_owned(),
                ip: self.staff.ip.clone(),
            })
            .await?;
        Ok(())
    }
}

/// Roles that read complaints at all (everyone but nobody: all staff roles).
pub const READ_COMPLAINTS: &[Role] = &[
    Role::Admin,
    Role::Petugas,
    Role::KepalaBidang,
    Role::Sekretaris,
    Role::KepalaDinas,
    Role::Auditor,
];
/// Roles that handle complaints and so see a complainant's identity and contact.
pub const HANDLE_COMPLAINTS: &[Role] = &[Role::Petugas, Role::KepalaBidang, Role::Sekretaris, Role::KepalaDinas];
/// The unit's complaint managers: the only ones who see an `anonim` complainant.
pub const COMPLAINT_MANAGERS: &[Role] = &[Role::Petugas];
/// Roles that manage accounts and API tokens of a unit.
pub const MANAGE_UNIT: &[Role] = &[Role::Admin];
/// Roles that read the audit log.
pub const READ_AUDIT: &[Role] = &[Role::Admin, Role::Auditor];
/// Roles that import complaints from other systems (SPAN-LAPOR! exports): the
/// complaint managers, because an import records complainants' identities, which
/// the admin role is not allowed to see.
pub const IMPORT_COMPLAINTS: &[Role] = &[Role::Petugas];

/// Whether this user may see the identity of a complaint with this `anonim` flag.
pub fn may_see_identity(staff: &UnitStaff, anonim: bool) -> bool {
    if anonim {
        staff.has_any(COMPLAINT_MANAGERS)
    } else {
        staff.has_any(HANDLE_COMPLAINTS)
    }
}

/// Scopes an API token can hold (`complaints:write`: status moves through the life
/// cycle, issue 6).
pub const API_SCOPES: &[&str] = &["complaints:read", "stats:read", "complaints:write", "survey:invite"];

/// An integration calling the JSON API with `Authorization: Bearer <token>`.
#[derive(Debug, Clone)]
pub struct ApiClient {
    /// The token (its unit and scopes).
    pub token: ApiToken,
}

/// Why an API call was refused; answered as JSON.
#[derive(Debug)]
pub enum ApiDenied {
    /// No or unknown token.
    Unauthenticated,
    /// Token lacks the scope or belongs to another unit.
    Forbidden,
    /// The database failed.
    Internal,
}

impl IntoResponse for ApiDenied {
    fn into_response(self) -> Response {
        let unauthenticated = matches!(self, ApiDenied::Unauthenticated);
        let mut response = crate::web::api_error::ApiError::from(self).into_response();
        if unauthenticated {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl FromRequestParts<AppState> for ApiClient {
    type Rejection = ApiDenied;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiDenied::Unauthenticated)?;
        let token = state
            .store
            .api_token_by_hash(&hash_secret(token.trim()), Utc::now())
            .await
            .map_err(|_| ApiDenied::Internal)?
            .ok_or(ApiDenied::Unauthenticated)?;
        Ok(ApiClient { token })
    }
}

impl ApiClient {
    /// Passes when the token acts for `unit_id` and holds `scope`.
    pub fn require(&self, unit_id: i64, scope: &str) -> Result<(), ApiDenied> {
        if self.token.unit_id == unit_id && self.token.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(ApiDenied::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_secret());
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd") && !constant_time_eq("a", "ab"));
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tanggap_sesi=xyz; lang=en"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "lang"), Some("en"));
        assert_eq!(cookie(&h, "nope"), None);
    }

    #[test]
    fn proxy_headers_are_trusted_only_when_configured() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1, 203.0.113.9"));
        let connect = ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 5000)));
        assert_eq!(client_ip(&h, Some(&connect), false), "127.0.0.1");
        assert_eq!(client_ip(&h, Some(&connect), true), "203.0.113.9");
    }

    #[test]
    fn the_nearest_proxy_entry_wins_across_header_lines() {
        // The client sends its own line; the proxy adds a separate one.
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", HeaderValue::from_static("198.51.100.66"));
        h.append("x-forwarded-for", HeaderValue::from_static("10.0.0.1, 203.0.113.9"));
        let connect = ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 5000)));
        assert_eq!(client_ip(&h, Some(&connect), true), "203.0.113.9");
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            HeaderValue::from_static("198.51.100.66, 198.51.100.67"),
        );
        h.append("x-forwarded-for", HeaderValue::from_static("203.0.113.10"));
        assert_eq!(client_ip(&h, Some(&connect), true), "203.0.113.10");
        assert_eq!(client_ip(&h, Some(&connect), false), "127.0.0.1");
    }
}
