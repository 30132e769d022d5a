//! `serve`'s configuration: one clap [`ServeArgs`], every flag with its `ZCC_` environment twin,
//! and the [`Secret`] wrapper that keeps webhook secrets and API tokens out of every printout.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use crate::error::ServeError;

/// Default `--listen`: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default `--max-body-bytes`: 1 MiB (SPEC 3.1).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1_048_576;
/// Default `--timestamp-tolerance-secs` (SPEC 3.1).
pub const DEFAULT_TIMESTAMP_TOLERANCE_SECS: u64 = 300;
/// Default `--max-batch`: events per group commit (research limits.md, row 6c).
pub const DEFAULT_MAX_BATCH: usize = 1000;
/// Default `--storage-timeout-ms`: a webhook whose storage has not answered by then gets 503,
/// well inside Zoom's 3 s.
pub const DEFAULT_STORAGE_TIMEOUT_MS: u64 = 2_000;
/// Default `--header-timeout-ms`: the longest a connection may take to send a request's
/// headers, also how long an idle keep-alive connection is kept.
pub const DEFAULT_HEADER_TIMEOUT_MS: u64 = 5_000;
/// Default `--body-timeout-ms`: the longest a request body may take to arrive whole.
pub const DEFAULT_BODY_TIMEOUT_MS: u64 = 3_000;
/// Default `--max-connections`: connections served at once; more are answered 503.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1_024;
/// Default `--backfill-every`: Zoom gives up on a delivery after about 85 minutes, so an
/// hourly backfill closes a hole within an hour of that (`docs/RECONCILE.md`).
pub const DEFAULT_BACKFILL_EVERY: &str = "1h";

/// A secret value (webhook secret token, API token). Its `Debug` never shows the value and it
/// has no `Display`, so it cannot reach a log line by accident (SPEC I8).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for keying an HMAC or comparing a token. Never print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    /// Surrounding whitespace is dropped (`a, b` in a comma-separated list means `a` and `b`).
    fn from_str(s: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(s.trim().to_owned()))
    }
}

/// Configuration of `zcc-ledger serve`. Every flag has an environment twin `ZCC_` + the flag.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. Beyond loopback an API token is required.
    #[arg(long, env = "ZCC_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// Zoom webhook secret token(s), comma-separated (several Zoom apps, or rotation).
    #[arg(
        long,
        env = "ZCC_WEBHOOK_SECRET",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub webhook_secret: Vec<Secret>,

    /// Bearer token for `/api` (required to listen beyond loopback).
    #[arg(long, env = "ZCC_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<Secret>,

    /// Largest webhook body accepted; larger ones are answered 413.
    #[arg(long, env = "ZCC_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,

    /// How far `x-zm-request-timestamp` may be from now, either way, before a 401.
    #[arg(long, env = "ZCC_TIMESTAMP_TOLERANCE_SECS", default_value_t = DEFAULT_TIMESTAMP_TOLERANCE_SECS)]
    pub timestamp_tolerance_secs: u64,

    /// Most events one group commit appends.
    #[arg(long, env = "ZCC_MAX_BATCH", default_value_t = DEFAULT_MAX_BATCH)]
    pub max_batch: usize,

    /// How long a webhook waits for storage (append, delivery row, quarantine) before it is
    /// answered 503; `serve` also sets the database's own lock waits to it.
    #[arg(long, env = "ZCC_STORAGE_TIMEOUT_MS", default_value_t = DEFAULT_STORAGE_TIMEOUT_MS)]
    pub storage_timeout_ms: u64,

    /// How long a connection may take to send a request's headers; also how long an idle
    /// keep-alive connection is kept.
    #[arg(long, env = "ZCC_HEADER_TIMEOUT_MS", default_value_t = DEFAULT_HEADER_TIMEOUT_MS)]
    pub header_timeout_ms: u64,

    /// How long a request body may take to arrive whole (a webhook's is then answered 408).
    #[arg(long, env = "ZCC_BODY_TIMEOUT_MS", default_value_t = DEFAULT_BODY_TIMEOUT_MS)]
    pub body_timeout_ms: u64,

    /// Connections served at once; one more is answered 503 and closed.
    #[arg(long, env = "ZCC_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,

    /// Outbound delivery (`docs/DELIVERY.md`).
    #[command(flatten)]
    pub delivery: crate::delivery::DeliveryArgs,
    /// How often to recover from Zoom's webhook logs what Zoom gave up delivering, when the
    /// Zoom credentials are set (`15m`, `1h`, `1h30m`, `1d`; `0` or `off`: never). The first
    /// run is shortly after start.
    #[arg(long, env = "ZCC_BACKFILL_EVERY", default_value = DEFAULT_BACKFILL_EVERY)]
    pub backfill_every: Every,

    /// Zoom's REST client (the `ZCC_ZOOM_*` settings), when its credentials are set: for the
    /// scheduled backfill, `POST /api/backfill` and `GET /api/reconcile`. Not a flag: the
    /// command line builds it (`zcc-ledger serve` reads the same settings as `backfill`).
    #[arg(skip)]
    pub zoom: Option<zcc_zoom::ZoomClient>,
}

