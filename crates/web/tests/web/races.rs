//! Two nodes on one PostgreSQL store racing (issue 21): the same `Idempotency-Key` sent to both
//! at the same instant, and the same account logging in on both at once, answer what one node
//! answers — a case and its replay, two logins — never a store error; the outbox's rows are
//! claimed by one node at a time. Runs on the PostgreSQL pass (ONEWINDOW_TEST_POSTGRES); SQLite
//! is one node's file.

use std::sync::Arc;

use chrono::NaiveDate;
use onewindow_app::service::SubmitCase;
use onewindow_app::{Actor, ManualClock, Service};
use onewindow_domain::calendar::Calendar;
use onewindow_domain::case::{Applicant, ApplicantKind, Channel};
use onewindow_store::Store;
use onewindow_testkit::{fresh_store_url, postgres_base};

use crate::licences::FOOD_LICENCE_ITEM;

async fn two_nodes() -> Option<(Service, Service, onewindow_testkit::TempDir)> {
    postgres_base()?;
    let (url, dir) = fresh_store_url("races").await;
    let clock = Arc::new(ManualClock::at_local_morning(
        NaiveDate::from_ymd_opt(2026, 12, 7).expect("a day"),
    ));
    let a = Service::new(
        Store::open(&url).await.expect("node a"),
        Calendar::prc(),
        clock.clone(),
        "330226",
    );
    a.seed_demo(0).await.expect("catalogue");
    a.seed_demo_accounts().await.expect("accounts");
    let b = Service::new(
        Store::open(&url).await.expect("node b"),
        Calendar::prc(),
        clock,
        "330226",
    );
    Some((a, b, dir))
}

fn application() -> SubmitCase {
    SubmitCase {
        item_code: FOOD_LICENCE_ITEM.into(),
        applicant: Applicant {
            kind: ApplicantKind::Enterprise,
            name: "宁海县跃龙小吃有限公司".into(),
            id_number: "91330226MA2DEMH01W".into(),
            phone: None,
        },
        channel: Channel::Online,
        centre: "county-hall".into(),
        materials: vec!["M01".into(), "M02".into(), "M03".into(), "M04".into()],
        commitments: Vec::new(),
    }
}

#[tokio::test]
async fn the_same_key_or_login_on_two_nodes_at_once_answers_as_one_node_would() {
    let Some((a, b, _dir)) = two_nodes().await else {
        eprintln!("SKIPPED: races between nodes run on PostgreSQL (ONEWINDOW_TEST_POSTGRES)");
        return;
    };
    let grant = a
        .login("enterprise", "qiye-demo-2026", "test")
        .await
        .expect("login");
    let enterprise = Actor::new(grant.principal, "test");
    for round in 0..20 {
        let key = format!("race-{round}");
        let (x, y) = tokio::join!(
            a.submit_case(&enterprise, application(), Some(key.clone())),
            b.submit_case(&enterprise, application(), Some(key.clone())),
        );
        let (x, y) = (x.expect("node a answers"), y.expect("node b answers"));
        assert_eq!(x.case.id, y.case.id, "round {round}: one case");
        assert_eq!(
            u8::from(x.replayed) + u8::from(y.replayed),
            1,
            "round {round}: one filing and one replay"
        );
    }
    for round in 0..20 {
        let (x, y) = tokio::join!(
            a.login("enterprise", "qiye-demo-2026", "node-a"),
            b.login("enterprise", "qiye-demo-2026", "node-b"),
        );
        assert!(x.is_ok() && y.is_ok(), "round {round}: {x:?} {y:?}");
    }
}

#[tokio::test]
async fn two_nodes_claim_different_outbox_rows_and_a_dead_nodes_rows_after_its_lease() {
    let Some((a, b, _dir)) = two_nodes().await else {
        eprintln!("SKIPPED: races between nodes run on PostgreSQL (ONEWINDOW_TEST_POSTGRES)");
        return;
    };
    a.store()
        .write(|conn| {
            Box::pin(async move {
                for n in 0..200 {
                    onewindow_store::enqueue_outbox(
                        &mut *conn,
                        "test.claim",
                        &format!("{{\"n\":{n}}}"),
                        "2026-12-07T01:00:00Z",
                    )
                    .await?;
                }
                Ok::<_, onewindow_store::StoreError>(())
            })
        })
        .await
        .expect("enqueued");
    let pending = onewindow_store::pending_outbox(a.store(), 10_000)
        .await
        .expect("pending")
        .len();
    let now = chrono::Utc::now();
    let lease = chrono::Duration::seconds(30);
    let (x, y) = tokio::join!(
        onewindow_store::claim_outbox(a.store(), 10_000, now, lease),
        onewindow_store::claim_outbox(b.store(), 10_000, now, lease),
    );
    let (x, y) = (x.expect("a claims"), y.expect("b claims"));
    let mut ids: Vec<&str> = x.iter().chain(&y).map(|m| m.id.as_str()).collect();
    assert_eq!(ids.len(), pending, "every row claimed once");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), pending, "no row claimed by both nodes");
    // Node a dies holding its rows: b takes them once the lease has run out, not before.
    let again = onewindow_store::claim_outbox(b.store(), 10_000, now, lease)
        .await
        .expect("b claims");
    assert!(again.is_empty());
    let later = onewindow_store::claim_outbox(b.store(), 10_000, now + lease + lease, lease)
        .await
        .expect("b claims");
    assert_eq!(
        later.len(),
        pending,
        "the rows of both, whose leases ran out"
    );
}

/// A clerk of the county hall.
fn clerk() -> Actor {
    use onewindow_domain::access::{Post, Principal, Role};
    Actor::new(
        Principal {
            user_id: "u-clerk-race".into(),
            username: "clerk-race".into(),
            display_name: "窗口".into(),
            identity: None,
            posts: vec![Post::new(Role::Clerk).at_centre("county-hall")],
            may_reveal_personal_data: false,
        },
        "test",
    )
}

#[tokio::test]
async fn windows_of_two_nodes_calling_at_once_never_call_the_same_ticket() {
    let Some((a, b, _dir)) = two_nodes().await else {
        return;
    };
    let kiosk = onewindow_app::queue::TakeTicket {
        business: String::new(),
        source: onewindow_domain::hall::TicketSource::Kiosk,
        id_number: None,
    };
    for _ in 0..60 {
        a.take_ticket(None, "county-hall", kiosk.clone())
            .await
            .expect("a ticket");
    }
    let clerk = clerk();
    // Eleven comprehensive windows, split over the two nodes, call until nobody waits.
    let calls = (1..=11).map(|n| {
        let node = if n % 2 == 0 { a.clone() } else { b.clone() };
        let clerk = clerk.clone();
        async move {
            let window = format!("{n:02}");
            let mut numbers = Vec::new();
            while let Some(t) = node
                .call_next(&clerk, "county-hall", &window)
                .await
                .expect("a call")
            {
                numbers.push(t.number);
            }
            numbers
        }
    });
    let mut numbers: Vec<String> = futures::future::join_all(calls)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(numbers.len(), 60);
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 60, "a ticket was called by two windows");
}
