//! Rows for the export tables of SPEC 8. The export crate only formats: column names, types and
//! order are fixed here, and every projection gives typed cells in that order.

use crate::model::{CallProjection, Position};

/// The model's export tables (the raw `events` table belongs to the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Engagements,
    Legs,
    Holds,
    Transfers,
    ConferenceInvitations,
    Conferences,
    Supervision,
    DerivedEvents,
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Str,
    Int,
    /// Milliseconds since the Unix epoch, UTC.
    TimeMs,
    Bool,
    /// A list of strings.
    List,
    /// A list of whole numbers (evidence positions).
    IntList,
}

/// One column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
}

/// One typed cell. `None` is null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Str(Option<String>),
    Int(Option<i64>),
    TimeMs(Option<i64>),
    Bool(Option<bool>),
    List(Vec<String>),
    IntList(Vec<i64>),
}

const fn c(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty }
}

use ColumnType::{Bool, Int, IntList, List, Str, TimeMs};

const ENGAGEMENTS: &[Column] = &[
    c("engagement_id", Str),
    c("account_id", Str),
    c("channel", Str),
    c("direction", Str),
    c("flow_id", Str),
    c("flow_name", Str),
    c("queue_ids", List),
    c("queue_names", List),
    c("started_at", TimeMs),
    c("ended_at", TimeMs),
    c("duration_ms", Int),
    c("customer_id", Str),
    c("customer_number", Str),
    c("customer_name", Str),
    c("agents", List),
    c("has_conference", Bool),
    c("conference_count", Int),
    c("rule", Str),
    c("evidence", IntList),
];

const LEGS: &[Column] = &[
    c("engagement_id", Str),
    c("account_id", Str),
    c("leg_index", Int),
    c("party", Str),
    c("user_id", Str),
    c("display_name", Str),
    c("joined_at", TimeMs),
    c("left_at", TimeMs),
    c("duration_ms", Int),
    c("via", Str),
    c("task_id", Str),
    c("rule", Str),
    c("evidence", IntList),
];

const HOLDS: &[Column] = &[
    c("engagement_id", Str),
    c("account_id", Str),
    c("user_id", Str),
    c("started_at", TimeMs),
    c("ended_at", TimeMs),
    c("duration_ms", Int),
    c("rule", Str),
    c("evidence", IntList),
];

const TRANSFERS: &[Column] = &[
    c("engagement_id", Str),
    c("account_id", Str),
    c("transfer_index", Int),
    c("from_user", Str),
    c("to_user", Str),
    c("to_queue_id", Str),
    c("to_queue_name", Str),
    c("to_number", Str),
    c("to_flow_or_inbox", Str),
    c("transfer_type", Str),
    c("transfer_level", Str),
    c("started_at", TimeMs),
    c("accepted_at", TimeMs),
    c("outcome", Str),
    c("outcome_at", TimeMs),
    c("task_id", Str),
    c("target_task_id", Str),
    c("rule", Str),
    c("evidence", IntList),
];

const INVITATIONS: &[Column] = &[
    c("engagement_id", Str),
    c("account_id", Str),
    c("invited_user", Str),
    c("invited_by", Str),
    c("invited_at", TimeMs),
    c("outcome", Str),
    c("outcome_at", TimeMs),
    c("source", Str),
    c("rule", Str),
    c("evidence", IntList),
];

const CONFERENCES: &[Column] = &[
    c("engagement_id", Str),
    c("account_id", Str),
    c("conference_index", Int),
    c("started_at", TimeMs),
    c("ended_at", TimeMs),
    c("duration_ms", Int),
    c("participants", List),
    c("initiated_by", Str),
    c("source", Str),
    c("rule", Str),
    c("evidence", IntList),
    c("conference_id", Str),
    c("external_participants", List),
];

const SUPERVISION: &[Column] = &[
    c("engagement_id", Str),
    c("account_id", Str),
    c("supervisor", Str),
    c("supervisor_name", Str),
    c("agent", Str),
    c("mode", Str),
    c("started_at", TimeMs),
    c("ended_at", TimeMs),
    c("duration_ms", Int),
    c("rule", Str),
    c("evidence", IntList),
];

const DERIVED: &[Column] = &[
    c("engagement_id", Str),
    c("account_id", Str),
    c("seq", Int),
    c("at", TimeMs),
    c("kind", Str),
    c("agents", List),
    c("rule", Str),
    c("evidence", IntList),
];

impl Table {
    pub const ALL: &'static [Table] = &[
        Table::Engagements,
        Table::Legs,
        Table::Holds,
        Table::Transfers,
        Table::ConferenceInvitations,
        Table::Conferences,
        Table::Supervision,
        Table::DerivedEvents,
    ];

    /// The table's name on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            Table::Engagements => "engagements",
            Table::Legs => "legs",
            Table::Holds => "holds",
            Table::Transfers => "transfers",
            Table::ConferenceInvitations => "conference_invitations",
            Table::Conferences => "conferences",
            Table::Supervision => "supervision",
            Table::DerivedEvents => "derived_events",
        }
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// Columns, in order.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Table::Engagements => ENGAGEMENTS,
            Table::Legs => LEGS,
            Table::Holds => HOLDS,
            Table::Transfers => TRANSFERS,
            Table::ConferenceInvitations => INVITATIONS,
            Table::Conferences => CONFERENCES,
            Table::Supervision => SUPERVISION,
            Table::DerivedEvents => DERIVED,
        }
    }

    /// The column `--since`/`--until` filter on: the start of the row's interval.
    pub fn time_column(self) -> &'static str {
        match self {
            Table::Legs => "joined_at",
            Table::ConferenceInvitations => "invited_at",
            Table::DerivedEvents => "at",
            _ => "started_at",
        }
    }
}

