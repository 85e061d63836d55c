//! `baton comments add|list|edit`.

use baton_proto::assets::v1::{
    Anchor, Comment, CreateCommentRequest, ListCommentsRequest, ListVersionsRequest, Region, UpdateCommentRequest,
};
use prost_types::FieldMask;
use serde_json::{Value, json};

use crate::cli::CommentsCommand;
use crate::client::Baton;
use crate::error::CliError;
use crate::output::{Out, short_time};

pub async fn run(baton: &Baton, out: &Out, command: CommentsCommand) -> Result<(), CliError> {
    match command {
        CommentsCommand::Add { asset, body, on_version, at, to, region, reply_to, client_visible, idempotency } => {
            let parent = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let version = match on_version {
                None => String::new(),
                Some(number) => version_name(baton, &parent, number).await?,
            };
            let region = region.as_deref().map(parse_region).transpose()?;
            let anchor =
                (at.is_some() || region.is_some()).then_some(Anchor { start_seconds: at, end_seconds: to, region });
            let reply_to = match reply_to {
                Some(id) if id.contains("/comments/") => id,
                Some(id) => format!("{parent}/comments/{id}"),
                None => String::new(),
            };
            let body = mentions_by_email(baton, &body).await?;
            let request = CreateCommentRequest {
                parent,
                comment: Some(Comment { body, version, reply_to, anchor, client_visible, ..Default::default() }),
                request_id: idempotency.value(),
            };
            let comment = baton.assets().create_comment(baton.request(request)).await?.into_inner().comment;
            show(baton, out, &[comment.unwrap_or_default()]).await
        }
        CommentsCommand::List { asset } => {
            let parent = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let mut comments = Vec::new();
            let mut page_token = String::new();
            loop {
                let request =
                    ListCommentsRequest { parent: parent.clone(), page_size: 1000, page_token, version: String::new() };
                let page = baton.assets().list_comments(baton.request(request)).await?.into_inner();
                comments.extend(page.comments);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            show(baton, out, &comments).await
        }
        CommentsCommand::Edit { comment, body, idempotency } => {
            let body = mentions_by_email(baton, &body).await?;
            let request = UpdateCommentRequest {
                comment: Some(Comment { name: comment, body, ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["body".into()] }),
                request_id: idempotency.value(),
            };
            let comment = baton.assets().update_comment(baton.request(request)).await?.into_inner().comment;
            show(baton, out, &[comment.unwrap_or_default()]).await
        }
    }
}

/// `@someone@example.com` mentions written as the `@people/{id}` the server reads.
async fn mentions_by_email(baton: &Baton, body: &str) -> Result<String, CliError> {
    let mut text = String::with_capacity(body.len());
    for (i, word) in body.split(' ').enumerate() {
        if i > 0 {
            text.push(' ');
        }
        let trimmed = word.trim_end_matches([',', '.', ';', ':', '!', '?']);
        match trimmed.strip_prefix('@') {
            Some(email) if email.contains('@') => {
                let person = baton.resolve_person(email).await?;
                text.push('@');
                text.push_str(&person);
                text.push_str(&word[trimmed.len()..]);
            }
            _ => text.push_str(word),
        }
    }
    Ok(text)
}

async fn version_name(baton: &Baton, asset: &str, number: i32) -> Result<String, CliError> {
    let request = ListVersionsRequest { parent: asset.to_string(), page_size: 1000, page_token: String::new() };
    let versions = baton.assets().list_versions(baton.request(request)).await?.into_inner().versions;
    versions
        .into_iter()
        .find(|v| v.number == number)
        .map(|v| v.name)
        .ok_or_else(|| CliError::NotFound(format!("{asset} has no version {number}")))
}

fn parse_region(text: &str) -> Result<Region, CliError> {
    let numbers: Vec<i32> =
        text.split(',').map(|n| n.trim().parse::<i32>()).collect::<Result<_, _>>().map_err(|_| {
            CliError::Usage(format!("--region “{text}” is not X,Y,WIDTH,HEIGHT in pixels, for example 120,40,300,200"))
        })?;
    match numbers.as_slice() {
        [x, y, width, height] => Ok(Region { x: *x, y: *y, width: *width, height: *height }),
        _ => Err(CliError::Usage(format!("--region “{text}” needs four numbers: X,Y,WIDTH,HEIGHT"))),
    }
}

fn place(anchor: Option<&Anchor>) -> String {
    let Some(anchor) = anchor else { return String::new() };
    let clock = |s: f64| format!("{:02}:{:02}", (s / 60.0).floor() as i64, (s % 60.0).floor() as i64);
    match (anchor.start_seconds, anchor.end_seconds, &anchor.region) {
        (Some(start), Some(end), _) => format!(" at {}–{}", clock(start), clock(end)),
        (Some(start), None, _) => format!(" at {}", clock(start)),
        (_, _, Some(r)) => format!(" at {}×{} from ({}, {})", r.width, r.height, r.x, r.y),
        _ => String::new(),
    }
}

async fn show(baton: &Baton, out: &Out, comments: &[Comment]) -> Result<(), CliError> {
    if out.json() {
        for c in comments {
            out.json_line(&json!({
                "name": c.name,
                "author": c.author,
                "body": c.body,
                "version": if c.version.is_empty() { Value::Null } else { Value::from(c.version.clone()) },
                "reply_to": if c.reply_to.is_empty() { Value::Null } else { Value::from(c.reply_to.clone()) },
                "client_visible": c.client_visible,
                "mentioned_people": c.mentioned_people,
                "mentioned_teams": c.mentioned_teams,
                "edits": c.edits.len(),
            }))?;
        }
        return Ok(());
    }
    let names = baton.display_names(comments.iter().map(|c| &c.author)).await?;
    for c in comments {
        let who = names.get(&c.author).cloned().unwrap_or_else(|| c.author.clone());
        let indent = if c.reply_to.is_empty() { "" } else { "    ↳ " };
        let shown = if c.client_visible { " (client sees it)" } else { "" };
        let edited = if c.edits.is_empty() { String::new() } else { format!(" (edited {}×)", c.edits.len()) };
        out.line(format!(
            "{indent}{who}, {}{}{shown}{edited}: {}",
            short_time(c.create_time.as_ref()),
            place(c.anchor.as_ref()),
            c.body
        ))?;
    }
    Ok(())
}
