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
use phongdich_domain::{CaseClassification, UnitCode};
use phongdich_store::{CaseQuery, CaseRow, NewCase, StoreError};
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

/// Rows per page of the case list.
pub const CASE_PAGE: u64 = 100;

/// The case list's filters, as typed on the page or in the API.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CaseFilter {
    /// A district, commune or village inside the jurisdiction.
    #[serde(default)]
    pub unit: Option<String>,
    /// First local date of the positive sample, `YYYY-MM-DD`.
    #[serde(default)]
    pub from: Option<String>,
    /// Last local date.
    #[serde(default)]
    pub to: Option<String>,
    /// `confirmed`, `probable` or `suspect`.
    #[serde(default)]
    pub classification: Option<String>,
    /// The cursor of the next page.
    #[serde(default)]
    pub before: Option<String>,
}

/// A case as the list shows it.
#[derive(Debug, Clone)]
pub struct CaseListItem {
    /// The stored row.
    pub row: CaseRow,
    /// The name of the unit where the person lives.
    pub unit_name: Option<String>,
}

/// One page of the case list.
#[derive(Debug, Clone)]
pub struct CasePage {
    /// The unit the list is narrowed to (`None`: the whole deployment).
    pub unit: Option<UnitCode>,
    /// Newest recorded first.
    pub items: Vec<CaseListItem>,
    /// The `before` of the next page.
    pub next: Option<i64>,
}

impl App {
    /// The cases of the actor's jurisdiction, newest first, filtered by unit, sample
    /// date and classification; audited as a list read with the case ids shown.
    pub async fn list_cases(&self, actor: &Actor, filter: &CaseFilter) -> AppResult<CasePage> {
        let scope = self.scope(actor).await?;
        let now = self.now();
        let unit = scope
            .chosen(self.store(), filter.unit.as_deref())
            .await?
            .or_else(|| scope.filter());
        let classification = match input::optional(filter.classification.as_deref()) {
            Some(c) => Some(CaseClassification::parse(c).ok_or_else(|| {
                AppError::invalid(
                    "classification",
                    "Phân loại phải là confirmed, probable hoặc suspect.",
                    "classification: confirmed, probable or suspect.",
                )
            })?),
            None => None,
        };
        let before_id = match input::optional(filter.before.as_deref()) {
            Some(b) => Some(b.parse::<i64>().map_err(|_| {
                AppError::invalid(
                    "before",
                    "Con trỏ trang không hợp lệ.",
                    "Not a cursor this list gave.",
                )
            })?),
            None => None,
        };
        let rows = self
            .store()
            .case_list(&CaseQuery {
                unit: unit.clone(),
                from: input::optional_date("from", filter.from.as_deref(), now)?,
                to: input::optional_date("to", filter.to.as_deref(), now)?,
                classification,
                before_id,
                limit: CASE_PAGE,
            })
            .await?;
        let names = self
            .unit_names(
                rows.iter()
                    .filter_map(|r| r.unit_code.clone())
                    .collect::<Vec<_>>(),
            )
            .await?;
        self.store()
            .insert_audit_event(&self.event(
                actor,
                "view",
                "case_list",
                unit.as_ref().map(UnitCode::as_str).unwrap_or_default(),
                Some(serde_json::json!({ "cases": rows.iter().map(|r| r.case.id).collect::<Vec<_>>() })),
            ))
            .await?;
        let next = (rows.len() as u64 == CASE_PAGE)
            .then(|| rows.last().map(|r| r.case.id))
            .flatten();
        Ok(CasePage {
            unit,
            next,
            items: rows
                .into_iter()
                .map(|row| CaseListItem {
                    unit_name: row.unit_code.as_ref().and_then(|u| names.get(u).cloned()),
                    row,
                })
                .collect(),
        })
    }

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
                recorded_at: now,
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
        // The dashboards count it (and the levels it moved) at their next view.
        self.inner.dashboard_counts.clear();
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
