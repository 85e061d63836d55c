//! Conversions between the people service's wire types and its domain, used by `grpc` (and by the
//! events the use cases emit) and nothing below it. Requests are parsed here, once: every field
//! is checked and every broken rule becomes one field violation.

pub mod capacity;
pub mod teams;

use time::Date;
use tonic::Status;

use baton_platform::bounds;
use baton_platform::filter::{self, EQUALITY, Field, Op};
use baton_platform::mask;
use baton_platform::names::{PersonName, TeamName};
use baton_platform::paging;
use baton_platform::time::{parse_date, timestamp};
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::people::v1 as pb;

use crate::domain::capacity::{DateRange, MAX_REPORT_DAYS};
use crate::domain::{
    DEFAULT_WEEKLY_HOURS, Discipline, MAX_SKILLS, MAX_WEEKLY_HOURS, NewPerson, Person, PersonCondition, PersonField,
    PersonQuery, PersonRole, PersonState, PersonUpdate, Skill, SkillLevel,
};

pub fn person(person: &Person) -> pb::Person {
    pb::Person {
        name: person.name.to_string(),
        display_name: person.display_name.clone(),
        email: person.email.clone(),
        role: role(person.role) as i32,
        create_time: Some(timestamp(person.create_time)),
        update_time: Some(timestamp(person.update_time)),
        etag: person.etag(),
        state: pb::PersonState::from_str_name(person.state.as_str()).unwrap_or_default() as i32,
        skills: person
            .skills
            .iter()
            .map(|skill| pb::Skill {
                discipline: pb::Discipline::from_str_name(skill.discipline.as_str()).unwrap_or_default() as i32,
                level: pb::SkillLevel::from_str_name(skill.level.as_str()).unwrap_or_default() as i32,
            })
            .collect(),
        weekly_hours: Some(person.weekly_hours),
        over_allocated: person.over_allocated(baton_platform::time::now().date()),
    }
}

pub fn role(role: PersonRole) -> pb::PersonRole {
    pb::PersonRole::from_str_name(role.as_str()).unwrap_or(pb::PersonRole::Unspecified)
}

pub(crate) use baton_platform::validate::from_wire;

/// A value the request must set.
pub(crate) fn required<D>(value: Result<Option<D>, String>) -> Result<D, String> {
    value.and_then(|value| value.ok_or_else(|| "is required".to_string()))
}

/// A role sent by a client: unspecified is `None`, an unknown value is refused.
fn parse_optional_role(value: i32) -> Result<Option<PersonRole>, String> {
    from_wire(value, |v| pb::PersonRole::try_from(v).ok().map(|r| r.as_str_name()), PersonRole::from_name)
}

fn parse_discipline(value: i32) -> Result<Option<Discipline>, String> {
    from_wire(value, |v| pb::Discipline::try_from(v).ok().map(|d| d.as_str_name()), Discipline::from_name)
}

fn parse_level(value: i32) -> Result<Option<SkillLevel>, String> {
    from_wire(value, |v| pb::SkillLevel::try_from(v).ok().map(|l| l.as_str_name()), SkillLevel::from_name)
}

/// Hours per week: a finite number from 0 to [`MAX_WEEKLY_HOURS`].
pub(crate) fn weekly_hours(value: f64) -> Result<f64, String> {
    if value.is_finite() && (0.0..=MAX_WEEKLY_HOURS).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be a number of hours from 0 to {MAX_WEEKLY_HOURS} (got {value})"))
    }
}

fn skills(v: &mut Violations, field: &str, sent: &[pb::Skill]) -> Option<Vec<Skill>> {
    if sent.len() > MAX_SKILLS {
        v.add(field, format!("must have at most {MAX_SKILLS} skills (got {})", sent.len()));
        return None;
    }
    let mut skills: Vec<Skill> = Vec::with_capacity(sent.len());
    let mut valid = true;
    for (i, skill) in sent.iter().enumerate() {
        let discipline = v.check(&format!("{field}[{i}].discipline"), required(parse_discipline(skill.discipline)));
        let level = v.check(&format!("{field}[{i}].level"), required(parse_level(skill.level)));
        match (discipline, level) {
            (Some(discipline), _) if skills.iter().any(|s| s.discipline == discipline) => {
                v.add(format!("{field}[{i}].discipline"), format!("names {discipline} a second time"));
                valid = false;
            }
            (Some(discipline), Some(level)) => skills.push(Skill { discipline, level }),
            _ => valid = false,
        }
    }
    valid.then_some(skills)
}

