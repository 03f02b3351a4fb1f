//! The retention of the public's data: check-ins and health declarations are kept for
//! a set period ([`Retention`], 30 days unless configured), then deleted by
//! [`App::purge_retention`], which the server runs every hour and `phongdich purge`
//! runs on demand. Each run, even one that deletes nothing, is audited per kind (what,
//! how many rows, the cutoff) in the same transaction as its deletes.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::App;
use phongdich_domain::{Role, Timestamp};
use phongdich_store::Purged;

/// How long check-ins and declarations are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days; at least 1.
    pub days: u32,
}

impl Retention {
    /// The default: 30 days (the national apps kept 25-28).
    pub const DEFAULT_DAYS: u32 = 30;
    /// The longest period accepted: a year.
    pub const MAX_DAYS: u32 = 366;

    /// A period of `days` days, 1 to [`Retention::MAX_DAYS`].
    pub fn days(days: u32) -> Option<Self> {
        (1..=Self::MAX_DAYS)
            .contains(&days)
            .then_some(Self { days })
    }

    /// What is older than this at `now` is deleted.
    pub fn cutoff(self, now: Timestamp) -> Timestamp {
        Timestamp(now.0 - i64::from(self.days) * 86_400)
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            days: Self::DEFAULT_DAYS,
        }
    }
}

/// What one run of the purge deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeReport {
    /// Rows made before this were deleted.
    pub cutoff: Timestamp,
    /// Declarations (and the persons only they had created).
    pub declarations: Purged,
    /// Check-ins, their presences (and the persons only they had created).
    pub check_ins: Purged,
}

impl App {
    /// Deletes the check-ins and declarations older than `retention`, in one
    /// transaction with one audit event per kind. Only the system (the server's job,
    /// the command line) or a province administrator of the whole deployment runs it.
    pub async fn purge_retention(
        &self,
        actor: &Actor,
        retention: Retention,
    ) -> AppResult<PurgeReport> {
        let scope = self.scope(actor).await?;
        if actor.role != Role::ProvinceAdmin || !scope.whole() || actor.is_public() {
            return Err(AppError::Forbidden);
        }
        let cutoff = retention.cutoff(self.now());
        let mut tx = self.store().begin().await?;
        let declarations = tx.purge_declarations(cutoff.0).await?;
        let check_ins = tx
            .purge_check_ins(cutoff.0, check_in_person_prefix())
            .await?;
        for (entity, purged) in [("declaration", declarations), ("check_in", check_ins)] {
            tx.insert_audit_event(&self.event(
                actor,
                "delete",
                entity,
                "retention",
                Some(serde_json::json!({
                    "purge": entity,
                    "retention_days": retention.days,
                    "cutoff": cutoff.to_rfc3339(),
                    "rows": purged.rows,
                    "presences": purged.presences,
                    "persons": purged.persons,
                })),
            ))
            .await?;
        }
        tx.commit().await?;
        tracing::info!(
            cutoff = %cutoff.to_rfc3339(),
            declarations = declarations.rows,
            check_ins = check_ins.rows,
            persons = declarations.persons + check_ins.persons,
            "retention purge"
        );
        Ok(PurgeReport {
            cutoff,
            declarations,
            check_ins,
        })
    }
}

/// The reference prefix of the persons that check-ins create (`CK-` and 12 hex digits,
/// `checkins::new_person_reference`), whose orphans the purge deletes with the
/// check-ins.
pub const CHECKED_IN_PERSON_PREFIX: &str = "CK-";

fn check_in_person_prefix() -> Option<&'static str> {
    Some(CHECKED_IN_PERSON_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_is_bounded_and_cuts_by_whole_days() {
        assert_eq!(Retention::default().days, 30);
        assert!(Retention::days(0).is_none() && Retention::days(367).is_none());
        let r = Retention::days(2).unwrap();
        assert_eq!(r.cutoff(Timestamp(200_000)), Timestamp(200_000 - 172_800));
    }
}
