//! The real `baton-server` binary reads its targets from `--target` and `BATON_TARGET`, and lists
//! them with `--list-targets`. None of these runs a service.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn baton_server(args: &[&str], target_env: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton-server"));
    command.args(args).env_remove("BATON_TARGET");
    if let Some(value) = target_env {
        command.env("BATON_TARGET", value);
    }
    command.output().expect("run baton-server")
}

#[test]
fn list_targets_prints_them_in_start_order() {
    let listed = baton_server(&["--list-targets"], None);
    assert!(listed.status.success(), "{listed:?}");
    assert_eq!(String::from_utf8_lossy(&listed.stdout), "people\nprojects\nassets\nnotifications\n");
}

#[test]
fn an_unknown_target_is_a_usage_error() {
    for (args, env) in [(&["--target", "billing"][..], None), (&[][..], Some("people,billing"))] {
        let refused = baton_server(args, env);
        assert_eq!(refused.status.code(), Some(2), "{refused:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("billing") && stderr.contains("possible values"), "{stderr}");
    }
}

#[test]
fn target_lists_from_the_flag_and_the_environment_are_accepted() {
    // `--probe` runs after the arguments are read and starts no service: against a closed port
    // it reports the server unhealthy (exit 1), where a bad target list would exit 2.
    let probe = ["--probe", "http://127.0.0.1:1"];
    for (target, env) in [(Some("projects,people"), None), (None, Some("projects,people")), (None, Some("all"))] {
        let mut args = probe.to_vec();
        if let Some(target) = target {
            args.extend(["--target", target]);
        }
        let probed = baton_server(&args, env);
        assert_eq!(probed.status.code(), Some(1), "{probed:?}");
        assert!(String::from_utf8_lossy(&probed.stdout).starts_with("unhealthy"), "{probed:?}");
    }
}
