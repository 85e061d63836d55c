//! `baton people add|list|show|update|find|allocate|time-off|load`.

use baton_proto::people::v1::{
    Allocation, CreateAllocationRequest, CreatePersonRequest, CreateTimeOffRequest, FindPeopleRequest,
    GetPersonRequest, GetUtilisationRequest, ListAllocationsRequest, ListTimeOffRequest, Person, PersonUtilisation,
    Skill, TimeOff, UpdatePersonRequest,
};
use prost_types::FieldMask;
use time::{Date, Duration, OffsetDateTime};

use crate::cli::{DisciplineArg, PeopleCommand, PersonRoleArg, RangeArgs, SkillArg, SkillLevelArg};
use crate::client::Baton;
use crate::error::CliError;
use crate::json;
use crate::output::{Cell, Out, Table, listing, short_id, time};

pub async fn run(baton: &Baton, out: &Out, command: PeopleCommand) -> Result<(), CliError> {
    match command {
        PeopleCommand::Add { name, email, role, skills, hours, idempotency } => {
            let person = Person {
                display_name: name,
                email,
                role: role.to_proto() as i32,
                skills: skills.iter().map(skill).collect(),
                weekly_hours: hours,
                ..Default::default()
            };
            let request = CreatePersonRequest { person: Some(person), request_id: idempotency.value() };
            let person = baton.people().create_person(baton.request(request)).await?.into_inner().person;
            show(out, &person.unwrap_or_default(), &[])
        }
        PeopleCommand::List { role, skill, over_allocated } => {
            let mut conditions = Vec::new();
            if let Some(role) = role {
                conditions.push(format!("role = {}", role.to_proto().as_str_name()));
            }
            if let Some(skill) = skill {
                conditions.push(format!("discipline = {}", skill.to_proto().as_str_name()));
            }
            if over_allocated {
                conditions.push("over_allocated = true".into());
            }
            let people = baton.all_people(&conditions.join(" AND ")).await?;
            if out.json() {
                for person in &people {
                    out.json_line(&json::person(person))?;
                }
                return Ok(());
            }
            let mut table = Table::new(&["ID", "NAME", "EMAIL", "ROLE", "SKILLS", "HOURS"]).align_right(5);
            for person in &people {
                let hours = format!("{}{}", hours(person.weekly_hours.unwrap_or_default()), flag(person));
                table.row(vec![
                    Cell::from(short_id(&person.name)),
                    person.display_name.as_str().into(),
                    person.email.as_str().into(),
                    PersonRoleArg::text(person.role).into(),
                    skills(&person.skills).into(),
                    hours.into(),
                ]);
            }
            out.text(&table.render(out.color, 0))
        }
        PeopleCommand::Show { person } => {
            let name = baton.resolve_person(&person).await?;
            let person = baton.people().get_person(baton.request(GetPersonRequest { name: name.clone() })).await?;
            let request = ListTimeOffRequest { parent: name, page_size: 1000, ..Default::default() };
            let time_off = baton.people().list_time_off(baton.request(request)).await?.into_inner().time_off;
            show(out, &person.into_inner().person.unwrap_or_default(), &time_off)
        }
        PeopleCommand::Update { person, name, email, role, skills, hours, etag, idempotency } => {
            let target = baton.resolve_person(&person).await?;
            let mut paths = Vec::new();
            let mut changed = Person { name: target, etag: etag.unwrap_or_default(), ..Default::default() };
            if let Some(name) = name {
                changed.display_name = name;
                paths.push("display_name");
            }
            if let Some(email) = email {
                changed.email = email;
                paths.push("email");
            }
            if let Some(role) = role {
                changed.role = role.to_proto() as i32;
                paths.push("role");
            }
            if !skills.is_empty() {
                changed.skills = skills.iter().map(skill).collect();
                paths.push("skills");
            }
            if let Some(hours) = hours {
                changed.weekly_hours = Some(hours);
                paths.push("weekly_hours");
            }
            if paths.is_empty() {
                return Err(CliError::Usage(
                    "nothing to change: give --name, --email, --role, --skill or --hours".into(),
                ));
            }
            let request = UpdatePersonRequest {
                person: Some(changed),
                update_mask: Some(FieldMask { paths: paths.into_iter().map(String::from).collect() }),
                request_id: idempotency.value(),
            };
            let person = baton.people().update_person(baton.request(request)).await?.into_inner().person;
            show(out, &person.unwrap_or_default(), &[])
        }
        PeopleCommand::Find { skill, level, range, free_hours } => {
            let (from, to) = range_of(&range, 27)?;
            let request = FindPeopleRequest {
                discipline: skill.to_proto() as i32,
                min_level: level.map(|l| l.to_proto() as i32).unwrap_or_default(),
                start_date: from.to_string(),
                end_date: to.to_string(),
                min_free_hours: free_hours,
                page_size: 0,
            };
            let found = baton.people().find_people(baton.request(request)).await?.into_inner().candidates;
            if out.json() {
                for candidate in &found {
                    let person = candidate.person.clone().unwrap_or_default();
                    let mut line = json::person(&person);
                    line["level"] = SkillLevelArg::word(candidate.level).into();
                    line["free_hours"] = candidate.free_hours.into();
                    out.json_line(&line)?;
                }
                return Ok(());
            }
            if found.is_empty() {
                return out.line(format!(
                    "Nobody practising {} is free enough from {from} to {to}.",
                    DisciplineArg::text(skill.to_proto() as i32)
                ));
            }
            let mut table =
                Table::new(&["NAME", "LEVEL", "FREE", "ALLOCATED", "OF"]).align_right(2).align_right(3).align_right(4);
            for candidate in &found {
                let person = candidate.person.clone().unwrap_or_default();
                let load = candidate.utilisation.clone().unwrap_or_default();
                table.row(vec![
                    Cell::from(person.display_name.as_str()),
                    SkillLevelArg::text(candidate.level).into(),
                    format!("{} h", hours(candidate.free_hours)).into(),
                    format!("{} h", hours(load.allocated_hours)).into(),
                    format!("{} h", hours(load.available_hours)).into(),
                ]);
            }
            out.text(&table.render(out.color, 0))
        }
        PeopleCommand::Allocate { person, project, hours: per_week, from, to, note, idempotency } => {
            let parent = baton.resolve_person(&person).await?;
            let project = baton.resolve_project(&project).await?;
            let allocation = Allocation {
                project,
                hours_per_week: per_week,
                start_date: from,
                end_date: to,
                note: note.unwrap_or_default(),
                ..Default::default()
            };
            let request =
                CreateAllocationRequest { parent, allocation: Some(allocation), request_id: idempotency.value() };
            let made = baton.people().create_allocation(baton.request(request)).await?.into_inner();
            let (allocation, person) = (made.allocation.unwrap_or_default(), made.person.unwrap_or_default());
            if out.json() {
                return out.json_line(&serde_json::json!({
                    "name": allocation.name,
                    "project": allocation.project,
                    "hours_per_week": allocation.hours_per_week,
                    "start_date": allocation.start_date,
                    "end_date": allocation.end_date,
                    "over_allocated": person.over_allocated,
                }));
            }
            out.line(format!(
                "{} h a week on {} for {} from {} to {}{}",
                hours(allocation.hours_per_week),
                allocation.project,
                person.display_name,
                allocation.start_date,
                allocation.end_date,
                if person.over_allocated { out.paint(" — now over-allocated", "31") } else { String::new() }
            ))
        }
        PeopleCommand::TimeOff { person, from, to, note, idempotency } => {
            let parent = baton.resolve_person(&person).await?;
            let time_off =
                TimeOff { start_date: from, end_date: to, note: note.unwrap_or_default(), ..Default::default() };
            let request = CreateTimeOffRequest { parent, time_off: Some(time_off), request_id: idempotency.value() };
            let made = baton.people().create_time_off(baton.request(request)).await?.into_inner().time_off;
            let made = made.unwrap_or_default();
            if out.json() {
                return out.json_line(&serde_json::json!({
                    "name": made.name, "start_date": made.start_date, "end_date": made.end_date, "note": made.note,
                }));
            }
            out.line(format!("Time off from {} to {} recorded ({})", made.start_date, made.end_date, made.name))
        }
        PeopleCommand::Load { person, range } => {
            let subject = baton.resolve_person(&person).await?;
            load(baton, out, subject, &range).await
        }
    }
}

