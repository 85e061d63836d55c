//! Comments on the wire.

use tonic::Status;
use uuid::Uuid;

use baton_platform::bounds;
use baton_platform::mask;
use baton_platform::names::{AssetName, CommentName, VersionName, optional};
use baton_platform::paging;
use baton_platform::time::timestamp;
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::assets::v1 as pb;

use crate::domain::comment::{Anchor, Comment, CommentChange, NewComment, Region};

pub fn comment(comment: &Comment) -> pb::Comment {
    pb::Comment {
        name: comment.name.to_string(),
        body: comment.body.clone(),
        version: comment.version.map(|v| v.to_string()).unwrap_or_default(),
        reply_to: comment.reply_to.map(|c| c.to_string()).unwrap_or_default(),
        anchor: comment.anchor.map(|a| pb::Anchor {
            start_seconds: a.start_seconds,
            end_seconds: a.end_seconds,
            region: a.region.map(|r| pb::Region { x: r.x, y: r.y, width: r.width, height: r.height }),
        }),
        client_visible: comment.client_visible,
        author: comment.author.map(|a| a.to_string()).unwrap_or_default(),
        mentioned_people: comment.mentioned_people.iter().map(ToString::to_string).collect(),
        mentioned_teams: comment.mentioned_teams.iter().map(ToString::to_string).collect(),
        edits: comment
            .edits
            .iter()
            .map(|e| pb::CommentEdit { body: e.body.clone(), replace_time: Some(timestamp(e.replace_time)) })
            .collect(),
        create_time: Some(timestamp(comment.create_time)),
        update_time: Some(timestamp(comment.update_time)),
        etag: comment.etag(),
    }
}

fn anchor(v: &mut Violations, sent: &pb::Anchor) -> Option<Anchor> {
    let mut valid = true;
    let mut rule = |field: &str, ok: bool, text: &str| {
        if !ok {
            v.add(format!("comment.anchor.{field}"), text.to_string());
            valid = false;
        }
    };
    let time_ok = |t: Option<f64>| t.is_none_or(|t| t.is_finite() && t >= 0.0);
    rule("start_seconds", time_ok(sent.start_seconds), "must be a number of seconds, 0 or more");
    rule("end_seconds", time_ok(sent.end_seconds), "must be a number of seconds, 0 or more");
    rule(
        "end_seconds",
        sent.end_seconds.is_none() || sent.start_seconds.zip(sent.end_seconds).is_some_and(|(s, e)| e > s),
        "needs start_seconds, and must be after it",
    );
    if let Some(r) = &sent.region {
        rule("region", r.x >= 0 && r.y >= 0 && r.width > 0 && r.height > 0, "needs x, y ≥ 0 and width, height > 0");
    }
    valid.then_some(Anchor {
        start_seconds: sent.start_seconds,
        end_seconds: sent.end_seconds,
        region: sent.region.as_ref().map(|r| Region { x: r.x, y: r.y, width: r.width, height: r.height }),
    })
}

#[allow(clippy::result_large_err)]
pub fn parse_create(request: pb::CreateCommentRequest) -> Result<Idempotent<NewComment>, Status> {
    let mut v = Violations::new();
    let asset = v.check("parent", AssetName::parse(&request.parent));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let new = match v.required("comment", request.comment) {
        None => None,
        Some(sent) => {
            let body = v.check("comment.body", validate::required_text(&sent.body, bounds::COMMENT));
            let version = v.check("comment.version", optional(&sent.version, VersionName::parse));
            let reply_to = v.check("comment.reply_to", optional(&sent.reply_to, CommentName::parse));
            if let (Some(asset), Some(Some(version))) = (asset, version)
                && version.asset() != asset
            {
                v.add("comment.version", "must be a version of the commented component");
            }
            if let (Some(asset), Some(Some(reply_to))) = (asset, reply_to)
                && reply_to.asset() != asset
            {
                v.add("comment.reply_to", "must be a comment on the same component");
            }
            let anchor = match &sent.anchor {
                None => Some(None),
                Some(_) if matches!(version, Some(None)) => {
                    v.add("comment.anchor", "needs comment.version: an anchor points into a version");
                    None
                }
                Some(sent) => anchor(&mut v, sent).map(Some),
            };
            match (asset, body, version, reply_to, anchor) {
                (Some(asset), Some(body), Some(version), Some(reply_to), Some(anchor)) if v.is_empty() => {
                    Some(NewComment { asset, body, version, reply_to, anchor, client_visible: sent.client_visible })
                }
                _ => None,
            }
        }
    };
    v.finish_idempotent(new, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_get(request: &pb::GetCommentRequest) -> Result<CommentName, Status> {
    validate::single("name", CommentName::parse(&request.name))
}

/// A ListComments request, parsed.
pub struct CommentQuery {
    pub asset: AssetName,
    pub version: Option<VersionName>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

#[allow(clippy::result_large_err)]
pub fn parse_list(request: &pb::ListCommentsRequest) -> Result<CommentQuery, Status> {
    let mut v = Violations::new();
    let asset = v.check("parent", AssetName::parse(&request.parent));
    let version = v.check("version", optional(&request.version, VersionName::parse));
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
    let query = match (asset, version, limit, after) {
        (Some(asset), Some(version), Some(limit), Some(after)) => Some(CommentQuery { asset, version, after, limit }),
        _ => None,
    };
    v.finish_with(query)
}

#[allow(clippy::result_large_err)]
pub fn parse_update(request: pb::UpdateCommentRequest) -> Result<Idempotent<CommentChange>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let change = match v.required("comment", request.comment) {
        None => None,
        Some(sent) => {
            let name = v.check("comment.name", CommentName::parse(&sent.name));
            let fields = mask::fields(
                &mut v,
                request.update_mask.as_ref(),
                &["body", "client_visible"],
                |f| f,
                |f| if f == "body" { !sent.body.is_empty() } else { sent.client_visible },
            );
            let body = if fields.contains(&"body") {
                v.check("comment.body", validate::required_text(&sent.body, bounds::COMMENT)).map(Some)
            } else {
                Some(None)
            };
            let client_visible = fields.contains(&"client_visible").then_some(sent.client_visible);
            let etag = (!sent.etag.is_empty()).then(|| sent.etag.clone());
            match (name, body) {
                (Some(name), Some(body)) => Some(CommentChange { name, body, client_visible, etag }),
                _ => None,
            }
        }
    };
    v.finish_idempotent(change, request_id)
}
