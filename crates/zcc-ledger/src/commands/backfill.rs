//! `zcc-ledger backfill [--since T] [--until T] [--all]`: recover from Zoom's webhook logs the
//! bodies Zoom gave up delivering (`zcc_app::backfill`). Exit status as import's: 0 every body
//! recovered or already present, 1 some were not envelopes (quarantined), 2 on errors.

use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::Args;
use zcc_app::backfill::{BackfillRequest, backfill};
use zcc_store::projection::Backend;
use zcc_zoom::{DEFAULT_API_URL, DEFAULT_OAUTH_URL, Secret, Window, ZoomClient, ZoomConfig};

use crate::progress;

/// Zoom's REST side: base URLs and the Server-to-Server OAuth app (SPEC 7). The client secret
/// is read from `ZCC_ZOOM_CLIENT_SECRET` only, never from a flag a process list would show.
#[derive(Debug, Args)]
pub struct ZoomArgs {
    /// Base URL of Zoom's REST API.
    #[arg(long, env = "ZCC_ZOOM_API_URL", default_value = DEFAULT_API_URL)]
    pub zoom_api_url: String,
    /// Base URL of Zoom's OAuth server.
    #[arg(long, env = "ZCC_ZOOM_OAUTH_URL", default_value = DEFAULT_OAUTH_URL)]
    pub zoom_oauth_url: String,
    /// The Zoom account of the Server-to-Server OAuth app.
    #[arg(long, env = "ZCC_ZOOM_ACCOUNT_ID", default_value = "")]
    pub zoom_account_id: String,
    /// The app's client id.
    #[arg(long, env = "ZCC_ZOOM_CLIENT_ID", default_value = "")]
    pub zoom_client_id: String,
    /// The app whose webhook delivery logs are read.
    #[arg(long, env = "ZCC_ZOOM_APP_ID")]
    pub zoom_app_id: Option<String>,
}

impl ZoomArgs {
    /// Whether any of the credentials (`ZCC_ZOOM_ACCOUNT_ID`, `ZCC_ZOOM_CLIENT_ID`,
    /// `ZCC_ZOOM_CLIENT_SECRET`) or the app (`ZCC_ZOOM_APP_ID`) is set: then the three
    /// credentials must be, so a half-made configuration is an error, not a silent no.
    pub fn given(&self) -> bool {
        !self.zoom_account_id.trim().is_empty()
            || !self.zoom_client_id.trim().is_empty()
            || self
                .zoom_app_id
                .as_deref()
                .is_some_and(|a| !a.trim().is_empty())
            || std::env::var("ZCC_ZOOM_CLIENT_SECRET").is_ok_and(|s| !s.is_empty())
    }

    /// A client for these settings and `ZCC_ZOOM_CLIENT_SECRET`.
    pub fn client(&self) -> anyhow::Result<ZoomClient> {
        let secret = std::env::var("ZCC_ZOOM_CLIENT_SECRET").unwrap_or_default();
        let mut config = ZoomConfig::new(
            &self.zoom_account_id,
            &self.zoom_client_id,
            Secret::new(secret),
        );
        config.api_url.clone_from(&self.zoom_api_url);
        config.oauth_url.clone_from(&self.zoom_oauth_url);
        config.app_id.clone_from(&self.zoom_app_id);
        Ok(ZoomClient::new(config)?)
    }
}

#[derive(Debug, Args)]
pub struct BackfillArgs {
    #[command(flatten)]
    pub zoom: ZoomArgs,
    /// Start of the window (RFC 3339; default: 7 days before --until, as far back as Zoom
    /// keeps its logs).
    #[arg(long, env = "ZCC_BACKFILL_SINCE")]
    pub since: Option<String>,
    /// End of the window (RFC 3339; default: now).
    #[arg(long, env = "ZCC_BACKFILL_UNTIL")]
    pub until: Option<String>,
    /// Read every delivery attempt, not only the failed ones: a completeness audit.
    #[arg(long, env = "ZCC_BACKFILL_ALL")]
    pub all: bool,
    /// Only append: leave folding the recovered events to the next `serve`, `import` or
    /// `backfill`.
    #[arg(long, env = "ZCC_BACKFILL_NO_PROJECT")]
    pub no_project: bool,
}

/// A time given as `flag`: RFC 3339 or a bare date (midnight UTC).
pub fn time_arg(flag: &str, value: &str) -> anyhow::Result<DateTime<Utc>> {
    zcc_export::time::parse_instant(value).with_context(|| {
        format!(
            "{flag} {value:?} is not an RFC 3339 time or a date (2026-05-04T14:00:00Z, 2026-05-04)"
        )
    })
}

pub async fn run(
    store: std::sync::Arc<dyn Backend>,
    args: BackfillArgs,
) -> anyhow::Result<ExitCode> {
    let until = match &args.until {
        Some(t) => time_arg("--until", t)?,
        None => Utc::now(),
    };
    let since = match &args.since {
        Some(t) => time_arg("--since", t)?,
        // A minute inside the 7 days, so that the request is still within them on arrival.
        None => until - chrono::Duration::days(7) + chrono::Duration::minutes(1),
    };
    let Some(window) = Window::new(since, until) else {
        bail!("--since {since} is not before --until {until}");
    };
    let zoom = args.zoom.client()?;
    let bar = progress::items(None, "reading Zoom's webhook logs");
    let request = BackfillRequest {
        window,
        all: args.all,
        project: !args.no_project,
    };
    let summary = backfill(store.as_ref(), &zoom, &request, &|s| {
        bar.set_position(s.read)
    })
    .await
    .context("backfill")?;
    bar.finish_and_clear();
    println!(
        "read {}, recovered {}, already present {}, rejected {}, skipped {}",
        summary.read, summary.recovered, summary.already_present, summary.rejected, summary.skipped
    );
    Ok(if summary.rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
