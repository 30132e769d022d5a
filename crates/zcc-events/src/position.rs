//! The log position: the one type every crate uses for "where in the log".

use std::fmt;

use serde::{Deserialize, Serialize};

/// A log position: 1, 2, 3, ... in commit order. `Position(0)` means "before the first entry".
///
/// It serialises as the bare number, so evidence lists read `[12, 40]` in every document.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Position(pub i64);

impl Position {
    /// Before the first entry: a reader that has read nothing.
    pub const START: Position = Position(0);

    /// The position after this one.
    pub fn next(self) -> Position {
        Position(self.0 + 1)
    }

    /// The number, for storage and arithmetic.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<i64> for Position {
    fn from(n: i64) -> Self {
        Position(n)
    }
}

impl PartialEq<i64> for Position {
    fn eq(&self, other: &i64) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Position> for i64 {
    fn eq(&self, other: &Position) -> bool {
        *self == other.0
    }
}