/// The fields of a person as sent, each checked under `prefix`.
fn values(v: &mut Violations, person: &pb::Person) -> Option<NewPerson> {
    let display_name = v.check("person.display_name", validate::required_text(&person.display_name, bounds::NAME));
    let email = v.check("person.email", validate::email(&person.email));
    let role = v.check("person.role", required(parse_optional_role(person.role)));
    let skills = skills(v, "person.skills", &person.skills);
    let weekly_hours =
        v.check("person.weekly_hours", weekly_hours(person.weekly_hours.unwrap_or(DEFAULT_WEEKLY_HOURS)));
    match (display_name, email, role, skills, weekly_hours) {
        (Some(display_name), Some(email), Some(role), Some(skills), Some(weekly_hours)) => {
            Some(NewPerson { display_name, email, role, skills, weekly_hours })
        }
        _ => None,
    }
}

/// Validates a CreatePerson request into the person to create and its request id.
#[allow(clippy::result_large_err)]
pub fn parse_create(request: pb::CreatePersonRequest) -> Result<Idempotent<NewPerson>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let new = v.required("person", request.person).and_then(|person| values(&mut v, &person));
    v.finish_idempotent(new, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_update(request: pb::UpdatePersonRequest) -> Result<Idempotent<PersonUpdate>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let update = match v.required("person", request.person) {
        None => None,
        Some(sent) => {
            let name = v.check("person.name", PersonName::parse(&sent.name));
            let fields =
                mask::fields(&mut v, request.update_mask.as_ref(), &PersonField::ALL, PersonField::path, |f| match f {
                    PersonField::DisplayName => !sent.display_name.is_empty(),
                    PersonField::Email => !sent.email.is_empty(),
                    PersonField::Role => sent.role != 0,
                    PersonField::Skills => !sent.skills.is_empty(),
                    PersonField::WeeklyHours => sent.weekly_hours.is_some(),
                });
            // Only the named fields are checked: the others take valid placeholders.
            let mut checked = pb::Person {
                display_name: "unchanged".into(),
                email: "unchanged@example.com".into(),
                role: pb::PersonRole::Other as i32,
                ..Default::default()
            };
            for field in &fields {
                match field {
                    PersonField::DisplayName => checked.display_name = sent.display_name.clone(),
                    PersonField::Email => checked.email = sent.email.clone(),
                    PersonField::Role => checked.role = sent.role,
                    PersonField::Skills => checked.skills = sent.skills.clone(),
                    PersonField::WeeklyHours => {
                        // Cleared (`*` without a value) means the default, as on create.
                        checked.weekly_hours = sent.weekly_hours;
                    }
                }
            }
            let values = values(&mut v, &checked);
            let etag = (!sent.etag.is_empty()).then(|| sent.etag.clone());
            match (name, values) {
                (Some(name), Some(values)) => Some(PersonUpdate { name, fields, values, etag }),
                _ => None,
            }
        }
    };
    v.finish_idempotent(update, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_get(request: &pb::GetPersonRequest) -> Result<PersonName, Status> {
    validate::single("name", PersonName::parse(&request.name))
}

const LIST_FIELDS: &[Field] = &[
    Field { name: "role", ops: EQUALITY },
    Field { name: "state", ops: EQUALITY },
    Field { name: "over_allocated", ops: EQUALITY },
    Field { name: "discipline", ops: EQUALITY },
    Field { name: "team", ops: &[Op::Eq] },
];

fn condition(condition: filter::Condition) -> Result<PersonCondition, String> {
    let (op, value) = (condition.op, condition.value.as_str());
    let unknown = |what: &str| condition.not_a(what);
    match condition.field {
        "role" => {
            PersonRole::from_name(value).map(|r| PersonCondition::Role(op, r)).ok_or_else(|| unknown("a PERSON_ROLE_"))
        }
        "state" => PersonState::from_name(value)
            .map(|s| PersonCondition::State(op, s))
            .ok_or_else(|| unknown("a PERSON_STATE_")),
        "over_allocated" => condition.wanted_flag().map(PersonCondition::OverAllocated),
        "discipline" => Discipline::from_name(value)
            .map(|d| PersonCondition::Discipline(op, d))
            .ok_or_else(|| unknown("a DISCIPLINE_")),
        _ => TeamName::parse(value).map(PersonCondition::Team).map_err(|_| unknown("teams/{team}")),
    }
}

/// A filter of `fields` into domain conditions.
pub(crate) fn conditions<C>(
    text: &str,
    fields: &[Field],
    condition: fn(filter::Condition) -> Result<C, String>,
) -> Result<Vec<C>, String> {
    filter::parse(text, fields).and_then(|cs| cs.into_iter().map(condition).collect())
}

#[allow(clippy::result_large_err)]
pub fn parse_list(request: &pb::ListPeopleRequest) -> Result<PersonQuery, Status> {
    let mut v = Violations::new();
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
    let role = v.check("role", parse_optional_role(request.role));
    let conditions = v.check("filter", conditions(&request.filter, LIST_FIELDS, condition));
    let query = match (limit, after, role, conditions) {
        (Some(limit), Some(after), Some(role), Some(conditions)) => {
            Some(PersonQuery { role, conditions, limit, after })
        }
        _ => None,
    };
    v.finish_with(query)
}

/// A range of dates from two fields, each required, at most `max_days` long.
pub(crate) fn date_range(
    v: &mut Violations,
    (start_field, start): (&str, &str),
    (end_field, end): (&str, &str),
    max_days: i64,
) -> Option<DateRange> {
    let required_date = |value: &str| required(parse_date(value));
    let start: Option<Date> = v.check(start_field, required_date(start));
    let end: Option<Date> = v.check(end_field, required_date(end));
    let (start, end) = (start?, end?);
    v.check(end_field, DateRange::new(start, end, max_days))
}

/// What FindPeople asks for.
#[derive(Debug, Clone)]
pub struct Search {
    pub discipline: Discipline,
    pub min_level: Option<SkillLevel>,
    pub range: DateRange,
    pub min_free_hours: f64,
    pub limit: i64,
}

#[allow(clippy::result_large_err)]
pub fn parse_find(request: &pb::FindPeopleRequest) -> Result<Search, Status> {
    let mut v = Violations::new();
    let discipline = v.check("discipline", required(parse_discipline(request.discipline)));
    let min_level = v.check("min_level", parse_level(request.min_level));
    let range =
        date_range(&mut v, ("start_date", &request.start_date), ("end_date", &request.end_date), MAX_REPORT_DAYS);
    let min_free_hours = v.check(
        "min_free_hours",
        if request.min_free_hours.is_finite() && request.min_free_hours >= 0.0 {
            Ok(request.min_free_hours)
        } else {
            Err("must be a number of hours, 0 or more".to_string())
        },
    );
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let search = match (discipline, min_level, range, min_free_hours, limit) {
        (Some(discipline), Some(min_level), Some(range), Some(min_free_hours), Some(limit)) => {
            Some(Search { discipline, min_level, range, min_free_hours, limit })
        }
        _ => None,
    };
    v.finish_with(search)
}

#[allow(clippy::result_large_err)]
pub fn parse_state_change(name: &str, request_id: &str) -> Result<Idempotent<PersonName>, Status> {
    let mut v = Violations::new();
    let person = v.check("name", PersonName::parse(name));
    let request_id = v.check("request_id", validate::request_id(request_id));
    v.finish_idempotent(person, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_reports_every_bad_field() {
        let status = parse_create(pb::CreatePersonRequest {
            person: Some(pb::Person { display_name: " ".into(), email: "nope".into(), role: 0, ..Default::default() }),
            request_id: "x".into(),
        })
        .expect_err("invalid");
        let message = status.message();
        for field in ["person.display_name", "person.email", "person.role", "request_id"] {
            assert!(message.contains(field), "{field} missing from {message}");
        }
    }

    #[test]
    fn create_normalises_valid_input() {
        let create = parse_create(pb::CreatePersonRequest {
            person: Some(pb::Person {
                display_name: " Ana López ".into(),
                email: "Ana@Example.com".into(),
                role: pb::PersonRole::Designer as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .expect("valid");
        assert_eq!(create.value.display_name, "Ana López");
        assert_eq!(create.value.email, "ana@example.com");
        assert_eq!(create.value.role, PersonRole::Designer);
        assert_eq!(create.request_id, None);
    }

    #[test]
    fn every_role_has_a_wire_value() {
        for value in PersonRole::ALL {
            assert_eq!(parse_optional_role(role(*value) as i32), Ok(Some(*value)));
        }
        assert_eq!(parse_optional_role(0), Ok(None));
        assert!(parse_optional_role(99).is_err());
    }
}
