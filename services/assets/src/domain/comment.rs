//! Comments on components and their versions: mentions, anchors in a version, edits kept.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::{AssetName, CommentName, PersonName, TeamName, VersionName};

use super::version::VersionFile;

/// The most people and teams one comment mentions.
pub const MAX_MENTIONS: usize = 20;

/// A rectangle of an image, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

/// Where in a version a comment points.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Anchor {
    pub start_seconds: Option<f64>,
    pub end_seconds: Option<f64>,
    pub region: Option<Region>,
}

impl Anchor {
    /// Whether the anchor fits the version's files: times within the longest recording, a
    /// region within the largest image. `Err` names the part that does not, and why.
    pub fn fits(&self, files: &[VersionFile]) -> Result<(), (&'static str, String)> {
        let media = files.iter().filter_map(|f| f.media);
        let duration = media
            .clone()
            .filter_map(|m| m.duration_seconds)
            .fold(None, |max: Option<f64>, d| Some(max.map_or(d, |m| m.max(d))));
        for (part, at) in [("start_seconds", self.start_seconds), ("end_seconds", self.end_seconds)] {
            if let Some(at) = at {
                match duration {
                    None => return Err((part, "the version has no recording to point into".into())),
                    Some(duration) if at > duration => {
                        return Err((part, format!("is past the end of the version ({duration} s)")));
                    }
                    _ => {}
                }
            }
        }
        if let Some(region) = self.region {
            let width = media.clone().filter_map(|m| m.width).max();
            let height = media.filter_map(|m| m.height).max();
            match (width, height) {
                (Some(width), Some(height)) => {
                    if region.x + region.width > width || region.y + region.height > height {
                        return Err(("region", format!("is outside the version's image ({width}×{height})")));
                    }
                }
                _ => return Err(("region", "the version has no image to point into".into())),
            }
        }
        Ok(())
    }
}

/// An earlier text of an edited comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentEdit {
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub replace_time: OffsetDateTime,
}

/// A comment to write, already validated (its references are checked by the use case).
#[derive(Debug, Clone, PartialEq)]
pub struct NewComment {
    pub asset: AssetName,
    pub body: String,
    pub version: Option<VersionName>,
    pub reply_to: Option<CommentName>,
    pub anchor: Option<Anchor>,
    pub client_visible: bool,
}

/// A stored comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub name: CommentName,
    pub body: String,
    pub version: Option<VersionName>,
    pub reply_to: Option<CommentName>,
    pub anchor: Option<Anchor>,
    pub client_visible: bool,
    pub author: Option<PersonName>,
    pub mentioned_people: Vec<PersonName>,
    pub mentioned_teams: Vec<TeamName>,
    pub edits: Vec<CommentEdit>,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

/// A change of a comment, already validated: the new text (with its mentions) and visibility.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentChange {
    pub name: CommentName,
    pub body: Option<String>,
    pub client_visible: Option<bool>,
    pub etag: Option<String>,
}

/// Why a comment change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentRefusal {
    Stale(String),
    NotAuthor,
}

/// The people and teams a text mentions (`@people/{id}`, `@teams/{id}`), each once, in order.
pub fn mentions(body: &str) -> (Vec<PersonName>, Vec<TeamName>) {
    let (mut people, mut teams) = (Vec::new(), Vec::new());
    for (at, _) in body.match_indices('@') {
        let rest = &body[at + 1..];
        let id = |prefix: &str| -> Option<Uuid> {
            let candidate = rest.strip_prefix(prefix)?.get(..36)?;
            Uuid::try_parse(candidate).ok()
        };
        if let Some(id) = id("people/") {
            let person = PersonName::new(id);
            if !people.contains(&person) {
                people.push(person);
            }
        } else if let Some(id) = id("teams/") {
            let team = TeamName::new(id);
            if !teams.contains(&team) {
                teams.push(team);
            }
        }
    }
    (people, teams)
}

