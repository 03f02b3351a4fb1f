//! Check-ins at venues: a person scanning a venue's poster (public, no sign-in), staff
//! checking in a person without a smartphone (by phone, ID number or the QR code of
//! the chip ID card), checking out, and a venue's recent check-ins.
//!
//! A check-in is written by one store function, [`phongdich_store::Tx::record_check_in`]
//! (the visitor found or created, the presence, the check-in and its audit event),
//! committed, and then given to the tracing engine as a presence, so that the levels it
//! changes (a visitor overlapping an F0 becomes F1) are stored before the answer. The
//! presence lasts the venue's default stay; checking out ends it then, in the database
//! and in the engine (an earlier end undoes what the longer stay had offered).
//!
//! Abuse: rate limits per client address and per phone ([`crate::rate_limit`]), and an
//! idempotency key per check-in (a form's hidden field, the API's `Idempotency-Key`)
//! stored with it, so a double submission answers the first check-in. A key names one
//! visitor's submission: it is looked up among that person's check-ins, and the same
//! key with someone else's phone and name is their own check-in.

use crate::access::VenueAction;
use crate::actor::Actor;
use crate::commit_queue::WriteJob;
use crate::engine::{Change, Traced};
use crate::error::{AppError, AppResult};
use crate::persons::Someone;
use crate::{input, App};
use futures_util::future::BoxFuture;
use phongdich_domain::{
    BirthDate, CccdQr, CccdQrError, CheckInChannel, FullName, IdentityDocument, Interval, Phone,
    PlaceKind, Timestamp,
};
use phongdich_store::checkins::is_key_conflict;
use phongdich_store::checkins::CheckInRecorded;
use phongdich_store::{CheckIn, NewCheckIn, StoreError, Tx, Venue, Visitor};
use serde::{Deserialize, Serialize};

/// A check-in by the person themself, from the venue's poster.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CheckInInput {
    /// The venue's token, from its poster (`/c/TOKEN`).
    pub token: String,
    /// Mobile or landline number (`0912345678`, `+84 912 345 678`).
    pub phone: String,
    /// Full name.
    pub full_name: String,
}

/// A check-in made by staff (or the venue's operator) for a person: by the QR code of
/// the chip ID card, else by ID number, else by phone and name.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct StaffCheckInInput {
    /// The text of the chip ID card's QR code
    /// (`id|old id|name|ddmmyyyy|sex|address|issue date`).
    #[serde(default)]
    pub cccd_qr: Option<String>,
    /// CCCD, CMND or passport number.
    #[serde(default)]
    pub id_number: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Full name (needed unless the ID number is of a known person).
    #[serde(default)]
    pub full_name: Option<String>,
}

/// What a check-in did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckedIn {
    /// The check-in's id.
    pub check_in_id: i64,
    /// The venue.
    pub venue_id: i64,
    /// Its name.
    pub venue_name: String,
    /// Arrival (RFC 3339).
    pub arrived_at: String,
    /// When the visit ends unless the visitor checks out (RFC 3339).
    pub until: String,
    /// Whether the visitor checked out already.
    pub checked_out: bool,
    /// The code that checks this visit out (`POST /api/v1/checkins/{id}/checkout`).
    pub checkout_code: String,
    /// Whether this answers an earlier submission with the same idempotency key.
    pub replayed: bool,
    /// Persons whose level changed.
    pub levels_changed: usize,
    /// Whether the levels are already updated.
    pub traced: bool,
}

/// A check-in ready to be written: everything checked.
#[derive(Debug, Clone)]
pub struct PreparedCheckIn {
    /// The rows to write.
    pub row: NewCheckIn,
    /// The venue.
    pub venue: Venue,
    /// Who checks in (for the audit event).
    pub actor: Actor,
}

/// A venue's recent check-ins as its page shows them.
#[derive(Debug, Clone)]
pub struct VenueCheckIns {
    /// Check-ins since the start of today (Vietnam time).
    pub today: u64,
    /// The latest, each with the person as the actor may see them (empty for a venue
    /// operator, who sees counts only).
    pub recent: Vec<(CheckIn, Someone)>,
}

/// Latest check-ins a venue page lists.
pub const RECENT_CHECK_INS: u32 = 50;

