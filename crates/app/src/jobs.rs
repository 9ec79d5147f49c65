//! Background jobs of one node: acceptance by lapse of time, the deadline lights, the outbox
//! dispatcher and alert mail.
//!
//! Each job is idempotent and safe to run on several nodes at once (a case already moved is
//! skipped by its version; an outbox message is removed only once it was handed on). On a
//! PostgreSQL store shared by several nodes, each sweep tick runs on one node at a time under
//! an advisory lock, so the nodes do not repeat each other's work.
//!
//! Without NATS the dispatcher drains the outbox in process and mails alerts once. With NATS
//! ([`crate::nats`]) it publishes to JetStream and removes what was acknowledged, and alert mail
//! runs as a durable JetStream consumer.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::nats::EventBus;
use crate::service::Service;

/// How often the jobs look for work.
#[derive(Debug, Clone, Copy)]
pub struct JobIntervals {
    pub lapsed_acceptance: Duration,
    pub lights: Duration,
    pub outbox: Duration,
    /// How often the mail consumers look for alerts (with NATS only).
    pub mail: Duration,
    /// How often the sender looks for SMS and e-mail to applicants that are due.
    pub messages: Duration,
}

impl Default for JobIntervals {
    fn default() -> Self {
        Self {
            lapsed_acceptance: Duration::from_secs(60),
            lights: Duration::from_secs(60),
            outbox: Duration::from_millis(500),
            mail: Duration::from_secs(1),
            messages: Duration::from_millis(500),
        }
    }
}

/// How often a transport that keeps failing is reported again: a warning every tick would
/// bury the log while NATS is down.
const REPEAT_WARNING: Duration = Duration::from_secs(60);

/// Runs `work` if this node gets the job's lock (always on SQLite); `None` when another node
/// runs the job now or the lock could not be asked for.
async fn as_sole_runner<T>(
    service: &Service,
    kind: &str,
    work: impl Future<Output = T>,
) -> Option<T> {
    let lock = match service.store().try_job_lock(kind).await {
        Ok(Some(lock)) => lock,
        Ok(None) => {
            tracing::debug!(job = kind, "another node runs this job now");
            return None;
        }
        Err(e) => {
            tracing::warn!(job = kind, error = %e, "cannot take the job's lock; skipping a tick");
            return None;
        }
    };
    let result = work.await;
    if let Err(e) = lock.release().await {
        tracing::warn!(job = kind, error = %e, "cannot release the job's lock; its connection is closed instead");
    }
    Some(result)
}

/// Runs a sweep's `work` once per `every` across the nodes, whatever the phase of their ticks:
/// under the job's lock, the store keeps when the sweep last ran (`job-tick:<kind>`), and a node
/// whose tick comes sooner than 90 % of the interval after it skips. A node that dies leaves
/// only a time behind; the next node due runs the sweep. `None` when skipped.
pub(crate) async fn once_per_tick<T>(
    service: &Service,
    kind: &str,
    every: Duration,
    work: impl Future<Output = T>,
) -> Option<T> {
    let name = format!("job-tick:{kind}");
    as_sole_runner(service, kind, async {
        let now = chrono::Utc::now();
        let last = onewindow_store::monitor::state(service.store().readers(), &name)
            .await
            .ok()
            .flatten()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok());
        let soonest = chrono::Duration::from_std(every.mul_f64(0.9)).unwrap_or_default();
        if let Some(last) = last
            && now.signed_duration_since(last) < soonest
            && last <= now
        {
            tracing::debug!(
                job = kind,
                "another node ran this sweep within the interval"
            );
            return None;
        }
        let stamp = now.to_rfc3339();
        let recorded = service
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    onewindow_store::monitor::set_state(&mut *conn, &name, &stamp).await
                })
            })
            .await;
        if let Err(e) = recorded {
            tracing::warn!(job = kind, error = %e, "cannot record the sweep's tick; skipping it");
            return None;
        }
        Some(work.await)
    })
    .await
    .flatten()
}

