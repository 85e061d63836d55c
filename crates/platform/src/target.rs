//! The services a `baton-server` process can run, its targets.

use std::fmt;

/// One of Baton's services, as `baton-server --target` names it. The variants are declared in
/// start order, the order of [`Target::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Target {
    People,
    Projects,
    Assets,
    Notifications,
}

impl Target {
    /// Every target, in the order they start.
    pub const ALL: [Target; 4] = [Target::People, Target::Projects, Target::Assets, Target::Notifications];

    /// The target's name: `people`, `projects`, `assets` or `notifications`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Target::People => "people",
            Target::Projects => "projects",
            Target::Assets => "assets",
            Target::Notifications => "notifications",
        }
    }

    /// The targets among `targets`, each once, in start order.
    pub fn in_start_order(targets: impl IntoIterator<Item = Target>) -> Vec<Target> {
        let chosen: Vec<Target> = targets.into_iter().collect();
        Target::ALL.into_iter().filter(|target| chosen.contains(target)).collect()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    #[test]
    fn names_are_the_command_line_values() {
        let names: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(names, ["people", "projects", "assets", "notifications"]);
        assert_eq!(Target::value_variants(), Target::ALL, "ALL lists every variant in declaration order");
        for target in Target::ALL {
            let value = target.to_possible_value().expect("not hidden");
            assert_eq!(value.get_name(), target.as_str());
            assert_eq!(target.to_string(), target.as_str());
            assert_eq!(Target::from_str(target.as_str(), false), Ok(target));
        }
        assert!(Target::from_str("all", false).is_err(), "`all` is not a target");
        assert!(Target::from_str("billing", false).is_err());
    }

    #[test]
    fn start_order_removes_duplicates() {
        use Target::*;
        assert_eq!(Target::in_start_order([Notifications, People, Notifications]), [People, Notifications]);
        assert_eq!(Target::in_start_order([Assets, Projects, People, Notifications]), Target::ALL);
        assert_eq!(Target::in_start_order([]), []);
    }
}
