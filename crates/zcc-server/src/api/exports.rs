//! `GET /api/exports/{table}`: a SPEC 8 table, streamed as it is written.
//!
//! The export runs on a blocking thread and writes into a bounded channel that is the response
//! body, so memory stays at a few chunks whatever the size of the table, and a client that goes
//! away stops the export. The manifest (what the export was made from, row counts) is only
//! known at the end, so it travels as the HTTP trailer `x-zcc-manifest` (declared in the
//! `Trailer` header; sent to clients that ask with `TE: trailers`). Parquet files also embed it
//! in their key-value metadata. A failure after the first byte aborts the response (the
//! chunked body never ends cleanly), so a truncated file is never mistaken for a complete one.

use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use tokio::sync::mpsc;
use zcc_app::export::{ExportFailed, ExportPlan, Freshness};
use zcc_export::{Format, TableName, Window};

use super::auth::Authorized;
use super::openapi::{BadRequest, NotFound, Unauthorized, Unavailable};
use super::params::QueryParams;
use super::query::{ExportQuery, GenerationQuery, TablePath};
use crate::AppState;
use crate::error::ApiError;

/// The trailer that carries the manifest.
pub const MANIFEST_TRAILER: &str = "x-zcc-manifest";
/// Bytes buffered before a chunk is handed to the connection.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the export thread and the connection.
const CHUNKS_IN_FLIGHT: usize = 8;

type FrameResult = Result<Frame<Bytes>, io::Error>;

#[utoipa::path(
    get,
    path = "/exports/{table}",
    tag = "exports",
    summary = "Stream one export table. The manifest follows as the HTTP trailer \
               `x-zcc-manifest` (send `TE: trailers`); Parquet also embeds it.",
    params(TablePath, ExportQuery, GenerationQuery),
    responses(
        (status = 200, description = "The file, streamed.",
         headers(
             ("Trailer" = String, description = "x-zcc-manifest"),
             ("Content-Disposition" = String, description = "The file's name."),
         ),
         content(
             (String = "application/x-ndjson"),
             (String = "text/csv"),
             (Vec<u8> = "application/vnd.apache.parquet"),
         )),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.export", skip_all, fields(table = %table))]
pub async fn export(
    _auth: Authorized,
    State(state): State<AppState>,
    Path(table): Path<String>,
    params: QueryParams,
) -> Result<Response, ApiError> {
    params.only(&["format", "since", "until", "generation", "rule"])?;
    let table: TableName = table.parse().map_err(|_| {
        ApiError::NotFound(format!(
            "no table {table:?}; tables: {}",
            TableName::names().join(", ")
        ))
    })?;
    let format: Format = match params.str("format") {
        None => Format::Jsonl,
        Some(f) => f.parse().map_err(|_| {
            ApiError::BadRequest(format!(
                "parameter `format`: {f:?} is not jsonl, csv, csv-raw or parquet"
            ))
        })?,
    };
    let (since_ms, until_ms) = params.window()?;
    // The model tables read a generation; choose it and let the live projector bring it up to
    // the log's head now, so a bad choice is a 4xx, not a broken stream. `events` reads the log.
    let plan = ExportPlan {
        table,
        format,
        window: Window { since_ms, until_ms },
        selector: params.selector()?,
    };
    let freshness = match state.live() {
        Some(live) => Freshness::Live(live),
        None => Freshness::FoldHere,
    };
    let request = zcc_app::export::prepare(state.store().as_ref(), &plan, freshness).await?;

    let (tx, rx) = mpsc::channel::<FrameResult>(CHUNKS_IN_FLIGHT);
    let store = state.store().clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let result = runtime.block_on(zcc_app::export::write(&*store, &request, &mut out, |_| {}));
        let flushed = |m| {
            out.flush()
                .map(|()| m)
                .map_err(|e| ExportFailed::Export(e.into()))
        };
        let last = match result.and_then(flushed) {
            Ok(manifest) => {
                let json = serde_json::to_string(&manifest).expect("a manifest serialises");
                let mut trailers = HeaderMap::new();
                match HeaderValue::from_str(&json) {
                    Ok(v) => {
                        trailers.insert(HeaderName::from_static(MANIFEST_TRAILER), v);
                    }
                    Err(e) => tracing::warn!(error = %e, "manifest not sendable as a trailer"),
                }
                Ok(Frame::trailers(trailers))
            }
            Err(e) => {
                tracing::error!(error = %e, "export failed mid-stream; aborting the response");
                Err(io::Error::other(e.to_string()))
            }
        };
        let _ = futures::executor::block_on(tx.send(last));
    });

    let filename = format!("{}.{}", table.name(), format.extension());
    let headers = [
        (header::CONTENT_TYPE, format.content_type().to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ),
        (header::TRAILER, MANIFEST_TRAILER.to_owned()),
    ];
    Ok((headers, Body::new(ChannelBody { rx })).into_response())
}

/// The export's output: buffers, then hands whole chunks to the response body, waiting while
/// the connection is behind (the export runs on a blocking thread, so waiting is allowed; the
/// wait uses the `futures` executor because tokio's own `blocking_send` refuses to run inside
/// the `block_on` that drives the export).
struct ChannelWriter {
    tx: mpsc::Sender<FrameResult>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send_buffer(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        futures::executor::block_on(self.tx.send(Ok(Frame::data(chunk))))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send_buffer()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffer()
    }
}

/// A response body fed by a channel of frames (data, then the trailers).
struct ChannelBody {
    rx: mpsc::Receiver<FrameResult>,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.rx.poll_recv(cx)
    }
}
