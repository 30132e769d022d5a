//! A tolerant reader that moves typed fields out of a JSON object, recording a
//! [`FieldWarning`] for every value of the wrong type. What it does not take stays in the map,
//! which becomes the object's `extra` (unknown fields kept verbatim, SPEC I6).

use serde_json::{Map, Value};

use crate::ids::PhoneNumber;
use crate::time::{ms_from_f64, parse_time_str};
use crate::warning::{FieldWarning, WarningAction, describe};

pub(crate) struct Reader<'w> {
    pub(crate) map: Map<String, Value>,
    path: String,
    warnings: &'w mut Vec<FieldWarning>,
}

/// True when `value` can serve as an id: a string, or a number (read as its JSON text).
pub(crate) fn id_usable(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::String(_) | Value::Number(_)))
}

/// Epoch milliseconds from a JSON value: an ISO-8601 string, a numeric string or a number.
/// `Ok(None)` for null; `Err(())` for anything unreadable.
pub(crate) fn time_of(value: &Value) -> Result<Option<i64>, ()> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => parse_time_str(s).map(Some).ok_or(()),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().and_then(ms_from_f64))
            .map(Some)
            .ok_or(()),
        _ => Err(()),
    }
}

pub(crate) const TIME_EXPECTED: &str = "an ISO-8601 time or epoch milliseconds";

impl<'w> Reader<'w> {
    pub(crate) fn new(
        map: Map<String, Value>,
        path: String,
        warnings: &'w mut Vec<FieldWarning>,
    ) -> Self {
        Reader {
            map,
            path,
            warnings,
        }
    }

    pub(crate) fn warn(
        &mut self,
        key: &str,
        expected: &'static str,
        found: Option<&Value>,
        action: WarningAction,
    ) {
        self.warnings.push(FieldWarning {
            path: format!("{}.{key}", self.path),
            expected,
            found: describe(found),
            action,
        });
    }

    /// Keep a value the model could not use in `extra`, and say so.
    fn reject(&mut self, key: &str, expected: &'static str, value: Value) {
        self.warn(key, expected, Some(&value), WarningAction::Ignored);
        self.map.insert(key.to_owned(), value);
    }

    /// Check that the ids a family cannot do without are there; warn for each that is not.
    pub(crate) fn require(&mut self, keys: &[&str], family: &'static str) -> bool {
        let mut ok = true;
        for key in keys {
            if !id_usable(self.map.get(*key)) {
                let found = self.map.get(*key).cloned();
                self.warn(key, family, found.as_ref(), WarningAction::FamilyNotRead);
                ok = false;
            }
        }
        ok
    }

    pub(crate) fn string(&mut self, key: &str) -> Option<String> {
        match self.map.remove(key)? {
            Value::Null => None,
            Value::String(s) => Some(s),
            Value::Number(n) => {
                self.warn(
                    key,
                    "a string",
                    Some(&Value::Number(n.clone())),
                    WarningAction::Converted,
                );
                Some(n.to_string())
            }
            other => {
                self.reject(key, "a string", other);
                None
            }
        }
    }

    pub(crate) fn id<T: From<String>>(&mut self, key: &str) -> Option<T> {
        self.string(key).map(T::from)
    }

    /// An id checked by [`Reader::require`]: present by construction.
    pub(crate) fn required_id<T: From<String>>(&mut self, key: &str) -> T {
        T::from(self.string(key).unwrap_or_default())
    }

    pub(crate) fn open<T: From<String>>(&mut self, key: &str) -> Option<T> {
        self.string(key).map(T::from)
    }

    pub(crate) fn phone(&mut self, key: &str) -> Option<PhoneNumber> {
        self.string(key).map(PhoneNumber::new)
    }

    pub(crate) fn int(&mut self, key: &str) -> Option<i64> {
        match self.map.remove(key)? {
            Value::Null => None,
            Value::Number(n) => match n.as_i64().or_else(|| n.as_f64().and_then(ms_from_f64)) {
                Some(i) => Some(i),
                None => {
                    self.reject(key, "an integer", Value::Number(n));
                    None
                }
            },
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(i) => {
                    self.warn(
                        key,
                        "an integer",
                        Some(&Value::String(s)),
                        WarningAction::Converted,
                    );
                    Some(i)
                }
                Err(_) => {
                    self.reject(key, "an integer", Value::String(s));
                    None
                }
            },
            other => {
                self.reject(key, "an integer", other);
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, key: &str) -> Option<bool> {
        match self.map.remove(key)? {
            Value::Null => None,
            Value::Bool(b) => Some(b),
            Value::String(s) if s == "true" || s == "false" => {
                let b = s == "true";
                self.warn(
                    key,
                    "a boolean",
                    Some(&Value::String(s)),
                    WarningAction::Converted,
                );
                Some(b)
            }
            other => {
                self.reject(key, "a boolean", other);
                None
            }
        }
    }

    /// A time field: ISO-8601 strings, numeric strings and numbers are all read silently;
    /// anything else warns and stays in `extra`.
    pub(crate) fn time(&mut self, key: &str) -> Option<i64> {
        let value = self.map.remove(key)?;
        match time_of(&value) {
            Ok(ms) => ms,
            Err(()) => {
                self.reject(key, TIME_EXPECTED, value);
                None
            }
        }
    }

    /// A list of objects, each read by `read`. Items that are not objects are dropped with a
    /// warning; a value that is not a list warns and stays in `extra`.
    pub(crate) fn list<T>(
        &mut self,
        key: &str,
        mut read: impl FnMut(&mut Reader<'_>) -> T,
    ) -> Vec<T> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    let item_path = format!("{}.{key}[{i}]", self.path);
                    match item {
                        Value::Object(m) => {
                            let mut sub = Reader::new(m, item_path, self.warnings);
                            out.push(read(&mut sub));
                        }
                        other => self.warnings.push(FieldWarning {
                            path: item_path,
                            expected: "an object",
                            found: describe(Some(&other)),
                            action: WarningAction::Ignored,
                        }),
                    }
                }
                out
            }
            Some(other) => {
                self.reject(key, "a list of objects", other);
                Vec::new()
            }
        }
    }

    /// What is left: the fields the model did not read.
    pub(crate) fn finish(self) -> Map<String, Value> {
        self.map
    }
}