fn phone_error() -> AppError {
    AppError::invalid(
        "phone",
        "Số điện thoại không đúng: cần 10 số di động (09x, 03x, 08x...) hoặc 11 số máy bàn (02x...).",
        "Not a Vietnamese phone number: 10 digits for a mobile (09x, 03x...), 11 for a landline (02x...).",
    )
}

fn parse_phone(s: &str) -> AppResult<Phone> {
    if s.trim().is_empty() {
        return Err(AppError::invalid(
            "phone",
            "Cần nhập số điện thoại.",
            "The phone number is needed.",
        ));
    }
    if s.chars().count() > 30 {
        return Err(phone_error());
    }
    Phone::parse(s).map_err(|_| phone_error())
}

fn parse_name(s: &str) -> AppResult<FullName> {
    if s.trim().is_empty() {
        return Err(AppError::invalid(
            "full_name",
            "Cần nhập họ và tên.",
            "The full name is needed.",
        ));
    }
    let clean: String = s.chars().filter(|c| !c.is_control()).collect();
    if clean
        .chars()
        .any(|c| c.is_ascii_digit() || "<>{}[]@#$%^*=|\\/".contains(c))
    {
        return Err(AppError::invalid(
            "full_name",
            "Họ và tên chỉ gồm chữ cái và khoảng trắng.",
            "A name has letters and spaces only.",
        ));
    }
    FullName::parse(&clean).map_err(|_| {
        AppError::invalid(
            "full_name",
            "Họ và tên dài tối đa 100 ký tự.",
            "A name is at most 100 characters.",
        )
    })
}

fn cccd_error(e: CccdQrError) -> AppError {
    let (vi, en) = match e {
        CccdQrError::Fields(_) => (
            "Mã QR trên CCCD phải có 7 phần ngăn bởi dấu |: số|số cũ|họ tên|ngày sinh|giới tính|địa chỉ|ngày cấp.",
            "A chip ID card's QR code has 7 fields separated by |.",
        ),
        CccdQrError::Number(_) => (
            "Số CCCD trong mã QR phải có 12 chữ số.",
            "The card number in the QR code must have 12 digits.",
        ),
        CccdQrError::OldNumber(_) => (
            "Số CMND cũ trong mã QR không đúng.",
            "The old ID number in the QR code is wrong.",
        ),
        CccdQrError::Name => (
            "Họ tên trong mã QR trống hoặc quá dài.",
            "The name in the QR code is empty or too long.",
        ),
        CccdQrError::Birth(_) => (
            "Ngày sinh trong mã QR phải có dạng ngàythángnăm (01021998).",
            "The date of birth in the QR code must be ddmmyyyy.",
        ),
        CccdQrError::Sex(_) => (
            "Giới tính trong mã QR phải là Nam hoặc Nữ.",
            "The sex in the QR code must be Nam or Nữ.",
        ),
        CccdQrError::Issued(_) => (
            "Ngày cấp trong mã QR phải có dạng ngàythángnăm.",
            "The issue date in the QR code must be ddmmyyyy.",
        ),
    };
    AppError::invalid("cccd_qr", vi, en)
}

/// A fresh reference for a person first met at a check-in (`CK-` and 12 hex digits).
fn new_person_reference() -> String {
    format!("CK-{}", &crate::accounts::new_token()[..12])
}

/// A check-in as a job of the group commit ([`crate::commit_queue`]): written with its
/// audit event by [`Tx::record_check_in`], or with the rest of its batch by
/// [`Tx::record_check_ins`] (planned, then written: the engine works on the planned
/// presences meanwhile); answered after the commit.
#[derive(Debug)]
pub struct CheckInJob {
    app: App,
    prepared: PreparedCheckIn,
}

impl CheckInJob {
    /// The audit event of what was written.
    fn event(&self, r: &CheckInRecorded) -> phongdich_store::NewAuditEvent {
        let p = &self.prepared;
        self.app.event(
            &p.actor,
            "create",
            "check_in",
            r.check_in_id,
            Some(serde_json::json!({
                "venue_id": p.row.place_id,
                "person_id": r.person_id,
                "person_created": r.person_created,
                "channel": p.row.channel.as_str(),
                "arrived_at": p.row.interval.start().to_rfc3339(),
                "until": p.row.interval.end().to_rfc3339(),
            })),
        )
    }
}

