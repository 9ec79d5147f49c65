//! The multi-node event transport (`serve --nats`): the outbox published to a NATS JetStream
//! stream, and alert mail as durable JetStream consumers that all nodes share.
//!
//! Delivery is at least once. A message leaves the outbox only after JetStream acknowledged it;
//! a node that dies between the acknowledgement and the delete, or two nodes publishing the same
//! rows at once, publish a message again, and JetStream drops the copy because every publish
//! carries the outbox id as `Nats-Msg-Id`. A NATS server that is down costs nothing but delay:
//! the rows wait in the outbox for the next tick.
//!
//! Mail is a pull consumer per mailed topic with a durable name, so the stream remembers what was
//! mailed across restarts and hands each alert to exactly one node. A message is acknowledged
//! after the relay took its mails and negatively acknowledged with a delay when the relay could
//! not be reached, up to a bounded number of deliveries. One consumer per topic rather than one
//! with several filter subjects: NATS servers before 2.10 (Debian's is 2.9) know only one filter
//! subject per consumer and would silently ignore the list.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::connection::State;
use async_nats::jetstream::{self, AckKind, consumer, stream};
use futures::StreamExt as _;
use onewindow_store::{OutboxMessage, Store, StoreError};

use crate::error::AppError;
use crate::mail::{MAILED_TOPICS, MailOutcome};
use crate::service::Service;

/// Where the events go and under which names.
#[derive(Debug, Clone)]
pub struct NatsConfig {
    /// `nats://host:port` (plain TCP).
    pub url: String,
    /// The stream that keeps the events.
    pub stream: String,
    /// The first token of every subject: topic `alert.raised` goes to `<prefix>.alert.raised`.
    pub subject_prefix: String,
    /// The durable name the mail consumers start with (one per mailed topic).
    pub mail_consumer: String,
    /// How long the stream keeps an event; the mail consumers must have taken it by then.
    pub max_age: Duration,
    /// How long JetStream remembers a message id to drop a second publish of it.
    pub duplicate_window: Duration,
    /// How long to wait for an answer from the server (a publish acknowledgement, an API call).
    pub request_timeout: Duration,
    /// How often an alert is handed to the relay before it is given up.
    pub max_mail_deliveries: i64,
    /// How long a mail the relay could not take waits before it is tried again.
    pub mail_retry_delay: Duration,
    /// The durable name of the consumer that writes the applicants' messages.
    pub message_consumer: String,
}

impl NatsConfig {
    /// The production names: stream `ONEWINDOW`, subjects `onewindow.<topic>`, consumers
    /// `onewindow-mail-<topic>`.
    pub fn new(url: impl Into<String>) -> NatsConfig {
        NatsConfig {
            url: url.into(),
            stream: "ONEWINDOW".into(),
            subject_prefix: "onewindow".into(),
            mail_consumer: "onewindow-mail".into(),
            max_age: Duration::from_secs(7 * 24 * 3600),
            // Far longer than the half second between two publishes of the same row (a node's
            // next tick, another node's tick): a message is republished only while its row
            // still exists, and the row goes right after the acknowledgement.
            duplicate_window: Duration::from_secs(10 * 60),
            request_timeout: Duration::from_secs(5),
            max_mail_deliveries: 10,
            mail_retry_delay: Duration::from_secs(60),
            message_consumer: "onewindow-messages".into(),
        }
    }
}

/// How long a node holds the outbox rows it claimed to publish: far longer than a publish and
/// its acknowledgements take (the request timeout is seconds), short enough that the rows of a
/// node that died are published by another soon after.
pub const OUTBOX_LEASE_SECONDS: i64 = 30;

/// A failure of the transport; the events stay in the outbox.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    #[error("NATS URL {url:?} is not usable: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("NATS at {url} is not reachable now; events wait in the outbox")]
    Unreachable { url: String },
    #[error("JetStream stream {stream}: {reason}")]
    Stream { stream: String, reason: String },
    #[error("JetStream consumer {consumer}: {reason}")]
    Consumer { consumer: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    App(#[from] AppError),
}

/// The subject of an outbox topic. Topics are ours (`case.changed`, `alert.raised`); a character
/// that NATS reserves (wildcards, white space) is replaced so that no topic can widen a subject.
pub fn subject_for(prefix: &str, topic: &str) -> String {
    let topic: String = topic
        .chars()
        .map(|c| match c {
            '*' | '>' => '_',
            c if c.is_whitespace() => '_',
            c => c,
        })
        .collect();
    format!("{prefix}.{topic}")
}

/// The topic of a subject under `prefix`, if it is one of ours.
pub fn topic_of<'s>(prefix: &str, subject: &'s str) -> Option<&'s str> {
    subject.strip_prefix(prefix)?.strip_prefix('.')
}

/// The durable name of the mail consumer of `topic` (names may not contain dots).
pub fn mail_consumer_name(base: &str, topic: &str) -> String {
    format!("{base}-{}", topic.replace('.', "-"))
}

/// What to answer JetStream for a message whose mails were tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Done: the relay took the mails, or refused them for good.
    Ack,
    /// The relay could not take them now; deliver again after the delay.
    Retry(Duration),
    /// Tried often enough: stop redelivering and log it.
    GiveUp,
}