/// A period such as `--backfill-every`: a sum of whole numbers with a unit (`s`, `m`, `h`,
/// `d`), such as `15m` or `1h30m`; `0` or `off` is never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Every(pub Option<std::time::Duration>);

impl Every {
    /// The period, `None` when off.
    pub fn period(self) -> Option<std::time::Duration> {
        self.0
    }
}

impl fmt::Display for Every {
    /// The shortest humane spelling (`1h30m`, `off`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(d) = self.0 else {
            return f.write_str("off");
        };
        let mut secs = d.as_secs();
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
            if secs >= size {
                write!(f, "{}{unit}", secs / size)?;
                secs %= size;
            }
        }
        if secs > 0 || d.as_secs() == 0 {
            write!(f, "{secs}s")?;
        }
        Ok(())
    }
}

impl FromStr for Every {
    type Err = String;

    fn from_str(s: &str) -> Result<Every, String> {
        let text = s.trim().to_ascii_lowercase();
        if matches!(text.as_str(), "0" | "off" | "never") {
            return Ok(Every(None));
        }
        let bad = |why: &str| {
            format!("{s:?} is not a period ({why}); write e.g. 15m, 1h, 1h30m, 1d, or off")
        };
        let mut secs: u64 = 0;
        let mut number = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let size = match c {
                's' => 1,
                'm' => 60,
                'h' => 3_600,
                'd' => 86_400,
                _ => return Err(bad(&format!("unknown unit {c:?}"))),
            };
            let n: u64 = number
                .parse()
                .map_err(|_| bad(&format!("no number before {c:?}")))?;
            number.clear();
            secs = n
                .checked_mul(size)
                .and_then(|v| secs.checked_add(v))
                .ok_or_else(|| bad("too long"))?;
        }
        if !number.is_empty() {
            return Err(bad("a number without a unit"));
        }
        if secs == 0 {
            return Err(bad("zero; write 0 or off to turn it off"));
        }
        if secs > 7 * 86_400 {
            return Err(bad("longer than the 7 days Zoom keeps its webhook logs"));
        }
        Ok(Every(Some(std::time::Duration::from_secs(secs))))
    }
}

impl Default for ServeArgs {
    /// The same values as the command line's defaults, with no secret and no token.
    fn default() -> ServeArgs {
        ServeArgs {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("the default listen address parses"),
            webhook_secret: Vec::new(),
            api_token: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            timestamp_tolerance_secs: DEFAULT_TIMESTAMP_TOLERANCE_SECS,
            max_batch: DEFAULT_MAX_BATCH,
            storage_timeout_ms: DEFAULT_STORAGE_TIMEOUT_MS,
            header_timeout_ms: DEFAULT_HEADER_TIMEOUT_MS,
            body_timeout_ms: DEFAULT_BODY_TIMEOUT_MS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            backfill_every: DEFAULT_BACKFILL_EVERY
                .parse()
                .expect("the default period parses"),
            zoom: None,
            delivery: crate::delivery::DeliveryArgs::default(),
        }
    }
}

