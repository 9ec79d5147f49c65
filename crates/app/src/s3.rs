//! Uploaded files in an S3-compatible object store (MinIO, Ceph, …) instead of `DATA/files`, for
//! several nodes that share no disk. Opened once at start-up and checked there: a node whose
//! bucket cannot be reached must not start serving and fail every upload later.
//!
//! The store is spoken to in plain HTTP (`http://` endpoints inside the government network):
//! onewindow compiles no TLS stack for it, as for SMTP and NATS. object_store's own HTTP client is
//! reqwest with rustls and aws-lc-rs; instead requests go through hyper's client
//! ([`PlainHttp`]), and SigV4 signatures are computed with sha2 + hmac ([`Sha2Crypto`]): crates
//! the workspace builds anyway.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hmac::{KeyInit, Mac};
use http_body_util::BodyExt;
use object_store::aws::AmazonS3Builder;
use object_store::client::{
    CryptoProvider, DigestAlgorithm, DigestContext, HmacContext, HttpClient, HttpConnector,
    HttpError, HttpErrorKind, HttpRequest, HttpRequestBody, HttpResponse, HttpResponseBody,
    HttpService, Signer, SigningAlgorithm,
};
use object_store::path::Path as StorePath;
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, ObjectStore, RetryConfig};
use sha2::{Digest, Sha256};

/// The region when none is given; MinIO and Ceph accept any and most are set up with this one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Why the S3 file store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("--files {url}: {reason} (expected s3://BUCKET or s3://BUCKET/PREFIX)")]
    BadUrl { url: String, reason: String },
    #[error("--s3-endpoint {endpoint}: {reason}")]
    BadEndpoint { endpoint: String, reason: String },
    #[error(
        "--files {url} needs an endpoint: give --s3-endpoint http://HOST:PORT (ONEWINDOW_S3_ENDPOINT) of the S3-compatible server"
    )]
    NoEndpoint { url: String },
    #[error(
        "--files {url}: no credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the bucket"
    )]
    NoCredentials { url: String },
    #[error("cannot open bucket {bucket} at {endpoint}: {source}")]
    Open {
        bucket: String,
        endpoint: String,
        source: object_store::Error,
    },
    /// The start-up listing failed; `reason` is object_store's message, whose text already holds
    /// its whole chain of causes (kept as text so that it is printed once).
    #[error("cannot reach bucket {bucket} at {endpoint}: {reason}")]
    Unreachable {
        bucket: String,
        endpoint: String,
        reason: String,
    },
}

/// Where the files go: `s3://BUCKET[/PREFIX]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Keys are put under it (`PREFIX/uploads/…`); empty for the bucket's root.
    pub prefix: String,
}

