//! Venues and their QR posters: creating, editing and listing venues (staff, by unit,
//! audited), the signed token printed on a venue's poster, rotating it, and reading a
//! token back when someone scans it.
//!
//! A venue token is `ID.VERSION.MAC`: the venue's id, the version of its token, and
//! the first 10 bytes (hex) of HMAC-SHA256 over both under the server's venue key
//! (`app_secret` row `venue_token_key`, 32 random bytes made at first use). A token
//! whose MAC does not match is forged; one of an older version was rotated away; one
//! read after the venue's `token_expires_at` has expired. Nothing about a venue token
//! is stored but the version, so rotating is one `update`.

use crate::access::{check_role, check_venue, Action, VenueAction};
use crate::actor::Actor;
use crate::error::{AppError, AppResult, Text};
use crate::{input, App};
use hmac::{Hmac, Mac};
use phongdich_domain::{StayMinutes, Timestamp, UnitCode, VenueKind};
use phongdich_store::{StoreError, Venue, VenueFields, VenueQuery};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;

/// Rows per page of the venue list.
pub const VENUE_PAGE: u64 = 100;

/// Bytes of the MAC kept in a token (80 bits: a forger guessing online meets the rate
/// limits long before).
const MAC_BYTES: usize = 10;

/// The key that signs venue tokens (and check-out codes).
#[derive(Clone)]
pub struct VenueKey(Vec<u8>);

impl fmt::Debug for VenueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VenueKey(..)")
    }
}

impl VenueKey {
    /// A key from its bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// HMAC-SHA256 of `message`, its first [`MAC_BYTES`] as hex.
    pub fn mac(&self, message: &str) -> String {
        // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
        let mut m = match <Hmac<Sha256> as Mac>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        m.update(message.as_bytes());
        let tag = m.finalize().into_bytes();
        tag[..MAC_BYTES]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The token of version `version` of venue `id`.
    pub fn token(&self, id: i64, version: i64) -> String {
        format!(
            "{id}.{version}.{}",
            self.mac(&format!("venue {id} {version}"))
        )
    }

    /// The code that lets the device that checked in check out of check-in `id`.
    pub fn checkout_code(&self, id: i64) -> String {
        self.mac(&format!("checkout {id}"))
    }
}

/// Why a scanned token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefused {
    /// Not a token this server signed (or of no venue).
    Forged,
    /// A token of an older version: the poster was replaced.
    Rotated,
    /// The poster's validity ended.
    Expired,
}

impl TokenRefused {
    /// What to tell the person who scanned it.
    pub fn text(self) -> Text {
        match self {
            Self::Forged => Text::new(
                "Mã QR không hợp lệ: đây không phải mã điểm quét của hệ thống. Hãy quét mã trên áp phích chính thức tại địa điểm.",
                "Invalid QR code: this is not a check-in code of this system. Scan the official poster at the venue.",
            ),
            Self::Rotated => Text::new(
                "Mã QR này đã được thay bằng mã mới. Hãy quét mã trên áp phích hiện tại tại địa điểm.",
                "This QR code has been replaced. Scan the current poster at the venue.",
            ),
            Self::Expired => Text::new(
                "Mã QR của địa điểm này đã hết hạn. Hãy báo người quản lý địa điểm.",
                "This venue's QR code has expired. Tell the venue's manager.",
            ),
        }
    }

    /// The error of the use cases: an invalid `token` field.
    pub fn error(self) -> AppError {
        AppError::Invalid {
            field: "token",
            message: self.text(),
        }
    }
}

/// Splits a token into (venue id, version, MAC); `None` when malformed.
fn split_token(token: &str) -> Option<(i64, i64, &str)> {
    let mut parts = token.trim().splitn(3, '.');
    let id = parts.next()?.parse::<i64>().ok().filter(|i| *i > 0)?;
    let version = parts.next()?.parse::<i64>().ok().filter(|v| *v > 0)?;
    let mac = parts.next()?;
    (mac.len() == MAC_BYTES * 2).then_some((id, version, mac))
}

/// A venue as staff type it (the page's form and the API).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct VenueInput {
    /// Name, 1 to 200 characters.
    pub name: String,
    /// `market`, `school`, `office`, `clinic`, `hospital`, `bus_station`,
    /// `checkpoint`, `quarantine_facility`, `hotel`, `restaurant`, `factory`,
    /// `worship` or `other`.
    pub venue_kind: String,
    /// The commune or village where it is (inside the caller's jurisdiction).
    pub unit: String,
    /// Address.
    #[serde(default)]
    pub address: Option<String>,
    /// People it holds at once.
    #[serde(default)]
    pub capacity: Option<i64>,
    /// Who runs it.
    #[serde(default)]
    pub operator: Option<String>,
    /// Default stay in minutes (5 to 1440; 60 when left out).
    #[serde(default)]
    pub stay_minutes: Option<i64>,
    /// Last local day the poster is valid, `YYYY-MM-DD` (empty: no end).
    #[serde(default)]
    pub valid_until: Option<String>,
}

