//! Who may see the pages. With no API token configured the pages are open (`serve` then
//! listens on loopback only). With one, a request needs the token as a bearer header (as `/api`
//! does) or the session cookie that `/signin` sets after checking the token.
//!
//! The cookie's value is not the token: it is `EXPIRES.hex(HMAC-SHA256(token, "zcc-ledger web
//! session v2 " + EXPIRES))`, with `EXPIRES` the end of the session in seconds since the epoch,
//! so a leaked cookie does not reveal the API token, changing the token ends every session, and
//! a session ends after [`SESSION_MAX_AGE_SECS`] whatever the browser does with the cookie's
//! `Max-Age` (the server checks `EXPIRES`, which the signature covers). It is `HttpOnly` (no
//! script reads it) and `SameSite=Strict` (no other site's page can send it, so cross-site
//! requests cannot use it).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use hmac::{Hmac, Mac};
use maud::html;
use sha2::Sha256;

use super::html::page;
use crate::AppState;
use crate::config::Secret;

/// The session cookie's name.
pub const COOKIE: &str = "zcc_session";

/// How long a session lasts: 8 hours (a working day), then the sign-in form again.
pub const SESSION_MAX_AGE_SECS: i64 = 8 * 3600;

const SESSION_CONTEXT: &[u8] = b"zcc-ledger web session v2 ";

/// The visitor of a page, once let in. Every page handler takes one first; when a token is
/// configured and the request carries neither it nor the cookie, the answer is 401 with the
/// sign-in form.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    /// True when a token is configured (and so the visitor proved it): show "Sign out".
    pub signed_in: bool,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Viewer, Response> {
        let Some(token) = state.api_token() else {
            return Ok(Viewer { signed_in: false });
        };
        let bearer_ok = parts.headers.contains_key(header::AUTHORIZATION)
            && crate::api::auth::check(state, &parts.headers).is_ok();
        if bearer_ok || has_session(&parts.headers, token) {
            return Ok(Viewer { signed_in: true });
        }
        let next = parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        Err(signin_response(StatusCode::UNAUTHORIZED, &next, None))
    }
}

/// Seconds since the Unix epoch, now.
fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The cookie value that proves `token` until `expires` (seconds since the epoch).
pub fn session_value(token: &Secret, expires: i64) -> String {
    format!(
        "{expires}.{}",
        hex::encode(session_tag(token.expose().as_bytes(), expires))
    )
}

fn session_tag(key: &[u8], expires: i64) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(SESSION_CONTEXT);
    mac.update(expires.to_string().as_bytes());
    mac.finalize().into_bytes().into()
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the `Cookie` headers carry a session for `token` that has not expired (the
/// signature compared in constant time).
pub fn has_session(headers: &HeaderMap, token: &Secret) -> bool {
    let now = now_secs();
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE)
        .filter_map(|(_, value)| value.trim().split_once('.'))
        .filter_map(|(expires, tag)| Some((expires.parse::<i64>().ok()?, hex::decode(tag).ok()?)))
        .any(|(expires, got)| {
            // Expired, or further ahead than a session lasts (not one this server made).
            let live = expires > now && expires <= now.saturating_add(SESSION_MAX_AGE_SECS + 60);
            live && same(&got, &session_tag(token.expose().as_bytes(), expires))
        })
}

/// Whether the presented token is the configured one (constant time, via the session tags).
pub fn token_matches(presented: &str, token: &Secret) -> bool {
    let a = session_tag(presented.as_bytes(), 0);
    let b = session_tag(token.expose().as_bytes(), 0);
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The `Set-Cookie` value that signs the visitor in for [`SESSION_MAX_AGE_SECS`].
pub fn set_cookie(token: &Secret) -> HeaderValue {
    let expires = now_secs() + SESSION_MAX_AGE_SECS;
    HeaderValue::from_str(&format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_MAX_AGE_SECS}",
        session_value(token, expires)
    ))
    .expect("digits and hex are a valid header value")
}

/// The `Set-Cookie` value that signs the visitor out.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("zcc_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Where to go after signing in: a local path only (never another site, never `//host`).
pub fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if local { next } else { "/" }
}

/// The sign-in page with `status`, returning to `next` afterwards.
pub fn signin_response(status: StatusCode, next: &str, error: Option<&str>) -> Response {
    let body = html! {
        h1 { "Sign in" }
        p {
            "This ledger is protected by its API token (" code { "ZCC_API_TOKEN" } "). Enter it to "
            "read the call pages; the browser keeps a session cookie, not the token."
        }
        @if let Some(error) = error {
            p class="error" role="alert" { (error) }
        }
        form class="signin" method="post" action="/signin" {
            input type="hidden" name="next" value=(safe_next(next));
            div class="field" {
                label for="f-token" { "API token" }
                input id="f-token" name="token" type="password"
                    autocomplete="current-password" required autofocus;
            }
            div class="actions" { button type="submit" { "Sign in" } }
        }
    };
    let mut response = (status, Html(page("Sign in", false, &body))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next("/engagements/x?generation=2"),
            "/engagements/x?generation=2"
        );
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
    }

    #[test]
    fn the_cookie_proves_the_token_without_holding_it() {
        let token = Secret::new("s3cret-token");
        let value = session_value(&token, now_secs() + 60);
        assert!(!value.contains("s3cret"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE}={value}")).unwrap(),
        );
        assert!(has_session(&headers, &token));
        assert!(!has_session(&headers, &Secret::new("another-token")));
        assert!(token_matches("s3cret-token", &token));
        for expires in [now_secs() - 1, now_secs() + SESSION_MAX_AGE_SECS + 3600] {
            let stale = session_value(&token, expires);
            headers.insert(
                header::COOKIE,
                HeaderValue::from_str(&format!("{COOKIE}={stale}")).unwrap(),
            );
            assert!(!has_session(&headers, &token), "expires {expires}");
        }
        assert!(!token_matches("s3cret-tokem", &token));
    }
}
