//! Cases (F0) and tests.

use crate::time::Timestamp;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How sure the case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseClassification {
    /// Ca nghi ngờ.
    Suspect,
    /// Ca có thể.
    Probable,
    /// Ca xác định (F0).
    Confirmed,
}

impl CaseClassification {
    /// Every classification.
    pub const ALL: [Self; 3] = [Self::Suspect, Self::Probable, Self::Confirmed];

    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suspect => "suspect",
            Self::Probable => "probable",
            Self::Confirmed => "confirmed",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Suspect => "Nghi ngờ",
            Self::Probable => "Có thể",
            Self::Confirmed => "Xác định",
        }
    }
}

/// Where the case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseOutcome {
    /// Đang điều trị.
    UnderTreatment,
    /// Khỏi bệnh.
    Recovered,
    /// Tử vong.
    Died,
}

impl CaseOutcome {
    /// Every outcome.
    pub const ALL: [Self; 3] = [Self::UnderTreatment, Self::Recovered, Self::Died];

    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnderTreatment => "under_treatment",
            Self::Recovered => "recovered",
            Self::Died => "died",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::UnderTreatment => "Đang điều trị",
            Self::Recovered => "Khỏi bệnh",
            Self::Died => "Tử vong",
        }
    }
}

/// A case's epidemiological dates and status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Symptom onset (local date), if symptomatic.
    pub onset: Option<NaiveDate>,
    /// Date of the positive sample (local date).
    pub sample_date: Option<NaiveDate>,
    /// When the case became infectious.
    pub infectious_from: Timestamp,
    /// When the case was isolated or hospitalised; `None` while still circulating.
    pub isolated_at: Option<Timestamp>,
    /// Classification.
    pub classification: CaseClassification,
    /// Outcome.
    pub outcome: CaseOutcome,
}

/// Days before onset (or the positive sample) from which a case counts as infectious
/// (QĐ 3638/QĐ-BYT, 2021-07-30).
pub const INFECTIOUS_DAYS_BEFORE: i64 = 2;

/// The default `infectious_from` of tracing.md: local midnight of symptom onset, or of
/// the sample date for an asymptomatic case, minus two days. `None` when neither date
/// is known.
pub fn default_infectious_from(
    onset: Option<NaiveDate>,
    sample: Option<NaiveDate>,
) -> Option<Timestamp> {
    let day = onset.or(sample)?;
    let t = Timestamp::local_midnight(day);
    Some(Timestamp(t.0 - INFECTIOUS_DAYS_BEFORE * 86_400))
}

/// Why a case's dates do not fit together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CaseDatesError {
    /// Neither an onset nor a sample date: the start of the infectious period is unknown.
    #[error("a sample date (or an onset date) is needed")]
    NoDate,
    /// The onset is after the positive sample. The infectious period is counted from
    /// the onset when there is one, so a later onset would start it after the sample
    /// that proved the infection: refused, for the dates to be checked.
    #[error("the onset is after the positive sample")]
    OnsetAfterSample,
    /// Isolated before symptoms started.
    #[error("the isolation is before the onset")]
    IsolatedBeforeOnset,
    /// Isolated before the infectious period began (before the sample date's window).
    #[error("the isolation is before the infectious period")]
    IsolatedBeforeInfectious,
}

impl Case {
    /// A confirmed case under treatment from its dates, checked for order: the onset
    /// not after the sample, the isolation not before the onset nor before the start
    /// of the infectious period ([`default_infectious_from`]).
    pub fn confirmed(
        onset: Option<NaiveDate>,
        sample_date: Option<NaiveDate>,
        isolated_at: Option<Timestamp>,
    ) -> Result<Self, CaseDatesError> {
        let infectious_from =
            default_infectious_from(onset, sample_date).ok_or(CaseDatesError::NoDate)?;
        if let (Some(o), Some(s)) = (onset, sample_date) {
            if o > s {
                return Err(CaseDatesError::OnsetAfterSample);
            }
        }
        if let Some(iso) = isolated_at {
            if onset.is_some_and(|o| iso < Timestamp::local_midnight(o)) {
                return Err(CaseDatesError::IsolatedBeforeOnset);
            }
            if iso < infectious_from {
                return Err(CaseDatesError::IsolatedBeforeInfectious);
            }
        }
        Ok(Self {
            onset,
            sample_date,
            infectious_from,
            isolated_at,
            classification: CaseClassification::Confirmed,
            outcome: CaseOutcome::UnderTreatment,
        })
    }
}

/// Kind of test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// RT-PCR.
    Pcr,
    /// Test nhanh kháng nguyên.
    RapidAntigen,
}

impl TestKind {
    /// Every kind.
    pub const ALL: [Self; 2] = [Self::Pcr, Self::RapidAntigen];

    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pcr => "pcr",
            Self::RapidAntigen => "rapid_antigen",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Pcr => "RT-PCR",
            Self::RapidAntigen => "Test nhanh kháng nguyên",
        }
    }
}

/// Result of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestResult {
    /// Chờ kết quả.
    Pending,
    /// Dương tính.
    Positive,
    /// Âm tính.
    Negative,
    /// Không xác định.
    Inconclusive,
}

impl TestResult {
    /// Every result.
    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Positive,
        Self::Negative,
        Self::Inconclusive,
    ];

    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Positive => "positive",
            Self::Negative => "negative",
            Self::Inconclusive => "inconclusive",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Pending => "Chờ kết quả",
            Self::Positive => "Dương tính",
            Self::Negative => "Âm tính",
            Self::Inconclusive => "Không xác định",
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_case_checks_the_order_of_its_dates() {
        use super::{Case, CaseDatesError};
        use crate::Timestamp;
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let t = |s: &str| Timestamp::parse(s).unwrap();
        let ok = Case::confirmed(
            Some(d("2021-05-10")),
            Some(d("2021-05-12")),
            Some(t("2021-05-12T09:00:00+07:00")),
        )
        .unwrap();
        assert_eq!(ok.infectious_from.to_rfc3339(), "2021-05-08T00:00:00+07:00");
        assert_eq!(
            Case::confirmed(None, None, None),
            Err(CaseDatesError::NoDate)
        );
        assert_eq!(
            Case::confirmed(Some(d("2021-05-13")), Some(d("2021-05-12")), None),
            Err(CaseDatesError::OnsetAfterSample)
        );
        assert_eq!(
            Case::confirmed(
                Some(d("2021-05-10")),
                Some(d("2021-05-12")),
                Some(t("2021-05-09T09:00:00+07:00"))
            ),
            Err(CaseDatesError::IsolatedBeforeOnset)
        );
        assert_eq!(
            Case::confirmed(
                None,
                Some(d("2021-05-12")),
                Some(t("2021-05-01T09:00:00+07:00"))
            ),
            Err(CaseDatesError::IsolatedBeforeInfectious)
        );
    }

    use super::*;

    #[test]
    fn infectious_from_is_two_days_before_onset_else_sample() {
        let onset = NaiveDate::from_ymd_opt(2021, 5, 12);
        let sample = NaiveDate::from_ymd_opt(2021, 5, 14);
        let t = default_infectious_from(onset, sample).unwrap();
        assert_eq!(t.to_rfc3339(), "2021-05-10T00:00:00+07:00");
        let t = default_infectious_from(None, sample).unwrap();
        assert_eq!(t.to_rfc3339(), "2021-05-12T00:00:00+07:00");
        assert_eq!(default_infectious_from(None, None), None);
    }
}
