//! SQL of `people.time_off` and `people.allocation`.

use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use baton_platform::names::{AllocationName, PersonName, ProjectName, TimeOffName};

use crate::domain::capacity::{Allocation, AllocationCondition, DateRange, TimeOff};

macro_rules! allocation_columns {
    () => {
        "id, person_id, project_id, hours_per_week, start_date, end_date, note, create_time, update_time, revision"
    };
}

#[derive(sqlx::FromRow)]
struct AllocationRow {
    id: Uuid,
    person_id: Uuid,
    project_id: Uuid,
    hours_per_week: f64,
    start_date: Date,
    end_date: Date,
    note: String,
    create_time: OffsetDateTime,
    update_time: OffsetDateTime,
    revision: i64,
}

impl From<AllocationRow> for Allocation {
    fn from(row: AllocationRow) -> Self {
        Allocation {
            name: AllocationName::new(PersonName::new(row.person_id), row.id),
            project: ProjectName::new(row.project_id),
            hours_per_week: row.hours_per_week,
            range: DateRange { start: row.start_date, end: row.end_date },
            note: row.note,
            create_time: row.create_time,
            update_time: row.update_time,
            revision: row.revision,
        }
    }
}

#[derive(sqlx::FromRow)]
struct TimeOffRow {
    id: Uuid,
    person_id: Uuid,
    start_date: Date,
    end_date: Date,
    note: String,
    create_time: OffsetDateTime,
}

impl From<TimeOffRow> for TimeOff {
    fn from(row: TimeOffRow) -> Self {
        TimeOff {
            name: TimeOffName::new(PersonName::new(row.person_id), row.id),
            range: DateRange { start: row.start_date, end: row.end_date },
            note: row.note,
            create_time: row.create_time,
        }
    }
}

macro_rules! time_off_columns {
    () => {
        "id, person_id, start_date, end_date, note, create_time"
    };
}

/// The person's allocations that end on `from` or later.
pub async fn allocations_from(
    conn: &mut PgConnection,
    person: PersonName,
    from: Date,
) -> Result<Vec<Allocation>, sqlx::Error> {
    let rows: Vec<AllocationRow> = sqlx::query_as(concat!(
        "SELECT ",
        allocation_columns!(),
        " FROM people.allocation WHERE person_id = $1 AND end_date >= $2"
    ))
    .bind(person.id)
    .bind(from)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Allocation::from).collect())
}

/// The person's time off that ends on `from` or later.
pub async fn time_off_from(
    conn: &mut PgConnection,
    person: PersonName,
    from: Date,
) -> Result<Vec<TimeOff>, sqlx::Error> {
    let rows: Vec<TimeOffRow> = sqlx::query_as(concat!(
        "SELECT ",
        time_off_columns!(),
        " FROM people.time_off WHERE person_id = $1 AND end_date >= $2"
    ))
    .bind(person.id)
    .bind(from)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(TimeOff::from).collect())
}

/// The allocations and time off of `people` that overlap `range`.
pub async fn within(
    pool: &PgPool,
    people: &[PersonName],
    range: DateRange,
) -> Result<(Vec<Allocation>, Vec<TimeOff>), sqlx::Error> {
    let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    let allocations: Vec<AllocationRow> = sqlx::query_as(concat!(
        "SELECT ",
        allocation_columns!(),
        " FROM people.allocation WHERE person_id = ANY($1) AND start_date <= $3 AND end_date >= $2"
    ))
    .bind(&ids)
    .bind(range.start)
    .bind(range.end)
    .fetch_all(pool)
    .await?;
    let time_off: Vec<TimeOffRow> = sqlx::query_as(concat!(
        "SELECT ",
        time_off_columns!(),
        " FROM people.time_off WHERE person_id = ANY($1) AND start_date <= $3 AND end_date >= $2"
    ))
    .bind(&ids)
    .bind(range.start)
    .bind(range.end)
    .fetch_all(pool)
    .await?;
    Ok((allocations.into_iter().map(Allocation::from).collect(), time_off.into_iter().map(TimeOff::from).collect()))
}

pub async fn insert_allocation(conn: &mut PgConnection, allocation: &Allocation) -> Result<(), sqlx::Error> {
    sqlx::query(concat!(
        "INSERT INTO people.allocation (",
        allocation_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)"
    ))
    .bind(allocation.name.id)
    .bind(allocation.name.person)
    .bind(allocation.project.id)
    .bind(allocation.hours_per_week)
    .bind(allocation.range.start)
    .bind(allocation.range.end)
    .bind(allocation.note.clone())
    .bind(allocation.create_time)
    .bind(allocation.revision)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes an updated allocation (its person is locked: nothing else changes it meanwhile).