/// Starts the jobs; they run until the handles are aborted or the runtime stops. `bus` switches
/// the outbox and alert mail to NATS JetStream.
pub fn spawn(
    service: Service,
    intervals: JobIntervals,
    bus: Option<EventBus>,
) -> Vec<JoinHandle<()>> {
    let lapsed = {
        let service = service.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(intervals.lapsed_acceptance);
            loop {
                tick.tick().await;
                let swept = once_per_tick(
                    &service,
                    "lapsed-acceptance",
                    intervals.lapsed_acceptance,
                    async { service.accept_lapsed_cases().await },
                )
                .await;
                match swept {
                    None | Some(Ok(0)) => {}
                    Some(Ok(n)) => {
                        tracing::info!(cases = n, "accepted by lapse of the notice period")
                    }
                    Some(Err(e)) => tracing::warn!(error = %e, "lapsed-acceptance sweep failed"),
                }
            }
        })
    };
    let lights = {
        let service = service.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(intervals.lights);
            loop {
                tick.tick().await;
                // A holiday notice loaded on another node reaches this one before its lights.
                match service.sync_calendar().await {
                    Ok(true) => tracing::info!("holiday notices loaded elsewhere taken in"),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot read the stored holiday notices"),
                }
                let swept = once_per_tick(
                    &service,
                    "deadline-lights",
                    intervals.lights,
                    service.sweep_lights(),
                )
                .await;
                match swept {
                    Some(Ok(r)) if r.alerts > 0 || r.cleared > 0 => {
                        tracing::info!(
                            checked = r.checked,
                            alerts = r.alerts,
                            cleared = r.cleared,
                            "deadline lights changed"
                        )
                    }
                    None | Some(Ok(_)) => {}
                    Some(Err(e)) => tracing::warn!(error = %e, "deadline-light sweep failed"),
                }
            }
        })
    };
    let promises = {
        let service = service.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(intervals.lapsed_acceptance);
            loop {
                tick.tick().await;
                let swept = once_per_tick(
                    &service,
                    "promise-sweep",
                    intervals.lapsed_acceptance,
                    async { service.sweep_promises().await },
                )
                .await;
                match swept {
                    Some(Ok(s)) if s.reminded > 0 || s.broken > 0 => tracing::info!(
                        reminded = s.reminded,
                        broken = s.broken,
                        "promises of tolerated materials followed up"
                    ),
                    None | Some(Ok(_)) => {}
                    Some(Err(e)) => tracing::warn!(error = %e, "promise sweep failed"),
                }
            }
        })
    };
    let drafts = {
        let service = service.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(intervals.lapsed_acceptance);
            loop {
                tick.tick().await;
                let swept = once_per_tick(
                    &service,
                    "draft-sweep",
                    intervals.lapsed_acceptance,
                    async { service.sweep_application_drafts().await },
                )
                .await;
                match swept {
                    Some(Ok(s)) if s.drafts > 0 => tracing::info!(
                        drafts = s.drafts,
                        files = s.files,
                        "expired drafts deleted with their files"
                    ),
                    None | Some(Ok(_)) => {}
                    Some(Err(e)) => tracing::warn!(error = %e, "draft sweep failed"),
                }
            }
        })
    };
    let sender = tokio::spawn(message_sender(service.clone(), intervals.messages));
    let mut jobs = vec![lapsed, lights, promises, drafts, sender];
    match bus {
        None => jobs.push(tokio::spawn(in_process_outbox(service, intervals.outbox))),
        Some(bus) => {
            jobs.push(tokio::spawn(message_consumer(
                service.clone(),
                bus.clone(),
                intervals.outbox,
            )));
            if service.mail_config().is_some() {
                jobs.push(tokio::spawn(mail_consumer(
                    service.clone(),
                    bus.clone(),
                    intervals.mail,
                )));
            }
            jobs.push(tokio::spawn(jetstream_outbox(
                service,
                bus,
                intervals.outbox,
            )));
        }
    }
    jobs
}

