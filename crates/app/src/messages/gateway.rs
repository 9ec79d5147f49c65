//! The ways a message leaves the service: an SMS gateway (the county's HTTP interface, or a
//! logging one so that the demo needs nothing) and the SMTP relay for e-mail.
//!
//! The HTTP interface is the kind county SMS platforms offer: `POST` to the configured URL a
//! JSON body `{"id", "phone", "text"}` signed with the configured key — headers
//! `X-Onewindow-Timestamp` (Unix seconds) and `X-Onewindow-Signature` (`sha256=` and the hex
//! HMAC-SHA256 of `"<timestamp>.<body>"`), as onewindow's own courier webhook expects — and `Idempotency-Key`
//! (the message id), so the platform can drop a message sent twice. A 2xx answer is "taken";
//! 400, 404, 410 or 422 is a refusal for good (a number that is not one); anything else (429,
//! 5xx, no answer within 10 s) is tried again later.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use onewindow_domain::notice::mask_phone;

use crate::mail_config::MailConfig;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// What one try of sending came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Taken,
    /// Not now (the gateway is down or busy): try again.
    Later(String),
    /// Never (the address or the text is refused).
    Refused(String),
}

type HttpClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Full<Bytes>,
>;

/// Where SMS go.
#[derive(Clone)]
pub enum SmsGateway {
    /// Writes one line per SMS to the log (the last four digits of the number, never the
    /// whole): the default, so that the demo sends nothing anywhere.
    Logging,
    /// The county's gateway over HTTP (plain HTTP inside the government network).
    Http(Box<HttpGateway>),
}

/// The address, key and connection pool of a county's SMS gateway.
#[derive(Clone)]
pub struct HttpGateway {
    url: hyper::Uri,
    key: String,
    client: HttpClient,
}

impl std::fmt::Debug for SmsGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmsGateway::Logging => write!(f, "SmsGateway::Logging"),
            SmsGateway::Http(http) => write!(f, "SmsGateway::Http({})", http.url),
        }
    }
}

impl SmsGateway {
    /// The gateway at `url` (`http://host[:port]/path`), signing with `key`.
    pub fn http(url: &str, key: &str) -> Result<SmsGateway, String> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| format!("{url}: not an address ({e})"))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(format!(
                "{url}: the SMS gateway is reached as http://host[:port]/path inside the network"
            ));
        }
        if key.trim().is_empty() {
            return Err("the SMS gateway needs a key (--sms-key)".into());
        }
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(30))
                .build(connector);
        Ok(SmsGateway::Http(Box::new(HttpGateway {
            url: uri,
            key: key.to_string(),
            client,
        })))
    }

    /// Sends one SMS; `text` already carries the signature.
    pub async fn send(&self, id: &str, phone: &str, text: &str) -> Sent {
        match self {
            SmsGateway::Logging => {
                tracing::info!(id, to = %mask_phone(phone), chars = text.chars().count(), "SMS (logging gateway)");
                Sent::Taken
            }
            SmsGateway::Http(http) => {
                let HttpGateway { url, key, client } = http.as_ref();
                let body =
                    serde_json::json!({ "id": id, "phone": phone, "text": text }).to_string();
                let timestamp = chrono::Utc::now().timestamp().to_string();
                let signature = format!(
                    "sha256={}",
                    crate::delivery::webhook_signature(key, &timestamp, body.as_bytes())
                );
                let request = hyper::Request::post(url.clone())
                    .header(hyper::header::CONTENT_TYPE, "application/json")
                    .header("X-Onewindow-Timestamp", &timestamp)
                    .header("X-Onewindow-Signature", signature)
                    .header("Idempotency-Key", id)
                    .body(Full::new(Bytes::from(body)));
                let request = match request {
                    Ok(r) => r,
                    Err(e) => return Sent::Refused(format!("cannot build the request: {e}")),
                };
                // One timeout over the request and the reading of the answer: a gateway that
                // stalls halfway must not hold the sender (and its lock) for ever.
                let exchange = async {
                    let response = client.request(request).await?;
                    let status = response.status();
                    // Read out so the connection goes back to the pool; the words are not kept
                    // (a gateway may quote the number back).
                    let _ = response.into_body().collect().await;
                    Ok::<_, hyper_util::client::legacy::Error>(status)
                };
                match tokio::time::timeout(RESPONSE_TIMEOUT, exchange).await {
                    Err(_) => Sent::Later("the SMS gateway did not answer within 10 s".into()),
                    Ok(Err(e)) if e.is_connect() => {
                        Sent::Later("the SMS gateway is not reachable".into())
                    }
                    Ok(Err(_)) => Sent::Later("the SMS gateway broke off the exchange".into()),
                    Ok(Ok(status)) => match status.as_u16() {
                        200..=299 => Sent::Taken,
                        400 | 404 | 410 | 422 => {
                            Sent::Refused(format!("the SMS gateway refused it ({status})"))
                        }
                        _ => Sent::Later(format!("the SMS gateway answered {status}")),
                    },
                }
            }
        }
    }
}

/// Sends one e-mail through the relay.
pub async fn send_mail(
    config: &MailConfig,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    to: &str,
    subject: &str,
    body: &str,
) -> Sent {
    let Ok(to) = to.parse::<Mailbox>() else {
        return Sent::Refused("the e-mail address does not parse".into());
    };
    let built = lettre::Message::builder()
        .from(config.from.clone())
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_string());
    let built = match built {
        Ok(m) => m,
        Err(e) => return Sent::Refused(format!("cannot build the mail: {e}")),
    };
    // The relay's reply may quote the address: only its code is kept.
    let code = |e: &lettre::transport::smtp::Error| {
        e.status()
            .map_or_else(|| "no reply".to_string(), |c| c.to_string())
    };
    match transport.send(built).await {
        Ok(_) => Sent::Taken,
        Err(e) if e.is_permanent() => {
            Sent::Refused(format!("the SMTP relay refused it ({})", code(&e)))
        }
        Err(e) => Sent::Later(format!("the SMTP relay did not take it ({})", code(&e))),
    }
}

/// A transport to the relay (its connections are opened per send).
pub fn smtp_transport(config: &MailConfig) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
        .port(config.port)
        .timeout(Some(RESPONSE_TIMEOUT))
        .build()
}