impl WriteJob for CheckInJob {
    type Output = CheckInRecorded;

    fn write<'a>(
        &'a mut self,
        tx: &'a mut Tx,
    ) -> BoxFuture<'a, phongdich_store::Result<CheckInRecorded>> {
        let job = &*self;
        Box::pin(tx.record_check_in(&job.prepared.row, move |r| job.event(r)))
    }

    fn write_all<'a>(
        jobs: &'a mut [Self],
        tx: &'a mut Tx,
    ) -> BoxFuture<'a, phongdich_store::Result<Vec<CheckInRecorded>>> {
        Box::pin(async move {
            let jobs = &*jobs;
            let rows: Vec<&NewCheckIn> = jobs.iter().map(|j| &j.prepared.row).collect();
            tx.record_check_ins(&rows, |i, r| jobs[i].event(r)).await
        })
    }

    fn plan_all<'a>(
        jobs: &'a mut [Self],
        tx: &'a mut Tx,
    ) -> BoxFuture<'a, phongdich_store::Result<Option<Vec<CheckInRecorded>>>> {
        Box::pin(async move {
            let rows: Vec<&NewCheckIn> = jobs.iter().map(|j| &j.prepared.row).collect();
            tx.plan_check_ins(&rows).await.map(Some)
        })
    }

    fn write_planned<'a>(
        jobs: &'a mut [Self],
        planned: &'a [CheckInRecorded],
        tx: &'a mut Tx,
    ) -> BoxFuture<'a, phongdich_store::Result<()>> {
        Box::pin(async move {
            let jobs = &*jobs;
            let rows: Vec<&NewCheckIn> = jobs.iter().map(|j| &j.prepared.row).collect();
            tx.write_planned_check_ins(&rows, planned, |i, r| jobs[i].event(r))
                .await
        })
    }

    fn changes(&self, r: &CheckInRecorded) -> Vec<Change> {
        vec![Change::Presence {
            person_id: r.person_id,
            place_id: self.prepared.row.place_id,
            kind: PlaceKind::Venue,
            interval: self.prepared.row.interval,
        }]
    }
}

impl App {
    /// The answer to a check-in found by its key: the same visit, if it is the same
    /// phone at the same venue; anything else reusing the key is a conflict.
    async fn replay_check_in(
        &self,
        earlier: CheckIn,
        venue: &Venue,
        phone: Option<&Phone>,
    ) -> AppResult<CheckedIn> {
        let same = earlier.place_id == venue.place.id
            && earlier.phone.as_deref() == phone.map(Phone::as_str);
        if !same {
            return Err(AppError::conflict(
                "Mã chống gửi trùng (Idempotency-Key) này đã được dùng cho một lượt quét khác.",
                "This idempotency key was already used for another check-in.",
            ));
        }
        self.checked_in(&earlier, venue, true, Traced::Applied { levels_changed: 0 })
            .await
    }

    async fn checked_in(
        &self,
        c: &CheckIn,
        venue: &Venue,
        replayed: bool,
        traced: Traced,
    ) -> AppResult<CheckedIn> {
        let key = self.venue_key().await?;
        Ok(CheckedIn {
            check_in_id: c.id,
            venue_id: venue.place.id,
            venue_name: venue.place.name.clone(),
            arrived_at: c.arrived_at.to_rfc3339(),
            until: c.until.to_rfc3339(),
            checked_out: c.left_at.is_some(),
            checkout_code: key.checkout_code(c.id),
            replayed,
            levels_changed: match traced {
                Traced::Applied { levels_changed } => levels_changed,
                _ => 0,
            },
            traced: matches!(traced, Traced::Applied { .. }),
        })
    }

