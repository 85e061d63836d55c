//! Every request of every service, as its gRPC edge handles it: decoded from the bytes a caller
//! sends, then parsed by the service's `wire` module. Either may refuse; neither may panic.
//! The first byte picks the request type.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;

use baton_assets::domain::Transition;
use baton_assets::wire::StepFields;
use baton_projects::domain::LifecycleMove;
use baton_projects::wire::MoveFields;
use baton_proto::assets::v1 as assets;
use baton_proto::notifications::v1 as notifications;
use baton_proto::people::v1 as people;
use baton_proto::projects::v1 as projects;

/// Decodes `bytes` as `M` and hands it to `parse` when it decodes.
fn check<M: Message + Default, R>(bytes: &[u8], parse: impl FnOnce(M) -> R) {
    if let Ok(message) = M::decode(bytes) {
        let _ = parse(message);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    match selector % 42 {
        0 => check(bytes, baton_people::wire::parse_create),
        1 => check(bytes, |r: people::GetPersonRequest| baton_people::wire::parse_get(&r).map(drop)),
        2 => check(bytes, |r: people::ListPeopleRequest| baton_people::wire::parse_list(&r).map(drop)),
        3 => check(bytes, baton_projects::wire::parse_create),
        4 => check(bytes, |r: projects::GetProjectRequest| baton_projects::wire::parse_get(&r).map(drop)),
        5 => check(bytes, |r: projects::GetProjectMemberRequest| baton_projects::wire::parse_get_member(&r).map(drop)),
        6 => check(bytes, |r: projects::ListProjectsRequest| baton_projects::wire::parse_list(&r).map(drop)),
        7 => check(bytes, baton_projects::wire::parse_add_member),
        8 => check(bytes, |r: projects::RemoveProjectMemberRequest| {
            baton_projects::wire::parse_remove_member(&r).map(drop)
        }),
        9 => check(bytes, |r: projects::ListProjectMembersRequest| {
            baton_projects::wire::parse_list_members(&r).map(drop)
        }),
        10 => check(bytes, baton_assets::wire::parse_create),
        11 => check(bytes, |r: assets::GetAssetRequest| baton_assets::wire::parse_get(&r).map(drop)),
        12 => check(bytes, |r: assets::ListAssetsRequest| baton_assets::wire::parse_list(&r).map(drop)),
        13 => check(bytes, |r: assets::RequestAssetChangesRequest| {
            let fields = StepFields { name: &r.name, etag: &r.etag, comment: &r.comment, request_id: &r.request_id };
            for transition in Transition::ALL {
                let _ = baton_assets::wire::parse_step(transition, StepFields { ..fields });
            }
        }),
        14 => check(bytes, |r: notifications::ListNotificationsRequest| {
            baton_notifications::wire::parse_list(&r).map(drop)
        }),
        15 => check(bytes, |r: notifications::MarkNotificationReadRequest| {
            baton_notifications::wire::parse_name(&r.name).map(drop)
        }),
        16 => check(bytes, |r: notifications::WatchNotificationsRequest| {
            baton_notifications::wire::parse_recipient(&r.recipient).map(drop)
        }),
        17 => check(bytes, baton_projects::wire::clients::parse_create),
        18 => check(bytes, |r: projects::GetClientRequest| baton_projects::wire::clients::parse_get(&r).map(drop)),
        19 => check(bytes, |r: projects::ListClientsRequest| baton_projects::wire::clients::parse_list(&r).map(drop)),
        20 => check(bytes, baton_projects::wire::clients::parse_update),
        21 => check(bytes, |r: projects::AdvanceProjectRequest| {
            let fields = MoveFields { name: &r.name, etag: &r.etag, request_id: &r.request_id, reason: "" };
            baton_projects::wire::parse_move(baton_projects::wire::parse_stage(r.stage), fields).map(drop)
        }),
        22 => check(bytes, |r: projects::HoldProjectRequest| {
            let fields = MoveFields { name: &r.name, etag: &r.etag, request_id: &r.request_id, reason: &r.reason };
            baton_projects::wire::parse_move(Ok(LifecycleMove::Hold), fields).map(drop)
        }),
        23 => check(bytes, baton_projects::wire::briefs::parse_update),
        24 => check(bytes, baton_projects::wire::obstacles::parse_raise),
        25 => check(bytes, baton_projects::wire::obstacles::parse_update),
        26 => {
            check(bytes, |r: projects::ListObstaclesRequest| baton_projects::wire::obstacles::parse_list(&r).map(drop))
        }
        27 => check(bytes, baton_projects::wire::milestones::parse_create),
        28 => check(bytes, baton_projects::wire::milestones::parse_update),
        29 => check(bytes, |r: notifications::MarkAllNotificationsReadRequest| {
            baton_notifications::wire::parse_mark_all(&r).map(drop)
        }),
        30 => check(bytes, baton_assets::wire::versions::parse_submit),
        31 => check(bytes, baton_assets::wire::quality::parse_update_checklist),
        32 => {
            check(bytes, |r: assets::RecordMeasurementsRequest| baton_assets::wire::quality::parse_record(&r).map(drop))
        }
        33 => check(bytes, |r: assets::GetQualityChecklistRequest| {
            baton_assets::wire::quality::parse_get_checklist(&r).map(drop)
        }),
        34 => check(bytes, baton_assets::wire::comments::parse_create),
        35 => check(bytes, |r: notifications::UpdateNotificationRuleRequest| {
            baton_notifications::wire::parse_rule_update(r.rule.as_ref(), r.update_mask.as_ref(), false).map(drop)
        }),
        37 => check(bytes, |r: notifications::UpdateNotificationPreferencesRequest| {
            baton_notifications::wire::parse_preferences_update(&r).map(drop)
        }),
        36 => check(bytes, |r: notifications::UpdateProjectNotificationRuleRequest| {
            baton_notifications::wire::parse_rule_update(r.rule.as_ref(), r.update_mask.as_ref(), true).map(drop)
        }),
        38 => check(bytes, |r: notifications::CreateProjectWebhookRequest| {
            use baton_notifications::wire::webhooks::{Family, parse_create};
            parse_create(Family::Project, &r.parent, r.webhook.as_ref(), &r.webhook_id, false).map(drop)
        }),
        39 => check(bytes, |r: notifications::CreatePersonalWebhookRequest| {
            use baton_notifications::wire::webhooks::{Family, parse_create};
            parse_create(Family::Personal, &r.parent, r.webhook.as_ref(), &r.webhook_id, true).map(drop)
        }),
        40 => check(bytes, |r: notifications::UpdateProjectWebhookRequest| {
            use baton_notifications::wire::webhooks::{Family, parse_update};
            parse_update(Family::Project, r.webhook.as_ref(), r.update_mask.as_ref(), false).map(drop)
        }),
        _ => check(bytes, |r: assets::ListAuditRecordsRequest| {
            baton_platform::audit::parse_query(&r.project, &r.actor, r.page_size, &r.page_token).map(drop)
        }),
    }
});
