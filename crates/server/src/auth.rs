//! Who is signed in: roles, jurisdictions, password hashing, session tokens, the
//! sign-in throttle and the middleware that guards every non-public route.
//!
//! A session is a random 256-bit token in an `HttpOnly`, `SameSite=Lax` cookie (plus
//! `Secure` behind TLS); the database holds only its SHA-256 digest and the session's
//! CSRF token, which every form must send back in a hidden field.

use crate::cookies;
use crate::state::AppState;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use phongdich_domain::UnitCode;
use phongdich_store::Session;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "pd_session";
/// How long a session lasts without signing in again (12 hours: one working shift).
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// What a staff member may do. Jurisdiction limits where; the role limits what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages accounts and reads the audit log; sees and edits all of its jurisdiction.
    ProvinceAdmin,
    /// Department of Health or provincial Steering Committee staff.
    ProvinceOfficer,
    /// District staff.
    DistrictOfficer,
    /// Commune staff.
    CommuneOfficer,
    /// Runs a quarantine facility.
    FacilityManager,
    /// Staffs a checkpoint.
    CheckpointOfficer,
    /// Bus or transport operator (passenger manifests).
    TransportOperator,
    /// Hotel or guest-house operator (guest reports).
    AccommodationOperator,
    /// Steering Committee leader: reads everything of its jurisdiction, writes nothing.
    Leader,
}

impl Role {
    /// Every role, in the order forms list them.
    pub const ALL: [Role; 9] = [
        Self::ProvinceAdmin,
        Self::ProvinceOfficer,
        Self::DistrictOfficer,
        Self::CommuneOfficer,
        Self::FacilityManager,
        Self::CheckpointOfficer,
        Self::TransportOperator,
        Self::AccommodationOperator,
        Self::Leader,
    ];

    /// The stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProvinceAdmin => "province_admin",
            Self::ProvinceOfficer => "province_officer",
            Self::DistrictOfficer => "district_officer",
            Self::CommuneOfficer => "commune_officer",
            Self::FacilityManager => "facility_manager",
            Self::CheckpointOfficer => "checkpoint_officer",
            Self::TransportOperator => "transport_operator",
            Self::AccommodationOperator => "accommodation_operator",
            Self::Leader => "leader",
        }
    }

    /// Parses the stored text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// The Vietnamese name of the role.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::ProvinceAdmin => "Quản trị hệ thống tỉnh",
            Self::ProvinceOfficer => "Cán bộ tỉnh (Sở Y tế, BCĐ)",
            Self::DistrictOfficer => "Cán bộ huyện",
            Self::CommuneOfficer => "Cán bộ xã",
            Self::FacilityManager => "Quản lý khu cách ly",
            Self::CheckpointOfficer => "Cán bộ chốt kiểm soát",
            Self::TransportOperator => "Nhà xe, vận tải",
            Self::AccommodationOperator => "Cơ sở lưu trú",
            Self::Leader => "Lãnh đạo (chỉ xem)",
        }
    }

    /// Whether the role may only read.
    pub fn read_only(self) -> bool {
        self == Self::Leader
    }
}

/// Where a staff member's view ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jurisdiction {
    /// An administrative unit and everything under it.
    Unit(UnitCode),
    /// One facility, checkpoint or operator (a place reference).
    Place(String),
}

impl Jurisdiction {
    /// Parses the stored pair (`unit`, code) or (`place`, reference).
    pub fn parse(kind: &str, code: &str) -> Option<Self> {
        match kind {
            "unit" => UnitCode::parse(code).ok().map(Self::Unit),
            "place" if !code.trim().is_empty() => Some(Self::Place(code.trim().to_owned())),
            _ => None,
        }
    }

    /// The stored pair.
    pub fn parts(&self) -> (&'static str, &str) {
        match self {
            Self::Unit(c) => ("unit", c.as_str()),
            Self::Place(r) => ("place", r),
        }
    }
}

/// Hashes a password with argon2 (default parameters). CPU-heavy: call it from
/// `spawn_blocking` in async code.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored argon2 hash; a malformed hash never matches.
/// CPU-heavy: call it from `spawn_blocking` in async code.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A fresh random token (256 bits, hex).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// The SHA-256 digest (hex) under which a token is stored.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Compares two secrets in time independent of where they differ; an empty secret
/// never matches (API-token sessions have none).
pub fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty()
        && a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Sign-in throttle: at most [`Throttle::MAX_FAILURES`] failures per username and IP
/// within [`Throttle::WINDOW_SECONDS`]. In memory: one server process per province.
/// Takes the time as an argument so tests need no clock.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<(String, String), Vec<i64>>>,
}