    /// A person checks in at the venue of a scanned token (public: no account). Rate
    /// limited per client address and per phone; the token must be genuine, current
    /// and valid; the phone and the name are checked; then [`App::write_check_in`].
    pub async fn check_in(
        &self,
        actor: &Actor,
        input: &CheckInInput,
        key: Option<&str>,
    ) -> AppResult<CheckedIn> {
        let now = self.now();
        self.public_limits()
            .address(actor.client.as_deref(), now.0)?;
        let venue = self
            .venue_for_token(&input.token)
            .await?
            .map_err(|r| r.error())?;
        let phone = parse_phone(&input.phone)?;
        let full_name = parse_name(&input.full_name)?;
        self.public_limits().phone(phone.as_str(), now.0)?;
        // A key the visitor used before is found by the write itself (among the
        // visitor's check-ins), which then answers the first check-in: no read before
        // every scan.
        let prepared = self.prepare_check_in(
            actor,
            venue,
            Visitor {
                full_name,
                phone: Some(phone),
                identity: None,
                birth: None,
                sex: None,
                address: None,
                new_reference: new_person_reference(),
            },
            CheckInChannel::SelfScan,
            key,
        )?;
        self.write_check_in(&prepared).await
    }

    /// Staff (or the venue's operator) check a person in at venue `venue_id`: by the
    /// chip ID card's QR code, by ID number (a known person, or a new one with a
    /// name), or by phone and name.
    pub async fn staff_check_in(
        &self,
        actor: &Actor,
        venue_id: i64,
        input: &StaffCheckInInput,
        key: Option<&str>,
    ) -> AppResult<CheckedIn> {
        let venue = self
            .venue_in_scope(actor, venue_id, VenueAction::Operate)
            .await?;
        let now = self.now();
        let phone = match input::optional(input.phone.as_deref()) {
            Some(p) => Some(parse_phone(p)?),
            None => None,
        };
        let (visitor, channel) = if let Some(text) = input::optional(input.cccd_qr.as_deref()) {
            let card = CccdQr::parse(text).map_err(cccd_error)?;
            // A birth date in the future or before 1900 is dropped, not refused: the
            // card itself is genuine.
            let birth =
                BirthDate::parse(&card.birth.format("%Y-%m-%d").to_string(), now.local_date()).ok();
            (
                Visitor {
                    full_name: card.full_name,
                    phone: phone.clone(),
                    identity: Some(card.number),
                    birth,
                    sex: Some(card.sex),
                    address: card.address,
                    new_reference: new_person_reference(),
                },
                CheckInChannel::Cccd,
            )
        } else if let Some(number) = input::optional(input.id_number.as_deref()) {
            let doc = IdentityDocument::parse(number).map_err(|_| {
                AppError::invalid(
                    "id_number",
                    "Số giấy tờ không đúng: CCCD 12 số, CMND 9 số, hộ chiếu 1-2 chữ cái và 6-8 số.",
                    "Not an ID number: a CCCD has 12 digits, a CMND 9, a passport 1-2 letters and 6-8 digits.",
                )
            })?;
            let known = self.store().person_by_id_number(doc.number()).await?;
            let full_name = match (input::optional(input.full_name.as_deref()), &known) {
                (Some(n), _) => parse_name(n)?,
                (None, Some(p)) => p.full_name.clone(),
                (None, None) => {
                    return Err(AppError::invalid(
                        "full_name",
                        "Người có số giấy tờ này chưa có trong hệ thống: cần nhập họ và tên.",
                        "Nobody holds this ID number yet: the full name is needed.",
                    ))
                }
            };
            (
                Visitor {
                    full_name,
                    phone: phone.clone(),
                    identity: Some(doc),
                    birth: None,
                    sex: None,
                    address: None,
                    new_reference: new_person_reference(),
                },
                CheckInChannel::Staff,
            )
        } else {
            let Some(phone) = phone.clone() else {
                return Err(AppError::invalid(
                    "phone",
                    "Cần số điện thoại, số CCCD/CMND hoặc mã QR trên CCCD.",
                    "A phone number, an ID number or the ID card's QR code is needed.",
                ));
            };
            let full_name = parse_name(input.full_name.as_deref().unwrap_or_default())?;
            (
                Visitor {
                    full_name,
                    phone: Some(phone),
                    identity: None,
                    birth: None,
                    sex: None,
                    address: None,
                    new_reference: new_person_reference(),
                },
                CheckInChannel::Staff,
            )
        };
        if let Some(k) = key {
            if let Some(earlier) = self.store().check_in_by_key(&visitor, k).await? {
                return self
                    .replay_check_in(earlier, &venue, visitor.phone.as_ref())
                    .await;
            }
        }
        let prepared = self.prepare_check_in(actor, venue, visitor, channel, key)?;
        self.write_check_in(&prepared).await
    }

