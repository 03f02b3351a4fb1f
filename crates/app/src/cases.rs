//! Registering a confirmed case (F0): checked dates, one transaction with its audit
//! event, then the levels of everyone it reaches updated by the engine before the
//! answer. Two registrations of one person: one succeeds, the other is a
//! [`AppError::Conflict`].

use crate::access::Action;
use crate::actor::Actor;
use crate::engine::{Change, Traced};
use crate::error::{AppError, AppResult};
use crate::{input, App};
use phongdich_domain::{Case, CaseDatesError, Timestamp};
use phongdich_store::{NewCase, StoreError};
use serde::{Deserialize, Serialize};

/// What registering a case needs: the positive sample's date (local), the onset date
/// if symptomatic, and when the person was isolated (if already).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CaseInput {
    /// Local date of the positive sample, `YYYY-MM-DD`.
    pub sample_date: String,
    /// Local date of symptom onset, `YYYY-MM-DD` (empty if asymptomatic); not after
    /// the sample date.
    #[serde(default)]
    pub onset: Option<String>,
    /// When isolated or hospitalised: local `YYYY-MM-DDTHH:MM`, RFC 3339 or Unix
    /// seconds (empty while circulating); not before the onset.
    #[serde(default)]
    pub isolated_at: Option<String>,
}

/// What registering did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Registered {
    /// The case id.
    pub case_id: i64,
    /// Persons whose level changed (including the case).
    pub levels_changed: usize,
    /// Whether the levels are already updated (if not, the engine is being built and
    /// applies the case when it is ready).
    pub traced: bool,
}

impl Registered {
    /// The answer to a repeated request: the first registration, nothing changed now.
    fn replayed(case_id: i64) -> Self {
        Self {
            case_id,
            levels_changed: 0,
            traced: true,
        }
    }
}

fn dates_error(e: CaseDatesError) -> AppError {
    match e {
        CaseDatesError::NoDate => AppError::invalid(
            "sample_date",
            "Cần ngày lấy mẫu dương tính.",
            "The positive sample's date is needed.",
        ),
        CaseDatesError::OnsetAfterSample => AppError::invalid(
            "onset",
            "Ngày khởi phát không được sau ngày lấy mẫu dương tính.",
            "The onset cannot be after the positive sample.",
        ),
        CaseDatesError::IsolatedBeforeOnset => AppError::invalid(
            "isolated_at",
            "Thời điểm cách ly không được trước ngày khởi phát.",
            "The isolation cannot be before the onset.",
        ),
        CaseDatesError::IsolatedBeforeInfectious => AppError::invalid(
            "isolated_at",
            "Thời điểm cách ly không được trước thời kỳ lây nhiễm (2 ngày trước ngày lấy mẫu).",
            "The isolation cannot be before the infectious period (2 days before the sample).",
        ),
    }
}

impl App {
    /// Registers a confirmed case for person `person_id` and updates the levels it
    /// changes. `key`: an idempotency key (a form's hidden field, the API's
    /// `Idempotency-Key`): the same key again answers the first registration.
    pub async fn register_case(
        &self,
        actor: &Actor,
        person_id: i64,
        input: &CaseInput,
        key: Option<&str>,
    ) -> AppResult<Registered> {
        let (person, _) = self
            .person_in_scope(actor, person_id, Action::Write)
            .await?;
        if let Some(case_id) = self.replayed(actor, key).await? {
            return Ok(Registered::replayed(case_id));
        }
        let now = self.now();
        let sample_date = input::date("sample_date", &input.sample_date, now)?;
        let onset = input::optional_date("onset", input.onset.as_deref(), now)?;
        let isolated_at =
            input::optional_instant("isolated_at", input.isolated_at.as_deref(), now)?;
        let case = Case::confirmed(onset, Some(sample_date), isolated_at).map_err(dates_error)?;
        let after = serde_json::json!({
            "person_id": person.id,
            "sample_date": sample_date.to_string(),
            "onset": onset.map(|d| d.to_string()),
            "infectious_from": case.infectious_from.to_rfc3339(),
            "isolated_at": isolated_at.map(Timestamp::to_rfc3339),
            "classification": case.classification.as_str(),
        });
        let mut tx = self.store().begin().await?;
        let case_id = match tx
            .insert_case(&NewCase {
                person_id: person.id,
                case: case.clone(),
            })
            .await
        {
            Ok(id) => id,
            Err(StoreError::Conflict(_)) => {
                drop(tx);
                // A double submit that lost the race replays the first answer.
                if let Some(case_id) = self.replayed(actor, key).await? {
                    return Ok(Registered::replayed(case_id));
                }
                return Err(AppError::conflict(
                    "Người này đã được ghi nhận là ca bệnh.",
                    "This person is already a case.",
                ));
            }
            Err(e) => return Err(e.into()),
        };
        tx.insert_audit_event(&self.event(actor, "create", "case", case_id, Some(after)))
            .await?;
        if let Some(earlier) = self
            .commit_write(tx, actor, key, "register_case", case_id)
            .await?
        {
            return Ok(Registered::replayed(earlier));
        }
        let traced = self
            .engine()
            .apply(Change::Case {
                person_id: person.id,
                infectious_from: case.infectious_from,
                isolated_at,
            })
            .await;
        tracing::info!(
            person.id = person.id,
            case.id = case_id,
            ?traced,
            "case registered"
        );
        Ok(Registered {
            case_id,
            levels_changed: match traced {
                Traced::Applied { levels_changed } => levels_changed,
                _ => 0,
            },
            traced: matches!(traced, Traced::Applied { .. }),
        })
    }
}