impl S3Location {
    /// Parses `s3://BUCKET[/PREFIX]`.
    pub fn parse(url: &str) -> Result<Self, S3Error> {
        let bad = |reason: &str| S3Error::BadUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| bad("not an s3:// URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if !is_bucket_name(bucket) {
            return Err(bad(
                "the bucket name must be 3 to 63 lower-case letters, digits, dots or hyphens",
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.contains("//") || prefix.contains(['?', '#']) {
            return Err(bad("the prefix must be a plain path"));
        }
        // The prefix becomes a store path; what that refuses (`..`, control characters) is
        // refused here, at start-up.
        StorePath::parse(prefix).map_err(|e| bad(&e.to_string()))?;
        Ok(Self {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

impl std::fmt::Display for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// The S3 naming rules that matter for path-style requests.
fn is_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Everything needed to open the store.
#[derive(Clone)]
pub struct S3Config {
    pub location: S3Location,
    /// `http://host:port` of the server.
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// For temporary credentials (`AWS_SESSION_TOKEN`).
    pub session_token: Option<String>,
}

// By hand: the secret must not reach a log through `{:?}`.
impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("location", &self.location)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl S3Config {
    /// The configuration of `--files URL`, with its endpoint and region, and the credentials
    /// (from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` at the edge).
    pub fn new(
        url: &str,
        endpoint: Option<&str>,
        region: Option<&str>,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
        session_token: Option<String>,
    ) -> Result<Self, S3Error> {
        let location = S3Location::parse(url)?;
        let endpoint = endpoint
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .ok_or_else(|| S3Error::NoEndpoint {
                url: url.to_string(),
            })?;
        check_endpoint(endpoint)?;
        let non_empty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let (Some(access_key_id), Some(secret_access_key)) =
            (non_empty(access_key_id), non_empty(secret_access_key))
        else {
            // Without keys object_store would ask the cloud's instance metadata service, which
            // does not exist inside the county network: the node would hang at start.
            return Err(S3Error::NoCredentials {
                url: url.to_string(),
            });
        };
        Ok(Self {
            location,
            endpoint: endpoint.trim_end_matches('/').to_string(),
            region: region
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .unwrap_or(DEFAULT_REGION)
                .to_string(),
            access_key_id,
            secret_access_key,
            session_token: non_empty(session_token),
        })
    }
}

fn check_endpoint(endpoint: &str) -> Result<(), S3Error> {
    let bad = |reason: &str| S3Error::BadEndpoint {
        endpoint: endpoint.to_string(),
        reason: reason.to_string(),
    };
    if endpoint.starts_with("https://") {
        return Err(bad(
            "https is not supported: onewindow reaches the object store in plain HTTP inside the network (no TLS is compiled in); give an http:// endpoint, or one of a TLS-terminating proxy on this host",
        ));
    }
    let host = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| bad("expected http://HOST[:PORT]"))?
        .trim_end_matches('/');
    if host.is_empty() || host.contains(['/', '?', '#', '@', ' ']) {
        return Err(bad("expected http://HOST[:PORT], without a path"));
    }
    Ok(())
}

/// Opens the bucket and checks once that it answers (a listing of the prefix), so that a wrong
/// endpoint, bucket or key stops the node at start-up with the bucket and endpoint named.
pub async fn open(config: &S3Config) -> Result<Arc<dyn ObjectStore>, S3Error> {
    let builder = AmazonS3Builder::new()
        .with_bucket_name(&config.location.bucket)
        .with_endpoint(&config.endpoint)
        .with_region(&config.region)
        .with_access_key_id(&config.access_key_id)
        .with_secret_access_key(&config.secret_access_key)
        .with_allow_http(true)
        // Path-style (http://host/bucket/key): what MinIO and Ceph serve without wildcard DNS.
        .with_virtual_hosted_style_request(false)
        .with_crypto_provider(Arc::new(Sha2Crypto))
        .with_http_connector(PlainHttp)
        .with_client_options(ClientOptions::new().with_allow_http(true));
    let builder = match &config.session_token {
        Some(token) => builder.with_token(token),
        None => builder,
    };
    let build = |builder: AmazonS3Builder| {
        builder.build().map_err(|source| S3Error::Open {
            bucket: config.location.bucket.clone(),
            endpoint: config.endpoint.clone(),
            source,
        })
    };
    // The check gives up at once: the default retries would hold a misconfigured node for
    // minutes before it says what is wrong. Serving keeps them, for a server that restarts.
    let probe = with_prefix(
        build(builder.clone().with_retry(RetryConfig {
            max_retries: 0,
            retry_timeout: Duration::from_secs(10),
            ..RetryConfig::default()
        }))?,
        &config.location.prefix,
    );
    probe
        .list_with_delimiter(None)
        .await
        .map_err(|e| S3Error::Unreachable {
            bucket: config.location.bucket.clone(),
            endpoint: config.endpoint.clone(),
            reason: explain(&e),
        })?;
    Ok(with_prefix(build(builder)?, &config.location.prefix))
}

/// The usual causes in words, before the server's own answer.
fn explain(error: &object_store::Error) -> String {
    let text = error.to_string();
    let cause = if text.contains("NoSuchBucket") {
        "there is no such bucket (create it first)"
    } else if [
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "403 Forbidden",
    ]
    .iter()
    .any(|code| text.contains(code))
    {
        "the server refuses these keys (check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's policy)"
    } else {
        return text;
    };
    format!("{cause}; the server said: {text}")
}

fn with_prefix(store: object_store::aws::AmazonS3, prefix: &str) -> Arc<dyn ObjectStore> {
    if prefix.is_empty() {
        Arc::new(store)
    } else {
        Arc::new(PrefixStore::new(store, prefix))
    }
}

/// How long a connection may take to open; the servers are inside the network.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request may wait for its response's head (a 10 MB upload on a slow link included);
/// object_store retries an idempotent request that times out.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);

/// object_store's HTTP client over hyper, plain HTTP/1.1 only.
#[derive(Debug)]
struct PlainHttp;

impl HttpConnector for PlainHttp {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        connector.set_nodelay(true);
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(30))
                .build(connector);
        Ok(HttpClient::new(PlainHttpService { client }))
    }
}

#[derive(Debug)]
struct PlainHttpService {
    client: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        HttpRequestBody,
    >,
}

// The trait is declared with `async_trait`; this is its expanded form, without the macro crate.
impl HttpService for PlainHttpService {
    fn call<'a, 'b>(
        &'a self,
        request: HttpRequest,
    ) -> Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        Box::pin(async move {
            let response = tokio::time::timeout(RESPONSE_TIMEOUT, self.client.request(request))
                .await
                .map_err(|elapsed| HttpError::new(HttpErrorKind::Timeout, elapsed))?
                .map_err(|e| {
                    // Connect errors are retried whatever the method; others only when safe.
                    let kind = if e.is_connect() {
                        HttpErrorKind::Connect
                    } else {
                        HttpErrorKind::Request
                    };
                    HttpError::new(kind, e)
                })?;
            let (parts, body) = response.into_parts();
            let body = body.map_err(|e| {
                let kind = if e.is_incomplete_message() || e.is_closed() {
                    HttpErrorKind::Interrupted
                } else {
                    HttpErrorKind::Unknown
                };
                HttpError::new(kind, e)
            });
            Ok(HttpResponse::from_parts(parts, HttpResponseBody::new(body)))
        })
    }
}

/// SigV4 needs SHA-256 and HMAC-SHA256 only; sha2 and hmac are pure Rust and already built for
/// the PostgreSQL driver, where aws-lc-rs would add a C build. RSA signing is for Google Cloud
/// service accounts and never asked for by the S3 client.
#[derive(Debug)]
struct Sha2Crypto;

impl CryptoProvider for Sha2Crypto {
    fn digest(&self, algorithm: DigestAlgorithm) -> object_store::Result<Box<dyn DigestContext>> {
        match algorithm {
            DigestAlgorithm::Sha256 => Ok(Box::new(Sha256Context {
                hasher: Sha256::new(),
                out: Vec::new(),
            })),
            other => Err(unsupported(format!("digest {other:?}"))),
        }
    }

    fn hmac(
        &self,
        algorithm: DigestAlgorithm,
        secret: &[u8],
    ) -> object_store::Result<Box<dyn HmacContext>> {
        match algorithm {
            DigestAlgorithm::Sha256 => {
                let mac = hmac::Hmac::<Sha256>::new_from_slice(secret)
                    .map_err(|e| unsupported(format!("HMAC key: {e}")))?;
                Ok(Box::new(HmacSha256Context {
                    mac: Some(mac),
                    out: Vec::new(),
                }))
            }
            other => Err(unsupported(format!("HMAC {other:?}"))),
        }
    }

    fn sign(
        &self,
        algorithm: SigningAlgorithm,
        _pem: &[u8],
    ) -> object_store::Result<Box<dyn Signer>> {
        Err(unsupported(format!("signing with {algorithm:?}")))
    }
}

fn unsupported(what: String) -> object_store::Error {
    object_store::Error::NotSupported {
        source: format!("{what} is not available in onewindow's S3 client").into(),
    }
}

struct Sha256Context {
    hasher: Sha256,
    out: Vec<u8>,
}

impl DigestContext for Sha256Context {
    fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
    }

    fn finish(&mut self) -> object_store::Result<&[u8]> {
        self.out = std::mem::take(&mut self.hasher).finalize().to_vec();
        Ok(&self.out)
    }
}

struct HmacSha256Context {
    // Taken by `finish`, which consumes the MAC.
    mac: Option<hmac::Hmac<Sha256>>,
    out: Vec<u8>,
}

impl HmacContext for HmacSha256Context {
    fn update(&mut self, data: &[u8]) {
        if let Some(mac) = self.mac.as_mut() {
            mac.update(data);
        }
    }

    fn finish(&mut self) -> object_store::Result<&[u8]> {
        let mac = self
            .mac
            .take()
            .ok_or_else(|| unsupported("a second HMAC finish".into()))?;
        self.out = mac.finalize().into_bytes().to_vec();
        Ok(&self.out)
    }
}

/// For the tests of this crate and the web's: a fresh bucket on the S3-compatible server at
/// `ONEWINDOW_TEST_S3` (e.g. `http://127.0.0.1:9000`, moto or MinIO with the keys
/// `ONEWINDOW_TEST_S3_KEY`/`ONEWINDOW_TEST_S3_SECRET`, default `testing`), opened as `--files` would
/// open it. `None` (the test prints SKIPPED) when no server answers, unless
/// `ONEWINDOW_S3_TESTS=required` (as in CI), which makes the test fail.
#[doc(hidden)]
pub mod testing {
    use super::*;
    use object_store::aws::{AwsAuthorizer, AwsCredential};

    pub fn test_endpoint() -> Option<String> {
        std::env::var("ONEWINDOW_TEST_S3")
            .ok()
            .filter(|e| !e.trim().is_empty())
    }

    fn required() -> bool {
        std::env::var("ONEWINDOW_S3_TESTS").as_deref() == Ok("required")
    }

    /// The configuration of a new, empty bucket of its own for `test`, or `None` to skip.
    pub async fn fresh_bucket(test: &str) -> Option<S3Config> {
        let Some(endpoint) = test_endpoint() else {
            assert!(
                !required(),
                "{test}: ONEWINDOW_S3_TESTS=required but ONEWINDOW_TEST_S3 names no server"
            );
            eprintln!("SKIPPED {test}: no S3-compatible server (set ONEWINDOW_TEST_S3)");
            return None;
        };
        let bucket = format!("onewindow-test-{}", uuid::Uuid::now_v7().simple());
        let config = S3Config::new(
            &format!("s3://{bucket}/county"),
            Some(&endpoint),
            None,
            Some(std::env::var("ONEWINDOW_TEST_S3_KEY").unwrap_or_else(|_| "testing".into())),
            Some(std::env::var("ONEWINDOW_TEST_S3_SECRET").unwrap_or_else(|_| "testing".into())),
            None,
        )
        .unwrap_or_else(|e| panic!("{test}: ONEWINDOW_TEST_S3={endpoint}: {e}"));
        match create_bucket(&config).await {
            Ok(()) => Some(config),
            Err(e) => {
                assert!(
                    !required(),
                    "{test}: cannot create a bucket at {endpoint} and ONEWINDOW_S3_TESTS=required: {e}"
                );
                eprintln!("SKIPPED {test}: no S3-compatible server answers at {endpoint}: {e}");
                None
            }
        }
    }

    /// `PUT /BUCKET`, signed like every other request (MinIO refuses anonymous ones).
    pub async fn create_bucket(config: &S3Config) -> Result<(), String> {
        let client = PlainHttp
            .connect(&ClientOptions::new())
            .map_err(|e| e.to_string())?;
        let mut request = HttpRequest::new(HttpRequestBody::empty());
        *request.method_mut() = hyper::Method::PUT;
        *request.uri_mut() = format!("{}/{}", config.endpoint, config.location.bucket)
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| e.to_string())?;
        let credential = AwsCredential {
            key_id: config.access_key_id.clone(),
            secret_key: config.secret_access_key.clone(),
            token: config.session_token.clone(),
        };
        AwsAuthorizer::new(&credential, "s3", &config.region)
            .with_crypto(&Sha2Crypto)
            .try_authorize(&mut request, None)
            .map_err(|e| e.to_string())?;
        let response = tokio::time::timeout(Duration::from_secs(5), client.execute(request))
            .await
            .map_err(|_| "no answer in 5 s".to_string())?
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("PUT bucket answered {}", response.status()))
        }
    }
}

