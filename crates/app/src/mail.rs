//! Alert e-mail (告警邮件): the outbox's `alert.raised` and `project.step_stalled` messages,
//! mailed through the county's SMTP relay to the accounts they concern that have an address.
//!
//! The inbox is the durable channel; mail is a courtesy on top. In process the outbox hands a
//! message over once, so a relay that is down loses that mail (logged), never the alert. With
//! NATS JetStream (`crate::nats`) the same per-message work runs in a durable consumer that
//! retries a message the relay could not take.

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use onewindow_domain::access::Role;
use onewindow_store::OutboxMessage;
use onewindow_store::accounts::UserRecord;
use onewindow_store::monitor::Alert;
use onewindow_store::projects::StallAlert;

use crate::error::AppError;
use crate::service::Service;

pub use crate::mail_config::MailConfig;

/// One mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Who an alert of a clock concerns: the supervisors, the department's reviewers and approvers,
/// the centre's clerks — those with an address and not disabled.
fn alert_recipients(users: &[UserRecord], alert: &Alert) -> Vec<String> {
    users
        .iter()
        .filter(|u| !u.disabled)
        .filter(|u| {
            u.posts.iter().any(|p| match p.role {
                Role::Supervisor => true,
                Role::Reviewer | Role::Approver => {
                    p.department.as_deref() == Some(alert.department.as_str())
                }
                Role::Clerk => p.centre.as_deref() == Some(alert.centre.as_str()),
                _ => false,
            })
        })
        .filter_map(|u| u.email.clone())
        .collect()
}

/// The body of a mail about a change of light.
fn light_change_body(alert: &Alert, light: &str) -> String {
    format!(
        "办件 {} {}\n部门 {} · 中心 {}\n亮灯 {light}（原为 {}）\n到期日 {}\n\n此邮件由 onewindow 电子监察自动发送；请在“监察”页面查看并处理。",
        alert.case_number,
        alert.item_name,
        alert.department,
        alert.centre,
        alert.previous.as_str(),
        alert
            .due_on
            .map_or_else(|| "—".to_string(), |d| d.to_string()),
    )
}