/// Decides a message's fate from its mail outcome and how often it has been delivered.
pub fn settle(
    outcome: &MailOutcome,
    delivered: i64,
    max_deliveries: i64,
    delay: Duration,
) -> Settle {
    match outcome.retryable {
        None => Settle::Ack,
        Some(_) if delivered >= max_deliveries => Settle::GiveUp,
        Some(_) => Settle::Retry(delay),
    }
}

fn stream_config(config: &NatsConfig) -> stream::Config {
    stream::Config {
        name: config.stream.clone(),
        subjects: vec![format!("{}.>", config.subject_prefix)],
        max_age: config.max_age,
        duplicate_window: config.duplicate_window,
        storage: stream::StorageType::File,
        ..Default::default()
    }
}

fn mail_consumer_config(config: &NatsConfig, topic: &str) -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(mail_consumer_name(&config.mail_consumer, topic)),
        description: Some(format!("onewindow alert mail: {topic}")),
        filter_subject: subject_for(&config.subject_prefix, topic),
        ack_policy: consumer::AckPolicy::Explicit,
        // Long enough for a batch of mails to a slow relay: a message not acknowledged in
        // time goes to another node, which would mail it a second time.
        ack_wait: Duration::from_secs(300),
        max_deliver: config.max_mail_deliveries,
        ..Default::default()
    }
}

/// What one tick of the dispatcher did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// Messages JetStream stored.
    pub published: usize,
    /// Messages JetStream already had (another node or an earlier tick published them).
    pub duplicates: usize,
    /// Messages not acknowledged; they stay in the outbox.
    pub failed: usize,
    /// The first failure, when there was one.
    pub error: Option<String>,
}

/// What one tick of the mail consumers did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailReport {
    pub messages: usize,
    pub mails: usize,
    pub retried: usize,
    pub given_up: usize,
}

/// A node's connection to NATS JetStream; cheap to clone.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<BusInner>,
}

struct BusInner {
    config: NatsConfig,
    client: async_nats::Client,
    js: jetstream::Context,
    /// Set once the stream is known to exist; cleared when a publish finds no stream (an
    /// operator deleted it), so the next tick creates it again.
    stream_ready: AtomicBool,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus")
            .field("url", &self.inner.config.url)
            .field("stream", &self.inner.config.stream)
            .finish()
    }
}

impl EventBus {
    /// Connects, waiting up to the request timeout for the server. A server that is down is no
    /// error: the client keeps reconnecting in the background, and until it is back the
    /// dispatcher leaves the events in the outbox.
    pub async fn connect(config: NatsConfig) -> Result<EventBus, NatsError> {
        let client = async_nats::ConnectOptions::new()
            .name("onewindow")
            .connection_timeout(config.request_timeout)
            .retry_on_initial_connect()
            .connect(config.url.as_str())
            .await
            .map_err(|e| NatsError::BadUrl {
                url: config.url.clone(),
                reason: e.to_string(),
            })?;
        let js = jetstream::ContextBuilder::new()
            .timeout(config.request_timeout)
            .build(client.clone());
        let bus = EventBus {
            inner: Arc::new(BusInner {
                config,
                client,
                js,
                stream_ready: AtomicBool::new(false),
            }),
        };
        let deadline = tokio::time::Instant::now() + bus.inner.config.request_timeout;
        while !bus.is_connected() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(bus)
    }

    pub fn config(&self) -> &NatsConfig {
        &self.inner.config
    }

    pub fn is_connected(&self) -> bool {
        self.inner.client.connection_state() == State::Connected
    }

