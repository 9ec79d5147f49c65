//! `bench --messages N`: messages to applicants per second, from the outbox to an SMS gateway
//! (issue 17: at least 2,000 a second on SQLite), in this process without a web server: a fresh
//! store with the demo catalogue and accounts, one real application of the demo enterprise
//! (with a phone), N events of it in the outbox, and a local gateway that takes every SMS. The
//! dispatcher (in process, or through NATS JetStream with --bench-nats) and the sender run at
//! once, as a node runs them, until the gateway has taken N SMS. Each event writes two
//! messages: the inbox row of the enterprise's account and the SMS.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Error, bail};
use onewindow_app::messages::{DEFAULT_SIGNATURE, MessagingConfig, SmsGateway};
use onewindow_app::nats::{EventBus, NatsConfig};
use onewindow_app::service::SubmitCase;
use onewindow_app::{Actor, Service};
use onewindow_domain::case::{Applicant, ApplicantKind, Channel};

use super::{BenchArgs, TempDir};
use crate::StoreArgs;

/// 食品经营许可（新办）: the demo enterprise's application.
const ITEM: &str = "1133022625630452684010401700100";

/// A gateway that takes everything and counts it.
async fn counting_gateway() -> Result<(String, Arc<AtomicUsize>), Error> {
    let taken = Arc::new(AtomicUsize::new(0));
    let counter = taken.clone();
    let router = axum::Router::new().route(
        "/sms",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok((format!("http://{addr}/sms"), taken))
}

async fn enqueue(service: &Service, body: String, events: usize) -> Result<(), Error> {
    let body = Arc::new(body);
    let mut left = events;
    while left > 0 {
        let n = left.min(2_000);
        left -= n;
        let body = body.clone();
        service
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let at = chrono::Utc::now().to_rfc3339();
                    for _ in 0..n {
                        onewindow_store::enqueue_outbox(&mut *conn, "case.submitted", &body, &at)
                            .await?;
                    }
                    Ok::<_, onewindow_store::StoreError>(())
                })
            })
            .await?;
    }
    Ok(())
}

pub(super) async fn run(args: &BenchArgs, events: usize) -> Result<(), Error> {
    if events == 0 {
        bail!("--messages must be at least 1");
    }
    let dir = TempDir(
        std::env::temp_dir().join(format!("onewindow-bench-messages-{}", std::process::id())),
    );
    let store = StoreArgs {
        data: dir.0.clone(),
        database: args.bench_database.clone(),
        calendar_overrides: None,
    };
    let service = crate::open(&store).await?;
    service.seed_demo(0).await?;
    service.seed_demo_accounts().await?;
    let (url, taken) = counting_gateway().await?;
    let messaging = MessagingConfig::new(
        "http://127.0.0.1:8080",
        DEFAULT_SIGNATURE,
        SmsGateway::http(&url, "bench-key").map_err(Error::msg)?,
        None,
    )?;
    let service = service.with_messaging(messaging);
    let grant = service
        .login("enterprise", "qiye-demo-2026", "bench")
        .await
        .context("the demo enterprise logs in")?;
    let enterprise = Actor::new(grant.principal, "bench");
    let submitted = service
        .submit_case(
            &enterprise,
            SubmitCase {
                item_code: ITEM.into(),
                applicant: Applicant {
                    kind: ApplicantKind::Enterprise,
                    name: "宁海县跃龙小吃有限公司".into(),
                    id_number: "91330226MA2DEMH01W".into(),
                    phone: Some("13900001111".into()),
                },
                channel: Channel::Online,
                centre: "county-hall".into(),
                materials: vec![
                    "M01".into(),
                    "M02".into(),
                    "M03".into(),
                    "M04".into(),
                    "M05".into(),
                ],
                commitments: Vec::new(),
            },
            None,
        )
        .await?;
    // The submission's own event first, so that the count below is the bench's events only.
    service.dispatch_outbox(500).await?;
    while service.send_due_messages().await?.sent > 0 {}
    let already = taken.load(Ordering::Relaxed);
    let body = serde_json::to_string(&submitted.case)?;
    enqueue(&service, body, events).await?;
    let bus = match &args.bench_nats {
        Some(nats) => {
            let suffix = std::process::id();
            let config = NatsConfig {
                stream: format!("BENCH_MESSAGES_{suffix}"),
                subject_prefix: format!("bench-messages-{suffix}"),
                message_consumer: format!("bench-messages-{suffix}"),
                ..NatsConfig::new(nats.clone())
            };
            let bus = EventBus::connect(config).await?;
            if !bus.is_connected() {
                bail!("NATS at {nats} is not reachable");
            }
            Some(bus)
        }
        None => None,
    };
    println!(
        "bench --messages: {:?}, {events} events (2 messages each: inbox + SMS){}",
        service.store().backend(),
        if bus.is_some() {
            ", through NATS JetStream"
        } else {
            ", in process"
        }
    );
    let started = Instant::now();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let dispatcher = {
        let service = service.clone();
        let bus = bus.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let consumers = match &bus {
                Some(bus) => Some(bus.message_consumers().await?),
                None => None,
            };
            let mut written_at = None;
            while !done.load(Ordering::Relaxed) {
                let moved = match (&bus, &consumers) {
                    (Some(bus), Some(consumers)) => {
                        let published = bus.publish_outbox(service.store(), 2_000).await?;
                        let mut taken = 0;
                        for c in consumers {
                            taken += bus.message_tick(&service, c, 500).await?;
                        }
                        published.published + taken
                    }
                    _ => service.dispatch_outbox(500).await?.len(),
                };
                if moved == 0 {
                    written_at.get_or_insert(started.elapsed());
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            Ok::<_, Error>(written_at)
        })
    };
    let mut last = Instant::now();
    loop {
        let report = service.send_due_messages().await?;
        let sent = taken.load(Ordering::Relaxed) - already;
        if sent >= events {
            break;
        }
        if report.sent + report.retried + report.given_up == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        } else {
            last = Instant::now();
        }
        if last.elapsed() > Duration::from_secs(60) {
            bail!("nothing sent for a minute: {sent} of {events} SMS");
        }
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let written_at = dispatcher.await??;
    if let Some(bus) = &bus {
        let _ = bus.jetstream().delete_stream(&bus.config().stream).await;
    }
    let counts = onewindow_store::messages::counts(service.store().readers()).await?;
    let secs = elapsed.as_secs_f64();
    println!(
        "  {events} SMS taken by the gateway in {secs:.2} s: {:.0} SMS/s, {:.0} messages/s (inbox + SMS)",
        events as f64 / secs,
        (2 * events) as f64 / secs
    );
    if let Some(w) = written_at {
        println!("  every message written after {:.2} s", w.as_secs_f64());
    }
    for (channel, state, n) in counts {
        println!("  {channel:<6} {state:<9} {n}");
    }
    Ok(())
}
