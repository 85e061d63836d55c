//! The resource commands: one module per service.

pub mod assets;
pub mod brief;
pub mod clients;
pub mod comments;
pub mod notifications;
pub mod people;
pub mod plan;
pub mod preferences;
pub mod projects;
pub mod quality;
pub mod rules;
pub mod teams;
pub mod versions;
pub mod webhooks;
