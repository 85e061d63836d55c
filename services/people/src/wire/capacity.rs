//! Time off, allocations and utilisation on the wire.

use time::Date;
use tonic::Status;
use uuid::Uuid;

use baton_platform::bounds;
use baton_platform::filter::{self, EQUALITY, Field, ORDERED};
use baton_platform::mask;
use baton_platform::names::{AllocationName, PersonName, ProjectName, TeamName, TimeOffName};
use baton_platform::paging;
use baton_platform::time::{format_date, parse_date, timestamp};
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::people::v1 as pb;

use super::{conditions, date_range, required};
use crate::app::{Subject, Utilisation};
use crate::domain::capacity::{
    Allocation, AllocationCondition, AllocationField, AllocationUpdate, Load, MAX_ALLOCATION_DAYS, MAX_REPORT_DAYS,
    MAX_TIME_OFF_DAYS, NewAllocation, NewTimeOff, TimeOff, ratio,
};
use crate::domain::{MAX_WEEKLY_HOURS, Person};

pub fn time_off(time_off: &TimeOff) -> pb::TimeOff {
    pb::TimeOff {
        name: time_off.name.to_string(),
        start_date: format_date(Some(time_off.range.start)),
        end_date: format_date(Some(time_off.range.end)),
        note: time_off.note.clone(),
        create_time: Some(timestamp(time_off.create_time)),
    }
}

pub fn allocation(allocation: &Allocation) -> pb::Allocation {
    pb::Allocation {
        name: allocation.name.to_string(),
        project: allocation.project.to_string(),
        hours_per_week: allocation.hours_per_week,
        start_date: format_date(Some(allocation.range.start)),
        end_date: format_date(Some(allocation.range.end)),
        note: allocation.note.clone(),
        create_time: Some(timestamp(allocation.create_time)),
        update_time: Some(timestamp(allocation.update_time)),
        etag: allocation.etag(),
    }
}

pub fn person_utilisation(person: &Person, load: &Load) -> pb::PersonUtilisation {
    pb::PersonUtilisation {
        person: person.name.to_string(),
        display_name: person.display_name.clone(),
        available_hours: load.available_hours,
        allocated_hours: load.allocated_hours,
        utilisation: load.utilisation(),
        time_off_days: load.time_off_days,
        over_allocated: load.over_allocated(),
        weeks: load
            .weeks
            .iter()
            .map(|week| pb::WeekLoad {
                week_start: format_date(Some(week.week_start)),
                available_hours: week.available_hours,
                allocated_hours: week.allocated_hours,
            })
            .collect(),
    }
}

pub fn utilisation(utilisation: &Utilisation) -> pb::GetUtilisationResponse {
    let available_hours: f64 = utilisation.people.iter().map(|(_, load)| load.available_hours).sum();
    let allocated_hours: f64 = utilisation.people.iter().map(|(_, load)| load.allocated_hours).sum();
    pb::GetUtilisationResponse {
        people: utilisation.people.iter().map(|(person, load)| person_utilisation(person, load)).collect(),
        available_hours,
        allocated_hours,
        utilisation: ratio(allocated_hours, available_hours),
    }
}

/// Hours per week of an allocation: more than 0, at most [`MAX_WEEKLY_HOURS`].
fn allocation_hours(value: f64) -> Result<f64, String> {
    if value.is_finite() && value > 0.0 && value <= MAX_WEEKLY_HOURS {
        Ok(value)
    } else {
        Err(format!("must be a number of hours more than 0 and at most {MAX_WEEKLY_HOURS} (got {value})"))
    }
}

