//! Rows for the export tables of SPEC 8. The export crate only formats: column names, types and
//! order are fixed here, and every projection gives typed cells in that order.
//!
//! Each table is one list of fields, a column and the cell it holds side by side; the column
//! list [`Table::columns`] is derived from it, so names and cells cannot drift apart.
//!
//! Where a row names agents by user id, a name column follows at the end of the table (after
//! the columns earlier versions had, so readers by position keep working): the display name the
//! call's legs or supervision sessions give that user, null when none does. A list of ids has a
//! list of names in the same order, with an empty string where a name is unknown.

use std::collections::BTreeMap;

use crate::model::{
    CallProjection, Conference, ConferenceInvitation, DerivedEvent, Engagement, Hold, Leg,
    Position, Supervision, Transfer,
};

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

/// What a cell reads: the projection, the item the row stands for and its 1-based index.
struct Row<'a, T> {
    p: &'a CallProjection,
    item: &'a T,
    index: i64,
    /// The projection's rule identity, as text.
    rule: &'a str,
    /// Display names by user id ([`user_names`]).
    names: &'a BTreeMap<&'a str, &'a str>,
}

/// The name of the user `id` (null when the id or the name is unknown).
fn name_of<T>(r: &Row<'_, T>, id: Option<&str>) -> Cell {
    Cell::Str(id.and_then(|id| r.names.get(id)).map(|n| (*n).to_owned()))
}

/// The names of `ids`, in their order; an empty string where a name is unknown.
fn names_of<T>(r: &Row<'_, T>, ids: &[String]) -> Cell {
    Cell::List(
        ids.iter()
            .map(|id| {
                r.names
                    .get(id.as_str())
                    .map_or_else(String::new, |n| (*n).to_owned())
            })
            .collect(),
    )
}

// The cells every table shares.
fn engagement_id<T>(r: &Row<'_, T>) -> Cell {
    text(&r.p.engagement.engagement_id)
}
fn account_id<T>(r: &Row<'_, T>) -> Cell {
    s(&r.p.engagement.account_id)
}
fn index<T>(r: &Row<'_, T>) -> Cell {
    Cell::Int(Some(r.index))
}
fn rule<T>(r: &Row<'_, T>) -> Cell {
    text(r.rule)
}

/// One column of a table and how a row of `T` fills it.
struct Field<T> {
    column: Column,
    cell: fn(&Row<'_, T>) -> Cell,
}

const fn f<T>(name: &'static str, ty: ColumnType, cell: fn(&Row<'_, T>) -> Cell) -> Field<T> {
    Field {
        column: Column { name, ty },
        cell,
    }
}

/// The column list of a table's fields.
const fn columns<T, const N: usize>(fields: &[Field<T>; N]) -> [Column; N] {
    let mut out = [Column { name: "", ty: Str }; N];
    let mut i = 0;
    while i < N {
        out[i] = fields[i].column;
        i += 1;
    }
    out
}

use ColumnType::{Bool, Int, IntList, List, Str, TimeMs};

const ENGAGEMENTS: [Field<Engagement>; 20] = [
    f("engagement_id", Str, engagement_id),
    f("account_id", Str, account_id),
    f("channel", Str, |r| s(&r.item.channel)),
    f("direction", Str, |r| s(&r.item.direction)),
    f("flow_id", Str, |r| s(&r.item.flow_id)),
    f("flow_name", Str, |r| s(&r.item.flow_name)),
    f("queue_ids", List, |r| Cell::List(r.item.queue_ids.clone())),
    f("queue_names", List, |r| {
        Cell::List(r.item.queue_names.clone())
    }),
    f("started_at", TimeMs, |r| t(r.item.started_at)),
    f("ended_at", TimeMs, |r| t(r.item.ended_at)),
    f("duration_ms", Int, |r| {
        dur(r.item.started_at, r.item.ended_at)
    }),
    f("customer_id", Str, |r| s(&r.item.customer_id)),
    f("customer_number", Str, |r| s(&r.item.customer_number)),
    f("customer_name", Str, |r| s(&r.item.customer_name)),
    f("agents", List, |r| Cell::List(r.p.agents())),
    f("has_conference", Bool, |r| {
        Cell::Bool(Some(r.p.has_conference()))
    }),
    f("conference_count", Int, |r| {
        Cell::Int(Some(r.p.conferences.len() as i64))
    }),
    f("rule", Str, rule),
    f("evidence", IntList, |r| evid(&r.item.evidence)),
    f("agent_names", List, |r| names_of(r, &r.p.agents())),
];

