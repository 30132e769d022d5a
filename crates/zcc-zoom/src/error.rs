//! What can go wrong talking to Zoom. Every message names the endpoint and what was wrong;
//! none carries the client secret or a token (SPEC I8): they are never put into one.

/// A failed call to Zoom.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ZoomError {
    /// A setting is missing or unusable (a credential not set, a base URL that is no URL).
    #[error("Zoom API configuration: {0}")]
    Config(String),
    /// Zoom refused the credentials (wrong client id or secret, wrong account, app disabled).
    #[error(
        "Zoom refused the credentials of client {client_id} for account {account_id} at \
         {url}: HTTP {status}: {message}"
    )]
    Auth {
        url: String,
        client_id: String,
        account_id: String,
        status: u16,
        message: String,
    },
    /// Zoom answered a request with an error that retrying will not cure (400, 403, 404, ...).
    #[error("Zoom answered {endpoint} with HTTP {status}: {message}")]
    Api {
        endpoint: String,
        status: u16,
        message: String,
    },
    /// Rate limits, server errors or the network did not let up within the retries allowed.
    #[error("{endpoint}: gave up after {attempts} attempts; the last: {last}")]
    GaveUp {
        endpoint: String,
        attempts: u32,
        last: String,
    },
    /// Zoom answered 2xx with something that is not the JSON object the endpoint promises.
    #[error("Zoom's answer to {endpoint} is not readable: {reason}")]
    Decode { endpoint: String, reason: String },
}