#[cfg(test)]
mod tests {
    use object_store::ObjectStoreExt;

    use super::*;

    #[test]
    fn locations_are_a_bucket_and_an_optional_prefix() {
        assert_eq!(
            S3Location::parse("s3://onewindow-files").expect("bucket"),
            S3Location {
                bucket: "onewindow-files".into(),
                prefix: String::new()
            }
        );
        let nested = S3Location::parse("s3://nh.files/county/330226/").expect("prefix");
        assert_eq!(nested.prefix, "county/330226");
        assert_eq!(nested.to_string(), "s3://nh.files/county/330226");
        for bad in [
            "onewindow-files",
            "file:///srv/files",
            "s3://",
            "s3://ab",
            "s3://Upper",
            "s3://-dash",
            "s3://bucket/a//b",
            "s3://bucket/a/../b",
        ] {
            let error = S3Location::parse(bad).expect_err(bad);
            assert!(
                error.to_string().contains(bad),
                "the message names the URL: {error}"
            );
        }
    }

    #[test]
    fn the_configuration_needs_an_http_endpoint_and_keys() {
        let key = || Some("key".to_string());
        let secret = || Some("secret".to_string());
        let config = S3Config::new(
            "s3://files",
            Some("http://10.0.0.9:9000/"),
            None,
            key(),
            secret(),
            None,
        )
        .expect("config");
        assert_eq!(config.endpoint, "http://10.0.0.9:9000");
        assert_eq!(config.region, DEFAULT_REGION);
        assert!(
            !format!("{config:?}").contains("secret"),
            "no secret in logs"
        );

        let no_endpoint = S3Config::new("s3://files", None, None, key(), secret(), None);
        assert!(matches!(no_endpoint, Err(S3Error::NoEndpoint { .. })));
        let tls = S3Config::new(
            "s3://files",
            Some("https://s3"),
            None,
            key(),
            secret(),
            None,
        );
        assert!(matches!(tls, Err(S3Error::BadEndpoint { .. })));
        let path = S3Config::new(
            "s3://files",
            Some("http://h:9000/x"),
            None,
            key(),
            secret(),
            None,
        );
        assert!(matches!(path, Err(S3Error::BadEndpoint { .. })));
        let no_keys = S3Config::new(
            "s3://files",
            Some("http://h:9000"),
            None,
            None,
            Some(String::new()),
            None,
        );
        assert!(matches!(no_keys, Err(S3Error::NoCredentials { .. })));
    }

