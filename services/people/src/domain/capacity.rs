//! Capacity: time off, allocations to projects, and the load they make, counted in working days
//! (Monday to Friday). A person has a fifth of their weekly hours on each working day that is
//! not time off; an allocation takes a fifth of its weekly hours on each working day of its
//! range. A week is over-allocated when its allocations take more than the person has in it.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, Weekday};

use baton_platform::filter::Op;
use baton_platform::names::{AllocationName, PersonName, ProjectName, TimeOffName};

use super::Stale;

/// The most days one time off spans.
pub const MAX_TIME_OFF_DAYS: i64 = baton_platform::bounds::RANGE_DAYS as i64;
/// The most days one allocation spans (three years).
pub const MAX_ALLOCATION_DAYS: i64 = 3 * 366;
/// The most days a utilisation report or a search spans.
pub const MAX_REPORT_DAYS: i64 = baton_platform::bounds::RANGE_DAYS as i64;
/// The most allocations a person has that have not ended.
pub const MAX_OPEN_ALLOCATIONS: usize = baton_platform::bounds::OPEN_ALLOCATIONS;
/// Allocated hours above available ones by less than this are rounding, not over-allocation.
const EPSILON: f64 = 1e-6;

/// An inclusive range of days, the end never before the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    pub start: Date,
    pub end: Date,
}

impl DateRange {
    /// The range from `start` to `end`, both included, at most `max_days` long.
    pub fn new(start: Date, end: Date, max_days: i64) -> Result<Self, String> {
        if end < start {
            return Err(format!("must not be before the start date {start}"));
        }
        let days = (end - start).whole_days() + 1;
        if days > max_days {
            return Err(format!("makes a range of {days} days; the most is {max_days}"));
        }
        Ok(DateRange { start, end })
    }

    pub fn days(&self) -> i64 {
        (self.end - self.start).whole_days() + 1
    }

    pub fn overlaps(&self, other: &DateRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }
}

/// Days a person does not work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeOff {
    pub name: TimeOffName,
    pub range: DateRange,
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
}

/// Time off to record, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTimeOff {
    pub person: PersonName,
    pub range: DateRange,
    pub note: String,
}

/// Hours per week of a person's on a project over a range of days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allocation {
    pub name: AllocationName,
    pub project: ProjectName,
    pub hours_per_week: f64,
    pub range: DateRange,
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

/// An allocation to create, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAllocation {
    pub person: PersonName,
    pub project: ProjectName,
    pub hours_per_week: f64,
    pub range: DateRange,
    pub note: String,
}

/// A field of an allocation that an update may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocationField {
    HoursPerWeek,
    StartDate,
    EndDate,
    Note,
}

impl AllocationField {
    pub const ALL: [AllocationField; 4] =
        [AllocationField::HoursPerWeek, AllocationField::StartDate, AllocationField::EndDate, AllocationField::Note];

    pub fn path(self) -> &'static str {
        match self {
            AllocationField::HoursPerWeek => "hours_per_week",
            AllocationField::StartDate => "start_date",
            AllocationField::EndDate => "end_date",
            AllocationField::Note => "note",
        }
    }
}

/// An update of an allocation, already validated field by field: the range is checked against
/// the stored one when it is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct AllocationUpdate {
    pub name: AllocationName,
    pub fields: Vec<AllocationField>,
    pub hours_per_week: f64,
    pub start: Option<Date>,
    pub end: Option<Date>,
    pub note: String,
    pub etag: Option<String>,
}

/// Why an allocation update is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllocationRefusal {
    Stale(Stale),
    /// The range the update leaves is not a valid one: why.
    Range(String),
}

