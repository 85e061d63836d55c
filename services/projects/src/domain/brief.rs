//! A project's brief: what the client asked for, how it is measured, and the strategy agreed
//! with them. Versioned: every update is a revision.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use baton_platform::names::ProjectName;

/// The most objectives a brief holds.
pub const MAX_OBJECTIVES: usize = 20;
/// The most entries of each list of a brief (requirements, criteria, constraints).
pub const MAX_ITEMS: usize = 100;

/// A measurable result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyResult {
    pub metric: String,
    pub target: f64,
    pub current: f64,
    pub unit: String,
}

/// An objective and the key result that measures it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    pub title: String,
    pub key_result: KeyResult,
}

/// An amount of money in an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub currency_code: String,
    pub units: i64,
    pub nanos: i32,
}

/// What a brief says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BriefContent {
    pub problem: String,
    pub audience: String,
    pub objectives: Vec<Objective>,
    pub requirements: Vec<String>,
    pub acceptance_criteria: Vec<String>,
    pub constraints: Vec<String>,
    pub budget: Option<Money>,
    pub strategy: String,
}

/// A project's brief as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Brief {
    pub project: ProjectName,
    pub content: BriefContent,
    /// 0 before the first update.
    pub revision: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub update_time: Option<OffsetDateTime>,
    /// Who changed it last, as a resource name.
    pub update_actor: String,
}

/// A field of a brief that an update may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BriefField {
    Problem,
    Audience,
    Objectives,
    Requirements,
    AcceptanceCriteria,
    Constraints,
    Budget,
    Strategy,
}

impl BriefField {
    pub const ALL: [BriefField; 8] = [
        BriefField::Problem,
        BriefField::Audience,
        BriefField::Objectives,
        BriefField::Requirements,
        BriefField::AcceptanceCriteria,
        BriefField::Constraints,
        BriefField::Budget,
        BriefField::Strategy,
    ];

    /// The field's path in an update mask.
    pub fn path(self) -> &'static str {
        match self {
            BriefField::Problem => "problem",
            BriefField::Audience => "audience",
            BriefField::Objectives => "objectives",
            BriefField::Requirements => "requirements",
            BriefField::AcceptanceCriteria => "acceptance_criteria",
            BriefField::Constraints => "constraints",
            BriefField::Budget => "budget",
            BriefField::Strategy => "strategy",
        }
    }
}

/// An update of a brief, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct BriefUpdate {
    pub project: ProjectName,
    pub fields: Vec<BriefField>,
    /// The new values; only the named fields are used.
    pub values: BriefContent,
    pub etag: Option<String>,
}

impl Brief {
    /// The brief of a project nobody has written yet.
    pub fn empty(project: ProjectName) -> Self {
        Brief { project, content: BriefContent::default(), revision: 0, update_time: None, update_actor: String::new() }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// This brief after `update` by `actor` at `now`, at its next revision, with the fields that
    /// really changed; refused (with the current etag) when the caller's etag is stale.
    pub fn updated(
        &self,
        update: &BriefUpdate,
        actor: String,
        now: OffsetDateTime,
    ) -> Result<(Brief, Vec<BriefField>), String> {
        baton_platform::etag::check(update.etag.as_deref(), self.etag())?;
        let mut content = self.content.clone();
        let values = &update.values;
        for field in &update.fields {
            match field {
                BriefField::Problem => content.problem = values.problem.clone(),
                BriefField::Audience => content.audience = values.audience.clone(),
                BriefField::Objectives => content.objectives = values.objectives.clone(),
                BriefField::Requirements => content.requirements = values.requirements.clone(),
                BriefField::AcceptanceCriteria => content.acceptance_criteria = values.acceptance_criteria.clone(),
                BriefField::Constraints => content.constraints = values.constraints.clone(),
                BriefField::Budget => content.budget = values.budget.clone(),
                BriefField::Strategy => content.strategy = values.strategy.clone(),
            }
        }
        let changed = BriefField::ALL.into_iter().filter(|field| differs(*field, &self.content, &content)).collect();
        let next = Brief {
            project: self.project,
            content,
            revision: self.revision + 1,
            update_time: Some(now),
            update_actor: actor,
        };
        Ok((next, changed))
    }
}

fn differs(field: BriefField, a: &BriefContent, b: &BriefContent) -> bool {
    match field {
        BriefField::Problem => a.problem != b.problem,
        BriefField::Audience => a.audience != b.audience,
        BriefField::Objectives => a.objectives != b.objectives,
        BriefField::Requirements => a.requirements != b.requirements,
        BriefField::AcceptanceCriteria => a.acceptance_criteria != b.acceptance_criteria,
        BriefField::Constraints => a.constraints != b.constraints,
        BriefField::Budget => a.budget != b.budget,
        BriefField::Strategy => a.strategy != b.strategy,
    }
}

/// The ISO 4217 codes of the currencies in use.
pub const CURRENCIES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
    "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC",
    "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
    "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD",
    "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
    "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD",
    "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD",
    "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
    "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn update(fields: Vec<BriefField>, values: BriefContent, etag: Option<&str>) -> BriefUpdate {
        BriefUpdate { project: ProjectName::new(uuid::Uuid::now_v7()), fields, values, etag: etag.map(str::to_string) }
    }

    #[test]
    fn an_update_keeps_the_other_fields_and_says_what_changed() {
        let project = ProjectName::new(uuid::Uuid::now_v7());
        let brief = Brief::empty(project);
        let values =
            BriefContent { problem: "Few online orders".into(), strategy: "ignored".into(), ..Default::default() };
        let (next, changed) = brief
            .updated(
                &update(vec![BriefField::Problem, BriefField::Audience], values, Some("0")),
                "people/a".into(),
                OffsetDateTime::UNIX_EPOCH,
            )
            .expect("fresh etag");
        assert_eq!((next.content.problem.as_str(), next.content.strategy.as_str()), ("Few online orders", ""));
        assert_eq!((next.revision, changed), (1, vec![BriefField::Problem]));
        assert_eq!(next.update_actor, "people/a");
        let stale = next.updated(
            &update(vec![BriefField::Problem], BriefContent::default(), Some("0")),
            String::new(),
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(stale, Err("1".to_string()));
    }

    #[test]
    fn currencies_are_sorted_three_letter_codes() {
        assert!(CURRENCIES.windows(2).all(|w| w[0] < w[1]));
        assert!(CURRENCIES.iter().all(|c| c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase())));
    }
}