fn s(v: &Option<String>) -> Cell {
    Cell::Str(v.clone())
}
fn text(v: &str) -> Cell {
    Cell::Str(Some(v.to_owned()))
}
fn t(v: Option<i64>) -> Cell {
    Cell::TimeMs(v)
}
fn dur(from: Option<i64>, to: Option<i64>) -> Cell {
    Cell::Int(match (from, to) {
        // Saturating: a projection stored before event times were bounded may hold any two.
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    })
}
fn evid(e: &[Position]) -> Cell {
    Cell::IntList(e.to_vec())
}
fn json_word<T: serde::Serialize>(v: &T) -> Cell {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Cell::Str(Some(s)),
        _ => Cell::Str(None),
    }
}

impl CallProjection {
    /// The rows of `table` for this engagement, cells in [`Table::columns`] order.
    pub fn table_rows(&self, table: Table) -> Vec<Vec<Cell>> {
        let e = &self.engagement;
        let id = || text(&e.engagement_id);
        let acct = || s(&e.account_id);
        let rule = || text(&self.rule.to_string());
        match table {
            Table::Engagements => vec![vec![
                id(),
                acct(),
                s(&e.channel),
                s(&e.direction),
                s(&e.flow_id),
                s(&e.flow_name),
                Cell::List(e.queue_ids.clone()),
                Cell::List(e.queue_names.clone()),
                t(e.started_at),
                t(e.ended_at),
                dur(e.started_at, e.ended_at),
                s(&e.customer_id),
                s(&e.customer_number),
                s(&e.customer_name),
                Cell::List(self.agents()),
                Cell::Bool(Some(self.has_conference())),
                Cell::Int(Some(self.conferences.len() as i64)),
                rule(),
                evid(&e.evidence),
            ]],
            Table::Legs => self
                .legs
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    vec![
                        id(),
                        acct(),
                        Cell::Int(Some(i as i64 + 1)),
                        json_word(&l.party),
                        s(&l.user_id),
                        s(&l.display_name),
                        t(Some(l.joined_at)),
                        t(l.left_at),
                        dur(Some(l.joined_at), l.left_at),
                        json_word(&l.via),
                        s(&l.task_id),
                        rule(),
                        evid(&l.evidence),
                    ]
                })
                .collect(),
            Table::Holds => self
                .holds
                .iter()
                .map(|h| {
                    vec![
                        id(),
                        acct(),
                        s(&h.user_id),
                        t(Some(h.started_at)),
                        t(h.ended_at),
                        dur(Some(h.started_at), h.ended_at),
                        rule(),
                        evid(&h.evidence),
                    ]
                })
                .collect(),
            Table::Transfers => self
                .transfers
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    vec![
                        id(),
                        acct(),
                        Cell::Int(Some(i as i64 + 1)),
                        s(&x.from_user),
                        s(&x.to_user),
                        s(&x.to_queue_id),
                        s(&x.to_queue_name),
                        s(&x.to_number),
                        s(&x.to_flow_or_inbox),
                        s(&x.transfer_type),
                        s(&x.transfer_level),
                        t(Some(x.started_at)),
                        t(x.accepted_at),
                        json_word(&x.outcome),
                        t(x.outcome_at),
                        s(&x.task_id),
                        s(&x.target_task_id),
                        rule(),
                        evid(&x.evidence),
                    ]
                })
                .collect(),
            Table::ConferenceInvitations => self
                .conference_invitations
                .iter()
                .map(|x| {
                    vec![
                        id(),
                        acct(),
                        s(&x.invited_user),
                        s(&x.invited_by),
                        t(Some(x.invited_at)),
                        json_word(&x.outcome),
                        t(x.outcome_at),
                        json_word(&x.source),
                        rule(),
                        evid(&x.evidence),
                    ]
                })
                .collect(),
            Table::Conferences => self
                .conferences
                .iter()
                .map(|x| {
                    vec![
                        id(),
                        acct(),
                        Cell::Int(Some(x.conference_index)),
                        t(Some(x.started_at)),
                        t(x.ended_at),
                        dur(Some(x.started_at), x.ended_at),
                        Cell::List(x.participants.clone()),
                        s(&x.initiated_by),
                        json_word(&x.source),
                        rule(),
                        evid(&x.evidence),
                        s(&x.conference_id),
                        Cell::List(x.external_participants.clone()),
                    ]
                })
                .collect(),
            Table::Supervision => self
                .supervision
                .iter()
                .map(|x| {
                    vec![
                        id(),
                        acct(),
                        text(&x.supervisor),
                        s(&x.supervisor_name),
                        s(&x.agent),
                        text(x.mode.as_str()),
                        t(Some(x.started_at)),
                        t(x.ended_at),
                        dur(Some(x.started_at), x.ended_at),
                        rule(),
                        evid(&x.evidence),
                    ]
                })
                .collect(),
            Table::DerivedEvents => self
                .derived_events
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    vec![
                        id(),
                        acct(),
                        Cell::Int(Some(i as i64 + 1)),
                        t(Some(x.at)),
                        text(x.kind.as_str()),
                        Cell::List(x.agents.clone()),
                        text(&x.rule),
                        evid(&x.evidence),
                    ]
                })
                .collect(),
        }
    }
}
