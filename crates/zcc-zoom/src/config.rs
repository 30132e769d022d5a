//! Where Zoom is, who we are to it, and how patiently we retry.

use std::fmt;
use std::time::Duration;

use crate::ZoomError;

/// The default base URL of the REST API.
pub const DEFAULT_API_URL: &str = "https://api.zoom.us";
/// The default base URL of Zoom's OAuth server.
pub const DEFAULT_OAUTH_URL: &str = "https://zoom.us";

/// A value that must never be shown: the client secret, an access token. `Debug` and
/// `Display` print `***`; [`Secret::expose`] is the one way to the value, used only to put it
/// into a request header.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A Server-to-Server OAuth app's credentials and the base URLs (SPEC 7: `ZCC_ZOOM_*`).
#[derive(Debug, Clone)]
pub struct ZoomConfig {
    /// `ZCC_ZOOM_API_URL`, default [`DEFAULT_API_URL`].
    pub api_url: String,
    /// `ZCC_ZOOM_OAUTH_URL`, default [`DEFAULT_OAUTH_URL`].
    pub oauth_url: String,
    /// `ZCC_ZOOM_ACCOUNT_ID`.
    pub account_id: String,
    /// `ZCC_ZOOM_CLIENT_ID`.
    pub client_id: String,
    /// `ZCC_ZOOM_CLIENT_SECRET`.
    pub client_secret: Secret,
    /// `ZCC_ZOOM_APP_ID`: the app whose webhook delivery logs are read (only the logs need it).
    pub app_id: Option<String>,
    pub retry: Retry,
}

impl ZoomConfig {
    /// Credentials with the default base URLs and retry policy.
    pub fn new(
        account_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Secret,
    ) -> ZoomConfig {
        ZoomConfig {
            api_url: DEFAULT_API_URL.to_owned(),
            oauth_url: DEFAULT_OAUTH_URL.to_owned(),
            account_id: account_id.into(),
            client_id: client_id.into(),
            client_secret,
            app_id: None,
            retry: Retry::default(),
        }
    }

    /// Check that every setting is present and the URLs are http(s); the error names the
    /// setting by its environment variable.
    pub fn validate(&self) -> Result<(), ZoomError> {
        for (name, value) in [
            ("ZCC_ZOOM_ACCOUNT_ID", self.account_id.as_str()),
            ("ZCC_ZOOM_CLIENT_ID", self.client_id.as_str()),
        ] {
            if value.trim().is_empty() {
                return Err(ZoomError::Config(format!("{name} is not set")));
            }
        }
        if self.client_secret.is_empty() {
            return Err(ZoomError::Config(
                "ZCC_ZOOM_CLIENT_SECRET is not set".into(),
            ));
        }
        for (name, url) in [
            ("ZCC_ZOOM_API_URL", &self.api_url),
            ("ZCC_ZOOM_OAUTH_URL", &self.oauth_url),
        ] {
            if reqwest::Url::parse(url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
                .is_none()
            {
                return Err(ZoomError::Config(format!(
                    "{name} {url:?} is not an http(s) URL"
                )));
            }
        }
        Ok(())
    }
}

/// How rate limits (429), server errors (5xx) and network failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The wait before the first retry when Zoom names none; it doubles with each retry.
    pub base: Duration,
    /// The longest wait, whatever `Retry-After` asks.
    pub max_wait: Duration,
    /// How long one request may take.
    pub timeout: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 6,
            base: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
        }
    }
}

impl Retry {
    /// The wait before retry number `retry` (1 for the first), when Zoom names none.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32 << retry.saturating_sub(1).min(16);
        self.base.saturating_mul(factor).min(self.max_wait)
    }
}
