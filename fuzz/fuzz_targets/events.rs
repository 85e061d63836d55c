//! Every event the notifications consumer applies, as it reads one: the type's owner from the
//! routing key, the payload decoded, and the resource names inside parsed as the handler parses
//! them. Anything may be refused (and dead-lettered); nothing may panic. The first byte picks the
//! event type; a second part, after a zero byte, is the routing key the owner is read from.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;

use baton_messaging::Envelope;
use baton_platform::validate::resource_name;
use baton_proto::assets::v1 as assets;
use baton_proto::people::v1 as people;
use baton_proto::projects::v1 as projects;

fn names(values: &[(&str, &[&str])]) {
    for (value, collections) in values {
        let _ = resource_name(value, collections);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let (payload, routing_key) = match rest.iter().position(|b| *b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let _ = Envelope::owner(&String::from_utf8_lossy(routing_key));
    match selector % 11 {
        0 => {
            if let Ok(event) = people::PersonCreated::decode(payload) {
                let person = event.person.unwrap_or_default();
                names(&[(&person.name, &["people"])]);
            }
        }
        1 => {
            if let Ok(event) = projects::ProjectCreated::decode(payload) {
                names(&[(&event.project.unwrap_or_default().name, &["projects"]), (&event.actor, &["people"])]);
            }
        }
        2 => {
            if let Ok(event) = projects::ProjectMemberAdded::decode(payload) {
                let member = event.member.unwrap_or_default();
                let _ = projects::ProjectMemberRole::try_from(member.role);
                names(&[
                    (&event.project.unwrap_or_default().name, &["projects"]),
                    (&member.person, &["people"]),
                    (&member.name, &["projects", "members"]),
                ]);
            }
        }
        3 => {
            if let Ok(event) = projects::ProjectMemberRemoved::decode(payload) {
                let member = event.member.unwrap_or_default();
                names(&[(&event.project.unwrap_or_default().name, &["projects"]), (&member.person, &["people"])]);
            }
        }
        4 => {
            if let Ok(event) = assets::AssetCreated::decode(payload) {
                let asset = event.asset.unwrap_or_default();
                names(&[(&asset.name, &["projects", "assets"])]);
                for assignee in &asset.assignees {
                    names(&[(assignee, &["people"])]);
                }
            }
        }
        5 => {
            if let Ok(event) = projects::ClientCreated::decode(payload) {
                names(&[(&event.client.unwrap_or_default().name, &["clients"]), (&event.actor, &["people"])]);
            }
        }
        6 => {
            if let Ok(event) = projects::ClientUpdated::decode(payload) {
                let after = event.after.unwrap_or_default();
                names(&[(&after.name, &["clients"]), (&event.actor, &["people"])]);
                for contact in &after.contacts {
                    names(&[(&contact.person, &["people"])]);
                }
            }
        }
        7 => {
            if let Ok(event) = projects::ProjectStateChanged::decode(payload) {
                let _ = projects::ProjectState::try_from(event.state);
                let _ = projects::ProjectState::try_from(event.previous_state);
                names(&[(&event.project.unwrap_or_default().name, &["projects"]), (&event.actor, &["people"])]);
            }
        }
        8 => {
            if let Ok(event) = projects::BriefUpdated::decode(payload) {
                names(&[(&event.actor, &["people"])]);
                let _ = event.after.unwrap_or_default().budget.map(|m| m.currency_code);
            }
        }
        9 => {
            if let Ok(event) = projects::ObstacleChanged::decode(payload) {
                let after = event.after.unwrap_or_default();
                names(&[
                    (&after.name, &["projects", "obstacles"]),
                    (&after.component, &["projects", "assets"]),
                    (&after.owner, &["people"]),
                    (&event.actor, &["people"]),
                ]);
            }
        }
        _ => {
            if let Ok(event) = assets::AssetStatusChanged::decode(payload) {
                let _ = assets::AssetStatus::try_from(event.status);
                let _ = assets::AssetStatus::try_from(event.previous_status);
                names(&[(&event.asset.unwrap_or_default().name, &["projects", "assets"]), (&event.actor, &["people"])]);
            }
        }
    }
});