    /// The rows of a checked check-in: the presence from now to the end of the venue's
    /// default stay.
    pub fn prepare_check_in(
        &self,
        actor: &Actor,
        venue: Venue,
        visitor: Visitor,
        channel: CheckInChannel,
        key: Option<&str>,
    ) -> AppResult<PreparedCheckIn> {
        let now = self.now();
        let interval = Interval::new(now, Timestamp(now.0 + venue.stay.seconds()))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(PreparedCheckIn {
            row: NewCheckIn {
                place_id: venue.place.id,
                visitor,
                interval,
                channel,
                staff_user_id: if actor.is_public() {
                    None
                } else {
                    actor.user_id
                },
                idempotency_key: key.map(str::to_owned),
            },
            venue,
            actor: actor.clone(),
        })
    }

    /// Writes a prepared check-in (person, presence, check-in, audit event) through
    /// the group commit ([`crate::commit_queue`]: with the check-ins that arrive
    /// meanwhile, in one transaction and one sync), which gives the presence to the
    /// engine after the commit; answers once its levels are stored. A key already used
    /// answers the first check-in.
    pub async fn write_check_in(&self, p: &PreparedCheckIn) -> AppResult<CheckedIn> {
        let mut attempt = 0;
        let (recorded, traced) = loop {
            attempt += 1;
            let job = CheckInJob {
                app: self.clone(),
                prepared: p.clone(),
            };
            match self.commit_queue().submit(job).await {
                Ok(done) => break done,
                Err(e @ StoreError::Conflict(_)) => {
                    if let (true, Some(k)) = (is_key_conflict(&e), p.row.idempotency_key.as_deref())
                    {
                        if let Some(earlier) =
                            self.store().check_in_by_key(&p.row.visitor, k).await?
                        {
                            return self
                                .replay_check_in(earlier, &p.venue, p.row.visitor.phone.as_ref())
                                .await;
                        }
                    }
                    // The visitor's ID number was stored meanwhile: now they are found.
                    if attempt >= 2 {
                        return Err(e.into());
                    }
                }
                Err(e) => return Err(e.into()),
            }
        };
        tracing::debug!(
            check_in.id = recorded.check_in_id,
            venue.id = p.row.place_id,
            ?traced,
            "checked in"
        );
        let stored = CheckIn {
            id: recorded.check_in_id,
            place_id: p.row.place_id,
            person_id: recorded.person_id,
            presence_id: recorded.presence_id,
            arrived_at: p.row.interval.start(),
            left_at: None,
            until: p.row.interval.end(),
            channel: p.row.channel,
            phone: p.row.visitor.phone.as_ref().map(|x| x.as_str().to_owned()),
            staff_user_id: p.row.staff_user_id,
            idempotency_key: p.row.idempotency_key.clone(),
        };
        self.checked_in(&stored, &p.venue, false, traced).await
    }

    /// Checks a visit out now, from the device that checked in (which holds the
    /// check-out `code` of the answer). A wrong code is [`AppError::NotFound`]; a visit
    /// already checked out answers as it is. The presence ends at the check-out: before
    /// the default stay it is shortened, after it lengthened (up to a day after
    /// arrival); the engine moves the presence's end and the levels with it.
    pub async fn check_out(&self, actor: &Actor, id: i64, code: &str) -> AppResult<CheckedIn> {
        let now = self.now();
        self.public_limits()
            .address(actor.client.as_deref(), now.0)?;
        let key = self.venue_key().await?;
        if !crate::accounts::same_secret(&key.checkout_code(id), code.trim()) {
            return Err(AppError::NotFound);
        }
        let earlier = self.store().check_in(id).await?;
        let venue = self.store().venue(earlier.place_id).await?;
        self.end_visit(actor, earlier, &venue).await
    }