/// The outbox in process: each message is taken and handed on once.
async fn in_process_outbox(service: Service, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        // The applicants' messages an event makes are written as it is taken, in one
        // transaction: an event is never gone without them.
        match service.dispatch_outbox(500).await {
            Ok(messages) => {
                for m in &messages {
                    tracing::debug!(topic = %m.topic, id = %m.id, "event dispatched");
                }
                match service.deliver_mail(&messages).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(mails = n, "alerts mailed"),
                    Err(e) => tracing::warn!(error = %e, "alert mail failed"),
                }
            }
            Err(e) => tracing::warn!(error = %e, "outbox dispatch failed"),
        }
    }
}

/// Remembers since when a loop has been failing, to warn on the first failure and then once in
/// a while, and to say when it recovered.
#[derive(Default)]
struct Failing {
    since: Option<Instant>,
    warned: Option<Instant>,
}

impl Failing {
    fn failed(&mut self, what: &str, error: &dyn std::fmt::Display) {
        let now = Instant::now();
        self.since.get_or_insert(now);
        if self.warned.is_none_or(|w| now - w >= REPEAT_WARNING) {
            tracing::warn!(error = %error, "{what}");
            self.warned = Some(now);
        } else {
            tracing::debug!(error = %error, "{what}");
        }
    }

    fn recovered(&mut self, what: &str) {
        if let Some(since) = self.since.take() {
            tracing::info!(after_seconds = since.elapsed().as_secs(), "{what}");
        }
        self.warned = None;
    }
}

/// The outbox through JetStream: rows go once JetStream acknowledged them.
async fn jetstream_outbox(service: Service, bus: EventBus, every: Duration) {
    let mut tick = tokio::time::interval(every);
    // A publish that waits out its timeout must not be followed by a burst of missed ticks.
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut failing = Failing::default();
    // The applicants' message consumers start at new events: they exist before the first
    // publish, so that no event slips past them.
    let mut consumers_ready = false;
    loop {
        tick.tick().await;
        if !consumers_ready {
            match bus.message_consumers().await {
                Ok(_) => consumers_ready = true,
                Err(e) => {
                    failing.failed(
                        "cannot set up the consumers of the applicants' messages; events wait in the outbox",
                        &e,
                    );
                    continue;
                }
            }
        }
        match bus.publish_outbox(service.store(), 500).await {
            Ok(report) => {
                if report.published + report.duplicates > 0 {
                    tracing::debug!(
                        published = report.published,
                        duplicates = report.duplicates,
                        "events published to JetStream"
                    );
                }
                match report.error {
                    Some(e) => failing.failed(
                        "some events were not acknowledged by JetStream; they stay in the outbox",
                        &format!("{} failed: {e}", report.failed),
                    ),
                    None => failing.recovered("events reach JetStream again"),
                }
            }
            Err(e) => failing.failed(
                "outbox dispatch to JetStream failed; events stay in the outbox",
                &e,
            ),
        }
    }
}

/// Alert mail as the durable JetStream consumers; the consumers are (re)made after a failure.
async fn mail_consumer(service: Service, bus: EventBus, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut failing = Failing::default();
    let mut consumers = None;
    loop {
        tick.tick().await;
        if consumers.is_none() {
            match bus.mail_consumers().await {
                Ok(c) => consumers = Some(c),
                Err(e) => {
                    failing.failed("cannot set up the alert-mail consumers", &e);
                    continue;
                }
            }
        }
        let Some(current) = consumers.as_deref() else {
            continue;
        };
        match bus.mail_tick(&service, current, 20).await {
            Ok(report) => {
                if report.mails > 0 {
                    tracing::info!(mails = report.mails, "alerts mailed");
                }
                failing.recovered("alert mail reaches JetStream again");
            }
            Err(e) => {
                failing.failed("alert mail from JetStream failed", &e);
                consumers = None;
            }
        }
    }
}