/// A venue with what its pages show.
#[derive(Debug, Clone)]
pub struct VenueView {
    /// The venue.
    pub venue: Venue,
    /// The current token (for the poster).
    pub token: String,
    /// The unit's name.
    pub unit_name: Option<String>,
}

impl VenueView {
    /// The check-in path the poster carries: `/c/TOKEN`.
    pub fn check_in_path(&self) -> String {
        format!("/c/{}", self.token)
    }
}

/// A venue as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VenueJson {
    /// Id.
    pub id: i64,
    /// Reference.
    pub reference: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub venue_kind: Option<String>,
    /// Unit code.
    pub unit: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Capacity.
    pub capacity: Option<i64>,
    /// Operator.
    pub operator: Option<String>,
    /// Default stay, minutes.
    pub stay_minutes: u32,
    /// The current token's version.
    pub token_version: i64,
    /// The path of the check-in page (`/c/TOKEN`).
    pub check_in_path: String,
    /// End of the poster's validity (RFC 3339), if any.
    pub valid_until: Option<String>,
}

impl From<&VenueView> for VenueJson {
    fn from(v: &VenueView) -> Self {
        let p = &v.venue.place;
        Self {
            id: p.id,
            reference: p.reference.clone(),
            name: p.name.clone(),
            venue_kind: p.venue_kind.map(|k| k.as_str().to_owned()),
            unit: p.unit_code.as_ref().map(|u| u.as_str().to_owned()),
            address: p.address.clone(),
            capacity: p.capacity,
            operator: p.operator.clone(),
            stay_minutes: v.venue.stay.minutes(),
            token_version: v.venue.token_version,
            check_in_path: v.check_in_path(),
            valid_until: v.venue.token_expires_at.map(Timestamp::to_rfc3339),
        }
    }
}

/// One page of venues.
#[derive(Debug, Clone)]
pub struct VenuePage {
    /// The unit the list is narrowed to.
    pub unit: Option<UnitCode>,
    /// Venues by name.
    pub items: Vec<VenueView>,
    /// The cursor of the next page.
    pub next: Option<String>,
}

impl App {
    /// The key that signs venue tokens: read from the database (made there at first
    /// use) once per process.
    pub async fn venue_key(&self) -> AppResult<VenueKey> {
        let key = self
            .inner
            .venue_key
            .get_or_try_init(|| async {
                let hex = self
                    .store()
                    .secret("venue_token_key", crate::accounts::new_token)
                    .await?;
                Ok::<_, AppError>(VenueKey::new(hex.into_bytes()))
            })
            .await?;
        Ok(key.clone())
    }

    /// The venue a scanned token names, if the token is genuine, current and valid.
    pub async fn venue_for_token(&self, token: &str) -> AppResult<Result<Venue, TokenRefused>> {
        let Some((id, version, mac)) = split_token(token) else {
            return Ok(Err(TokenRefused::Forged));
        };
        let key = self.venue_key().await?;
        let expected = key.token(id, version);
        if !crate::accounts::same_secret(&expected, &format!("{id}.{version}.{mac}")) {
            return Ok(Err(TokenRefused::Forged));
        }
        // Every scan reads its venue: kept 10 s (edits and rotations here clear it).
        let venue = match self.inner.venue_cache.get(&id) {
            Some(v) => Ok(v),
            None => self.store().venue(id).await.inspect(|v| {
                self.inner.venue_cache.put(id, v.clone());
            }),
        };
        let venue = match venue {
            Ok(v) => v,
            Err(StoreError::NotFound { .. }) => return Ok(Err(TokenRefused::Forged)),
            Err(e) => return Err(e.into()),
        };
        if version < venue.token_version {
            return Ok(Err(TokenRefused::Rotated));
        }
        if version > venue.token_version {
            return Ok(Err(TokenRefused::Forged));
        }
        if venue.token_expires_at.is_some_and(|t| t < self.now()) {
            return Ok(Err(TokenRefused::Expired));
        }
        Ok(Ok(venue))
    }

    async fn view_of(&self, venue: Venue) -> AppResult<VenueView> {
        let key = self.venue_key().await?;
        let unit_name = match &venue.place.unit_code {
            Some(u) => self.unit_names(vec![u.clone()]).await?.get(u).cloned(),
            None => None,
        };
        Ok(VenueView {
            token: key.token(venue.place.id, venue.token_version),
            venue,
            unit_name,
        })
    }