impl Allocation {
    pub fn create(new: NewAllocation, name: AllocationName, now: OffsetDateTime) -> Self {
        Allocation {
            name,
            project: new.project,
            hours_per_week: new.hours_per_week,
            range: new.range,
            note: new.note,
            create_time: now,
            update_time: now,
            revision: 1,
        }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// This allocation after `update` at `now`, at its next revision.
    pub fn updated(&self, update: &AllocationUpdate, now: OffsetDateTime) -> Result<Allocation, AllocationRefusal> {
        baton_platform::etag::check(update.etag.as_deref(), self.etag())
            .map_err(|current| AllocationRefusal::Stale(Stale { current }))?;
        let mut next = self.clone();
        let (mut start, mut end) = (self.range.start, self.range.end);
        for field in &update.fields {
            match field {
                AllocationField::HoursPerWeek => next.hours_per_week = update.hours_per_week,
                AllocationField::StartDate => start = update.start.unwrap_or(start),
                AllocationField::EndDate => end = update.end.unwrap_or(end),
                AllocationField::Note => next.note = update.note.clone(),
            }
        }
        next.range = DateRange::new(start, end, MAX_ALLOCATION_DAYS).map_err(AllocationRefusal::Range)?;
        next.revision += 1;
        next.update_time = now;
        Ok(next)
    }
}

/// One condition of a ListAllocations filter.
#[derive(Debug, Clone, PartialEq)]
pub enum AllocationCondition {
    Project(Op, ProjectName),
    StartDate(Op, Date),
    EndDate(Op, Date),
}

/// One week of a person's load, within a range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeekLoad {
    /// The Monday of the week.
    pub week_start: Date,
    pub available_hours: f64,
    pub allocated_hours: f64,
}

impl WeekLoad {
    pub fn over_allocated(&self) -> bool {
        self.allocated_hours > self.available_hours + EPSILON
    }
}

/// A person's load over a range: week by week, and in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Load {
    pub weeks: Vec<WeekLoad>,
    pub available_hours: f64,
    pub allocated_hours: f64,
    pub time_off_days: i32,
}

impl Load {
    /// Allocated over available hours; 0 when none are available.
    pub fn utilisation(&self) -> f64 {
        ratio(self.allocated_hours, self.available_hours)
    }

    pub fn over_allocated(&self) -> bool {
        self.weeks.iter().any(WeekLoad::over_allocated)
    }

    pub fn free_hours(&self) -> f64 {
        self.available_hours - self.allocated_hours
    }
}

/// `part / whole`, or 0 when the whole is nothing.
pub fn ratio(part: f64, whole: f64) -> f64 {
    if whole > EPSILON { part / whole } else { 0.0 }
}