const LEGS: [Field<Leg>; 13] = [
    f("engagement_id", Str, engagement_id),
    f("account_id", Str, account_id),
    f("leg_index", Int, index),
    f("party", Str, |r| json_word(&r.item.party)),
    f("user_id", Str, |r| s(&r.item.user_id)),
    f("display_name", Str, |r| s(&r.item.display_name)),
    f("joined_at", TimeMs, |r| t(Some(r.item.joined_at))),
    f("left_at", TimeMs, |r| t(r.item.left_at)),
    f("duration_ms", Int, |r| {
        dur(Some(r.item.joined_at), r.item.left_at)
    }),
    f("via", Str, |r| json_word(&r.item.via)),
    f("task_id", Str, |r| s(&r.item.task_id)),
    f("rule", Str, rule),
    f("evidence", IntList, |r| evid(&r.item.evidence)),
];

const HOLDS: [Field<Hold>; 9] = [
    f("engagement_id", Str, engagement_id),
    f("account_id", Str, account_id),
    f("user_id", Str, |r| s(&r.item.user_id)),
    f("started_at", TimeMs, |r| t(Some(r.item.started_at))),
    f("ended_at", TimeMs, |r| t(r.item.ended_at)),
    f("duration_ms", Int, |r| {
        dur(Some(r.item.started_at), r.item.ended_at)
    }),
    f("rule", Str, rule),
    f("evidence", IntList, |r| evid(&r.item.evidence)),
    f("user_name", Str, |r| name_of(r, r.item.user_id.as_deref())),
];

const TRANSFERS: [Field<Transfer>; 21] = [
    f("engagement_id", Str, engagement_id),
    f("account_id", Str, account_id),
    f("transfer_index", Int, index),
    f("from_user", Str, |r| s(&r.item.from_user)),
    f("to_user", Str, |r| s(&r.item.to_user)),
    f("to_queue_id", Str, |r| s(&r.item.to_queue_id)),
    f("to_queue_name", Str, |r| s(&r.item.to_queue_name)),
    f("to_number", Str, |r| s(&r.item.to_number)),
    f("to_flow_or_inbox", Str, |r| s(&r.item.to_flow_or_inbox)),
    f("transfer_type", Str, |r| s(&r.item.transfer_type)),
    f("transfer_level", Str, |r| s(&r.item.transfer_level)),
    f("started_at", TimeMs, |r| t(Some(r.item.started_at))),
    f("accepted_at", TimeMs, |r| t(r.item.accepted_at)),
    f("outcome", Str, |r| json_word(&r.item.outcome)),
    f("outcome_at", TimeMs, |r| t(r.item.outcome_at)),
    f("task_id", Str, |r| s(&r.item.task_id)),
    f("target_task_id", Str, |r| s(&r.item.target_task_id)),
    f("rule", Str, rule),
    f("evidence", IntList, |r| evid(&r.item.evidence)),
    f("from_user_name", Str, |r| {
        name_of(r, r.item.from_user.as_deref())
    }),
    f("to_user_name", Str, |r| {
        name_of(r, r.item.to_user.as_deref())
    }),
];

const INVITATIONS: [Field<ConferenceInvitation>; 12] = [
    f("engagement_id", Str, engagement_id),
    f("account_id", Str, account_id),
    f("invited_user", Str, |r| s(&r.item.invited_user)),
    f("invited_by", Str, |r| s(&r.item.invited_by)),
    f("invited_at", TimeMs, |r| t(Some(r.item.invited_at))),
    f("outcome", Str, |r| json_word(&r.item.outcome)),
    f("outcome_at", TimeMs, |r| t(r.item.outcome_at)),
    f("source", Str, |r| json_word(&r.item.source)),
    f("rule", Str, rule),
    f("evidence", IntList, |r| evid(&r.item.evidence)),
    f("invited_user_name", Str, |r| {
        name_of(r, r.item.invited_user.as_deref())
    }),
    f("invited_by_name", Str, |r| {
        name_of(r, r.item.invited_by.as_deref())
    }),
];

const CONFERENCES: [Field<Conference>; 15] = [
    f("engagement_id", Str, engagement_id),
    f("account_id", Str, account_id),
    f("conference_index", Int, |r| {
        Cell::Int(Some(r.item.conference_index))
    }),
    f("started_at", TimeMs, |r| t(Some(r.item.started_at))),
    f("ended_at", TimeMs, |r| t(r.item.ended_at)),
    f("duration_ms", Int, |r| {
        dur(Some(r.item.started_at), r.item.ended_at)
    }),
    f("participants", List, |r| {
        Cell::List(r.item.participants.clone())
    }),
    f("initiated_by", Str, |r| s(&r.item.initiated_by)),
    f("source", Str, |r| json_word(&r.item.source)),
    f("rule", Str, rule),
    f("evidence", IntList, |r| evid(&r.item.evidence)),
    f("conference_id", Str, |r| s(&r.item.conference_id)),
    f("external_participants", List, |r| {
        Cell::List(r.item.external_participants.clone())
    }),
    // After the columns SPEC 8 lists, in their order.
    f("participant_names", List, |r| {
        names_of(r, &r.item.participants)
    }),
    f("initiated_by_name", Str, |r| {
        name_of(r, r.item.initiated_by.as_deref())
    }),
];

