//! Tests of the `baton` binary: the real executable against a real server started in-process
//! by each test (its own database and broker names), asserting on output and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod capacity;
mod commands;
mod common;
mod demo;
mod errors;
mod plan;
mod preferences;
mod quality;
mod reviews;
mod rules;
mod tls;
mod watch;
mod webhooks;