/// The applicants' messages from JetStream: a durable consumer of the events that tell them
/// something; the consumer is (re)made after a failure.
async fn message_consumer(service: Service, bus: EventBus, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut failing = Failing::default();
    let mut consumers = None;
    loop {
        tick.tick().await;
        if consumers.is_none() {
            match bus.message_consumers().await {
                Ok(c) => consumers = Some(c),
                Err(e) => {
                    failing.failed(
                        "cannot set up the consumers of the applicants' messages",
                        &e,
                    );
                    continue;
                }
            }
        }
        let Some(current) = consumers.as_deref() else {
            continue;
        };
        // Drain what waits before the next tick: a burst of events must not wait 500 ms per
        // batch.
        'consumers: for consumer in current {
            loop {
                match bus.message_tick(&service, consumer, 500).await {
                    Ok(n) => {
                        failing.recovered("the applicants' messages reach JetStream again");
                        if n < 500 {
                            break;
                        }
                    }
                    Err(e) => {
                        failing.failed("the applicants' messages from JetStream failed", &e);
                        consumers = None;
                        break 'consumers;
                    }
                }
            }
        }
    }
}

/// The sender of SMS and e-mail to applicants: one node at a time (the job's lock), every
/// message tried with the domain's back-off until it is sent or given up.
async fn message_sender(service: Service, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            let round =
                as_sole_runner(&service, "message-sender", service.send_due_messages()).await;
            match round {
                Some(Ok(report)) => {
                    if report.given_up > 0 {
                        tracing::warn!(
                            given_up = report.given_up,
                            "messages to applicants given up"
                        );
                    }
                    if report.sent + report.retried + report.given_up < 500 {
                        break;
                    }
                }
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "sending messages to applicants failed");
                    break;
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::NaiveDate;
    use onewindow_domain::calendar::Calendar;

    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn a_sweep_runs_once_per_interval_across_nodes_out_of_phase() {
        let dir = std::env::temp_dir().join(format!("onewindow-ticks-{}", uuid::Uuid::now_v7()));
        let url = onewindow_store::data_dir_url(&dir).expect("url");
        let clock = Arc::new(ManualClock::at_local_morning(
            NaiveDate::from_ymd_opt(2026, 12, 7).expect("date"),
        ));
        let node = |store| Service::new(store, Calendar::prc(), clock.clone(), "330226");
        let a = node(onewindow_store::Store::open(&url).await.expect("store a"));
        let b = node(onewindow_store::Store::open(&url).await.expect("store b"));
        let every = Duration::from_secs(60);
        assert_eq!(
            once_per_tick(&a, "test-sweep", every, async { 1 }).await,
            Some(1)
        );
        // Node b's tick comes half an interval later: the sweep ran, b skips it.
        assert_eq!(
            once_per_tick(&b, "test-sweep", every, async { 2 }).await,
            None
        );
        assert_eq!(
            once_per_tick(&a, "test-sweep", every, async { 3 }).await,
            None
        );
        // Another sweep has its own tick.
        assert_eq!(
            once_per_tick(&b, "other-sweep", every, async { 4 }).await,
            Some(4)
        );
        // A minute on (a died after its run): the next node due runs it.
        let earlier = (chrono::Utc::now() - chrono::Duration::seconds(61)).to_rfc3339();
        a.store()
            .write(move |conn| {
                Box::pin(async move {
                    onewindow_store::monitor::set_state(conn, "job-tick:test-sweep", &earlier).await
                })
            })
            .await
            .expect("an earlier tick");
        assert_eq!(
            once_per_tick(&b, "test-sweep", every, async { 5 }).await,
            Some(5)
        );
        a.store().close().await;
        b.store().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