/// Prints the load of `subject` (a person or a team) over the range, week by week.
pub async fn load(baton: &Baton, out: &Out, subject: String, range: &RangeArgs) -> Result<(), CliError> {
    let (from, to) = range_of(range, 6)?;
    let request = GetUtilisationRequest { subject, start_date: from.to_string(), end_date: to.to_string() };
    let report = baton.people().get_utilisation(baton.request(request)).await?.into_inner();
    if out.json() {
        for person in &report.people {
            out.json_line(&utilisation_json(person))?;
        }
        return Ok(());
    }
    let mut table =
        Table::new(&["NAME", "WEEK", "ALLOCATED", "OF", "LOAD"]).align_right(2).align_right(3).align_right(4);
    for person in &report.people {
        for (i, week) in person.weeks.iter().enumerate() {
            let name = if i == 0 { person.display_name.as_str() } else { "" };
            let over = week.allocated_hours > week.available_hours + 1e-6;
            let load = percent(week.allocated_hours, week.available_hours);
            table.row(vec![
                Cell::from(name),
                week.week_start.as_str().into(),
                format!("{} h", hours(week.allocated_hours)).into(),
                format!("{} h", hours(week.available_hours)).into(),
                if over { Cell::styled(format!("{load} over"), "31") } else { load.into() },
            ]);
        }
    }
    out.text(&table.render(out.color, 0))?;
    out.line(format!(
        "From {from} to {to}: {} h allocated of {} h ({}).",
        hours(report.allocated_hours),
        hours(report.available_hours),
        percent(report.allocated_hours, report.available_hours)
    ))
}