/// The mails an outbox message makes (none for topics that mail nobody).
pub fn mails_for(users: &[UserRecord], message: &OutboxMessage) -> Vec<Mail> {
    match message.topic.as_str() {
        onewindow_store::monitor::ALERT_TOPIC => {
            let Ok(alert) = serde_json::from_str::<Alert>(&message.body) else {
                return Vec::new();
            };
            let light = match alert.light.as_str() {
                "red" => "红灯（已超期）",
                "yellow" => "黄灯（临近期限）",
                _ => "绿灯",
            };
            let (subject, body) = if let (Some(before), Some(after)) =
                (alert.previous_due_on, alert.due_on)
            {
                (
                    format!(
                        "【电子监察】{} {} 办理期限提前至 {after}",
                        alert.case_number, alert.item_name
                    ),
                    format!(
                        "办件 {} {}\n部门 {} · 中心 {}\n节假日安排载入后重新计算：到期日由 {before} 提前至 {after}。\n\n此邮件由 onewindow 电子监察自动发送；请在“监察”页面查看并处理。",
                        alert.case_number, alert.item_name, alert.department, alert.centre,
                    ),
                )
            } else {
                (
                    format!(
                        "【电子监察】{} {} {light}",
                        alert.case_number, alert.item_name
                    ),
                    light_change_body(&alert, light),
                )
            };
            alert_recipients(users, &alert)
                .into_iter()
                .map(|to| Mail {
                    to,
                    subject: subject.clone(),
                    body: body.clone(),
                })
                .collect()
        }
        "project.step_stalled" => {
            let Ok(alert) = serde_json::from_str::<StallAlert>(&message.body) else {
                return Vec::new();
            };
            users
                .iter()
                .filter(|u| !u.disabled && u.username == alert.recipient)
                .filter_map(|u| u.email.clone())
                .map(|to| Mail {
                    to,
                    subject: format!("【项目代办】{} 滞后：{}", alert.project_name, alert.item_name),
                    body: format!(
                        "项目 {}（{}）\n事项 {}（{}）计划 {} 完成，至今未办结。\n\n此邮件由 onewindow 项目代办看板自动发送。",
                        alert.project_name,
                        alert.project_code,
                        alert.item_name,
                        alert.department,
                        alert.planned_end
                    ),
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The outbox topics that are mailed; every other topic mails nobody.
pub const MAILED_TOPICS: [&str; 2] = [
    onewindow_store::monitor::ALERT_TOPIC,
    "project.step_stalled",
];

/// What became of the mails of one outbox message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailOutcome {
    /// Mails the relay took.
    pub sent: usize,
    /// Mails that will never go: an address that does not parse, a relay's permanent (5xx)
    /// refusal. Logged; retrying would not help.
    pub refused: usize,
    /// The first failure that may pass (the relay unreachable, busy or timing out): the
    /// message is worth trying again later.
    pub retryable: Option<String>,
}

/// The relay, the sender and the accounts, ready to mail one outbox message after another.
pub struct Relay {
    config: MailConfig,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    users: Vec<UserRecord>,
}

impl Relay {
    /// Sends the mails `message` makes, each to its own recipient; a failure of one does not
    /// stop the others.
    pub async fn send(&self, message: &OutboxMessage) -> MailOutcome {
        let mut outcome = MailOutcome::default();
        for mail in mails_for(&self.users, message) {
            let Ok(to) = mail.to.parse::<Mailbox>() else {
                tracing::warn!(to = %mail.to, "an account's e-mail address does not parse");
                outcome.refused += 1;
                continue;
            };
            let built = Message::builder()
                .from(self.config.from.clone())
                .to(to)
                .subject(mail.subject)
                .header(ContentType::TEXT_PLAIN)
                .body(mail.body);
            let built = match built {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot build an alert mail");
                    outcome.refused += 1;
                    continue;
                }
            };
            match self.transport.send(built).await {
                Ok(_) => outcome.sent += 1,
                Err(e) if e.is_permanent() || e.is_client() => {
                    tracing::warn!(error = %e, to = %mail.to, "the SMTP relay refused an alert mail");
                    outcome.refused += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, to = %mail.to, "the SMTP relay did not take an alert mail");
                    outcome.retryable.get_or_insert_with(|| e.to_string());
                }
            }
        }
        outcome
    }
}

impl Service {
    /// The relay to mail through, when one is configured; reads the accounts once for a batch of
    /// messages.
    pub async fn mail_relay(&self) -> Result<Option<Relay>, AppError> {
        let Some(config) = self.mail_config() else {
            return Ok(None);
        };
        let users = onewindow_store::accounts::list_users(self.store().readers()).await?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .build();
        Ok(Some(Relay {
            config: config.clone(),
            transport,
            users,
        }))
    }

    /// Mails what the drained outbox messages concern, when a relay is configured; returns how
    /// many mails the relay took. Each message is tried once (the in-process outbox).
    pub async fn deliver_mail(&self, messages: &[OutboxMessage]) -> Result<usize, AppError> {
        if self.mail_config().is_none()
            || !messages
                .iter()
                .any(|m| MAILED_TOPICS.contains(&m.topic.as_str()))
        {
            return Ok(0);
        }
        let Some(relay) = self.mail_relay().await? else {
            return Ok(0);
        };
        let mut sent = 0;
        for message in messages {
            sent += relay.send(message).await.sent;
        }
        Ok(sent)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::{Arc, Mutex};

    use chrono::{NaiveDate, TimeZone, Utc};
    use onewindow_domain::access::Post;
    use onewindow_domain::calendar::Calendar;
    use onewindow_domain::monitor::Light;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    use super::*;
    use crate::accounts::{Actor, NewUser};
    use crate::clock::ManualClock;

    /// The supervisor `sup` (no address yet), whom every light's alert concerns.
    pub(crate) async fn add_supervisor(service: &Service) {
        service
            .create_user(
                &Actor::command_line("test"),
                NewUser {
                    username: "sup".into(),
                    display_name: "监察".into(),
                    password: "Tr0ub4dor&3-staple".into(),
                    identity: None,
                    phone: None,
                    posts: vec![Post::new(Role::Supervisor)],
                    may_reveal_personal_data: false,
                },
            )
            .await
            .expect("account");
    }

    pub(crate) fn alert() -> Alert {
        Alert {
            id: "a1".into(),
            case_id: "c1".into(),
            case_number: "33022620261102000001".into(),
            item_name: "食品经营许可（新办）".into(),
            department: "SCJGJ".into(),
            centre: "county-hall".into(),
            light: Light::Red,
            previous: Light::Yellow,
            due_on: NaiveDate::from_ymd_opt(2026, 11, 20),
            previous_due_on: None,
            raised_at: Utc
                .with_ymd_and_hms(2026, 11, 23, 1, 0, 0)
                .single()
                .expect("time"),
        }
    }

    fn user(name: &str, post: Post, email: Option<&str>) -> UserRecord {
        let now = Utc::now();
        UserRecord {
            id: name.into(),
            username: name.into(),
            display_name: name.into(),
            identity: None,
            phone: None,
            email: email.map(str::to_string),
            password_hash: String::new(),
            posts: vec![post],
            may_reveal: false,
            disabled: false,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn an_alert_is_mailed_to_its_department_its_centre_and_the_supervisors_with_an_address() {
        let users = vec![
            user("sup", Post::new(Role::Supervisor), Some("sup@nh.gov.cn")),
            user(
                "rev",
                Post::new(Role::Reviewer).in_department("SCJGJ"),
                Some("rev@nh.gov.cn"),
            ),
            user(
                "other",
                Post::new(Role::Reviewer).in_department("GAJ"),
                Some("gaj@nh.gov.cn"),
            ),
            user(
                "clerk",
                Post::new(Role::Clerk).at_centre("county-hall"),
                Some("clerk@nh.gov.cn"),
            ),
            user(
                "quiet",
                Post::new(Role::Approver).in_department("SCJGJ"),
                None,
            ),
            UserRecord {
                disabled: true,
                ..user("gone", Post::new(Role::Supervisor), Some("gone@nh.gov.cn"))
            },
        ];
        let message = OutboxMessage {
            id: "m1".into(),
            topic: onewindow_store::monitor::ALERT_TOPIC.into(),
            body: serde_json::to_string(&alert()).expect("json"),
        };
        let mails = mails_for(&users, &message);
        let to: Vec<&str> = mails.iter().map(|m| m.to.as_str()).collect();
        assert_eq!(
            to,
            vec!["sup@nh.gov.cn", "rev@nh.gov.cn", "clerk@nh.gov.cn"]
        );
        assert!(mails[0].subject.contains("33022620261102000001"));
        assert!(mails[0].subject.contains("红灯"));
        let other = OutboxMessage {
            topic: "case.changed".into(),
            ..message
        };
        assert!(mails_for(&users, &other).is_empty());
    }

    #[test]
    fn a_deadline_a_notice_moved_earlier_is_mailed_as_such() {
        let users = vec![user(
            "rev",
            Post::new(Role::Reviewer).in_department("SCJGJ"),
            Some("rev@nh.gov.cn"),
        )];
        let moved = Alert {
            light: Light::Yellow,
            previous: Light::Yellow,
            due_on: NaiveDate::from_ymd_opt(2027, 1, 4),
            previous_due_on: NaiveDate::from_ymd_opt(2027, 1, 5),
            ..alert()
        };
        let message = OutboxMessage {
            id: "m2".into(),
            topic: onewindow_store::monitor::ALERT_TOPIC.into(),
            body: serde_json::to_string(&moved).expect("json"),
        };
        let mails = mails_for(&users, &message);
        assert_eq!(mails.len(), 1);
        assert!(
            mails[0].subject.contains("办理期限提前至 2027-01-04"),
            "{}",
            mails[0].subject
        );
        assert!(mails[0].body.contains("由 2027-01-05 提前至 2027-01-04"));
    }

    #[test]
    fn a_relay_is_an_smtp_url() {
        let c =
            MailConfig::parse("smtp://relay.nh.gov.cn:2525", "onewindow@nh.gov.cn").expect("ok");
        assert_eq!((c.host.as_str(), c.port), ("relay.nh.gov.cn", 2525));
        assert_eq!(
            MailConfig::parse("smtp://relay", "a@b.cn")
                .expect("ok")
                .port,
            25
        );
        assert!(MailConfig::parse("http://relay", "a@b.cn").is_err());
        assert!(MailConfig::parse("smtp://relay:x", "a@b.cn").is_err());
        assert!(MailConfig::parse("smtp://relay", "not an address").is_err());
    }

    /// A relay that takes every mail and remembers (recipient, data).
    pub(crate) async fn fake_relay() -> (u16, Arc<Mutex<Vec<(String, String)>>>) {
        let (port, got, _) = switchable_relay().await;
        (port, got)
    }

    /// [`fake_relay`] with a switch: while it is on, the relay greets with `421` (busy, try
    /// later) and hangs up, as a relay being restarted does.
    pub(crate) async fn switchable_relay() -> (
        u16,
        Arc<Mutex<Vec<(String, String)>>>,
        Arc<std::sync::atomic::AtomicBool>,
    ) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let seen = got.clone();
        let busy = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let refusing = busy.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let seen = seen.clone();
                let refusing = refusing.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    if refusing.load(std::sync::atomic::Ordering::SeqCst) {
                        let _ = write.write_all(b"421 fake relay busy\r\n").await;
                        return;
                    }
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 fake relay\r\n").await;
                    let mut rcpt = String::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO")
                        {
                            b"250 fake\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            rcpt = line[8..].trim().trim_matches(['<', '>']).to_string();
                            b"250 ok\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = write.write_all(b"354 go on\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            if let Ok(mut g) = seen.lock() {
                                g.push((rcpt.clone(), data));
                            }
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 ok\r\n"
                        };
                        let _ = write.write_all(reply).await;
                    }
                });
            }
        });
        (port, got, busy)
    }

    #[tokio::test]
    async fn alerts_reach_the_relay_for_the_accounts_with_an_address() {
        let (port, got) = fake_relay().await;
        let dir = std::env::temp_dir().join(format!("onewindow-mail-{}", uuid::Uuid::now_v7()));
        let url = onewindow_store::data_dir_url(&dir).expect("url");
        let store = onewindow_store::Store::open(&url).await.expect("store");
        let clock = Arc::new(ManualClock::at_local_morning(
            NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        ));
        let config = MailConfig::parse(&format!("smtp://127.0.0.1:{port}"), "onewindow@nh.gov.cn")
            .expect("config");
        let service = Service::new(store, Calendar::prc(), clock, "330226").with_mail(config);
        let operator = Actor::command_line("test");
        add_supervisor(&service).await;
        let refused = service
            .set_email(&operator, "sup", Some("not an address".into()))
            .await;
        assert!(matches!(refused, Err(AppError::Invalid(_))), "{refused:?}");
        service
            .set_email(&operator, "sup", Some("sup@nh.gov.cn".into()))
            .await
            .expect("address set");
        let message = OutboxMessage {
            id: "m1".into(),
            topic: onewindow_store::monitor::ALERT_TOPIC.into(),
            body: serde_json::to_string(&alert()).expect("json"),
        };
        let sent = service.deliver_mail(&[message]).await.expect("delivered");
        assert_eq!(sent, 1);
        let got = got.lock().map(|g| g.clone()).unwrap_or_default();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "sup@nh.gov.cn");
        assert!(got[0].1.contains("Subject:"), "{}", got[0].1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