    #[test]
    fn the_signing_primitives_match_the_published_vectors() {
        // RFC 4231 test case 2 and the SHA-256 of "abc" (FIPS 180-2).
        let mut mac = Sha2Crypto
            .hmac(DigestAlgorithm::Sha256, b"Jefe")
            .expect("hmac");
        mac.update(b"what do ya want ");
        mac.update(b"for nothing?");
        assert_eq!(
            hex(mac.finish().expect("tag")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let mut digest = Sha2Crypto.digest(DigestAlgorithm::Sha256).expect("digest");
        digest.update(b"abc");
        assert_eq!(
            hex(digest.finish().expect("digest")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[tokio::test]
    async fn a_closed_endpoint_is_named_at_start_without_waiting_for_retries() {
        // Port 9 (discard) is closed on any test machine.
        let config = S3Config::new(
            "s3://onewindow-files",
            Some("http://127.0.0.1:9"),
            None,
            Some("key".into()),
            Some("secret".into()),
            None,
        )
        .expect("config");
        let started = std::time::Instant::now();
        let Err(error) = open(&config).await else {
            panic!("nothing listens there");
        };
        let message = error.to_string();
        assert!(
            message.contains("onewindow-files") && message.contains("http://127.0.0.1:9"),
            "{message}"
        );
        assert!(started.elapsed() < Duration::from_secs(10), "no retries");
    }

    #[tokio::test]
    async fn a_missing_bucket_is_named_at_start() {
        let Some(mut config) = testing::fresh_bucket("a_missing_bucket_is_named_at_start").await
        else {
            return;
        };
        config.location.bucket = format!("{}-absent", config.location.bucket);
        let Err(error) = open(&config).await else {
            panic!("the bucket does not exist");
        };
        assert!(matches!(error, S3Error::Unreachable { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains(&config.location.bucket), "{message}");
        assert!(message.contains("there is no such bucket"), "{message}");
    }

    #[tokio::test]
    async fn files_round_trip_on_s3_and_a_missing_one_is_not_found_as_on_disk() {
        let test = "files_round_trip_on_s3_and_a_missing_one_is_not_found_as_on_disk";
        let Some(config) = testing::fresh_bucket(test).await else {
            return;
        };
        let node_a = open(&config).await.expect("opens");
        let node_b = open(&config).await.expect("a second node opens it");
        let dir = std::env::temp_dir().join(format!("onewindow-s3-{}", uuid::Uuid::now_v7()));
        let disk = crate::files::local_file_store(&dir).expect("disk");

        let key = StorePath::from("uploads/2026/11/02/one");
        let bytes = b"%PDF-1.7 a scanned licence".to_vec();
        node_a
            .put(&key, object_store::PutPayload::from(bytes.clone()))
            .await
            .expect("put");
        let read = node_b
            .get(&key)
            .await
            .expect("the other node sees it")
            .bytes()
            .await
            .expect("bytes");
        assert_eq!(read.as_ref(), bytes.as_slice());

        let missing = StorePath::from("uploads/2026/11/02/none");
        for (store, name) in [(&node_a, "s3"), (&disk, "disk")] {
            match store.get(&missing).await {
                Err(object_store::Error::NotFound { .. }) => {}
                Err(other) => panic!("{name}: not the not-found error: {other:?}"),
                Ok(_) => panic!("{name}: nothing is there"),
            }
        }
        node_b.delete(&key).await.expect("delete");
        assert!(matches!(
            node_a.get(&key).await,
            Err(object_store::Error::NotFound { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
