//! Resource names as types (AIP-122): parsed once at the edge, carried as values, written back as
//! `people/{id}`, `projects/{id}/assets/{id}`, … in one place each. A use case never formats or
//! splits a name.
//!
//! Each name serializes as its string form (for stored responses) and parses with a message that
//! says which form was expected, for `BadRequest` field violations.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::validate::resource_name;

/// Defines a name type whose text is `collection/{id}` segments over the listed fields.
macro_rules! resource_name_type {
    (
        $(#[$meta:meta])*
        $name:ident { $($field:ident : $collection:literal),+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            $(pub $field: Uuid,)+
        }

        impl $name {
            /// The collections of this name, outermost first.
            pub const COLLECTIONS: &'static [&'static str] = &[$($collection),+];

            /// Reads the name, or says which form was expected.
            pub fn parse(value: &str) -> Result<Self, String> {
                let ids = resource_name(value, Self::COLLECTIONS)?;
                let mut ids = ids.into_iter();
                Ok(Self { $($field: ids.next().ok_or_else(|| "is incomplete".to_string())?,)+ })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut separator = "";
                $(
                    write!(f, "{separator}{}/{}", $collection, self.$field)?;
                    separator = "/";
                )+
                let _ = separator;
                Ok(())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::parse(&text).map_err(|e| serde::de::Error::custom(format!("{text}: {e}")))
            }
        }
    };
}

resource_name_type! {
    /// `people/{person}`.
    PersonName { id: "people" }
}

resource_name_type! {
    /// `projects/{project}`.
    ProjectName { id: "projects" }
}

resource_name_type! {
    /// `clients/{client}`: a company the agency makes projects for.
    ClientName { id: "clients" }
}

resource_name_type! {
    /// `projects/{project}/assets/{asset}`.
    AssetName { project: "projects", id: "assets" }
}

resource_name_type! {
    /// `projects/{project}/assets/{asset}/versions/{version}`: one submission of a component.
    VersionName { project: "projects", asset: "assets", id: "versions" }
}

resource_name_type! {
    /// `projects/{project}/assets/{asset}/comments/{comment}`: a comment on a component.
    CommentName { project: "projects", asset: "assets", id: "comments" }
}

resource_name_type! {
    /// `projects/{project}/milestones/{milestone}`: a point a project must reach by a date.
    MilestoneName { project: "projects", id: "milestones" }
}

resource_name_type! {
    /// `projects/{project}/obstacles/{obstacle}`: a risk or blocker of a project.
    ObstacleName { project: "projects", id: "obstacles" }
}

resource_name_type! {
    /// `projects/{project}/members/{person}`: a person's place on a project's team.
    MemberName { project: "projects", person: "members" }
}

resource_name_type! {
    /// `teams/{team}`: a department or an ad-hoc team of people.
    TeamName { id: "teams" }
}

resource_name_type! {
    /// `people/{person}/timeOff/{time_off}`: days a person does not work.
    TimeOffName { person: "people", id: "timeOff" }
}

resource_name_type! {
    /// `people/{person}/allocations/{allocation}`: a person's hours on a project.
    AllocationName { person: "people", id: "allocations" }
}

resource_name_type! {
    /// `projects/{project}/webhooks/{webhook}`: an endpoint told of a project's events.
    ProjectWebhookName { project: "projects", id: "webhooks" }
}

resource_name_type! {
    /// `people/{person}/webhooks/{webhook}`: an endpoint told of a person's notifications.
    PersonalWebhookName { person: "people", id: "webhooks" }
}

resource_name_type! {
    /// `notifications/{notification}`.
    NotificationName { id: "notifications" }
}

impl PersonName {
    pub fn new(id: Uuid) -> Self {
        Self { id }
    }
}

impl ProjectName {
    pub fn new(id: Uuid) -> Self {
        Self { id }
    }
}

impl MilestoneName {
    pub fn new(project: ProjectName, id: Uuid) -> Self {
        Self { project: project.id, id }
    }

    pub fn project(&self) -> ProjectName {
        ProjectName::new(self.project)
    }
}

impl ObstacleName {
    pub fn new(project: ProjectName, id: Uuid) -> Self {
        Self { project: project.id, id }
    }

    pub fn project(&self) -> ProjectName {
        ProjectName::new(self.project)
    }
}