impl ServeArgs {
    /// `--storage-timeout-ms`.
    pub fn storage_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.storage_timeout_ms)
    }

    /// `--header-timeout-ms`.
    pub fn header_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.header_timeout_ms)
    }

    /// `--body-timeout-ms`.
    pub fn body_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.body_timeout_ms)
    }

    /// Check the configuration before binding: at least one webhook secret, no empty secret or
    /// token, usable limits, and no address beyond loopback without an API token (SPEC 7).
    pub fn validate(&self) -> Result<(), ServeError> {
        if self.webhook_secret.is_empty() {
            return Err(ServeError::NoWebhookSecret);
        }
        if let Some(i) = self.webhook_secret.iter().position(|s| s.0.is_empty()) {
            return Err(ServeError::Invalid {
                setting: "--webhook-secret / ZCC_WEBHOOK_SECRET",
                reason: format!(
                    "secret number {} of {} is empty (check for a stray comma)",
                    i + 1,
                    self.webhook_secret.len()
                ),
            });
        }
        if self.api_token.as_ref().is_some_and(|t| t.0.is_empty()) {
            return Err(ServeError::Invalid {
                setting: "--api-token / ZCC_API_TOKEN",
                reason: "the token is empty".into(),
            });
        }
        if self.max_body_bytes == 0 {
            return Err(ServeError::Invalid {
                setting: "--max-body-bytes / ZCC_MAX_BODY_BYTES",
                reason: "must be at least 1".into(),
            });
        }
        if self.max_batch == 0 {
            return Err(ServeError::Invalid {
                setting: "--max-batch / ZCC_MAX_BATCH",
                reason: "must be at least 1".into(),
            });
        }
        for (setting, value) in [
            (
                "--storage-timeout-ms / ZCC_STORAGE_TIMEOUT_MS",
                self.storage_timeout_ms,
            ),
            (
                "--header-timeout-ms / ZCC_HEADER_TIMEOUT_MS",
                self.header_timeout_ms,
            ),
            (
                "--body-timeout-ms / ZCC_BODY_TIMEOUT_MS",
                self.body_timeout_ms,
            ),
        ] {
            if value == 0 || value > 3_600_000 {
                return Err(ServeError::Invalid {
                    setting,
                    reason: format!("{value} ms is not between 1 ms and one hour"),
                });
            }
        }
        if self.max_connections == 0 {
            return Err(ServeError::Invalid {
                setting: "--max-connections / ZCC_MAX_CONNECTIONS",
                reason: "must be at least 1".into(),
            });
        }
        if i64::try_from(self.timestamp_tolerance_secs).is_err() {
            return Err(ServeError::Invalid {
                setting: "--timestamp-tolerance-secs / ZCC_TIMESTAMP_TOLERANCE_SECS",
                reason: format!("{} is too large", self.timestamp_tolerance_secs),
            });
        }
        self.check_listen(self.listen)
    }

    /// Refuse an address beyond loopback unless an API token is configured (SPEC 7).
    pub fn check_listen(&self, addr: SocketAddr) -> Result<(), ServeError> {
        if addr.ip().is_loopback() || self.api_token.is_some() {
            Ok(())
        } else {
            Err(ServeError::PublicWithoutToken { addr })
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn parse(args: &[&str]) -> ServeArgs {
        let mut argv = vec!["zcc-ledger"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).expect("arguments parse").serve
    }

    #[test]
    fn secrets_never_print() {
        let args = ServeArgs {
            webhook_secret: vec![Secret::new("hunter2-webhook")],
            api_token: Some(Secret::new("hunter2-token")),
            ..ServeArgs::default()
        };
        let shown = format!("{args:?} {:#?}", args);
        assert!(
            !shown.contains("hunter2"),
            "secret leaked into Debug: {shown}"
        );
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn flags_parse_with_several_secrets_and_defaults() {
        let args = parse(&["--webhook-secret", "a, b,c"]);
        let secrets: Vec<_> = args.webhook_secret.iter().map(Secret::expose).collect();
        assert_eq!(secrets, ["a", "b", "c"]);
        assert_eq!(args.listen, "127.0.0.1:8080".parse::<SocketAddr>().unwrap());
        assert_eq!(args.max_body_bytes, 1_048_576);
        assert_eq!(args.timestamp_tolerance_secs, 300);
        assert_eq!(args.max_batch, 1000);
        assert!(args.api_token.is_none());
        args.validate().expect("valid");
    }

    #[test]
    fn clap_defaults_match_default_impl() {
        let parsed = parse(&[]);
        let default = ServeArgs::default();
        assert_eq!(parsed.listen, default.listen);
        assert_eq!(parsed.max_body_bytes, default.max_body_bytes);
        assert_eq!(
            parsed.timestamp_tolerance_secs,
            default.timestamp_tolerance_secs
        );
        assert_eq!(parsed.max_batch, default.max_batch);
    }

    #[test]
    fn every_flag_has_its_zcc_env_twin() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        let mut flags = 0;
        for arg in cmd.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if long == "help" {
                continue;
            }
            flags += 1;
            let expected = format!("ZCC_{}", long.replace('-', "_").to_uppercase());
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
            assert_eq!(env.as_deref(), Some(expected.as_str()), "--{long}");
        }
        assert_eq!(flags, 14);
    }

    #[test]
    fn backfill_periods_are_humane() {
        let every = |s: &str| s.parse::<Every>().map(Every::period);
        let secs = |n| Ok(Some(std::time::Duration::from_secs(n)));
        assert_eq!(every("15m"), secs(900));
        assert_eq!(every("1h"), secs(3_600));
        assert_eq!(every(" 1h30m "), secs(5_400));
        assert_eq!(every("1d"), secs(86_400));
        assert_eq!(every("45s"), secs(45));
        assert_eq!(every("0"), Ok(None));
        assert_eq!(every("OFF"), Ok(None));
        for bad in ["15", "1x", "h", "", "8d", "0m"] {
            let err = every(bad).unwrap_err();
            assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
        }
        assert_eq!(parse(&[]).backfill_every.to_string(), "1h");
        assert_eq!(
            parse(&["--backfill-every", "90m"])
                .backfill_every
                .to_string(),
            "1h30m"
        );
        assert_eq!(Every(None).to_string(), "off");
    }

    #[test]
    fn no_secret_refuses_with_how_to_set_one() {
        let err = ServeArgs::default().validate().unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("set ZCC_WEBHOOK_SECRET or pass --webhook-secret"),
            "{msg}"
        );
    }

    #[test]
    fn empty_secret_in_list_is_refused() {
        let args = parse(&["--webhook-secret", "a,,b"]);
        let msg = args.validate().unwrap_err().to_string();
        assert!(msg.contains("secret number 2 of 3 is empty"), "{msg}");
    }

    #[test]
    fn beyond_loopback_needs_a_token() {
        let mut args = parse(&["--webhook-secret", "s", "--listen", "0.0.0.0:8080"]);
        let msg = args.validate().unwrap_err().to_string();
        assert!(msg.contains("0.0.0.0:8080"), "{msg}");
        assert!(msg.contains("ZCC_API_TOKEN"), "{msg}");
        args.api_token = Some(Secret::new("t"));
        args.validate().expect("a token allows a public address");
        let v6 = parse(&["--webhook-secret", "s", "--listen", "[::1]:9000"]);
        v6.validate().expect("IPv6 loopback is loopback");
    }

    #[test]
    fn zero_limits_are_refused() {
        let mut args = parse(&["--webhook-secret", "s", "--max-batch", "0"]);
        assert!(
            args.validate()
                .unwrap_err()
                .to_string()
                .contains("--max-batch")
        );
        args.max_batch = 1;
        args.max_body_bytes = 0;
        assert!(
            args.validate()
                .unwrap_err()
                .to_string()
                .contains("--max-body-bytes")
        );
    }
}
