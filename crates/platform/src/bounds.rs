//! Every bound on the size of what a caller sends, in one table: the edge of each service checks
//! its fields against these, and docs/security.md lists them (a test keeps the two in step). A
//! new field takes the bound of its kind here rather than a number of its own.

/// One bound: its name, the most it allows, and what it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub name: &'static str,
    pub max: usize,
    pub applies_to: &'static str,
}

/// Display names and titles of people, projects, clients and components, in characters.
pub const NAME: usize = 200;
/// Long free text (a brief, a description), in characters.
pub const TEXT: usize = 10_000;
/// A comment on a workflow step, in characters.
pub const COMMENT: usize = 2_000;
/// An email address, in bytes (RFC 5321's path limit less its brackets).
pub const EMAIL: usize = 254;
/// People named in one list of a request (a component's assignees).
pub const PEOPLE_PER_LIST: usize = 20;
/// Items on one page of a List call; a larger `page_size` is capped to it.
pub const PAGE_SIZE: usize = 1_000;
/// Members of one team.
pub const MEMBERS_PER_TEAM: usize = 200;
/// Skills of one person (one per discipline).
pub const SKILLS_PER_PERSON: usize = 30;
/// Allocations of one person that have not ended.
pub const OPEN_ALLOCATIONS: usize = 100;
/// Days in one span of time off, one utilisation report or one search for available people.
pub const RANGE_DAYS: usize = 366;

/// The table, in the order docs/security.md lists it.
pub const TABLE: &[Bound] = &[
    Bound { name: "NAME", max: NAME, applies_to: "display names and titles (characters)" },
    Bound { name: "TEXT", max: TEXT, applies_to: "briefs and descriptions (characters)" },
    Bound { name: "COMMENT", max: COMMENT, applies_to: "workflow comments (characters)" },
    Bound { name: "EMAIL", max: EMAIL, applies_to: "email addresses (bytes)" },
    Bound { name: "PEOPLE_PER_LIST", max: PEOPLE_PER_LIST, applies_to: "people in one list, such as assignees" },
    Bound { name: "PAGE_SIZE", max: PAGE_SIZE, applies_to: "items per page of a List call (larger is capped)" },
    Bound { name: "MEMBERS_PER_TEAM", max: MEMBERS_PER_TEAM, applies_to: "members of one team" },
    Bound { name: "SKILLS_PER_PERSON", max: SKILLS_PER_PERSON, applies_to: "skills of one person" },
    Bound { name: "OPEN_ALLOCATIONS", max: OPEN_ALLOCATIONS, applies_to: "allocations of one person not yet ended" },
    Bound {
        name: "RANGE_DAYS",
        max: RANGE_DAYS,
        applies_to: "days of one time off, utilisation report or search (allocations: 3 years)",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/security.md has a row `| NAME | 200 | … |` for every bound, with its value.
    #[test]
    fn the_documented_table_is_this_one() {
        let docs = include_str!("../../../docs/security.md");
        for bound in TABLE {
            let value = bound.max.to_string();
            let grouped = if bound.max >= 1_000 {
                format!("{} {:03}", bound.max / 1_000, bound.max % 1_000)
            } else {
                value.clone()
            };
            let row = format!("| `{}` | {grouped} |", bound.name);
            assert!(docs.contains(&row), "docs/security.md lacks the row {row}");
        }
    }
}