#[allow(clippy::result_large_err)]
pub fn parse_create_time_off(request: pb::CreateTimeOffRequest) -> Result<Idempotent<NewTimeOff>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let person = v.check("parent", PersonName::parse(&request.parent));
    let new = match v.required("time_off", request.time_off) {
        None => None,
        Some(sent) => {
            let range = date_range(
                &mut v,
                ("time_off.start_date", &sent.start_date),
                ("time_off.end_date", &sent.end_date),
                MAX_TIME_OFF_DAYS,
            );
            let note = v.check("time_off.note", validate::optional_text(&sent.note, bounds::NAME));
            match (person, range, note) {
                (Some(person), Some(range), Some(note)) => Some(NewTimeOff { person, range, note }),
                _ => None,
            }
        }
    };
    v.finish_idempotent(new, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_list_time_off(request: &pb::ListTimeOffRequest) -> Result<(PersonName, i64, Option<Uuid>), Status> {
    let mut v = Violations::new();
    let person = v.check("parent", PersonName::parse(&request.parent));
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
    let query = match (person, limit, after) {
        (Some(person), Some(limit), Some(after)) => Some((person, limit, after)),
        _ => None,
    };
    v.finish_with(query)
}

#[allow(clippy::result_large_err)]
pub fn parse_delete_time_off(request: &pb::DeleteTimeOffRequest) -> Result<Idempotent<TimeOffName>, Status> {
    let mut v = Violations::new();
    let name = v.check("name", TimeOffName::parse(&request.name));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    v.finish_idempotent(name, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_create_allocation(request: pb::CreateAllocationRequest) -> Result<Idempotent<NewAllocation>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let person = v.check("parent", PersonName::parse(&request.parent));
    let new = match v.required("allocation", request.allocation) {
        None => None,
        Some(sent) => {
            let project = v.check("allocation.project", ProjectName::parse(&sent.project));
            let hours = v.check("allocation.hours_per_week", allocation_hours(sent.hours_per_week));
            let range = date_range(
                &mut v,
                ("allocation.start_date", &sent.start_date),
                ("allocation.end_date", &sent.end_date),
                MAX_ALLOCATION_DAYS,
            );
            let note = v.check("allocation.note", validate::optional_text(&sent.note, bounds::NAME));
            match (person, project, hours, range, note) {
                (Some(person), Some(project), Some(hours_per_week), Some(range), Some(note)) => {
                    Some(NewAllocation { person, project, hours_per_week, range, note })
                }
                _ => None,
            }
        }
    };
    v.finish_idempotent(new, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_get_allocation(request: &pb::GetAllocationRequest) -> Result<AllocationName, Status> {
    validate::single("name", AllocationName::parse(&request.name))
}

#[allow(clippy::result_large_err)]
pub fn parse_delete_allocation(request: &pb::DeleteAllocationRequest) -> Result<Idempotent<AllocationName>, Status> {
    let mut v = Violations::new();
    let name = v.check("name", AllocationName::parse(&request.name));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    v.finish_idempotent(name, request_id)
}

const ALLOCATION_FIELDS: &[Field] = &[
    Field { name: "project", ops: EQUALITY },
    Field { name: "start_date", ops: ORDERED },
    Field { name: "end_date", ops: ORDERED },
];

fn allocation_condition(condition: filter::Condition) -> Result<AllocationCondition, String> {
    let (op, value) = (condition.op, condition.value.as_str());
    let unknown = |what: &str| condition.not_a(what);
    let date = || -> Result<Date, String> { required(parse_date(value)).map_err(|_| unknown("a date YYYY-MM-DD")) };
    match condition.field {
        "project" => ProjectName::parse(value)
            .map(|p| AllocationCondition::Project(op, p))
            .map_err(|_| unknown("projects/{project}")),
        "start_date" => date().map(|d| AllocationCondition::StartDate(op, d)),
        _ => date().map(|d| AllocationCondition::EndDate(op, d)),
    }
}

/// A ListAllocations request: whose (`None` for everyone's), the conditions and the page.
pub struct AllocationQuery {
    pub person: Option<PersonName>,
    pub conditions: Vec<AllocationCondition>,
    pub limit: i64,
    pub after: Option<Uuid>,
}

#[allow(clippy::result_large_err)]
pub fn parse_list_allocations(request: &pb::ListAllocationsRequest) -> Result<AllocationQuery, Status> {
    let mut v = Violations::new();
    let person = v.check(
        "parent",
        if request.parent == "people/-" { Ok(None) } else { PersonName::parse(&request.parent).map(Some) },
    );
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
    let conditions = v.check("filter", conditions(&request.filter, ALLOCATION_FIELDS, allocation_condition));
    let query = match (person, conditions, limit, after) {
        (Some(person), Some(conditions), Some(limit), Some(after)) => {
            Some(AllocationQuery { person, conditions, limit, after })
        }
        _ => None,
    };
    v.finish_with(query)
}

#[allow(clippy::result_large_err)]
pub fn parse_update_allocation(request: pb::UpdateAllocationRequest) -> Result<Idempotent<AllocationUpdate>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let update = match v.required("allocation", request.allocation) {
        None => None,
        Some(sent) => {
            let name = v.check("allocation.name", AllocationName::parse(&sent.name));
            let fields =
                mask::fields(&mut v, request.update_mask.as_ref(), &AllocationField::ALL, AllocationField::path, |f| {
                    match f {
                        AllocationField::HoursPerWeek => sent.hours_per_week != 0.0,
                        AllocationField::StartDate => !sent.start_date.is_empty(),
                        AllocationField::EndDate => !sent.end_date.is_empty(),
                        AllocationField::Note => !sent.note.is_empty(),
                    }
                });
            let named = |field| fields.contains(&field);
            let hours = if named(AllocationField::HoursPerWeek) {
                v.check("allocation.hours_per_week", allocation_hours(sent.hours_per_week))
            } else {
                Some(0.0)
            };
            let start = if named(AllocationField::StartDate) {
                v.check("allocation.start_date", required(parse_date(&sent.start_date))).map(Some)
            } else {
                Some(None)
            };
            let end = if named(AllocationField::EndDate) {
                v.check("allocation.end_date", required(parse_date(&sent.end_date))).map(Some)
            } else {
                Some(None)
            };
            let note = v.check("allocation.note", validate::optional_text(&sent.note, bounds::NAME));
            let etag = (!sent.etag.is_empty()).then(|| sent.etag.clone());
            match (name, hours, start, end, note) {
                (Some(name), Some(hours_per_week), Some(start), Some(end), Some(note)) => {
                    Some(AllocationUpdate { name, fields, hours_per_week, start, end, note, etag })
                }
                _ => None,
            }
        }
    };
    v.finish_idempotent(update, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_utilisation(
    request: &pb::GetUtilisationRequest,
) -> Result<(Subject, crate::domain::capacity::DateRange), Status> {
    let mut v = Violations::new();
    let subject = v.check(
        "subject",
        PersonName::parse(&request.subject)
            .map(Subject::Person)
            .or_else(|_| TeamName::parse(&request.subject).map(Subject::Team))
            .map_err(|_| "must be people/{person} or teams/{team}, each id a lowercase hyphenated UUID".to_string()),
    );
    let range =
        date_range(&mut v, ("start_date", &request.start_date), ("end_date", &request.end_date), MAX_REPORT_DAYS);
    let query = match (subject, range) {
        (Some(subject), Some(range)) => Some((subject, range)),
        _ => None,
    };
    v.finish_with(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allocation_checks_its_hours_dates_and_project() {
        let status = parse_create_allocation(pb::CreateAllocationRequest {
            parent: format!("people/{}", Uuid::now_v7()),
            allocation: Some(pb::Allocation {
                project: "projects/nope".into(),
                hours_per_week: -4.0,
                start_date: "2027-02-01".into(),
                end_date: "2027-01-31".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .expect_err("invalid");
        for field in ["allocation.project", "allocation.hours_per_week", "allocation.end_date"] {
            assert!(status.message().contains(field), "{field} missing from {}", status.message());
        }
    }

    #[test]
    fn time_off_is_at_most_a_year() {
        let status = parse_create_time_off(pb::CreateTimeOffRequest {
            parent: format!("people/{}", Uuid::now_v7()),
            time_off: Some(pb::TimeOff {
                start_date: "2027-01-01".into(),
                end_date: "2028-06-01".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .expect_err("too long");
        assert!(status.message().contains("time_off.end_date"), "{}", status.message());
    }

    #[test]
    fn everyone_s_allocations_are_listed_under_people_dash() {
        let query = parse_list_allocations(&pb::ListAllocationsRequest {
            parent: "people/-".into(),
            filter: "start_date >= 2027-01-01".into(),
            ..Default::default()
        })
        .expect("valid");
        assert!(query.person.is_none());
        assert_eq!(query.conditions.len(), 1);
    }
}
