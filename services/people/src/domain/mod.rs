//! People as the service understands them, independent of the wire and the database.

pub mod capacity;
pub mod team;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use baton_platform::filter::Op;
use baton_platform::names::{PersonName, TeamName};

baton_platform::named_enum! {
    /// What a person does at the agency (or for a client).
    pub enum PersonRole {
        Producer = "PERSON_ROLE_PRODUCER",
        Designer = "PERSON_ROLE_DESIGNER",
        Animator = "PERSON_ROLE_ANIMATOR",
        AudioEngineer = "PERSON_ROLE_AUDIO_ENGINEER",
        VideoEngineer = "PERSON_ROLE_VIDEO_ENGINEER",
        WebDeveloper = "PERSON_ROLE_WEB_DEVELOPER",
        DatabaseDeveloper = "PERSON_ROLE_DATABASE_DEVELOPER",
        Engineer = "PERSON_ROLE_ENGINEER",
        Copywriter = "PERSON_ROLE_COPYWRITER",
        ClientContact = "PERSON_ROLE_CLIENT_CONTACT",
        Other = "PERSON_ROLE_OTHER",
    }
}

baton_platform::named_enum! {
    /// A craft a person practises.
    pub enum Discipline {
        GraphicDesign = "DISCIPLINE_GRAPHIC_DESIGN",
        Illustration = "DISCIPLINE_ILLUSTRATION",
        UxDesign = "DISCIPLINE_UX_DESIGN",
        Animation = "DISCIPLINE_ANIMATION",
        MotionGraphics = "DISCIPLINE_MOTION_GRAPHICS",
        ThreeD = "DISCIPLINE_THREE_D",
        Audio = "DISCIPLINE_AUDIO",
        Video = "DISCIPLINE_VIDEO",
        Streaming = "DISCIPLINE_STREAMING",
        WebFrontEnd = "DISCIPLINE_WEB_FRONT_END",
        WebBackEnd = "DISCIPLINE_WEB_BACK_END",
        Database = "DISCIPLINE_DATABASE",
        Copy = "DISCIPLINE_COPY",
        Strategy = "DISCIPLINE_STRATEGY",
        Production = "DISCIPLINE_PRODUCTION",
        QualityAssurance = "DISCIPLINE_QUALITY_ASSURANCE",
    }
}

baton_platform::named_enum! {
    /// How well a person practises a discipline, lowest first.
    pub enum SkillLevel {
        Junior = "SKILL_LEVEL_JUNIOR",
        Intermediate = "SKILL_LEVEL_INTERMEDIATE",
        Senior = "SKILL_LEVEL_SENIOR",
        Expert = "SKILL_LEVEL_EXPERT",
    }
}

impl SkillLevel {
    /// The level's place in the order, lowest 0.
    pub fn rank(self) -> usize {
        SkillLevel::ALL.iter().position(|level| *level == self).unwrap_or_default()
    }
}

/// One discipline a person practises, at a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    pub discipline: Discipline,
    pub level: SkillLevel,
}

/// The most skills one person lists (one per discipline at most).
pub const MAX_SKILLS: usize = baton_platform::bounds::SKILLS_PER_PERSON;
/// The most hours a week a person works, or an allocation takes.
pub const MAX_WEEKLY_HOURS: f64 = 80.0;
/// A person's weekly hours when they were not given.
pub const DEFAULT_WEEKLY_HOURS: f64 = 40.0;

baton_platform::named_enum! {
    /// Whether a person can take new work.
    pub enum PersonState {
        Active = "PERSON_STATE_ACTIVE",
        Deactivated = "PERSON_STATE_DEACTIVATED",
    }
}

/// A person to create, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPerson {
    pub display_name: String,
    pub email: String,
    pub role: PersonRole,
    pub skills: Vec<Skill>,
    pub weekly_hours: f64,
}

/// A stored person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub name: PersonName,
    pub display_name: String,
    pub email: String,
    pub role: PersonRole,
    pub state: PersonState,
    pub skills: Vec<Skill>,
    pub weekly_hours: f64,
    /// The last day of the last over-allocated week from when it was computed on.
    pub over_allocated_until: Option<Date>,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