fn is_working_day(day: Date) -> bool {
    !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The Monday of `day`'s week.
pub fn week_start(day: Date) -> Date {
    day - Duration::days(i64::from(day.weekday().number_days_from_monday()))
}

/// The load of a person working `weekly_hours` with `allocations` and `time_off` over `range`,
/// in one pass over its days (each range is added to a running total where it starts and taken
/// off where it ends).
pub fn load(weekly_hours: f64, allocations: &[Allocation], time_off: &[TimeOff], range: DateRange) -> Load {
    let days = usize::try_from(range.days()).unwrap_or_default();
    // Per day: allocated hours per working day starting, and time-off spans starting, and the
    // same taken off the day after each ends.
    let mut allocated_delta = vec![0.0_f64; days + 1];
    let mut off_delta = vec![0_i32; days + 1];
    let index = |day: Date| usize::try_from((day - range.start).whole_days()).unwrap_or_default();
    for allocation in allocations.iter().filter(|a| a.range.overlaps(&range)) {
        let (from, to) = (allocation.range.start.max(range.start), allocation.range.end.min(range.end));
        allocated_delta[index(from)] += allocation.hours_per_week / 5.0;
        allocated_delta[index(to) + 1] -= allocation.hours_per_week / 5.0;
    }
    for off in time_off.iter().filter(|t| t.range.overlaps(&range)) {
        let (from, to) = (off.range.start.max(range.start), off.range.end.min(range.end));
        off_delta[index(from)] += 1;
        off_delta[index(to) + 1] -= 1;
    }
    let mut weeks: Vec<WeekLoad> = Vec::new();
    let (mut allocated_per_day, mut off_spans) = (0.0_f64, 0_i32);
    let mut time_off_days = 0;
    let mut day = range.start;
    for i in 0..days {
        allocated_per_day += allocated_delta[i];
        off_spans += off_delta[i];
        let monday = week_start(day);
        if weeks.last().is_none_or(|week| week.week_start != monday) {
            weeks.push(WeekLoad { week_start: monday, available_hours: 0.0, allocated_hours: 0.0 });
        }
        if is_working_day(day) {
            let week = weeks.last_mut().expect("pushed above");
            week.allocated_hours += allocated_per_day;
            if off_spans > 0 {
                time_off_days += 1;
            } else {
                week.available_hours += weekly_hours / 5.0;
            }
        }
        day = day.next_day().unwrap_or(day);
    }
    // The running sum of deltas leaves tiny residues: round each week to 1/1000 of an hour.
    for week in &mut weeks {
        week.available_hours = round(week.available_hours);
        week.allocated_hours = round(week.allocated_hours.max(0.0));
    }
    let available_hours = round(weeks.iter().map(|w| w.available_hours).sum());
    let allocated_hours = round(weeks.iter().map(|w| w.allocated_hours).sum());
    Load { weeks, available_hours, allocated_hours, time_off_days }
}

fn round(hours: f64) -> f64 {
    (hours * 1000.0).round() / 1000.0
}

/// The Sunday of the last over-allocated week from `today`'s week on, if any: a person is
/// over-allocated while that day is not past.
pub fn over_allocated_until(
    weekly_hours: f64,
    allocations: &[Allocation],
    time_off: &[TimeOff],
    today: Date,
) -> Option<Date> {
    let start = week_start(today);
    let last = allocations.iter().map(|a| a.range.end).max()?;
    if last < start {
        return None;
    }
    // Whole weeks: from this Monday to the Sunday of the last allocated week.
    let end = week_start(last) + Duration::days(6);
    let range = DateRange { start, end };
    let weeks = load(weekly_hours, allocations, time_off, range).weeks;
    weeks.iter().rev().find(|week| week.over_allocated()).map(|week| week.week_start + Duration::days(6))
}

#[cfg(test)]
mod tests {
    use time::macros::date;
    use uuid::Uuid;

    use super::*;

    fn person() -> PersonName {
        PersonName::new(Uuid::nil())
    }

    fn allocation(hours_per_week: f64, start: Date, end: Date) -> Allocation {
        Allocation::create(
            NewAllocation {
                person: person(),
                project: ProjectName::new(Uuid::now_v7()),
                hours_per_week,
                range: DateRange { start, end },
                note: String::new(),
            },
            AllocationName::new(person(), Uuid::now_v7()),
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    fn off(start: Date, end: Date) -> TimeOff {
        TimeOff {
            name: TimeOffName::new(person(), Uuid::now_v7()),
            range: DateRange { start, end },
            note: String::new(),
            create_time: OffsetDateTime::UNIX_EPOCH,
        }
    }

    // 2026-12-07 is a Monday.
    const MONDAY: Date = date!(2026 - 12 - 07);

    #[test]
    fn a_week_counts_working_days_only() {
        let range = DateRange::new(MONDAY, date!(2026 - 12 - 13), 366).expect("valid");
        let load = load(40.0, &[allocation(20.0, date!(2026 - 12 - 01), date!(2026 - 12 - 31))], &[], range);
        assert_eq!(load.weeks.len(), 1);
        assert_eq!((load.available_hours, load.allocated_hours), (40.0, 20.0));
        assert_eq!(load.utilisation(), 0.5);
        assert!(!load.over_allocated());
    }

    #[test]
    fn time_off_takes_hours_away_but_not_allocations() {
        // Wednesday and Thursday off, plus the weekend (not working days).
        let range = DateRange::new(MONDAY, date!(2026 - 12 - 13), 366).expect("valid");
        let time_off = [off(date!(2026 - 12 - 09), date!(2026 - 12 - 13))];
        let load = load(40.0, &[allocation(30.0, MONDAY, date!(2026 - 12 - 31))], &time_off, range);
        assert_eq!(load.time_off_days, 3);
        assert_eq!((load.available_hours, load.allocated_hours), (16.0, 30.0));
        assert!(load.over_allocated());
    }

    #[test]
    fn a_range_is_clipped_and_split_into_weeks_from_monday() {
        // Thursday to the next Tuesday: two partial weeks.
        let range = DateRange::new(date!(2026 - 12 - 10), date!(2026 - 12 - 15), 366).expect("valid");
        let load = load(40.0, &[allocation(10.0, date!(2026 - 12 - 11), date!(2027 - 01 - 31))], &[], range);
        let starts: Vec<Date> = load.weeks.iter().map(|w| w.week_start).collect();
        assert_eq!(starts, [MONDAY, date!(2026 - 12 - 14)]);
        // Thursday and Friday available (16 h), Friday allocated (2 h); Monday and Tuesday both.
        assert_eq!((load.weeks[0].available_hours, load.weeks[0].allocated_hours), (16.0, 2.0));
        assert_eq!((load.weeks[1].available_hours, load.weeks[1].allocated_hours), (16.0, 4.0));
    }

    #[test]
    fn two_allocations_over_the_hours_over_allocate_the_weeks_they_share() {
        let a = allocation(30.0, MONDAY, date!(2026 - 12 - 20));
        let b = allocation(20.0, date!(2026 - 12 - 14), date!(2027 - 01 - 10));
        // Only the week of the 14th has both.
        assert_eq!(over_allocated_until(40.0, &[a.clone(), b.clone()], &[], MONDAY), Some(date!(2026 - 12 - 20)));
        // Once that week is past, nothing ahead is over-allocated.
        assert_eq!(over_allocated_until(40.0, &[a.clone(), b.clone()], &[], date!(2026 - 12 - 21)), None);
        // More hours a week, and it fits.
        assert_eq!(over_allocated_until(50.0, &[a, b], &[], MONDAY), None);
    }

    #[test]
    fn a_person_with_no_hours_is_over_allocated_by_any_allocation() {
        let until = over_allocated_until(0.0, &[allocation(1.0, MONDAY, MONDAY)], &[], MONDAY);
        assert_eq!(until, Some(date!(2026 - 12 - 13)));
        assert_eq!(over_allocated_until(0.0, &[], &[], MONDAY), None);
    }

    #[test]
    fn ranges_are_checked() {
        assert!(DateRange::new(MONDAY, MONDAY, 1).is_ok());
        let backwards = DateRange::new(MONDAY, date!(2026 - 12 - 06), 366).expect_err("end before start");
        assert!(backwards.contains("before the start"), "{backwards}");
        let long = DateRange::new(MONDAY, date!(2028 - 12 - 07), 366).expect_err("too long");
        assert!(long.contains("366"), "{long}");
    }

    #[test]
    fn an_update_of_one_end_is_checked_against_the_other() {
        let stored = allocation(10.0, MONDAY, date!(2026 - 12 - 31));
        let update = |fields: Vec<AllocationField>, start: Option<Date>, end: Option<Date>| AllocationUpdate {
            name: stored.name,
            fields,
            hours_per_week: 0.0,
            start,
            end,
            note: String::new(),
            etag: None,
        };
        let moved = stored
            .updated(
                &update(vec![AllocationField::EndDate], None, Some(date!(2027 - 01 - 31))),
                MONDAY.midnight().assume_utc(),
            )
            .expect("valid");
        assert_eq!((moved.range.start, moved.range.end, moved.revision), (MONDAY, date!(2027 - 01 - 31), 2));
        let refused = stored.updated(
            &update(vec![AllocationField::StartDate], Some(date!(2027 - 02 - 01)), None),
            OffsetDateTime::UNIX_EPOCH,
        );
        assert!(matches!(refused, Err(AllocationRefusal::Range(_))), "{refused:?}");
    }
}