    /// The JetStream context, for tools and tests that read the stream.
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.inner.js
    }

    fn unreachable(&self) -> NatsError {
        NatsError::Unreachable {
            url: self.inner.config.url.clone(),
        }
    }

    /// Creates the stream if it is missing (an existing one is used as it is).
    pub async fn ensure_stream(&self) -> Result<stream::Stream, NatsError> {
        if !self.is_connected() {
            return Err(self.unreachable());
        }
        let config = stream_config(&self.inner.config);
        let stream = self
            .inner
            .js
            .get_or_create_stream(config)
            .await
            .map_err(|e| NatsError::Stream {
                stream: self.inner.config.stream.clone(),
                reason: e.to_string(),
            })?;
        self.inner.stream_ready.store(true, Ordering::Release);
        Ok(stream)
    }

    /// One tick of the dispatcher: publishes up to `limit` outbox messages, oldest first, and
    /// removes from the outbox those JetStream acknowledged (stored or already had).
    pub async fn publish_outbox(
        &self,
        store: &Store,
        limit: i64,
    ) -> Result<PublishReport, NatsError> {
        // Publishing into a client that is reconnecting would only queue the messages in its
        // memory and time out; they are better off in the outbox (and unclaimed).
        if !self.is_connected() {
            return Err(self.unreachable());
        }
        // Claimed for this node: another node's tick takes other rows, so a message is
        // published twice only after a node died between its acknowledgement and its delete
        // (and the lease ran out).
        let messages = onewindow_store::claim_outbox(
            store,
            limit,
            chrono::Utc::now(),
            chrono::Duration::seconds(OUTBOX_LEASE_SECONDS),
        )
        .await?;
        if messages.is_empty() {
            return Ok(PublishReport::default());
        }
        if !self.inner.stream_ready.load(Ordering::Acquire) {
            self.ensure_stream().await?;
        }
        let (report, acknowledged) = self.publish(&messages).await;
        let taken: std::collections::HashSet<&str> =
            acknowledged.iter().map(String::as_str).collect();
        let failed: Vec<String> = messages
            .iter()
            .filter(|m| !taken.contains(m.id.as_str()))
            .map(|m| m.id.clone())
            .collect();
        onewindow_store::delete_outbox(store, acknowledged).await?;
        onewindow_store::release_outbox(store, failed).await?;
        Ok(report)
    }

    /// Publishes every message before waiting for the first acknowledgement (one round trip
    /// for the batch, not one per message); returns the ids JetStream acknowledged.
    async fn publish(&self, messages: &[OutboxMessage]) -> (PublishReport, Vec<String>) {
        let prefix = &self.inner.config.subject_prefix;
        let mut report = PublishReport::default();
        let mut pending = Vec::with_capacity(messages.len());
        for m in messages {
            let publish = jetstream::message::PublishMessage::build()
                .payload(m.body.clone().into())
                .message_id(&m.id);
            match self
                .inner
                .js
                .send_publish(subject_for(prefix, &m.topic), publish)
                .await
            {
                Ok(ack) => pending.push((m.id.clone(), ack)),
                Err(e) => {
                    report.failed += 1;
                    report.error.get_or_insert_with(|| e.to_string());
                }
            }
        }
        // Awaited together: each acknowledgement has its own timeout, and a connection lost
        // mid-batch must cost one timeout, not one per message.
        let (ids, acks): (Vec<String>, Vec<_>) = pending.into_iter().unzip();
        let answers =
            futures::future::join_all(acks.into_iter().map(|ack| ack.into_future())).await;
        let mut acknowledged = Vec::with_capacity(ids.len());
        for (id, answer) in ids.into_iter().zip(answers) {
            match answer {
                Ok(ack) => {
                    tracing::debug!(id = %id, duplicate = ack.duplicate, "event published");
                    if ack.duplicate {
                        report.duplicates += 1;
                    } else {
                        report.published += 1;
                    }
                    acknowledged.push(id);
                }
                Err(e) => {
                    if e.kind() == jetstream::context::PublishErrorKind::StreamNotFound {
                        self.inner.stream_ready.store(false, Ordering::Release);
                    }
                    report.failed += 1;
                    report.error.get_or_insert_with(|| e.to_string());
                }
            }
        }
        (report, acknowledged)
    }

    /// The durable mail consumers, created if missing.
    pub async fn mail_consumers(&self) -> Result<Vec<consumer::PullConsumer>, NatsError> {
        let stream = self.ensure_stream().await?;
        let mut consumers = Vec::with_capacity(MAILED_TOPICS.len());
        for topic in MAILED_TOPICS {
            let config = mail_consumer_config(&self.inner.config, topic);
            let name = mail_consumer_name(&self.inner.config.mail_consumer, topic);
            let consumer = stream
                .get_or_create_consumer(&name, config)
                .await
                .map_err(|e| NatsError::Consumer {
                    consumer: name.clone(),
                    reason: e.to_string(),
                })?;
            consumers.push(consumer);
        }
        Ok(consumers)
    }

    /// The durable consumers of the events that tell applicants something (one per topic: a
    /// consumer of several subjects needs a NATS server of 2.10 or later), created if missing.
    pub async fn message_consumers(&self) -> Result<Vec<consumer::PullConsumer>, NatsError> {
        let stream = self.ensure_stream().await?;
        let config = &self.inner.config;
        let mut consumers = Vec::with_capacity(crate::messages::NOTICE_TOPICS.len());
        for topic in crate::messages::NOTICE_TOPICS {
            let name = mail_consumer_name(&config.message_consumer, topic);
            let consumer_config = consumer::pull::Config {
                durable_name: Some(name.clone()),
                description: Some(format!("onewindow messages to applicants: {topic}")),
                filter_subject: subject_for(&config.subject_prefix, topic),
                ack_policy: consumer::AckPolicy::Explicit,
                // Writing a batch of messages is one transaction: a minute is far more than it
                // takes, and an event not acknowledged by then goes to another node (which
                // writes nothing new: the ids are the event's).
                ack_wait: Duration::from_secs(60),
                // A consumer made on an existing stream (the upgrade that brings messages) starts
                // at the events published from now on, not at a week of events already told
                // some other way. The dispatcher makes these consumers before it publishes.
                deliver_policy: consumer::DeliverPolicy::New,
                ..Default::default()
            };
            let consumer = stream
                .get_or_create_consumer(&name, consumer_config)
                .await
                .map_err(|e| NatsError::Consumer {
                    consumer: name.clone(),
                    reason: e.to_string(),
                })?;
            consumers.push(consumer);
        }
        Ok(consumers)
    }

    /// One tick of the message consumer: takes up to `batch` events, writes the messages they
    /// make in one transaction, and acknowledges them all; when the store cannot take them they
    /// are handed back to be delivered again. Answers how many events were taken.
    pub async fn message_tick(
        &self,
        service: &Service,
        consumer: &consumer::PullConsumer,
        batch: usize,
    ) -> Result<usize, NatsError> {
        if !self.is_connected() {
            return Err(self.unreachable());
        }
        let name = consumer.cached_info().name.clone();
        let failed = |e: &dyn std::fmt::Display| NatsError::Consumer {
            consumer: name.clone(),
            reason: e.to_string(),
        };
        let mut fetched = consumer
            .fetch()
            .max_messages(batch)
            .messages()
            .await
            .map_err(|e| failed(&e))?;
        let mut messages = Vec::new();
        let mut events = Vec::new();
        while let Some(message) = fetched.next().await {
            let message = message.map_err(|e| failed(&e))?;
            match self.outbox_message(&message) {
                Some(event) => {
                    events.push(event);
                    messages.push(message);
                }
                None => term(&message).await,
            }
        }
        if messages.is_empty() {
            return Ok(0);
        }
        let taken = messages.len();
        if service.take_events(events.clone()).await.is_ok() {
            let acks = messages.iter().map(|m| m.ack());
            for (result, m) in futures::future::join_all(acks)
                .await
                .into_iter()
                .zip(&messages)
            {
                if let Err(e) = result {
                    // Delivered again after the ack wait; writing it again adds nothing.
                    tracing::warn!(error = %e, subject = %m.subject, "cannot acknowledge an event of the applicants' messages");
                }
            }
            return Ok(taken);
        }
        // One event that cannot be written must not hold back the batch: each on its own; one
        // that keeps failing is handed back with a growing delay, and after the tenth delivery
        // given up, loudly.
        let mut first_error = None;
        for (message, event) in messages.iter().zip(events) {
            match service.take_events(vec![event.clone()]).await {
                Ok(_) => {
                    if let Err(e) = message.ack().await {
                        tracing::warn!(error = %e, id = %event.id, "cannot acknowledge an event of the applicants' messages");
                    }
                }
                Err(e) => {
                    let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
                    if delivered >= 10 {
                        tracing::error!(error = %e, id = %event.id, topic = %event.topic, delivered, "giving up the applicants' messages of an event");
                        term(message).await;
                    } else {
                        let delay = Duration::from_secs(5 * delivered.clamp(1, 60) as u64);
                        nak(message, Some(delay)).await;
                    }
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(NatsError::Consumer {
                consumer: name,
                reason: format!("the applicants' messages of an event cannot be written: {e}"),
            }),
            None => Ok(taken),
        }
    }

    /// One tick of the mail consumers: takes up to `batch` waiting messages from each, mails
    /// them, and acknowledges, retries or gives up each.
    pub async fn mail_tick(
        &self,
        service: &Service,
        consumers: &[consumer::PullConsumer],
        batch: usize,
    ) -> Result<MailReport, NatsError> {
        if !self.is_connected() {
            return Err(self.unreachable());
        }
        let mut report = MailReport::default();
        let mut relay = None;
        for consumer in consumers {
            let name = consumer.cached_info().name.clone();
            let mut messages = consumer
                .fetch()
                .max_messages(batch)
                .messages()
                .await
                .map_err(|e| NatsError::Consumer {
                    consumer: name.clone(),
                    reason: e.to_string(),
                })?;
            while let Some(message) = messages.next().await {
                let message = message.map_err(|e| NatsError::Consumer {
                    consumer: name.clone(),
                    reason: e.to_string(),
                })?;
                report.messages += 1;
                // The accounts are read once per tick, and only when there is mail to send.
                if relay.is_none() {
                    relay = service.mail_relay().await?;
                }
                let Some(relay) = relay.as_ref() else {
                    // No relay on this node: leave the message to a node that has one.
                    nak(&message, Some(self.inner.config.mail_retry_delay)).await;
                    continue;
                };
                let Some(outbox) = self.outbox_message(&message) else {
                    tracing::warn!(subject = %message.subject, "a mail event that is not ours; dropped");
                    term(&message).await;
                    continue;
                };
                let outcome = relay.send(&outbox).await;
                report.mails += outcome.sent;
                let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
                match settle(
                    &outcome,
                    delivered,
                    self.inner.config.max_mail_deliveries,
                    self.inner.config.mail_retry_delay,
                ) {
                    Settle::Ack => {
                        if let Err(e) = message.ack().await {
                            // Not fatal: JetStream delivers it again after the ack wait.
                            tracing::warn!(error = %e, id = %outbox.id, "cannot acknowledge a mailed event");
                        }
                    }
                    Settle::Retry(delay) => {
                        report.retried += 1;
                        tracing::warn!(
                            id = %outbox.id,
                            topic = %outbox.topic,
                            delivered,
                            error = outcome.retryable.as_deref().unwrap_or_default(),
                            "the SMTP relay did not take an alert's mail; trying again later"
                        );
                        nak(&message, Some(delay)).await;
                    }
                    Settle::GiveUp => {
                        report.given_up += 1;
                        tracing::error!(
                            id = %outbox.id,
                            topic = %outbox.topic,
                            delivered,
                            error = outcome.retryable.as_deref().unwrap_or_default(),
                            "giving up mailing an alert (it stays in the inbox)"
                        );
                        term(&message).await;
                    }
                }
            }
        }
        Ok(report)
    }

    /// The outbox message a stream message carries: the id from its `Nats-Msg-Id`, the topic
    /// from its subject.
    fn outbox_message(&self, message: &jetstream::Message) -> Option<OutboxMessage> {
        let topic = topic_of(&self.inner.config.subject_prefix, message.subject.as_str())?;
        let id = message
            .headers
            .as_ref()
            .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
            .map(|v| v.as_str().to_string())
            .unwrap_or_default();
        let body = std::str::from_utf8(&message.payload).ok()?;
        Some(OutboxMessage {
            id,
            topic: topic.to_string(),
            body: body.to_string(),
        })
    }
}

async fn nak(message: &jetstream::Message, delay: Option<Duration>) {
    if let Err(e) = message.ack_with(AckKind::Nak(delay)).await {
        tracing::warn!(error = %e, "cannot hand a mail event back to JetStream");
    }
}

async fn term(message: &jetstream::Message) {
    if let Err(e) = message.ack_with(AckKind::Term).await {
        tracing::warn!(error = %e, "cannot end the deliveries of a mail event");
    }
}

#[cfg(test)]
mod tests {
    //! Against the real NATS server on 127.0.0.1:4222 (`ONEWINDOW_TEST_NATS` names another).
    //! Each test makes its own stream and subject prefix and deletes the stream at the end, so
    //! tests running at once never see each other's messages. Without a server they print
    //! SKIPPED, unless `ONEWINDOW_NATS_TESTS=required` (as in CI), which makes them fail.

    use std::sync::Arc;

    use chrono::NaiveDate;
    use onewindow_domain::calendar::Calendar;

    use super::*;
    use crate::actor::Actor;
    use crate::clock::ManualClock;
    use crate::mail::MailConfig;
    use crate::mail::tests::{alert, switchable_relay};

    #[test]
    fn topics_become_subjects_under_the_prefix_and_back() {
        assert_eq!(
            subject_for("onewindow", "alert.raised"),
            "onewindow.alert.raised"
        );
        assert_eq!(
            subject_for("p", "a.>"),
            "p.a._",
            "no topic widens a subject"
        );
        assert_eq!(subject_for("p", "a *b"), "p.a__b");
        assert_eq!(
            topic_of("onewindow", "onewindow.alert.raised"),
            Some("alert.raised")
        );
        assert_eq!(topic_of("onewindow", "onewindowx.alert"), None);
        assert_eq!(topic_of("onewindow", "other.alert.raised"), None);
        assert_eq!(
            mail_consumer_name("onewindow-mail", "project.step_stalled"),
            "onewindow-mail-project-step_stalled"
        );
    }

    #[test]
    fn a_message_is_retried_while_the_relay_may_recover_and_given_up_after_the_last_delivery() {
        let delay = Duration::from_secs(60);
        let sent = MailOutcome {
            sent: 2,
            ..MailOutcome::default()
        };
        assert_eq!(settle(&sent, 1, 10, delay), Settle::Ack);
        let refused_for_good = MailOutcome {
            refused: 1,
            ..MailOutcome::default()
        };
        assert_eq!(settle(&refused_for_good, 1, 10, delay), Settle::Ack);
        let busy = MailOutcome {
            retryable: Some("421 busy".into()),
            ..MailOutcome::default()
        };
        assert_eq!(settle(&busy, 1, 10, delay), Settle::Retry(delay));
        assert_eq!(settle(&busy, 9, 10, delay), Settle::Retry(delay));
        assert_eq!(settle(&busy, 10, 10, delay), Settle::GiveUp);
    }

    fn nats_url() -> String {
        std::env::var("ONEWINDOW_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
    }

    /// The server's URL when it answers; `None` (test skipped) when it does not and the tests
    /// are not required.
    async fn nats_or_skip(test: &str) -> Option<String> {
        let url = nats_url();
        let address = url.trim_start_matches("nats://").to_string();
        let reachable = tokio::time::timeout(
            Duration::from_secs(2),
            tokio::net::TcpStream::connect(address),
        )
        .await
        .is_ok_and(|c| c.is_ok());
        if reachable {
            return Some(url);
        }
        assert!(
            std::env::var("ONEWINDOW_NATS_TESTS").as_deref() != Ok("required"),
            "{test}: NATS is not reachable at {url} and ONEWINDOW_NATS_TESTS=required"
        );
        eprintln!("SKIPPED {test}: NATS is not reachable at {url}");
        None
    }

    /// A configuration of names no other test uses, with short waits.
    fn test_config(url: &str) -> NatsConfig {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        NatsConfig {
            stream: format!("ONEWINDOW_TEST_{tag}"),
            subject_prefix: format!("onewindow-test-{tag}"),
            request_timeout: Duration::from_secs(2),
            max_mail_deliveries: 3,
            mail_retry_delay: Duration::from_millis(200),
            max_age: Duration::from_secs(3600),
            ..NatsConfig::new(url)
        }
    }

    /// Deletes the test's stream when the test ends, also when it fails.
    struct DropStream(NatsConfig);

    impl Drop for DropStream {
        fn drop(&mut self) {
            let config = self.0.clone();
            // Drop cannot await, and the test's runtime may be unwinding: a runtime of its own.
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async {
                    if let Ok(client) = async_nats::connect(config.url.as_str()).await {
                        let _ = jetstream::new(client).delete_stream(&config.stream).await;
                    }
                });
            })
            .join();
        }
    }

    async fn service(label: &str) -> (Service, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("onewindow-{label}-{}", uuid::Uuid::now_v7()));
        let url = onewindow_store::data_dir_url(&dir).expect("url");
        let store = Store::open(&url).await.expect("store");
        let clock = Arc::new(ManualClock::at_local_morning(
            NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        ));
        (Service::new(store, Calendar::prc(), clock, "330226"), dir)
    }

    async fn enqueue(store: &Store, topic: &'static str, body: String) {
        store
            .write(move |conn| {
                Box::pin(async move {
                    onewindow_store::enqueue_outbox(conn, topic, &body, "2026-11-23T01:00:00Z")
                        .await
                })
            })
            .await
            .expect("enqueued");
    }

    async fn outbox(store: &Store) -> Vec<OutboxMessage> {
        onewindow_store::pending_outbox(store, 10_000)
            .await
            .expect("outbox")
    }

    async fn stream_messages(bus: &EventBus) -> u64 {
        let mut stream = bus
            .jetstream()
            .get_stream(&bus.config().stream)
            .await
            .expect("stream");
        stream.info().await.expect("info").state.messages
    }

    #[tokio::test]
    async fn a_message_published_twice_is_stored_once() {
        let Some(url) = nats_or_skip("a_message_published_twice_is_stored_once").await else {
            return;
        };
        let config = test_config(&url);
        let _cleanup = DropStream(config.clone());
        let (service, dir) = service("nats-dedup").await;
        let store = service.store();
        enqueue(store, "case.changed", r#"{"n":1}"#.into()).await;
        let bus = EventBus::connect(config).await.expect("bus");
        assert!(bus.is_connected());
        bus.ensure_stream().await.expect("stream");
        let pending = outbox(store).await;
        assert_eq!(pending.len(), 1);

        // A node that published and died before deleting the row: the row is still there and
        // the next tick (of any node) publishes it again.
        let (first, acked) = bus.publish(&pending).await;
        assert_eq!((first.published, first.duplicates, first.failed), (1, 0, 0));
        assert_eq!(acked, vec![pending[0].id.clone()]);
        assert_eq!(
            outbox(store).await.len(),
            1,
            "publishing alone removes nothing"
        );
        let again = bus.publish_outbox(store, 500).await.expect("tick");
        assert_eq!((again.published, again.duplicates, again.failed), (0, 1, 0));
        assert!(outbox(store).await.is_empty(), "acknowledged, so removed");
        assert_eq!(stream_messages(&bus).await, 1, "JetStream kept one copy");

        let stream = bus
            .jetstream()
            .get_stream(&bus.config().stream)
            .await
            .expect("stream");
        let stored = stream.get_raw_message(1).await.expect("the message");
        assert_eq!(
            stored.subject.as_str(),
            format!("{}.case.changed", bus.config().subject_prefix)
        );
        assert_eq!(
            stored
                .headers
                .get(async_nats::header::NATS_MESSAGE_ID)
                .map(|v| v.as_str().to_string()),
            Some(pending[0].id.clone())
        );
        assert_eq!(&stored.payload[..], br#"{"n":1}"#);
        service.store().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn outbox_rows_are_removed_only_after_jetstream_acknowledged_them() {
        let Some(url) =
            nats_or_skip("outbox_rows_are_removed_only_after_jetstream_acknowledged_them").await
        else {
            return;
        };
        let config = test_config(&url);
        let _cleanup = DropStream(config.clone());
        let (service, dir) = service("nats-ack").await;
        let store = service.store();
        for n in 0..3 {
            enqueue(store, "case.changed", format!(r#"{{"n":{n}}}"#)).await;
        }
        let bus = EventBus::connect(config).await.expect("bus");
        bus.ensure_stream().await.expect("stream");
        // The stream goes away behind the node's back: nothing acknowledges the publishes.
        bus.jetstream()
            .delete_stream(&bus.config().stream)
            .await
            .expect("deleted");
        let lost = bus.publish_outbox(store, 500).await.expect("tick");
        assert_eq!((lost.published, lost.failed), (0, 3), "{lost:?}");
        assert!(lost.error.is_some());
        assert_eq!(
            outbox(store).await.len(),
            3,
            "no acknowledgement, no delete"
        );

        // The next tick makes the stream again and delivers them, oldest first.
        let delivered = bus.publish_outbox(store, 500).await.expect("tick");
        assert_eq!(
            (delivered.published, delivered.failed),
            (3, 0),
            "{delivered:?}"
        );
        assert!(outbox(store).await.is_empty());
        assert_eq!(stream_messages(&bus).await, 3);
        let stream = bus
            .jetstream()
            .get_stream(&bus.config().stream)
            .await
            .expect("stream");
        for n in 0..3 {
            let stored = stream.get_raw_message(n + 1).await.expect("message");
            assert_eq!(stored.payload, format!(r#"{{"n":{n}}}"#).as_bytes());
        }
        service.store().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn with_nats_unreachable_the_rows_stay_and_a_later_tick_delivers_them() {
        let Some(url) =
            nats_or_skip("with_nats_unreachable_the_rows_stay_and_a_later_tick_delivers_them")
                .await
        else {
            return;
        };
        let config = test_config(&url);
        let _cleanup = DropStream(config.clone());
        let (service, dir) = service("nats-down").await;
        let store = service.store();
        enqueue(store, "case.submitted", "{}".into()).await;
        enqueue(store, onewindow_store::monitor::ALERT_TOPIC, "{}".into()).await;

        // A port nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let down = EventBus::connect(NatsConfig {
            url: format!("nats://127.0.0.1:{port}"),
            request_timeout: Duration::from_millis(300),
            ..config.clone()
        })
        .await
        .expect("a server that is down is no error at start");
        assert!(!down.is_connected());
        for _ in 0..2 {
            let refused = down.publish_outbox(store, 500).await;
            assert!(
                matches!(refused, Err(NatsError::Unreachable { .. })),
                "{refused:?}"
            );
            assert_eq!(
                outbox(store).await.len(),
                2,
                "the events wait in the outbox"
            );
        }

        let up = EventBus::connect(config).await.expect("bus");
        let report = up.publish_outbox(store, 500).await.expect("tick");
        assert_eq!((report.published, report.failed), (2, 0), "{report:?}");
        assert!(outbox(store).await.is_empty());
        assert_eq!(stream_messages(&up).await, 2);
        service.store().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A supervisor with an address, who every light's alert mails.
    async fn supervisor_with_address(service: &Service) {
        crate::mail::tests::add_supervisor(service).await;
        service
            .set_email(
                &Actor::command_line("test"),
                "sup",
                Some("sup@nh.gov.cn".into()),
            )
            .await
            .expect("address set");
    }

    /// Two nodes share the mail consumers: an alert published twice is mailed once, by one of
    /// them, after the relay came back from a failure.
    #[tokio::test]
    async fn the_mail_consumer_mails_an_alert_once_and_retries_after_a_relay_failure() {
        let Some(url) =
            nats_or_skip("the_mail_consumer_mails_an_alert_once_and_retries_after_a_relay_failure")
                .await
        else {
            return;
        };
        let config = test_config(&url);
        let _cleanup = DropStream(config.clone());
        let (port, got, busy) = switchable_relay().await;
        let (service, dir) = service("nats-mail").await;
        let mail = MailConfig::parse(&format!("smtp://127.0.0.1:{port}"), "onewindow@nh.gov.cn")
            .expect("mail config");
        let service = service.with_mail(mail);
        supervisor_with_address(&service).await;
        let store = service.store();
        let body = serde_json::to_string(&alert()).expect("json");
        enqueue(store, onewindow_store::monitor::ALERT_TOPIC, body).await;
        enqueue(store, "case.changed", "{}".into()).await;

        let node_a = EventBus::connect(config.clone()).await.expect("node a");
        let node_b = EventBus::connect(config).await.expect("node b");
        // Published, then published again as by a node that died before deleting the rows.
        node_a.ensure_stream().await.expect("stream");
        let pending = outbox(store).await;
        let (first, _) = node_a.publish(&pending).await;
        assert_eq!(first.published, 2, "{first:?}");
        let second = node_b.publish_outbox(store, 500).await.expect("tick");
        assert_eq!(second.duplicates, 2, "{second:?}");

        let consumers_a = node_a.mail_consumers().await.expect("consumers");
        let consumers_b = node_b.mail_consumers().await.expect("consumers");
        assert_eq!(consumers_a.len(), 2, "one per mailed topic");

        busy.store(true, std::sync::atomic::Ordering::SeqCst);
        let refused = node_a
            .mail_tick(&service, &consumers_a, 20)
            .await
            .expect("tick");
        assert_eq!(
            (refused.messages, refused.mails, refused.retried),
            (1, 0, 1),
            "only the alert reaches the mail consumers, and the busy relay takes nothing: {refused:?}"
        );
        let waiting = node_b
            .mail_tick(&service, &consumers_b, 20)
            .await
            .expect("tick");
        assert_eq!(
            waiting.messages, 0,
            "held back for the retry delay: {waiting:?}"
        );

        busy.store(false, std::sync::atomic::Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut mails = 0;
        while mails == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the alert was not retried"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
            mails += node_b
                .mail_tick(&service, &consumers_b, 20)
                .await
                .expect("tick")
                .mails;
            mails += node_a
                .mail_tick(&service, &consumers_a, 20)
                .await
                .expect("tick")
                .mails;
        }
        assert_eq!(mails, 1);
        // Acknowledged: neither node gets it again.
        tokio::time::sleep(Duration::from_millis(500)).await;
        for _ in 0..3 {
            let a = node_a
                .mail_tick(&service, &consumers_a, 20)
                .await
                .expect("tick");
            let b = node_b
                .mail_tick(&service, &consumers_b, 20)
                .await
                .expect("tick");
            assert_eq!((a.messages, b.messages), (0, 0));
        }
        let got = got.lock().map(|g| g.clone()).unwrap_or_default();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "sup@nh.gov.cn");
        service.store().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_mail_the_relay_never_takes_is_given_up_after_the_last_delivery() {
        let Some(url) =
            nats_or_skip("a_mail_the_relay_never_takes_is_given_up_after_the_last_delivery").await
        else {
            return;
        };
        let config = test_config(&url);
        let _cleanup = DropStream(config.clone());
        let (port, got, busy) = switchable_relay().await;
        busy.store(true, std::sync::atomic::Ordering::SeqCst);
        let (service, dir) = service("nats-giveup").await;
        let mail = MailConfig::parse(&format!("smtp://127.0.0.1:{port}"), "onewindow@nh.gov.cn")
            .expect("mail config");
        let service = service.with_mail(mail);
        supervisor_with_address(&service).await;
        let store = service.store();
        enqueue(
            store,
            onewindow_store::monitor::ALERT_TOPIC,
            serde_json::to_string(&alert()).expect("json"),
        )
        .await;
        let bus = EventBus::connect(config).await.expect("bus");
        bus.publish_outbox(store, 500).await.expect("tick");
        let consumers = bus.mail_consumers().await.expect("consumers");

        let mut total = MailReport::default();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while total.given_up == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "never given up: {total:?}"
            );
            let r = bus.mail_tick(&service, &consumers, 20).await.expect("tick");
            total.messages += r.messages;
            total.retried += r.retried;
            total.given_up += r.given_up;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            (total.messages, total.retried, total.given_up),
            (3, 2, 1),
            "three deliveries: two retries, then the end"
        );
        busy.store(false, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = bus.mail_tick(&service, &consumers, 20).await.expect("tick");
        assert_eq!(
            after.messages, 0,
            "a message given up is not delivered again"
        );
        assert!(got.lock().map(|g| g.is_empty()).unwrap_or(false));
        service.store().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn applicants_messages_are_written_by_a_durable_consumer_once() {
        let Some(url) =
            nats_or_skip("applicants_messages_are_written_by_a_durable_consumer_once").await
        else {
            return;
        };
        let (service, dir) = service("nats-messages").await;
        service.seed_demo(0).await.expect("catalogue");
        service.seed_demo_accounts().await.expect("accounts");
        let config = NatsConfig {
            message_consumer: format!("test-messages-{}", uuid::Uuid::now_v7().simple()),
            ..test_config(&url)
        };
        let _cleanup = DropStream(config.clone());
        let bus = EventBus::connect(config).await.expect("connected");
        let grant = service
            .login("enterprise", "qiye-demo-2026", "test")
            .await
            .expect("login");
        let enterprise = Actor::new(grant.principal, "test");
        let submitted = service
            .submit_case(
                &enterprise,
                crate::service::SubmitCase {
                    item_code: "1133022625630452684010401700100".into(),
                    applicant: onewindow_domain::case::Applicant {
                        kind: onewindow_domain::case::ApplicantKind::Enterprise,
                        name: "宁海县跃龙小吃有限公司".into(),
                        id_number: "91330226MA2DEMH01W".into(),
                        phone: Some("13900001111".into()),
                    },
                    channel: onewindow_domain::case::Channel::Online,
                    centre: "county-hall".into(),
                    materials: vec!["M01".into(), "M02".into(), "M03".into(), "M04".into()],
                    commitments: Vec::new(),
                },
                None,
            )
            .await
            .expect("filed");
        // The consumers start at new events: made before the first publish, as the
        // dispatcher makes them.
        let consumers = bus.message_consumers().await.expect("consumers");
        assert_eq!(consumers.len(), crate::messages::NOTICE_TOPICS.len());
        let report = bus
            .publish_outbox(service.store(), 100)
            .await
            .expect("published");
        assert_eq!(report.published, 1);
        assert!(outbox(service.store()).await.is_empty());
        let mut taken = 0;
        for c in &consumers {
            taken += bus.message_tick(&service, c, 100).await.expect("a tick");
        }
        assert_eq!(taken, 1);
        let written =
            onewindow_store::messages::of_case(service.store().readers(), &submitted.case.id)
                .await
                .expect("messages");
        let channels: Vec<&str> = written.iter().map(|m| m.channel.as_str()).collect();
        assert!(
            channels.contains(&"inbox") && channels.contains(&"sms"),
            "{channels:?}"
        );
        // Acknowledged: the next tick takes nothing and writes nothing.
        let mut again = 0;
        for c in &consumers {
            again += bus.message_tick(&service, c, 100).await.expect("a tick");
        }
        assert_eq!(again, 0);
        let after =
            onewindow_store::messages::of_case(service.store().readers(), &submitted.case.id)
                .await
                .expect("messages");
        assert_eq!(after.len(), written.len());
        service.store().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
