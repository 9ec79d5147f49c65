//! Where and as whom alerts are mailed: the SMTP relay of the county, read at start.

use lettre::message::Mailbox;

/// Where and as whom alerts are mailed.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The relay's host and port, from `smtp://host[:port]` (port 25 by default).
    pub host: String,
    pub port: u16,
    pub from: Mailbox,
}

impl MailConfig {
    /// Reads `smtp://host[:port]` and the sender address.
    pub fn parse(url: &str, from: &str) -> Result<MailConfig, String> {
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| format!("{url}: an SMTP relay is smtp://host[:port]"))?;
        let (host, port) = match rest.trim_end_matches('/').rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| format!("{url}: the port is not a number"))?,
            ),
            None => (rest.trim_end_matches('/'), 25),
        };
        if host.is_empty() {
            return Err(format!("{url}: no host"));
        }
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("{from}: not a sender address ({e})"))?;
        Ok(MailConfig {
            host: host.to_string(),
            port,
            from,
        })
    }
}