const SUPERVISION: [Field<Supervision>; 12] = [
    f("engagement_id", Str, engagement_id),
    f("account_id", Str, account_id),
    f("supervisor", Str, |r| text(&r.item.supervisor)),
    f("supervisor_name", Str, |r| s(&r.item.supervisor_name)),
    f("agent", Str, |r| s(&r.item.agent)),
    f("mode", Str, |r| text(r.item.mode.as_str())),
    f("started_at", TimeMs, |r| t(Some(r.item.started_at))),
    f("ended_at", TimeMs, |r| t(r.item.ended_at)),
    f("duration_ms", Int, |r| {
        dur(Some(r.item.started_at), r.item.ended_at)
    }),
    f("rule", Str, rule),
    f("evidence", IntList, |r| evid(&r.item.evidence)),
    f("agent_name", Str, |r| name_of(r, r.item.agent.as_deref())),
];

const DERIVED: [Field<DerivedEvent>; 9] = [
    f("engagement_id", Str, engagement_id),
    f("account_id", Str, account_id),
    f("seq", Int, index),
    f("at", TimeMs, |r| t(Some(r.item.at))),
    f("kind", Str, |r| text(r.item.kind.as_str())),
    f("agents", List, |r| Cell::List(r.item.agents.clone())),
    // The derived event's own rule field.
    f("rule", Str, |r| text(&r.item.rule)),
    f("evidence", IntList, |r| evid(&r.item.evidence)),
    f("agent_names", List, |r| names_of(r, &r.item.agents)),
];

static ENGAGEMENT_COLUMNS: [Column; ENGAGEMENTS.len()] = columns(&ENGAGEMENTS);
static LEG_COLUMNS: [Column; LEGS.len()] = columns(&LEGS);
static HOLD_COLUMNS: [Column; HOLDS.len()] = columns(&HOLDS);
static TRANSFER_COLUMNS: [Column; TRANSFERS.len()] = columns(&TRANSFERS);
static INVITATION_COLUMNS: [Column; INVITATIONS.len()] = columns(&INVITATIONS);
static CONFERENCE_COLUMNS: [Column; CONFERENCES.len()] = columns(&CONFERENCES);
static SUPERVISION_COLUMNS: [Column; SUPERVISION.len()] = columns(&SUPERVISION);
static DERIVED_COLUMNS: [Column; DERIVED.len()] = columns(&DERIVED);

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
            Table::Engagements => &ENGAGEMENT_COLUMNS,
            Table::Legs => &LEG_COLUMNS,
            Table::Holds => &HOLD_COLUMNS,
            Table::Transfers => &TRANSFER_COLUMNS,
            Table::ConferenceInvitations => &INVITATION_COLUMNS,
            Table::Conferences => &CONFERENCE_COLUMNS,
            Table::Supervision => &SUPERVISION_COLUMNS,
            Table::DerivedEvents => &DERIVED_COLUMNS,
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
    Cell::IntList(e.iter().map(|p| p.get()).collect())
}
fn json_word<T: serde::Serialize>(v: &T) -> Cell {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Cell::Str(Some(s)),
        _ => Cell::Str(None),
    }
}

/// One row per item, cells in the order of `fields`.
fn rows<T>(p: &CallProjection, items: &[T], fields: &[Field<T>]) -> Vec<Vec<Cell>> {
    let rule = p.rule.to_string();
    let names = p.user_names();
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let row = Row {
                p,
                item,
                index: i as i64 + 1,
                rule: &rule,
                names: &names,
            };
            fields.iter().map(|field| (field.cell)(&row)).collect()
        })
        .collect()
}

impl CallProjection {
    /// The rows of `table` for this engagement, cells in [`Table::columns`] order.
    pub fn table_rows(&self, table: Table) -> Vec<Vec<Cell>> {
        match table {
            Table::Engagements => rows(self, std::slice::from_ref(&self.engagement), &ENGAGEMENTS),
            Table::Legs => rows(self, &self.legs, &LEGS),
            Table::Holds => rows(self, &self.holds, &HOLDS),
            Table::Transfers => rows(self, &self.transfers, &TRANSFERS),
            Table::ConferenceInvitations => rows(self, &self.conference_invitations, &INVITATIONS),
            Table::Conferences => rows(self, &self.conferences, &CONFERENCES),
            Table::Supervision => rows(self, &self.supervision, &SUPERVISION),
            Table::DerivedEvents => rows(self, &self.derived_events, &DERIVED),
        }
    }
}
