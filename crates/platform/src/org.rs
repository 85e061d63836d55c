//! The agency's organisation as every service names it.

crate::named_enum! {
    /// The agency's departments, each one team (`teams/{team}` of kind DEPARTMENT).
    pub enum Department {
        Design = "DEPARTMENT_DESIGN",
        Motion = "DEPARTMENT_MOTION",
        Audio = "DEPARTMENT_AUDIO",
        Video = "DEPARTMENT_VIDEO",
        Web = "DEPARTMENT_WEB",
        Data = "DEPARTMENT_DATA",
        Production = "DEPARTMENT_PRODUCTION",
    }
}
