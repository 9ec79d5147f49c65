//! Who acts: a principal, where the request came from, and through which session or token.

use chrono::{DateTime, Utc};
use onewindow_domain::access::{Post, Principal, Role};
use onewindow_domain::audit::{AuditEntry, Outcome};

/// Who is acting, from where, and through which session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub principal: Principal,
    /// The network address (or `cli`, `system`) the request came from, for the audit trail.
    pub source: String,
    /// The login session or API token the request came with.
    pub session_id: Option<String>,
    /// True when the request came with a long-lived API token rather than a login session.
    pub via_api_token: bool,
}

impl Actor {
    pub fn new(principal: Principal, source: impl Into<String>) -> Self {
        Self {
            principal,
            source: source.into(),
            session_id: None,
            via_api_token: false,
        }
    }

    /// The service itself, for what the law does on its own (acceptance by lapse of time).
    pub fn system() -> Self {
        Self::new(Principal::system(), "system")
    }

    /// An operator at the server's command line: whoever can run the binary against the store
    /// already holds the database, so the command line acts as an administrator.
    pub fn command_line(operator: &str) -> Self {
        let name = format!("cli:{operator}");
        Self::new(
            Principal {
                user_id: name.clone(),
                username: name.clone(),
                display_name: name,
                identity: None,
                posts: vec![Post::new(Role::Administrator)],
                may_reveal_personal_data: false,
            },
            "cli",
        )
    }

    /// Someone without an account, for what the public may read (the market's lists): no role,
    /// no identity, so every rule answers as for a stranger.
    pub fn anonymous(source: impl Into<String>) -> Self {
        Self::new(
            Principal {
                user_id: "anonymous".into(),
                username: String::new(),
                display_name: String::new(),
                identity: None,
                posts: Vec::new(),
                may_reveal_personal_data: false,
            },
            source,
        )
    }

    pub fn username(&self) -> &str {
        &self.principal.username
    }

    /// An audit entry for something this actor did.
    pub(crate) fn entry(
        &self,
        at: DateTime<Utc>,
        action: &str,
        target: impl Into<String>,
        outcome: Outcome,
        detail: impl Into<String>,
    ) -> AuditEntry {
        AuditEntry {
            at: at.to_rfc3339(),
            actor: self.principal.username.clone(),
            role: self.principal.roles_text(),
            source: self.source.clone(),
            action: action.to_string(),
            target: target.into(),
            outcome,
            detail: detail.into(),
        }
    }
}