impl Person {
    /// A new person as they will be stored: at their first revision, created `now`.
    pub fn create(new: NewPerson, name: PersonName, now: OffsetDateTime) -> Self {
        Person {
            name,
            display_name: new.display_name,
            email: new.email,
            role: new.role,
            state: PersonState::Active,
            skills: new.skills,
            weekly_hours: new.weekly_hours,
            over_allocated_until: None,
            create_time: now,
            update_time: now,
            revision: 1,
        }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// Whether some week from the one of `today` on is over-allocated.
    pub fn over_allocated(&self, today: Date) -> bool {
        self.over_allocated_until.is_some_and(|until| until >= today)
    }

    /// The person's level in `discipline`, if they practise it.
    pub fn level_in(&self, discipline: Discipline) -> Option<SkillLevel> {
        self.skills.iter().find(|skill| skill.discipline == discipline).map(|skill| skill.level)
    }

    /// This person after `update` at `now`, at their next revision; refused when the caller's
    /// etag is not the current one.
    pub fn updated(&self, update: &PersonUpdate, now: OffsetDateTime) -> Result<Person, Stale> {
        baton_platform::etag::check(update.etag.as_deref(), self.etag()).map_err(|current| Stale { current })?;
        let mut next = self.clone();
        let values = &update.values;
        for field in &update.fields {
            match field {
                PersonField::DisplayName => next.display_name = values.display_name.clone(),
                PersonField::Email => next.email = values.email.clone(),
                PersonField::Role => next.role = values.role,
                PersonField::Skills => next.skills = values.skills.clone(),
                PersonField::WeeklyHours => next.weekly_hours = values.weekly_hours,
            }
        }
        next.revision += 1;
        next.update_time = now;
        Ok(next)
    }

    /// This person with their over-allocation recomputed; at the next revision when whether they
    /// are over-allocated `today` changed (the only part of it they show).
    pub fn with_over_allocation(&self, until: Option<Date>, today: Date, now: OffsetDateTime) -> Person {
        let mut next = Person { over_allocated_until: until, ..self.clone() };
        if next.over_allocated(today) != self.over_allocated(today) {
            next.revision += 1;
            next.update_time = now;
        }
        next
    }

    /// This person in `state` at `now`, at their next revision; `Err` when they are in it already.
    pub fn in_state(&self, state: PersonState, now: OffsetDateTime) -> Result<Person, PersonState> {
        if self.state == state {
            return Err(self.state);
        }
        Ok(Person { state, revision: self.revision + 1, update_time: now, ..self.clone() })
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: String,
}

/// One page of people.
#[derive(Debug, Clone)]
pub struct PersonPage {
    pub people: Vec<Person>,
    pub next_page_token: String,
}

/// A field of a person that an update may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonField {
    DisplayName,
    Email,
    Role,
    Skills,
    WeeklyHours,
}

impl PersonField {
    pub const ALL: [PersonField; 5] = [
        PersonField::DisplayName,
        PersonField::Email,
        PersonField::Role,
        PersonField::Skills,
        PersonField::WeeklyHours,
    ];

    /// The field's path in an update mask.
    pub fn path(self) -> &'static str {
        match self {
            PersonField::DisplayName => "display_name",
            PersonField::Email => "email",
            PersonField::Role => "role",
            PersonField::Skills => "skills",
            PersonField::WeeklyHours => "weekly_hours",
        }
    }
}

/// An update of a person, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonUpdate {
    pub name: PersonName,
    pub fields: Vec<PersonField>,
    /// The new values; only the named fields are used.
    pub values: NewPerson,
    /// The etag the caller read, when it sent one.
    pub etag: Option<String>,
}

/// The caller's etag is not the current one: the resource changed since they read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub current: String,
}

/// One condition of a ListPeople filter.
#[derive(Debug, Clone, PartialEq)]
pub enum PersonCondition {
    Role(Op, PersonRole),
    State(Op, PersonState),
    /// Over-allocated (true) or not (false).
    OverAllocated(bool),
    Discipline(Op, Discipline),
    Team(TeamName),
}

/// What to list.
#[derive(Debug, Clone)]
pub struct PersonQuery {
    pub role: Option<PersonRole>,
    pub conditions: Vec<PersonCondition>,
    pub limit: i64,
    pub after: Option<Uuid>,
}
