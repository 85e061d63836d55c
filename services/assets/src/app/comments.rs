//! The comments use cases.

use baton_messaging::Written;
use baton_platform::Actor;
use baton_platform::idempotency::Origin;
use baton_platform::known::Standing;
use baton_platform::names::{AssetName, CommentName, TeamName};
use baton_platform::paging::split_page;
use baton_platform::policy::{Access, View};
use baton_platform::time;
use baton_proto::assets::v1 as pb;
use baton_proto::people::v1::GetTeamRequest;

use super::{ATTEMPTS, Assets};
use crate::domain::comment::{Comment, CommentChange, CommentRefusal, MAX_MENTIONS, NewComment};
use crate::error::AssetsError;
use crate::{repo, wire};

impl Assets {
    /// Writes a comment on a component (or one of its versions) and records `CommentCreated`.
    /// A client contact's comment is always shown to clients.
    pub async fn create_comment(
        &self,
        access: &Access,
        actor: Actor,
        mut new: NewComment,
        origin: Origin,
    ) -> Result<Comment, AssetsError> {
        let asset = new.asset;
        let view = self.visible_asset(access, asset).await?;
        if let Some(version) = new.version {
            let found = repo::versions::get(&self.pool, version).await?;
            let found = found.filter(|v| view != View::Client || v.client_visible);
            let found = found.ok_or(AssetsError::VersionNotFound(version))?;
            if let Some(anchor) = &new.anchor {
                anchor.fits(&found.files).map_err(|(part, rule)| AssetsError::Anchor { part, rule })?;
            }
        }
        if let Some(reply_to) = new.reply_to {
            let found = repo::comments::get(&self.pool, reply_to).await?;
            if !found.is_some_and(|c| view != View::Client || c.client_visible) {
                return Err(AssetsError::CommentNotFound(reply_to));
            }
        }
        self.ensure_mentions(&new.body).await?;
        if view == View::Client {
            new.client_visible = true;
        }
        let comment = Comment::write(new, access.person(), time::now());
        let mut mutation = self.outbox.mutation("CreateComment", &origin);
        mutation.emit(
            &comment.name.to_string(),
            &pb::CommentCreated { comment: Some(wire::comments::comment(&comment)), actor: actor.resource_name() },
        );
        let comment = mutation.finish(repo::comments::insert(&comment), comment).await?.changed()?;
        tracing::info!(comment = %comment.name, "comment written");
        Ok(comment)
    }

    pub async fn get_comment(&self, access: &Access, name: CommentName) -> Result<Comment, AssetsError> {
        let hidden = || AssetsError::CommentNotFound(name);
        let view = self.visible_asset(access, name.asset()).await.map_err(|_| hidden())?;
        let comment = repo::comments::get(&self.pool, name).await?.ok_or_else(hidden)?;
        if view == View::Client && !comment.client_visible {
            return Err(hidden());
        }
        Ok(comment)
    }

    pub async fn list_comments(
        &self,
        access: &Access,
        query: wire::comments::CommentQuery,
    ) -> Result<(Vec<Comment>, String), AssetsError> {
        let view = self.visible_asset(access, query.asset).await?;
        let rows = repo::comments::list(
            &self.pool,
            query.asset,
            query.version,
            view == View::Client,
            query.after,
            query.limit,
        )
        .await?;
        Ok(split_page(rows, query.limit, |c| c.name.id))
    }

    /// Changes a comment's text or visibility, by its author only, and records `CommentEdited`
    /// with the comment before and after (the replaced text stays in its edits).
    pub async fn update_comment(
        &self,
        access: &Access,
        actor: Actor,
        change: CommentChange,
        origin: Origin,
    ) -> Result<Comment, AssetsError> {
        let name = change.name;
        let hidden = || AssetsError::CommentNotFound(name);
        let view = self.visible_asset(access, name.asset()).await.map_err(|_| hidden())?;
        if let Some(body) = &change.body {
            self.ensure_mentions(body).await?;
        }
        for _ in 0..ATTEMPTS {
            let mutation = self.outbox.mutation("UpdateComment", &origin);
            let Some(current) = repo::comments::get(&self.pool, name).await? else {
                return mutation.refuse(hidden()).await;
            };
            if view == View::Client && !current.client_visible {
                return mutation.refuse(hidden()).await;
            }
            let next = match current.edited(&change, access.person(), time::now()) {
                Ok(next) => next,
                Err(CommentRefusal::NotAuthor) => return mutation.refuse(AssetsError::NotAuthor(name)).await,
                Err(CommentRefusal::Stale(current)) => {
                    return mutation.refuse(AssetsError::StaleComment { comment: name, current }).await;
                }
            };
            let mut mutation = mutation;
            let mut changed_fields = Vec::new();
            if next.body != current.body {
                changed_fields.push("body".to_string());
            }
            if next.client_visible != current.client_visible {
                changed_fields.push("client_visible".to_string());
            }
            mutation.emit(
                &name.to_string(),
                &pb::CommentEdited {
                    before: Some(wire::comments::comment(&current)),
                    after: Some(wire::comments::comment(&next)),
                    changed_fields,
                    actor: actor.resource_name(),
                },
            );
            match mutation.finish(repo::comments::update(&next), next).await? {
                Written::Done(comment) | Written::Replay(comment) => return Ok(comment),
                Written::Missed if change.etag.is_some() => {
                    let current = repo::comments::get(&self.pool, name).await?.map(|c| c.etag()).unwrap_or_default();
                    return Err(AssetsError::StaleComment { comment: name, current });
                }
                Written::Missed => continue,
            }
        }
        Err(AssetsError::Contended { asset: name.asset() })
    }

    /// What the caller sees of the component's project, once the component is one they may see.
    async fn visible_asset(&self, access: &Access, asset: AssetName) -> Result<View, AssetsError> {
        let hidden = || AssetsError::AssetNotFound(asset);
        let view = self.authorize(access, asset.project()).await.map_err(|r| r.into_error(hidden))?;
        let found = repo::get(&self.pool, asset).await?.ok_or_else(hidden)?;
        if view == View::Client && !found.shown_to_client() {
            return Err(hidden());
        }
        Ok(view)
    }

    /// Every person and team a text mentions exists (a person who left may still be mentioned).
    async fn ensure_mentions(&self, body: &str) -> Result<(), AssetsError> {
        let (people, teams) = crate::domain::comment::mentions(body);
        if people.len() + teams.len() > MAX_MENTIONS {
            return Err(AssetsError::TooManyMentions(people.len() + teams.len()));
        }
        for person in people {
            if self.standing(person).await? == Standing::Missing {
                return Err(AssetsError::MentionNotFound(person.to_string()));
            }
        }
        for team in teams {
            self.ensure_team(team).await?;
        }
        Ok(())
    }

    async fn ensure_team(&self, team: TeamName) -> Result<(), AssetsError> {
        match self.people.clone().get_team(GetTeamRequest { name: team.to_string() }).await {
            Ok(_) => Ok(()),
            Err(status) if status.code() == tonic::Code::NotFound => {
                Err(AssetsError::MentionNotFound(team.to_string()))
            }
            Err(status) => Err(AssetsError::Upstream { service: "people", status }),
        }
    }
}
