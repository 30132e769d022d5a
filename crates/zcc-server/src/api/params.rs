//! Query parameters, parsed strictly: an unknown, repeated or malformed parameter is a 400 that
//! names it. Also the two choices several resources share: which generation to read
//! (`generation` or `rule`, else the active one) and the search cursor.

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use zcc_app::select::{Selector, choose};
use zcc_model::{Cell, Column};
use zcc_store::projection::{Generation, GenerationId, SearchFilter};

use crate::AppState;
use crate::error::ApiError;

/// Default and largest `limit` of a page.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 1000;

/// The query string as name → value, refusing repeated names.
#[derive(Debug, Default)]
pub struct QueryParams(BTreeMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<QueryParams, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("unreadable query string: {e}")))?;
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            if map.insert(k.clone(), v).is_some() {
                return Err(ApiError::BadRequest(format!(
                    "parameter `{k}` is given more than once"
                )));
            }
        }
        Ok(QueryParams(map))
    }
}

impl QueryParams {
    /// Refuse any parameter not in `allowed`.
    pub fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            None => Ok(()),
            Some(k) => Err(ApiError::BadRequest(format!(
                "unknown parameter `{k}`; this resource takes: {}",
                allowed.join(", ")
            ))),
        }
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A non-empty string.
    pub fn text(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.str(name) {
            None => Ok(None),
            Some("") => Err(ApiError::BadRequest(format!("parameter `{name}` is empty"))),
            Some(v) => Ok(Some(v.to_owned())),
        }
    }

    /// An RFC 3339 time or a bare date (midnight UTC), in ms since the epoch.
    pub fn time(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.str(name)
            .map(|v| {
                zcc_export::time::parse_rfc3339(&format!("parameter `{name}`:"), v)
                    .map_err(ApiError::BadRequest)
            })
            .transpose()
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.str(name)
            .map(|v| match v {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                other => Err(ApiError::BadRequest(format!(
                    "parameter `{name}`: {other:?} is not true or false"
                ))),
            })
            .transpose()
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.str(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ApiError::BadRequest(format!("parameter `{name}`: {v:?} is not a whole number"))
                })
            })
            .transpose()
    }

    /// `limit`: 1..=[`MAX_LIMIT`], default [`DEFAULT_LIMIT`].
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.int("limit")? {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => Ok(n as usize),
            Some(n) => Err(ApiError::BadRequest(format!(
                "parameter `limit`: {n} is outside 1..={MAX_LIMIT}"
            ))),
        }
    }

    /// `since` / `until` (RFC 3339; `since` inclusive, `until` exclusive), checked non-empty.
    pub fn window(&self) -> Result<(Option<i64>, Option<i64>), ApiError> {
        let since = self.time("since")?;
        let until = self.time("until")?;
        if let (Some(s), Some(u)) = (since, until)
            && s >= u
        {
            return Err(ApiError::BadRequest(
                "parameter `since` is not before `until`: the window is empty".into(),
            ));
        }
        Ok((since, until))
    }

    /// The search filter of `since`, `until`, `agent`, `queue`, `has_conference`, `q` (words
    /// that each match a name, a number or the beginning of the engagement id:
    /// [`zcc_store::search`]) and `sort` (`newest`, the default, or `oldest`).
    pub fn filter(&self) -> Result<SearchFilter, ApiError> {
        let (since, until) = self.window()?;
        let newest_first = match self.str("sort") {
            None | Some("newest") => true,
            Some("oldest") => false,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "parameter `sort`: {other:?} is not newest or oldest"
                )));
            }
        };
        Ok(SearchFilter {
            started_from_ms: since,
            started_before_ms: until,
            agent: self.text("agent")?,
            queue: self.text("queue")?,
            has_conference: self.bool("has_conference")?,
            engagement_prefix: None,
            text: zcc_store::search::parse_query(self.str("q").unwrap_or_default()),
            newest_first,
        })
    }

    /// The search cursor, if any.
    pub fn cursor(&self) -> Result<Option<(i64, String)>, ApiError> {
        self.str("cursor").map(decode_cursor).transpose()
    }

    /// The generation named by `generation` (an id) or `rule` (a rule name, `name@version` or a
    /// full identity), else the active one ([`zcc_app::select::choose`]).
    pub async fn generation(&self, state: &AppState) -> Result<Generation, ApiError> {
        Ok(choose(state.store().as_ref(), &self.selector()?).await?)
    }

    /// The choice `generation` / `rule` make, not yet resolved.
    pub fn selector(&self) -> Result<Selector, ApiError> {
        let id = match self.str("generation") {
            Some(_) => Some(GenerationId(self.int("generation")?.unwrap_or_default())),
            None => None,
        };
        Ok(Selector::from_parts(id, self.str("rule"))?)
    }
}

/// The opaque search cursor: hex of `STARTED_AT_MS:ENGAGEMENT_ID` (the last row's sort key).
pub fn encode_cursor(started_at_ms: i64, engagement_id: &str) -> String {
    hex::encode(format!("{started_at_ms}:{engagement_id}"))
}

pub fn decode_cursor(s: &str) -> Result<(i64, String), ApiError> {
    let bad = || {
        ApiError::BadRequest(format!(
            "parameter `cursor`: {s:?} is not a cursor from a previous page's `next_cursor`"
        ))
    };
    let bytes = hex::decode(s).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (at, id) = text.split_once(':').ok_or_else(bad)?;
    let at = at.parse::<i64>().map_err(|_| bad())?;
    Ok((at, id.to_owned()))
}

/// One table row as a JSON object, field names and formats as in the JSON Lines export
/// (times RFC 3339 UTC with milliseconds, lists as arrays, null as null).
pub fn row_json(columns: &[Column], row: Vec<Cell>) -> serde_json::Value {
    use serde_json::Value;
    let mut obj = serde_json::Map::with_capacity(columns.len());
    for (col, cell) in columns.iter().zip(row) {
        let v = match cell {
            Cell::Str(s) => s.map_or(Value::Null, Value::String),
            Cell::Int(i) => i.map_or(Value::Null, Value::from),
            Cell::TimeMs(t) => t.map_or(Value::Null, |t| Value::String(rfc3339_ms(t))),
            Cell::Bool(b) => b.map_or(Value::Null, Value::Bool),
            Cell::List(l) => Value::from(l),
            Cell::IntList(l) => Value::from(l),
        };
        obj.insert(col.name.to_owned(), v);
    }
    Value::Object(obj)
}

pub fn rfc3339_ms(ms: i64) -> String {
    zcc_export::time::rfc3339_ms(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_name_the_parameter() {
        let c = encode_cursor(1_777_903_225_340, "Eng:with:colons");
        assert_eq!(
            decode_cursor(&c).unwrap(),
            (1_777_903_225_340, "Eng:with:colons".to_owned())
        );
        for bad in ["zz", "", "6869"] {
            let e = decode_cursor(bad).unwrap_err().to_string();
            assert!(e.contains("`cursor`"), "{e}");
        }
    }
}