    /// The venue `id` if `actor` may do `action` with it.
    pub async fn venue_in_scope(
        &self,
        actor: &Actor,
        id: i64,
        action: VenueAction,
    ) -> AppResult<Venue> {
        let venue = self.store().venue(id).await?;
        let scope = match actor.jurisdiction {
            phongdich_domain::Jurisdiction::Unit(_) => self.scope(actor).await.ok(),
            phongdich_domain::Jurisdiction::Place(_) => None,
        };
        check_venue(
            actor,
            scope.as_ref(),
            &venue.place.reference,
            venue.place.unit_code.as_ref(),
            action,
        )?;
        Ok(venue)
    }

    /// One venue with its current token, for its page and poster.
    pub async fn view_venue(&self, actor: &Actor, id: i64) -> AppResult<VenueView> {
        let venue = self.venue_in_scope(actor, id, VenueAction::View).await?;
        self.view_of(venue).await
    }

    /// The venues the actor sees, by name, narrowed to `unit`: a unit account's
    /// venues inside its scope, a venue operator's own venue. Audited as a list read.
    pub async fn list_venues(
        &self,
        actor: &Actor,
        unit: Option<&str>,
        cursor: Option<&str>,
    ) -> AppResult<VenuePage> {
        let offset = input::offset_cursor("cursor", cursor)?;
        let (unit, reference) = match (&actor.jurisdiction, actor.role) {
            (phongdich_domain::Jurisdiction::Place(r), phongdich_domain::Role::VenueOperator)
                if !actor.is_public() =>
            {
                (None, Some(r.clone()))
            }
            _ => {
                let scope = self.scope(actor).await?;
                let unit = scope
                    .chosen(self.store(), unit)
                    .await?
                    .or_else(|| scope.filter());
                (unit, None)
            }
        };
        let venues = self
            .store()
            .venue_list(&VenueQuery {
                unit: unit.clone(),
                reference,
                offset,
                limit: VENUE_PAGE,
            })
            .await?;
        let next = (venues.len() as u64 == VENUE_PAGE).then(|| (offset + VENUE_PAGE).to_string());
        let key = self.venue_key().await?;
        let codes: Vec<UnitCode> = venues
            .iter()
            .filter_map(|v| v.place.unit_code.clone())
            .collect();
        let names = self.unit_names(codes).await?;
        self.store()
            .insert_audit_event(&self.event(
                actor,
                "view",
                "venue_list",
                unit.as_ref().map(UnitCode::as_str).unwrap_or_default(),
                Some(serde_json::json!({
                    "venues": venues.iter().map(|v| v.place.id).collect::<Vec<_>>(),
                })),
            ))
            .await?;
        Ok(VenuePage {
            unit,
            next,
            items: venues
                .into_iter()
                .map(|venue| VenueView {
                    token: key.token(venue.place.id, venue.token_version),
                    unit_name: venue
                        .place
                        .unit_code
                        .as_ref()
                        .and_then(|u| names.get(u).cloned()),
                    venue,
                })
                .collect(),
        })
    }