impl ClientName {
    pub fn new(id: Uuid) -> Self {
        Self { id }
    }
}

impl TeamName {
    pub fn new(id: Uuid) -> Self {
        Self { id }
    }
}

impl TimeOffName {
    pub fn new(person: PersonName, id: Uuid) -> Self {
        Self { person: person.id, id }
    }

    pub fn person(&self) -> PersonName {
        PersonName::new(self.person)
    }
}

impl AllocationName {
    pub fn new(person: PersonName, id: Uuid) -> Self {
        Self { person: person.id, id }
    }

    pub fn person(&self) -> PersonName {
        PersonName::new(self.person)
    }
}

impl ProjectWebhookName {
    pub fn new(project: ProjectName, id: Uuid) -> Self {
        Self { project: project.id, id }
    }

    pub fn project(&self) -> ProjectName {
        ProjectName::new(self.project)
    }
}

impl PersonalWebhookName {
    pub fn new(person: PersonName, id: Uuid) -> Self {
        Self { person: person.id, id }
    }

    pub fn person(&self) -> PersonName {
        PersonName::new(self.person)
    }
}

impl NotificationName {
    pub fn new(id: Uuid) -> Self {
        Self { id }
    }
}

impl AssetName {
    pub fn new(project: ProjectName, id: Uuid) -> Self {
        Self { project: project.id, id }
    }

    /// The project the asset belongs to.
    pub fn project(&self) -> ProjectName {
        ProjectName::new(self.project)
    }
}

impl VersionName {
    pub fn new(asset: AssetName, id: Uuid) -> Self {
        Self { project: asset.project, asset: asset.id, id }
    }

    pub fn asset(&self) -> AssetName {
        AssetName { project: self.project, id: self.asset }
    }

    pub fn project(&self) -> ProjectName {
        ProjectName::new(self.project)
    }

    /// The name of the version's review round, `…/versions/{version}/review`.
    pub fn review(&self) -> String {
        format!("{self}/review")
    }

    /// The version of a review round's name, `…/versions/{version}/review`.
    pub fn of_review(value: &str) -> Result<Self, String> {
        match value.strip_suffix("/review") {
            Some(version) => Self::parse(version),
            None if value.is_empty() => Err("is required".into()),
            None => Err("must be a review's name, projects/{id}/assets/{id}/versions/{id}/review".into()),
        }
    }
}

impl CommentName {
    pub fn new(asset: AssetName, id: Uuid) -> Self {
        Self { project: asset.project, asset: asset.id, id }
    }

    pub fn asset(&self) -> AssetName {
        AssetName { project: self.project, id: self.asset }
    }
}

impl MemberName {
    pub fn new(project: ProjectName, person: PersonName) -> Self {
        Self { project: project.id, person: person.id }
    }

    pub fn project(&self) -> ProjectName {
        ProjectName::new(self.project)
    }

    pub fn person(&self) -> PersonName {
        PersonName::new(self.person)
    }
}

/// An optional reference: an empty string means none.
pub fn optional<T>(value: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>, String> {
    if value.is_empty() { Ok(None) } else { parse(value).map(Some) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        let (project, asset) = (Uuid::now_v7(), Uuid::now_v7());
        let text = format!("projects/{project}/assets/{asset}");
        let name = AssetName::parse(&text).expect("valid");
        assert_eq!(name.to_string(), text);
        assert_eq!(name.project(), ProjectName::new(project));
        let json = serde_json::to_string(&name).expect("serializes");
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<AssetName>(&json).expect("deserializes"), name);
        let member = MemberName::new(ProjectName::new(project), PersonName::new(asset));
        assert_eq!(member.to_string(), format!("projects/{project}/members/{asset}"));
    }

    #[test]
    fn a_wrong_form_names_the_expected_one() {
        let id = Uuid::now_v7();
        assert_eq!(PersonName::parse(""), Err("is required".into()));
        let error = PersonName::parse(&format!("projects/{id}")).expect_err("wrong collection");
        assert!(error.contains("people/{id}"), "{error}");
        assert!(AssetName::parse(&format!("projects/{id}")).is_err());
        assert!(serde_json::from_str::<ProjectName>("\"projects/42\"").is_err());
        assert_eq!(optional("", PersonName::parse), Ok(None));
    }
}