impl Throttle {
    /// Failures allowed in the window.
    pub const MAX_FAILURES: usize = 5;
    /// The window, in seconds (15 minutes).
    pub const WINDOW_SECONDS: i64 = 15 * 60;

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<(String, String), Vec<i64>>) -> R) -> R {
        // A poisoned lock only means another request panicked mid-update; the map is
        // still usable.
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut map)
    }

    /// Whether another attempt is allowed now.
    pub fn allowed(&self, username: &str, ip: &str, now: i64) -> bool {
        self.with(|m| {
            let key = (username.to_lowercase(), ip.to_owned());
            let recent = m.get_mut(&key).map(|v| {
                v.retain(|t| now - t < Self::WINDOW_SECONDS);
                v.len()
            });
            recent.unwrap_or(0) < Self::MAX_FAILURES
        })
    }

    /// Records a failed attempt.
    pub fn failed(&self, username: &str, ip: &str, now: i64) {
        self.with(|m| {
            m.entry((username.to_lowercase(), ip.to_owned()))
                .or_default()
                .push(now)
        });
    }

    /// Forgets the failures after a successful sign-in.
    pub fn succeeded(&self, username: &str, ip: &str) {
        self.with(|m| m.remove(&(username.to_lowercase(), ip.to_owned())));
    }
}

/// The signed-in staff member of a request, put in the request's extensions by
/// [`require_signin`].
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The session (with its CSRF token) and the account.
    pub session: Session,
    /// The parsed role.
    pub role: Role,
    /// The parsed jurisdiction.
    pub jurisdiction: Jurisdiction,
}

/// Current Unix time.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Guards every non-public route: without a live session, pages answer 303 to
/// `/signin?next=...` and `/api/...` answers 401 JSON.
pub async fn require_signin(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let token = cookies::get(req.headers(), SESSION_COOKIE).map(token_hash);
    let mut session = match token {
        Some(hash) => match state.store().live_session(&hash, now()).await {
            Ok(s) => s,
            Err(err) => return crate::error::AppError::from(err).into_response(),
        },
        None => None,
    };
    // API tokens count only under /api/: their sessions have no CSRF token, so they
    // must never reach a form handler.
    if session.is_none() && req.uri().path().starts_with("/api/") {
        let bearer = req
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| token_hash(t.trim()));
        if let Some(hash) = bearer {
            match state.store().api_token_user(&hash, now()).await {
                Ok(Some(user)) => {
                    session = Some(Session {
                        token_hash: hash,
                        csrf_token: String::new(),
                        expires_at: i64::MAX,
                        user,
                    })
                }
                Ok(None) => {}
                Err(err) => return crate::error::AppError::from(err).into_response(),
            }
        }
    }
    let current = session.and_then(|session| {
        let role = Role::parse(&session.user.role)?;
        let jurisdiction = Jurisdiction::parse(
            &session.user.jurisdiction_kind,
            &session.user.jurisdiction_code,
        )?;
        Some(CurrentUser {
            session,
            role,
            jurisdiction,
        })
    });
    match current {
        Some(user) => {
            req.extensions_mut().insert(user);
            next.run(req).await
        }
        None if req.uri().path().starts_with("/api/") => (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({
                "code": "unauthenticated",
                "message": "sign in or send an API token (Authorization: Bearer ...)"
            })),
        )
            .into_response(),
        None => {
            let path = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let mut target = String::from("/signin?next=");
            target.extend(form_encode(path));
            Redirect::to(&target).into_response()
        }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub fn form_encode(s: &str) -> impl Iterator<Item = String> + '_ {
    s.bytes().map(|b| match b {
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
            (b as char).to_string()
        }
        _ => format!("%{b:02X}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("mật khẩu dài 123").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu dài 123", &h));
        assert!(!verify_password("sai", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert!(same_secret(&a, &a.clone()) && !same_secret(&a, &b) && !same_secret("a", "ab"));
    }

    #[test]
    fn throttle_allows_five_failures_per_fifteen_minutes() {
        let t = Throttle::default();
        for i in 0..5 {
            assert!(t.allowed("Lan", "1.2.3.4", 1000 + i));
            t.failed("Lan", "1.2.3.4", 1000 + i);
        }
        assert!(!t.allowed("lan", "1.2.3.4", 1010));
        assert!(
            t.allowed("lan", "5.6.7.8", 1010),
            "another IP is not blocked"
        );
        assert!(
            t.allowed("an", "1.2.3.4", 1010),
            "another user is not blocked"
        );
        assert!(t.allowed("lan", "1.2.3.4", 1000 + 900), "the window slides");
        t.failed("an", "1.2.3.4", 0);
        t.succeeded("an", "1.2.3.4");
        assert!(t.allowed("an", "1.2.3.4", 1));
    }

    #[test]
    fn roles_and_jurisdictions_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        let j = Jurisdiction::parse("unit", "03460").unwrap();
        assert_eq!(j.parts(), ("unit", "03460"));
        assert_eq!(Jurisdiction::parse("unit", "x"), None);
        assert_eq!(Jurisdiction::parse("galaxy", "12"), None);
    }
}
