//! The messages of a case as the window sees them (通知发送情况): what went where (masked),
//! and whether it arrived, is waiting for another try, or was given up; and the messages given
//! up for the hall's monitor.

use onewindow_app::messages::CaseMessage;
use onewindow_domain::notice::{MessageChannel, MessageState};

use crate::i18n::Messages;

/// One message as a table row.
pub struct MessageLine {
    pub case_number: String,
    pub subject: String,
    pub channel: &'static str,
    pub to: String,
    pub state: &'static str,
    /// `ok`, `warn` or `error`, for the badge.
    pub tone: &'static str,
    pub attempts: u32,
    pub at: String,
    /// The next try and the last error, when there are.
    pub detail: String,
}

fn channel_key(channel: MessageChannel) -> &'static str {
    match channel {
        MessageChannel::Inbox => "messages-channel-inbox",
        MessageChannel::Sms => "messages-channel-sms",
        MessageChannel::Email => "messages-channel-email",
    }
}

fn state_key(state: MessageState) -> (&'static str, &'static str) {
    match state {
        MessageState::Pending => ("messages-state-pending", "warn"),
        MessageState::Sent => ("messages-state-sent", "ok"),
        MessageState::GivenUp => ("messages-state-given_up", "error"),
    }
}

/// The rows of `messages`, in words of `t`.
pub fn lines(t: &'static Messages, messages: Vec<CaseMessage>) -> Vec<MessageLine> {
    messages
        .into_iter()
        .map(|m| {
            let (state, tone) = state_key(m.state);
            let mut detail = Vec::new();
            if let Some(at) = m
                .next_attempt_at
                .filter(|_| m.state == MessageState::Pending)
            {
                detail.push(t.fill1("messages-next-try", "at", t.time(&at)));
            }
            if let Some(e) = m.last_error {
                detail.push(e);
            }
            MessageLine {
                case_number: m.case_number,
                subject: m.subject,
                channel: t.get(channel_key(m.channel)),
                to: if m.channel == MessageChannel::Inbox {
                    t.get("messages-channel-inbox").to_string()
                } else {
                    m.to
                },
                state: t.get(state),
                tone,
                attempts: m.attempts,
                at: t.time(&m.sent_at.unwrap_or(m.created_at)),
                detail: detail.join(" · "),
            }
        })
        .collect()
}
