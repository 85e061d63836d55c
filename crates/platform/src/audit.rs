//! The audit trail: who did what, when, with which token, on what. Each service keeps its own
//! in its own schema (`<schema>.audit`), written by the same statement as each accepted write
//! (`baton_messaging::Mutation`), so a write and its record commit together or not at all.
//! Admins read it per project or per actor with each service's `ListAuditRecords`.

use sqlx::PgPool;
use tonic::Status;
use uuid::Uuid;

use baton_proto::audit::v1::AuditRecord;

use crate::names::ProjectName;
use crate::paging;
use crate::time::timestamp;
use crate::validate::{self, Violations};

/// Whose records to list, and which page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub project: Option<ProjectName>,
    pub actor: Option<String>,
    pub limit: i64,
    /// The last record of the previous page; records are listed newest first.
    pub before: Option<Uuid>,
}

/// Parses the fields every service's `ListAuditRecordsRequest` has; exactly one of `project`
/// and `actor` must be set.
#[allow(clippy::result_large_err)]
pub fn parse_query(project: &str, actor: &str, page_size: i32, page_token: &str) -> Result<AuditQuery, Status> {
    let mut v = Violations::new();
    let project_name = v.check("project", crate::names::optional(project, ProjectName::parse));
    let actor_name = v.check(
        "actor",
        if actor.is_empty() {
            Ok(None)
        } else {
            baton_auth::Subject::parse(actor)
                .map(|subject| Some(subject.to_string()))
                .ok_or_else(|| "must be people/{id} or services/{name}".to_string())
        },
    );
    if project.is_empty() == actor.is_empty() {
        v.check::<()>("project", Err("set exactly one of project and actor".into()));
    }
    let limit = v.check("page_size", paging::page_size(page_size));
    let before = v.check("page_token", paging::decode_uuid_token(page_token));
    let query = match (project_name, actor_name, limit, before) {
        (Some(project), Some(actor), Some(limit), Some(before)) => Some(AuditQuery { project, actor, limit, before }),
        _ => None,
    };
    v.finish_with(query)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    create_time: time::OffsetDateTime,
    method: String,
    actor: String,
    token_id: Option<String>,
    resource: String,
    project_id: Option<Uuid>,
}

/// A page of `table`'s records (`people.audit`, …) and the token of the next one.
pub async fn list(
    pool: &PgPool,
    table: &'static str,
    query: &AuditQuery,
) -> Result<(Vec<AuditRecord>, String), sqlx::Error> {
    let sql = format!(
        "SELECT id, create_time, method, actor, token_id, resource, project_id FROM {table} \
         WHERE ($1::uuid IS NULL OR project_id = $1) AND ($2::text IS NULL OR actor = $2) \
         AND ($3::uuid IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(query.project.map(|p| p.id))
        .bind(query.actor.as_deref())
        .bind(query.before)
        .bind(query.limit + 1)
        .fetch_all(pool)
        .await?;
    let (rows, next) = paging::split_page(rows, query.limit, |row| row.id);
    let records = rows
        .into_iter()
        .map(|row| AuditRecord {
            id: row.id.to_string(),
            create_time: Some(timestamp(row.create_time)),
            method: row.method,
            actor: row.actor,
            token_id: row.token_id.unwrap_or_default(),
            resource: row.resource,
            project: row.project_id.map(|id| ProjectName::new(id).to_string()).unwrap_or_default(),
        })
        .collect();
    Ok((records, next))
}

/// The project a resource name belongs to: `projects/{id}` and everything under it.
pub fn project_of(resource: &str) -> Option<Uuid> {
    let rest = resource.strip_prefix("projects/")?;
    let id = rest.split('/').next()?;
    validate::resource_id(&format!("projects/{id}"), "projects").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_of_a_resource() {
        let id = Uuid::now_v7();
        assert_eq!(project_of(&format!("projects/{id}")), Some(id));
        assert_eq!(project_of(&format!("projects/{id}/assets/{}", Uuid::now_v7())), Some(id));
        assert_eq!(project_of(&format!("people/{id}")), None);
    }

    #[test]
    fn a_query_names_one_project_or_one_actor() {
        let project = format!("projects/{}", Uuid::now_v7());
        assert!(parse_query(&project, "", 0, "").is_ok());
        assert!(parse_query("", "services/assets", 0, "").is_ok());
        assert!(parse_query("", "", 0, "").is_err());
        assert!(parse_query(&project, "services/assets", 0, "").is_err());
        assert!(parse_query("", "bob", 0, "").is_err());
    }
}
