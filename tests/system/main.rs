//! System tests: the whole slice across all four services.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults;
mod lifecycle;
mod replicas;
mod review;
mod slice;
