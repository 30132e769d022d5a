//! Field-level warnings: a field of the wrong type degrades that field, never the event
//! (SPEC 10).

use serde::Serialize;
use serde_json::Value;

/// One field that could not be read as the model expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldWarning {
    /// Where, from the body's root: `payload.object.date_time_ms`, `payload.object.users[2]`.
    pub path: String,
    /// What the model expected there.
    pub expected: &'static str,
    /// What was found, for example `the string "yesterday"` or `a number (42)`.
    pub found: String,
    /// What the model did about it.
    pub action: WarningAction,
}

/// What became of a field that drew a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningAction {
    /// The value was converted and used (for example a number id read as its decimal text).
    Converted,
    /// The typed field is empty; the value is kept verbatim in the object's `extra`.
    Ignored,
    /// An id the family cannot do without was missing or unreadable: the object was kept as
    /// [`crate::Family::Other`], verbatim.
    FamilyNotRead,
}

impl std::fmt::Display for FieldWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let action = match self.action {
            WarningAction::Converted => "converted",
            WarningAction::Ignored => "ignored",
            WarningAction::FamilyNotRead => "object kept unread",
        };
        write!(
            f,
            "{}: expected {}, found {} ({action})",
            self.path, self.expected, self.found
        )
    }
}

const MAX_SHOWN: usize = 60;

/// A short description of a JSON value for a warning.
pub(crate) fn describe(value: Option<&Value>) -> String {
    match value {
        None => "nothing (the field is missing)".to_owned(),
        Some(Value::Null) => "null".to_owned(),
        Some(Value::Bool(b)) => format!("a boolean ({b})"),
        Some(Value::Number(n)) => format!("a number ({n})"),
        Some(Value::String(s)) => format!("the string {}", quote(s)),
        Some(Value::Array(a)) => format!("an array of {} items", a.len()),
        Some(Value::Object(_)) => "an object".to_owned(),
    }
}

pub(crate) fn quote(s: &str) -> String {
    if s.chars().count() <= MAX_SHOWN {
        format!("{s:?}")
    } else {
        let cut: String = s.chars().take(MAX_SHOWN).collect();
        format!("{cut:?}...")
    }
}