fn utilisation_json(person: &PersonUtilisation) -> serde_json::Value {
    serde_json::json!({
        "person": person.person,
        "display_name": person.display_name,
        "available_hours": person.available_hours,
        "allocated_hours": person.allocated_hours,
        "utilisation": person.utilisation,
        "time_off_days": person.time_off_days,
        "over_allocated": person.over_allocated,
    })
}

/// The range asked for: `--from` (this week's Monday unless given) to `--to` (`days` after it
/// unless given).
pub fn range_of(range: &RangeArgs, days: i64) -> Result<(Date, Date), CliError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let parse = |flag: &str, text: &str| {
        Date::parse(text.trim(), format)
            .map_err(|_| CliError::Usage(format!("--{flag} {text}: a date is YYYY-MM-DD, for example 2027-03-01")))
    };
    let from = match &range.from {
        Some(text) => parse("from", text)?,
        None => {
            let today = OffsetDateTime::now_utc().date();
            today - Duration::days(i64::from(today.weekday().number_days_from_monday()))
        }
    };
    let to = match &range.to {
        Some(text) => parse("to", text)?,
        None => from + Duration::days(days),
    };
    Ok((from, to))
}

fn skill(arg: &SkillArg) -> Skill {
    Skill { discipline: arg.discipline.to_proto() as i32, level: arg.level.to_proto() as i32 }
}

fn skills(skills: &[Skill]) -> String {
    let words: Vec<String> = skills
        .iter()
        .map(|s| format!("{} ({})", DisciplineArg::text(s.discipline), SkillLevelArg::text(s.level)))
        .collect();
    if words.is_empty() { "—".into() } else { words.join(", ") }
}

/// Hours as people write them: `40`, `7.5`.
pub fn hours(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 { format!("{rounded:.0}") } else { format!("{rounded:.1}") }
}

/// `part / whole` as a whole percent; `—` when the whole is nothing.
pub fn percent(part: f64, whole: f64) -> String {
    if whole <= 0.0 { "—".into() } else { format!("{:.0}%", part / whole * 100.0) }
}

fn flag(person: &Person) -> &'static str {
    if person.over_allocated { " (over)" } else { "" }
}

fn show(out: &Out, person: &Person, time_off: &[TimeOff]) -> Result<(), CliError> {
    if out.json() {
        return out.json_line(&json::person(person));
    }
    let mut pairs = vec![
        ("name", person.name.clone()),
        ("display name", person.display_name.clone()),
        ("email", person.email.clone()),
        ("role", PersonRoleArg::text(person.role)),
        ("skills", skills(&person.skills)),
        ("weekly hours", hours(person.weekly_hours.unwrap_or_default())),
        ("over-allocated", if person.over_allocated { "yes".into() } else { "no".into() }),
    ];
    let off: Vec<String> = time_off.iter().map(|t| format!("{} to {}", t.start_date, t.end_date)).collect();
    if !off.is_empty() {
        pairs.push(("time off", off.join(", ")));
    }
    pairs.push(("created", time(person.create_time.as_ref())));
    pairs.push(("etag", person.etag.clone()));
    out.text(&listing(out.color, &pairs))
}

/// A project's allocations: (person, hours per week) of those overlapping `from`..`to`.
pub async fn project_allocations(
    baton: &Baton,
    project: &str,
    from: Date,
    to: Date,
) -> Result<Vec<Allocation>, CliError> {
    let filter = format!("project = \"{project}\" AND start_date <= {to} AND end_date >= {from}");
    let request = ListAllocationsRequest { parent: "people/-".into(), page_size: 1000, filter, ..Default::default() };
    Ok(baton.people().list_allocations(baton.request(request)).await?.into_inner().allocations)
}