    /// Checks what staff typed for a venue: the unit must be inside the actor's scope.
    async fn venue_fields(&self, actor: &Actor, input: &VenueInput) -> AppResult<VenueFields> {
        let name: String = input
            .name
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::invalid(
                "name",
                "Cần tên địa điểm (1 đến 200 ký tự).",
                "The venue's name is needed (1 to 200 characters).",
            ));
        }
        let venue_kind = VenueKind::parse(&input.venue_kind).ok_or_else(|| {
            AppError::invalid(
                "venue_kind",
                "Cần chọn loại địa điểm.",
                "Choose the kind of venue.",
            )
        })?;
        if input::optional(Some(&input.unit)).is_none() {
            return Err(AppError::invalid(
                "unit",
                "Cần chọn xã, phường nơi có địa điểm.",
                "Choose the commune where the venue is.",
            ));
        }
        let scope = self.scope(actor).await?;
        let unit_code = match scope.chosen(self.store(), Some(&input.unit)).await {
            Ok(Some(u)) => u,
            Ok(None) | Err(AppError::NotFound) => {
                return Err(AppError::invalid(
                    "unit",
                    "Đơn vị hành chính này không thuộc địa bàn của bạn.",
                    "This unit is outside your jurisdiction.",
                ))
            }
            Err(e) => return Err(e),
        };
        let capacity = match input.capacity {
            None => None,
            Some(c) if (1..=1_000_000).contains(&c) => Some(c),
            Some(_) => {
                return Err(AppError::invalid(
                    "capacity",
                    "Sức chứa phải là số từ 1 đến 1.000.000.",
                    "The capacity must be a number from 1 to 1,000,000.",
                ))
            }
        };
        let stay = match input.stay_minutes {
            None => StayMinutes::DEFAULT,
            Some(m) => StayMinutes::new(m).ok_or_else(|| {
                AppError::invalid(
                    "stay_minutes",
                    "Thời gian lưu lại mặc định phải từ 5 đến 1440 phút.",
                    "The default stay must be 5 to 1440 minutes.",
                )
            })?,
        };
        let now = self.now();
        let token_expires_at =
            input::optional_date("valid_until", input.valid_until.as_deref(), now)?.map(|d| {
                // The end of that local day.
                Timestamp(Timestamp::local_midnight(d).0 + 86_400 - 1)
            });
        Ok(VenueFields {
            name,
            venue_kind,
            unit_code,
            address: input::short_text(input.address.as_deref(), 300),
            capacity,
            operator: input::short_text(input.operator.as_deref(), 200),
            stay,
            token_expires_at,
        })
    }

    /// Creates a venue inside the actor's scope (audited); returns its id. `key`: an
    /// idempotency key.
    pub async fn create_venue(
        &self,
        actor: &Actor,
        input: &VenueInput,
        key: Option<&str>,
    ) -> AppResult<i64> {
        check_role(actor, Action::Write)?;
        if let Some(id) = self.replayed(actor, key).await? {
            return Ok(id);
        }
        let fields = self.venue_fields(actor, input).await?;
        let reference = format!("VQ-{}", &crate::accounts::new_token()[..12]);
        let mut tx = self.store().begin().await?;
        let id = tx.insert_venue(&reference, &fields).await?;
        tx.insert_audit_event(&self.event(
            actor,
            "create",
            "venue",
            id,
            Some(fields_json(&reference, &fields)),
        ))
        .await?;
        if let Some(earlier) = self
            .commit_write(tx, actor, key, "create_venue", id)
            .await?
        {
            return Ok(earlier);
        }
        tracing::info!(venue.id = id, "venue created");
        Ok(id)
    }

    /// Changes a venue's fields (audited with before and after).
    pub async fn edit_venue(&self, actor: &Actor, id: i64, input: &VenueInput) -> AppResult<()> {
        let before = self.venue_in_scope(actor, id, VenueAction::Manage).await?;
        let fields = self.venue_fields(actor, input).await?;
        let mut tx = self.store().begin().await?;
        tx.update_venue(id, &fields).await?;
        let mut event = self.event(
            actor,
            "update",
            "venue",
            id,
            Some(fields_json(&before.place.reference, &fields)),
        );
        event.before_json = Some(
            serde_json::json!({
                "name": before.place.name,
                "unit": before.place.unit_code.as_ref().map(UnitCode::as_str),
                "stay_minutes": before.stay.minutes(),
            })
            .to_string(),
        );
        tx.insert_audit_event(&event).await?;
        tx.commit().await?;
        self.inner.venue_cache.clear();
        Ok(())
    }

    /// Rotates a venue's token: every poster printed before is refused from now on.
    /// Returns the venue with its new token.
    pub async fn rotate_venue_token(&self, actor: &Actor, id: i64) -> AppResult<VenueView> {
        let venue = self.venue_in_scope(actor, id, VenueAction::Operate).await?;
        let mut tx = self.store().begin().await?;
        let version = tx.rotate_venue_token(id).await?;
        tx.insert_audit_event(&self.event(
            actor,
            "update",
            "venue_token",
            id,
            Some(serde_json::json!({ "from_version": venue.token_version, "version": version })),
        ))
        .await?;
        tx.commit().await?;
        self.inner.venue_cache.clear();
        tracing::info!(venue.id = id, version, "venue token rotated");
        self.view_of(Venue {
            token_version: version,
            ..venue
        })
        .await
    }
}

fn fields_json(reference: &str, f: &VenueFields) -> serde_json::Value {
    serde_json::json!({
        "ref": reference,
        "name": f.name,
        "venue_kind": f.venue_kind.as_str(),
        "unit": f.unit_code.as_str(),
        "address": f.address,
        "capacity": f.capacity,
        "operator": f.operator,
        "stay_minutes": f.stay.minutes(),
        "valid_until": f.token_expires_at.map(Timestamp::to_rfc3339),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_id_version_and_a_mac_of_both() {
        let key = VenueKey::new(b"k".to_vec());
        let t = key.token(42, 3);
        let (id, version, mac) = split_token(&t).unwrap();
        assert_eq!((id, version, mac.len()), (42, 3, 20));
        assert_ne!(key.token(42, 4), t, "each version has its own MAC");
        assert_ne!(VenueKey::new(b"other".to_vec()).token(42, 3), t);
        for bad in [
            "",
            "42",
            "42.3",
            "42.3.zz",
            "x.3.0123456789abcdef0123",
            "-1.1.0123456789abcdef0123",
        ] {
            assert!(split_token(bad).is_none(), "{bad}");
        }
        assert_ne!(key.checkout_code(1), key.checkout_code(2));
    }
}
