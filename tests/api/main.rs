//! API tests: each service through its real gRPC interface, on a server started on port 0 with
//! a fresh database and its own broker names.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod assets;
mod audit;
mod auth;
mod briefs;
mod capacity;
mod clients;
mod comments;
mod components;
mod email;
mod grouping;
mod health;
mod isolation;
mod lifecycle;
mod limits;
mod matrix;
mod milestones;
mod notifications;
mod obstacles;
mod people;
mod preferences;
mod projects;
mod quality;
mod reminders;
mod reviews;
mod rules;
mod server;
mod teams;
mod tls;
mod webhooks;