impl Comment {
    pub fn write(new: NewComment, author: Option<PersonName>, now: OffsetDateTime) -> Self {
        let (mentioned_people, mentioned_teams) = mentions(&new.body);
        Comment {
            name: CommentName::new(new.asset, Uuid::now_v7()),
            body: new.body,
            version: new.version,
            reply_to: new.reply_to,
            anchor: new.anchor,
            client_visible: new.client_visible,
            author,
            mentioned_people,
            mentioned_teams,
            edits: Vec::new(),
            create_time: now,
            update_time: now,
            revision: 1,
        }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// This comment after `change` by `editor` at `now`; the text it replaces is kept.
    pub fn edited(
        &self,
        change: &CommentChange,
        editor: Option<PersonName>,
        now: OffsetDateTime,
    ) -> Result<Comment, CommentRefusal> {
        if editor.is_none() || editor != self.author {
            return Err(CommentRefusal::NotAuthor);
        }
        baton_platform::etag::check(change.etag.as_deref(), self.etag()).map_err(CommentRefusal::Stale)?;
        let mut next = self.clone();
        if let Some(body) = &change.body
            && *body != self.body
        {
            next.edits.push(CommentEdit { body: self.body.clone(), replace_time: now });
            next.body = body.clone();
            (next.mentioned_people, next.mentioned_teams) = mentions(body);
        }
        if let Some(client_visible) = change.client_visible {
            next.client_visible = client_visible;
        }
        next.revision += 1;
        next.update_time = now;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::version::MediaInfo;

    fn file(duration: Option<f64>, width: Option<i32>, height: Option<i32>) -> VersionFile {
        VersionFile {
            uri: "s3://x/y".into(),
            sha256: "0".repeat(64),
            size_bytes: 1,
            mime_type: "video/mp4".into(),
            media: Some(MediaInfo { width, height, duration_seconds: duration, ..Default::default() }),
        }
    }

    #[test]
    fn mentions_are_read_once_each_and_in_order() {
        let (ana, team) = (Uuid::now_v7(), Uuid::now_v7());
        let body = format!("@people/{ana} and @teams/{team}, again @people/{ana}; not @people/nope or @someone");
        let (people, teams) = mentions(&body);
        assert_eq!(people, [PersonName::new(ana)]);
        assert_eq!(teams, [TeamName::new(team)]);
    }

    #[test]
    fn anchors_fit_the_version_they_point_into() {
        let video = [file(Some(42.0), Some(1920), Some(1080))];
        let at = |start: Option<f64>, end: Option<f64>| Anchor { start_seconds: start, end_seconds: end, region: None };
        assert!(at(Some(12.0), Some(14.5)).fits(&video).is_ok());
        assert_eq!(at(Some(50.0), None).fits(&video).map_err(|e| e.0), Err("start_seconds"));
        let region =
            |x, y, width, height| Anchor { region: Some(Region { x, y, width, height }), ..Default::default() };
        assert!(region(10, 10, 100, 100).fits(&video).is_ok());
        assert_eq!(region(1900, 0, 100, 10).fits(&video).map_err(|e| e.0), Err("region"));
        let still = [file(None, Some(800), Some(600))];
        assert_eq!(at(Some(1.0), None).fits(&still).map_err(|e| e.0), Err("start_seconds"), "no recording");
    }

    #[test]
    fn only_the_author_edits_and_the_old_text_is_kept() {
        let author = PersonName::new(Uuid::now_v7());
        let new = NewComment {
            asset: AssetName::new(baton_platform::names::ProjectName::new(Uuid::now_v7()), Uuid::now_v7()),
            body: "Warmer, please".into(),
            version: None,
            reply_to: None,
            anchor: None,
            client_visible: false,
        };
        let comment = Comment::write(new, Some(author), OffsetDateTime::UNIX_EPOCH);
        let change = CommentChange {
            name: comment.name,
            body: Some("Warmer and bigger".into()),
            client_visible: None,
            etag: None,
        };
        let someone = Some(PersonName::new(Uuid::now_v7()));
        assert_eq!(comment.edited(&change, someone, OffsetDateTime::UNIX_EPOCH), Err(CommentRefusal::NotAuthor));
        let edited = comment.edited(&change, Some(author), OffsetDateTime::UNIX_EPOCH).expect("the author");
        assert_eq!(
            (edited.body.as_str(), edited.edits[0].body.as_str(), edited.revision),
            ("Warmer and bigger", "Warmer, please", 2)
        );
    }
}
