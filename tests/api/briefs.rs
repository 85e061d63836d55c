//! A project's brief: objectives with key results, lists, a budget and the strategy, updated by
//! field mask with every revision kept and every change an event.

use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::*;
use baton_testkit::{Role, Target, TestEnv, as_actor, as_person, operator, reason, violated_fields};
use baton_tests::{add_member, person, project};
use prost_types::FieldMask;
use tonic::Code;

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() })
}

#[tokio::test]
async fn a_brief_is_revised_by_field_and_keeps_every_revision() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects]).await;
    let mut projects = server.projects();
    let lead = person(&server, "Lea", PersonRole::Designer).await;
    let maker = person(&server, "Mo", PersonRole::Designer).await;
    let contact = person(&server, "Chloé", PersonRole::ClientContact).await;
    let name = project(&server, operator(), "Relaunch").await;
    add_member(&server, operator(), &name, &lead, ProjectMemberRole::Lead).await;
    add_member(&server, operator(), &name, &maker, ProjectMemberRole::Contributor).await;
    add_member(&server, operator(), &name, &contact, ProjectMemberRole::Client).await;
    let brief_name = format!("{name}/brief");
    let mut tap = env.tap(<BriefUpdated as baton_proto::Event>::TYPE).await;

    // Before anyone writes it, the brief is empty at revision 0.
    let empty = projects.get_brief(GetBriefRequest { name: brief_name.clone() }).await.expect("get").into_inner();
    let empty = empty.brief.expect("brief");
    assert_eq!((empty.revision, empty.problem.as_str(), empty.etag.as_str()), (0, "", "0"));

    let first = Brief {
        name: brief_name.clone(),
        problem: "Online orders are flat.".into(),
        audience: "Commuters who order ahead.".into(),
        objectives: vec![Objective {
            title: "More online orders".into(),
            key_result: Some(KeyResult {
                metric: "orders per week".into(),
                target: 1200.0,
                current: 800.0,
                unit: "orders".into(),
            }),
        }],
        requirements: vec!["Order ahead in two taps".into()],
        acceptance_criteria: vec!["An order takes under 30 seconds".into()],
        constraints: vec!["Live before the spring roast".into()],
        budget: Some(Money { currency_code: "eur".into(), units: 48_000, nanos: 0 }),
        strategy: "Lead with the app; the site follows.".into(),
        etag: "0".into(),
        ..Default::default()
    };
    let request = UpdateBriefRequest { brief: Some(first.clone()), update_mask: None, request_id: String::new() };
    let written = projects.update_brief(as_person(&lead, &[Role::Member], request)).await.expect("the lead writes");
    let written = written.into_inner().brief.expect("brief");
    assert_eq!((written.revision, written.update_actor.as_str()), (1, lead.as_str()));
    assert_eq!(written.budget.as_ref().map(|m| m.currency_code.as_str()), Some("EUR"));
    let event: BriefUpdated = tap.next().await;
    assert_eq!((event.before, event.after.as_ref()), (Some(empty.clone()), Some(&written)));
    assert_eq!(event.changed_fields.len(), 8);

    // A contributor may not; the client may read it.
    let request =
        UpdateBriefRequest { brief: Some(first.clone()), update_mask: mask(&["strategy"]), ..Default::default() };
    let denied = projects.update_brief(as_person(&maker, &[Role::Member], request)).await.expect_err("contributor");
    assert_eq!(denied.code(), Code::PermissionDenied);
    let read =
        projects.get_brief(as_person(&contact, &[Role::ClientContact], GetBriefRequest { name: brief_name.clone() }));
    assert_eq!(read.await.expect("the client reads").into_inner().brief.as_ref(), Some(&written));

    // Fine-tuning: the key result moves; only that field changes, and the revision says so.
    let mut tuned = written.clone();
    tuned.objectives[0].key_result.as_mut().expect("kr").current = 950.0;
    tuned.strategy = "not in the mask".into();
    let request = UpdateBriefRequest { brief: Some(tuned), update_mask: mask(&["objectives"]), ..Default::default() };
    let second =
        projects.update_brief(as_actor(operator(), request)).await.expect("update").into_inner().brief.expect("brief");
    assert_eq!((second.revision, second.strategy.as_str()), (2, written.strategy.as_str()));
    assert_eq!(second.objectives[0].key_result.as_ref().map(|k| k.current), Some(950.0));

    // The etag of revision 1 is stale now.
    let stale = Brief { strategy: "Late".into(), ..written.clone() };
    let stale = UpdateBriefRequest { brief: Some(stale), update_mask: mask(&["strategy"]), ..Default::default() };
    let stale = projects.update_brief(stale).await.expect_err("stale");
    assert_eq!((stale.code(), reason(&stale).as_str()), (Code::Aborted, "ETAG_MISMATCH"));

    // Without etags, two updates of different fields at once both land.
    let mut writers = Vec::new();
    for (path, brief) in [
        ("problem", Brief { name: brief_name.clone(), problem: "Orders dropped.".into(), ..Default::default() }),
        ("audience", Brief { name: brief_name.clone(), audience: "Students too.".into(), ..Default::default() }),
    ] {
        let mut projects = server.projects();
        let request = UpdateBriefRequest { brief: Some(brief), update_mask: mask(&[path]), ..Default::default() };
        writers.push(tokio::spawn(async move { projects.update_brief(request).await }));
    }
    for writer in writers {
        writer.await.expect("joined").expect("update");
    }
    let now = projects.get_brief(GetBriefRequest { name: brief_name.clone() }).await.expect("get").into_inner();
    let now = now.brief.expect("brief");
    assert_eq!((now.problem.as_str(), now.audience.as_str(), now.revision), ("Orders dropped.", "Students too.", 4));

    // Every revision is kept, newest first, with what it changed; in pages.
    let list = |page_token: String| ListBriefRevisionsRequest { parent: brief_name.clone(), page_size: 3, page_token };
    let page = projects.list_brief_revisions(list(String::new())).await.expect("list").into_inner();
    let revisions: Vec<i64> = page.revisions.iter().map(|r| r.brief.as_ref().map_or(0, |b| b.revision)).collect();
    assert_eq!(revisions, [4, 3, 2]);
    assert_eq!(page.revisions[2].changed_fields, ["objectives"]);
    let rest = projects.list_brief_revisions(list(page.next_page_token)).await.expect("page 2").into_inner();
    assert_eq!(rest.revisions.len(), 1);
    assert_eq!(rest.revisions[0].brief.as_ref(), Some(&written));
    assert!(rest.next_page_token.is_empty());

    // Bad values name their field; nothing is written.
    let bad = Brief {
        name: brief_name.clone(),
        budget: Some(Money { currency_code: "XYZ".into(), units: -1, nanos: 0 }),
        ..Default::default()
    };
    let bad = UpdateBriefRequest { brief: Some(bad), update_mask: mask(&["budget"]), ..Default::default() };
    let bad = projects.update_brief(bad).await.expect_err("invalid");
    let mut fields = violated_fields(&bad);
    fields.sort();
    assert_eq!(fields, ["brief.budget.currency_code", "brief.budget.units"]);
    let missing = GetBriefRequest { name: format!("projects/{}/brief", uuid::Uuid::new_v4()) };
    assert_eq!(projects.get_brief(missing).await.expect_err("no project").code(), Code::NotFound);
}
