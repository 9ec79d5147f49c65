//! Background jobs of one node: acceptance by lapse of time, the deadline lights, and the
//! outbox dispatcher (which also mails alerts when an SMTP relay is configured).
//!
//! Each job is idempotent and safe to run on several nodes at once (a case already moved is
//! skipped by its version; an outbox message is removed in the transaction that takes it).

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::service::Service;

/// How often the jobs look for work.
#[derive(Debug, Clone, Copy)]
pub struct JobIntervals {
    pub lapsed_acceptance: Duration,
    pub lights: Duration,
    pub outbox: Duration,
}

impl Default for JobIntervals {
    fn default() -> Self {
        Self {
            lapsed_acceptance: Duration::from_secs(60),
            lights: Duration::from_secs(60),
            outbox: Duration::from_millis(500),
        }
    }
}

/// Starts the jobs; they run until the handles are aborted or the runtime stops.
pub fn spawn(service: Service, intervals: JobIntervals) -> Vec<JoinHandle<()>> {
    let lapsed = {
        let service = service.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(intervals.lapsed_acceptance);
            loop {
                tick.tick().await;
                match service.accept_lapsed_cases().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(cases = n, "accepted by lapse of the notice period"),
                    Err(e) => tracing::warn!(error = %e, "lapsed-acceptance sweep failed"),
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
                match service.sweep_lights().await {
                    Ok(r) if r.alerts > 0 || r.cleared > 0 => {
                        tracing::info!(
                            checked = r.checked,
                            alerts = r.alerts,
                            cleared = r.cleared,
                            "deadline lights changed"
                        )
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "deadline-light sweep failed"),
                }
            }
        })
    };
    let outbox = tokio::spawn(async move {
        let mut tick = tokio::time::interval(intervals.outbox);
        loop {
            tick.tick().await;
            match onewindow_store::drain_outbox(service.store(), 500).await {
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
    });
    vec![lapsed, lights, outbox]
}
