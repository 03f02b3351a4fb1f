//! Entering a test result for a person: writable roles, inside the jurisdiction, one
//! transaction with its audit event; the same idempotency key twice makes one test.

use crate::access::Action;
use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::{input, App};
use phongdich_domain::{TestKind, TestResult};
use phongdich_store::NewTest;
use serde::{Deserialize, Serialize};

/// A test result to enter.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TestInput {
    /// The kind of test.
    #[schema(value_type = KindSchema)]
    pub kind: String,
    /// The result.
    #[schema(value_type = ResultSchema)]
    pub result: String,
    /// When the sample was taken: local `YYYY-MM-DDTHH:MM`, RFC 3339 or Unix seconds,
    /// between 2019 and a year from now.
    pub sampled_at: String,
    /// The laboratory, if known (at most 200 characters are kept).
    #[serde(default)]
    pub laboratory: Option<String>,
}

/// The kinds of test, as the API documents them (the field is read as text so that a
/// wrong value is answered with the field's name).
#[derive(Debug, utoipa::ToSchema)]
#[schema(as = TestKind)]
#[allow(non_camel_case_types, dead_code)]
enum KindSchema {
    pcr,
    rapid_antigen,
}

/// The results of a test, as the API documents them.
#[derive(Debug, utoipa::ToSchema)]
#[schema(as = TestResult)]
#[allow(non_camel_case_types, dead_code)]
enum ResultSchema {
    pending,
    positive,
    negative,
    inconclusive,
}

/// What entering a test did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TestEntered {
    /// The test's id.
    pub test_id: i64,
}

impl App {
    /// Stores a test result for person `person_id` and audits it.
    pub async fn enter_test(
        &self,
        actor: &Actor,
        person_id: i64,
        input: &TestInput,
        key: Option<&str>,
    ) -> AppResult<TestEntered> {
        let (person, _) = self
            .person_in_scope(actor, person_id, Action::Write)
            .await?;
        if let Some(test_id) = self.replayed(actor, key).await? {
            return Ok(TestEntered { test_id });
        }
        let kind = TestKind::parse(&input.kind).ok_or_else(|| {
            AppError::invalid(
                "kind",
                "Loại xét nghiệm phải là pcr hoặc rapid_antigen.",
                "kind: expected pcr or rapid_antigen.",
            )
        })?;
        let result = TestResult::parse(&input.result).ok_or_else(|| {
            AppError::invalid(
                "result",
                "Kết quả phải là pending, positive, negative hoặc inconclusive.",
                "result: expected pending, positive, negative or inconclusive.",
            )
        })?;
        let sampled_at = input::instant("sampled_at", &input.sampled_at, self.now())?;
        let laboratory = input::short_text(input.laboratory.as_deref(), 200);
        let test = NewTest {
            person_id: person.id,
            sampled_at,
            kind,
            result,
            laboratory: laboratory.clone(),
        };
        let after = serde_json::json!({
            "person_id": person.id,
            "sampled_at": sampled_at.to_rfc3339(),
            "kind": kind.as_str(),
            "result": result.as_str(),
            "laboratory": laboratory,
        });
        let mut tx = self.store().begin().await?;
        let test_id = tx.insert_test(&test).await?;
        tx.insert_audit_event(&self.event(actor, "create", "test", test_id, Some(after)))
            .await?;
        if let Some(earlier) = self
            .commit_write(tx, actor, key, "enter_test", test_id)
            .await?
        {
            return Ok(TestEntered { test_id: earlier });
        }
        tracing::info!(
            person.id = person.id,
            test.id = test_id,
            "test result entered"
        );
        Ok(TestEntered { test_id })
    }
}
