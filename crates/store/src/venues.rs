//! Venues: places of kind `venue` with what their QR posters need (migration 0010):
//! the default stay of a visit, the version of the signed token printed on the poster
//! (rotating it refuses every older poster) and an optional end of its validity; and
//! the server's secrets (`app_secret`), made once on first use.

use crate::error::{classify, Result, StoreError};
use crate::places::place_from_row;
use crate::tx::Tx;
use crate::{corrupt, Place, Store};
use phongdich_domain::{StayMinutes, Timestamp, UnitCode, VenueKind};
use sqlx::any::AnyRow;
use sqlx::Row;

/// A venue: the place, and its QR poster's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Venue {
    /// The place (kind `venue`).
    pub place: Place,
    /// How long a visit lasts when the visitor does not check out.
    pub stay: StayMinutes,
    /// The version of the token on the current poster (from 1).
    pub token_version: i64,
    /// After this instant the poster's token is refused (`None`: never).
    pub token_expires_at: Option<Timestamp>,
}

/// What staff type for a venue (new or edited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueFields {
    /// Name.
    pub name: String,
    /// What it is.
    pub venue_kind: VenueKind,
    /// The commune (or village) where it is.
    pub unit_code: UnitCode,
    /// Address.
    pub address: Option<String>,
    /// How many people it holds at once.
    pub capacity: Option<i64>,
    /// Who runs it (a company, a household business).
    pub operator: Option<String>,
    /// Default stay.
    pub stay: StayMinutes,
    /// End of the poster's validity.
    pub token_expires_at: Option<Timestamp>,
}

/// A page of venues.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VenueQuery {
    /// Only venues in this unit or under it (`None`: all).
    pub unit: Option<UnitCode>,
    /// Only the venue with this reference (a venue operator's own).
    pub reference: Option<String>,
    /// Rows to skip.
    pub offset: u64,
    /// Rows at most (0: 100; capped at 500).
    pub limit: u64,
}

const VENUE_COLUMNS: &str = "id, ref, kind, venue_kind, name, unit_code, address, capacity, \
     operator, stay_minutes, token_version, token_expires_at";

fn venue_from_row(row: &AnyRow) -> Result<Venue> {
    let place = place_from_row(row)?;
    let stay: Option<i64> = row.try_get("stay_minutes")?;
    let stay = match stay {
        None => StayMinutes::DEFAULT,
        Some(m) => {
            StayMinutes::new(m).ok_or_else(|| corrupt("place.stay_minutes", &m.to_string()))?
        }
    };
    let expires: Option<i64> = row.try_get("token_expires_at")?;
    Ok(Venue {
        place,
        stay,
        token_version: row.try_get("token_version")?,
        token_expires_at: expires.map(Timestamp),
    })
}

fn venue_conflict(reference: &str) -> impl Fn(&str) -> Option<String> + '_ {
    move |d: &str| {
        d.contains("ref")
            .then(|| format!("place reference {reference} already exists"))
    }
}

impl Store {
    /// One venue by id; a place of another kind is [`StoreError::NotFound`].
    pub async fn venue(&self, id: i64) -> Result<Venue> {
        let row = sqlx::query(&format!(
            "select {VENUE_COLUMNS} from place where id = $1 and kind = 'venue'"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref()
            .map(venue_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound {
                what: "venue",
                key: id.to_string(),
            })
    }

    /// A page of venues, by name then id.
    pub async fn venue_list(&self, q: &VenueQuery) -> Result<Vec<Venue>> {
        let limit = match q.limit {
            0 => 100,
            n => n.min(500),
        };
        let under = match &q.unit {
            Some(unit) => format!("and unit_code in ({})", self.units_in(unit).await?),
            None => String::new(),
        };
        let rows = sqlx::query(&format!(
            "select {VENUE_COLUMNS} from place where kind = 'venue' {under} \
             and ($1 is null or ref = $1) \
             order by name, id limit {limit} offset {}",
            crate::sql_offset(q.offset)
        ))
        .bind(q.reference.clone())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(venue_from_row).collect()
    }

    /// The secret called `name`, made by `make` and stored the first time it is asked
    /// for; every later call (from any process) reads the stored one.
    pub async fn secret(&self, name: &str, make: impl FnOnce() -> String) -> Result<String> {
        let now = crate::now_seconds();
        sqlx::query(
            "insert into app_secret (name, value, created_at, updated_at) values ($1, $2, $3, $3) \
             on conflict (name) do nothing",
        )
        .bind(name)
        .bind(make())
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(
            sqlx::query_scalar("select value from app_secret where name = $1")
                .bind(name)
                .fetch_one(self.pool())
                .await?,
        )
    }
}

impl Tx {
    /// Stores a new venue under `reference`; returns its id. A taken reference is a
    /// [`StoreError::Conflict`].
    pub async fn insert_venue(&mut self, reference: &str, v: &VenueFields) -> Result<i64> {
        let now = crate::now_seconds();
        sqlx::query_scalar(
            "insert into place (ref, kind, venue_kind, name, unit_code, address, capacity, \
             operator, stay_minutes, token_version, token_expires_at, created_at, updated_at) \
             values ($1, 'venue', $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10) returning id",
        )
        .bind(reference)
        .bind(v.venue_kind.as_str())
        .bind(&v.name)
        .bind(v.unit_code.as_str())
        .bind(v.address.clone())
        .bind(v.capacity)
        .bind(v.operator.clone())
        .bind(i64::from(v.stay.minutes()))
        .bind(v.token_expires_at.map(|t| t.0))
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(|e| classify(e, venue_conflict(reference)))
    }

    /// Replaces a venue's fields; [`StoreError::NotFound`] when there is no such venue.
    pub async fn update_venue(&mut self, id: i64, v: &VenueFields) -> Result<()> {
        let done = sqlx::query(
            "update place set venue_kind = $2, name = $3, unit_code = $4, address = $5, \
             capacity = $6, operator = $7, stay_minutes = $8, token_expires_at = $9, \
             updated_at = $10 where id = $1 and kind = 'venue'",
        )
        .bind(id)
        .bind(v.venue_kind.as_str())
        .bind(&v.name)
        .bind(v.unit_code.as_str())
        .bind(v.address.clone())
        .bind(v.capacity)
        .bind(v.operator.clone())
        .bind(i64::from(v.stay.minutes()))
        .bind(v.token_expires_at.map(|t| t.0))
        .bind(crate::now_seconds())
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "venue",
                key: id.to_string(),
            });
        }
        Ok(())
    }

    /// Moves a venue's token to the next version (every poster printed before is
    /// refused from now on); returns the new version.
    pub async fn rotate_venue_token(&mut self, id: i64) -> Result<i64> {
        let version: Option<i64> = sqlx::query_scalar(
            "update place set token_version = token_version + 1, updated_at = $2 \
             where id = $1 and kind = 'venue' returning token_version",
        )
        .bind(id)
        .bind(crate::now_seconds())
        .fetch_optional(&mut *self.tx)
        .await?;
        version.ok_or_else(|| StoreError::NotFound {
            what: "venue",
            key: id.to_string(),
        })
    }
}