pub async fn update_allocation(conn: &mut PgConnection, allocation: &Allocation) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE people.allocation SET hours_per_week = $2, start_date = $3, end_date = $4, note = $5, \
         update_time = $6, revision = $7 WHERE id = $1",
    )
    .bind(allocation.name.id)
    .bind(allocation.hours_per_week)
    .bind(allocation.range.start)
    .bind(allocation.range.end)
    .bind(allocation.note.clone())
    .bind(allocation.update_time)
    .bind(allocation.revision)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_allocation(conn: &mut PgConnection, name: AllocationName) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM people.allocation WHERE id = $1 AND person_id = $2")
        .bind(name.id)
        .bind(name.person)
        .execute(conn)
        .await?;
    Ok(())
}

/// The allocation, read on `conn` (in a transaction: after its person was locked).
pub async fn allocation(conn: &mut PgConnection, name: AllocationName) -> Result<Option<Allocation>, sqlx::Error> {
    let row: Option<AllocationRow> = sqlx::query_as(concat!(
        "SELECT ",
        allocation_columns!(),
        " FROM people.allocation WHERE id = $1 AND person_id = $2"
    ))
    .bind(name.id)
    .bind(name.person)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Allocation::from))
}

/// A keyset page of the allocations of `person` (everyone's when `None`) that match every
/// condition, in creation order.
pub async fn list_allocations(
    pool: &PgPool,
    person: Option<PersonName>,
    conditions: &[AllocationCondition],
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Allocation>, sqlx::Error> {
    let mut sql =
        QueryBuilder::<Postgres>::new(concat!("SELECT ", allocation_columns!(), " FROM people.allocation WHERE true"));
    if let Some(person) = person {
        sql.push(" AND person_id = ").push_bind(person.id);
    }
    if let Some(after) = after {
        sql.push(" AND id > ").push_bind(after);
    }
    for condition in conditions {
        let (column, op) = match condition {
            AllocationCondition::Project(op, _) => (" AND project_id ", op),
            AllocationCondition::StartDate(op, _) => (" AND start_date ", op),
            AllocationCondition::EndDate(op, _) => (" AND end_date ", op),
        };
        sql.push(column).push(op.sql()).push(" ");
        match condition {
            AllocationCondition::Project(_, project) => sql.push_bind(project.id),
            AllocationCondition::StartDate(_, date) | AllocationCondition::EndDate(_, date) => sql.push_bind(*date),
        };
    }
    sql.push(" ORDER BY id LIMIT ").push_bind(limit + 1);
    let rows: Vec<AllocationRow> = sql.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(Allocation::from).collect())
}

pub async fn insert_time_off(conn: &mut PgConnection, time_off: &TimeOff) -> Result<(), sqlx::Error> {
    sqlx::query(concat!("INSERT INTO people.time_off (", time_off_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6)"))
        .bind(time_off.name.id)
        .bind(time_off.name.person)
        .bind(time_off.range.start)
        .bind(time_off.range.end)
        .bind(time_off.note.clone())
        .bind(time_off.create_time)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes the time off and returns it, if it was there.
pub async fn delete_time_off(conn: &mut PgConnection, name: TimeOffName) -> Result<Option<TimeOff>, sqlx::Error> {
    let row: Option<TimeOffRow> = sqlx::query_as(concat!(
        "DELETE FROM people.time_off WHERE id = $1 AND person_id = $2 RETURNING ",
        time_off_columns!()
    ))
    .bind(name.id)
    .bind(name.person)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(TimeOff::from))
}

/// A keyset page of a person's time off, earliest first (by start date, then id); `after` is the
/// id of the last one of the page before.
pub async fn list_time_off(
    pool: &PgPool,
    person: PersonName,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<TimeOff>, sqlx::Error> {
    let rows: Vec<TimeOffRow> = sqlx::query_as(concat!(
        "SELECT ",
        time_off_columns!(),
        " FROM people.time_off WHERE person_id = $1 AND ($2::uuid IS NULL OR \
         (start_date, id) > (SELECT start_date, id FROM people.time_off WHERE id = $2)) \
         ORDER BY start_date, id LIMIT $3"
    ))
    .bind(person.id)
    .bind(after)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(TimeOff::from).collect())
}