    /// Staff of the venue's unit (or its operator) check a visit out now, for a visitor
    /// who left without checking out (`POST /venues/{id}/checkins/{check_in}/checkout`).
    /// A check-in of another venue is [`AppError::NotFound`].
    pub async fn staff_check_out(
        &self,
        actor: &Actor,
        venue_id: i64,
        check_in_id: i64,
    ) -> AppResult<CheckedIn> {
        let venue = self
            .venue_in_scope(actor, venue_id, VenueAction::Operate)
            .await?;
        let earlier = match self.store().check_in(check_in_id).await {
            Ok(c) if c.place_id == venue.place.id => c,
            Ok(_) | Err(phongdich_store::StoreError::NotFound { .. }) => {
                return Err(AppError::NotFound)
            }
            Err(e) => return Err(e.into()),
        };
        self.end_visit(actor, earlier, &venue).await
    }

    /// Ends a visit now (at most a day after arrival), audited, and moves its
    /// presence's end in the engine; a visit already checked out answers as it is.
    async fn end_visit(
        &self,
        actor: &Actor,
        earlier: CheckIn,
        venue: &Venue,
    ) -> AppResult<CheckedIn> {
        if earlier.left_at.is_some() {
            return self
                .checked_in(&earlier, venue, true, Traced::Applied { levels_changed: 0 })
                .await;
        }
        let now = self.now();
        let id = earlier.id;
        let at = Timestamp(now.0.min(earlier.arrived_at.0 + 86_400));
        let mut tx = self.store().begin().await?;
        let after = tx.check_out(id, at).await?;
        tx.insert_audit_event(&self.event(
            actor,
            "update",
            "check_in",
            id,
            Some(serde_json::json!({ "left_at": after.until.to_rfc3339() })),
        ))
        .await?;
        tx.commit().await?;
        let traced = if after.until != earlier.until {
            let interval = Interval::new(earlier.arrived_at, earlier.until)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            self.engine()
                .apply(Change::PresenceEnd {
                    person_id: after.person_id,
                    place_id: after.place_id,
                    kind: PlaceKind::Venue,
                    interval,
                    end: after.until,
                })
                .await
        } else {
            Traced::Applied { levels_changed: 0 }
        };
        self.checked_in(&after, venue, false, traced).await
    }

    /// A venue's check-ins today and its latest ones (names only for staff of the
    /// unit; a venue operator sees counts). Audited as a read of the check-ins shown.
    pub async fn venue_check_ins(&self, actor: &Actor, venue_id: i64) -> AppResult<VenueCheckIns> {
        let venue = self
            .venue_in_scope(actor, venue_id, VenueAction::View)
            .await?;
        let now = self.now();
        let today = self
            .store()
            .check_in_count_at_venue(venue.place.id, Timestamp::local_midnight(now.local_date()))
            .await?;
        let Ok(scope) = self.scope(actor).await else {
            return Ok(VenueCheckIns {
                today,
                recent: Vec::new(),
            });
        };
        let rows = self
            .store()
            .check_ins_at_venue(venue.place.id, RECENT_CHECK_INS)
            .await?;
        let ids: Vec<i64> = rows.iter().map(|c| c.person_id).collect();
        let who = self.someones(&scope, &ids).await?;
        self.store()
            .insert_audit_event(&self.event(
                actor,
                "view",
                "check_in_list",
                venue.place.id,
                Some(serde_json::json!({
                    "check_ins": rows.iter().map(|c| c.id).collect::<Vec<_>>(),
                })),
            ))
            .await?;
        Ok(VenueCheckIns {
            today,
            recent: rows
                .into_iter()
                .map(|c| {
                    let s = who
                        .get(&c.person_id)
                        .cloned()
                        .unwrap_or(Someone::Outside { commune: None });
                    (c, s)
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_phones_say_what_is_wrong() {
        assert!(parse_phone("0912 345 678").is_ok());
        for (bad, field) in [
            ("", "phone"),
            ("12345", "phone"),
            ("0912345678901234567890123456789", "phone"),
        ] {
            match parse_phone(bad) {
                Err(AppError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(parse_name("Nguyễn Văn An").is_ok());
        for bad in ["", "   ", "Nguyen 123", "<script>", &"a".repeat(101)] {
            assert!(
                matches!(
                    parse_name(bad),
                    Err(AppError::Invalid {
                        field: "full_name",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }
}
