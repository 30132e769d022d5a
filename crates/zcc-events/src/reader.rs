//! A tolerant reader that moves typed fields out of a JSON object, recording a
//! [`FieldWarning`] for every value of the wrong type. What it does not take stays in the
//! object, which becomes the object's `extra` (unknown fields kept verbatim, SPEC I6).
//!
//! The object is a [`Lazy`] tree: deserialised straight from the body text, strings borrowed
//! when they have no escapes, objects as entry lists (no map building). Only what ends up in
//! `extra`, or in a warning, is turned into a `serde_json::Value`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::envelope::Skip;
use crate::ids::PhoneNumber;
use crate::time::{PLAUSIBLE_TEXT, ms_from_f64, parse_time_str, plausible_ms};
use crate::warning::{FieldWarning, WarningAction, describe};

/// A JSON value read without building a `Value`: strings borrowed where possible, objects as
/// their entries in body order (duplicate keys kept; the last one wins, as in `Value`).
#[derive(Debug, Clone)]
pub(crate) enum Lazy<'a> {
    Null,
    Bool(bool),
    Number(Number),
    Str(Cow<'a, str>),
    Array(Vec<Lazy<'a>>),
    Object(Entries<'a>),
}

pub(crate) type Entries<'a> = Vec<(Cow<'a, str>, Lazy<'a>)>;

impl Lazy<'_> {
    pub(crate) fn into_value(self) -> Value {
        match self {
            Lazy::Null => Value::Null,
            Lazy::Bool(b) => Value::Bool(b),
            Lazy::Number(n) => Value::Number(n),
            Lazy::Str(s) => Value::String(s.into_owned()),
            Lazy::Array(items) => Value::Array(items.into_iter().map(Lazy::into_value).collect()),
            Lazy::Object(entries) => Value::Object(entries_into_map(entries)),
        }
    }

    pub(crate) fn to_value(&self) -> Value {
        self.clone().into_value()
    }
}

/// The entries as a map; a later duplicate key replaces an earlier one, as in `Value`.
pub(crate) fn entries_into_map(entries: Entries<'_>) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in entries {
        map.insert(k.into_owned(), v.into_value());
    }
    map
}

struct LazyVisitor;

impl<'de> Visitor<'de> for LazyVisitor {
    type Value = Lazy<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Lazy<'de>, E> {
        Ok(Lazy::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Lazy<'de>, E> {
        Ok(Lazy::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Lazy<'de>, E> {
        Ok(Lazy::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Lazy<'de>, E> {
        Ok(Number::from_f64(v).map_or(Lazy::Null, Lazy::Number))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Lazy<'de>, E> {
        Ok(Lazy::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Lazy<'de>, E> {
        Ok(Lazy::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Lazy<'de>, E> {
        Ok(Lazy::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Lazy<'de>, E> {
        Ok(Lazy::Null)
    }
    fn visit_none<E>(self) -> Result<Lazy<'de>, E> {
        Ok(Lazy::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Lazy<'de>, D::Error> {
        Lazy::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lazy<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Lazy::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lazy<'de>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(16));
        while let Some(LazyKey(key)) = map.next_key()? {
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Lazy::Object(entries))
    }
}

impl<'de> Deserialize<'de> for Lazy<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LazyVisitor)
    }
}

/// An object key, borrowed when it has no escapes.
pub(crate) struct LazyKey<'a>(pub(crate) Cow<'a, str>);

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = LazyKey<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<LazyKey<'de>, E> {
        Ok(LazyKey(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<LazyKey<'de>, E> {
        Ok(LazyKey(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<LazyKey<'de>, E> {
        Ok(LazyKey(Cow::Owned(v)))
    }
}

impl<'de> Deserialize<'de> for LazyKey<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

/// The fields one typed object reads: their names, in slot order, and the slot of a key (a
/// `match` generated with the object, so a key costs one comparison chain, not a search).
#[derive(Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) names: &'static [&'static str],
    pub(crate) slot: fn(&str) -> Option<usize>,
}

/// An object read as a whole, field by field, into nothing typed ([`crate::Family::Other`]).
pub(crate) const NO_FIELDS: Shape = Shape {
    names: &[],
    slot: |_| None,
};

/// An object sorted into a [`Shape`]'s slots and the rest.
pub(crate) struct Slotted<'a> {
    pub(crate) shape: Shape,
    slots: Vec<Option<Lazy<'a>>>,
    rest: Entries<'a>,
    /// Entries outside the shape were skipped, not kept in `rest`.
    pub(crate) skipped: bool,
}

impl<'a> Slotted<'a> {
    fn empty(shape: Shape) -> Slotted<'a> {
        let mut slots = Vec::new();
        slots.resize_with(shape.names.len(), || None);
        Slotted {
            shape,
            slots,
            rest: Vec::new(),
            skipped: false,
        }
    }

    /// A one-field `shape` holding `value` in its only slot.
    pub(crate) fn one(shape: Shape, value: Lazy<'a>) -> Slotted<'a> {
        debug_assert_eq!(shape.names.len(), 1, "a shape of one field");
        Slotted {
            shape,
            slots: vec![Some(value)],
            rest: Vec::new(),
            skipped: false,
        }
    }

    /// Sort `entries` into `shape` (a repeated key: the last one wins).
    pub(crate) fn from_entries(entries: Entries<'a>, shape: Shape) -> Slotted<'a> {
        let mut out = Slotted::empty(shape);
        for (key, value) in entries {
            match (shape.slot)(&key) {
                Some(i) => out.slots[i] = Some(value),
                None => out.rest.push((key, value)),
            }
        }
        out
    }
}

/// Deserialises one JSON value straight into a [`Shape`]'s slots when it is an object (no entry
/// list in between; entries outside the shape checked and dropped when `skip_unknown`), or
/// into a [`Lazy`] when it is anything else.
pub(crate) struct SlotsSeed {
    pub(crate) shape: Shape,
    pub(crate) skip_unknown: bool,
}

/// What a [`SlotsSeed`] read.
pub(crate) enum SlotsOrValue<'a> {
    Object(Slotted<'a>),
    Not(Lazy<'a>),
}

impl<'de> DeserializeSeed<'de> for SlotsSeed {
    type Value = SlotsOrValue<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SlotsSeed {
    type Value = SlotsOrValue<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        LazyVisitor.visit_bool(v).map(SlotsOrValue::Not)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        LazyVisitor.visit_i64(v).map(SlotsOrValue::Not)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        LazyVisitor.visit_u64(v).map(SlotsOrValue::Not)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        LazyVisitor.visit_f64(v).map(SlotsOrValue::Not)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        LazyVisitor.visit_borrowed_str(v).map(SlotsOrValue::Not)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        LazyVisitor.visit_str(v).map(SlotsOrValue::Not)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        LazyVisitor.visit_string(v).map(SlotsOrValue::Not)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(SlotsOrValue::Not(Lazy::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(SlotsOrValue::Not(Lazy::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        LazyVisitor.visit_seq(seq).map(SlotsOrValue::Not)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Slotted::empty(self.shape);
        while let Some(LazyKey(key)) = map.next_key()? {
            match (self.shape.slot)(&key) {
                Some(i) => out.slots[i] = Some(map.next_value()?),
                None if self.skip_unknown => {
                    // `Skip`, not `IgnoredAny`: strings are checked as the other readers check them.
                    map.next_value::<Skip>()?;
                    out.skipped = true;
                }
                None => {
                    let value = map.next_value()?;
                    out.rest.push((key, value));
                }
            }
        }
        Ok(SlotsOrValue::Object(out))
    }
}

/// Reads one JSON object into a typed object. The object's entries are sorted once into the
/// shape's slots (a repeated key: the last one wins, as in `Value`) and the rest; each typed
/// field then takes its slot by index.
pub(crate) struct Reader<'a, 'w> {
    shape: Shape,
    slots: Vec<Option<Lazy<'a>>>,
    /// Entries outside the shape, and values a typed field could not use.
    rest: Entries<'a>,
    path: Cow<'static, str>,
    warnings: &'w mut Vec<FieldWarning>,
    /// Keep what is left as `extra` (see [`crate::ParseOptions::skip_extra`]).
    keep_extra: bool,
}

fn found(value: Option<&Lazy<'_>>) -> String {
    describe(value.map(Lazy::to_value).as_ref())
}

/// True when `value` can serve as an id: a string, or a number (read as its JSON text).
pub(crate) fn id_usable(value: Option<&Lazy<'_>>) -> bool {
    matches!(value, Some(Lazy::Str(_) | Lazy::Number(_)))
}

/// Epoch milliseconds from a JSON value: an ISO-8601 string, a numeric string or a number,
/// within [`crate::time::PLAUSIBLE_MS`]. `Ok(None)` for null; `Err(expected)` for anything
/// unreadable or out of range, with what a time field should have held (for the warning).
pub(crate) fn time_of(value: &Value) -> Result<Option<i64>, &'static str> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => in_range(parse_time_str(s)),
        Value::Number(n) => in_range(number_ms(n)),
        _ => Err(TIME_EXPECTED),
    }
}

/// [`time_of`] for a [`Lazy`] value.
pub(crate) fn lazy_time_of(value: &Lazy<'_>) -> Result<Option<i64>, &'static str> {
    match value {
        Lazy::Null => Ok(None),
        Lazy::Str(s) => in_range(parse_time_str(s)),
        Lazy::Number(n) => in_range(number_ms(n)),
        _ => Err(TIME_EXPECTED),
    }
}

fn in_range(ms: Option<i64>) -> Result<Option<i64>, &'static str> {
    match ms {
        None => Err(TIME_EXPECTED),
        Some(ms) => plausible_ms(ms).map(Some).ok_or(PLAUSIBLE_TEXT),
    }
}

fn number_ms(n: &Number) -> Option<i64> {
    n.as_i64().or_else(|| n.as_f64().and_then(ms_from_f64))
}

pub(crate) const TIME_EXPECTED: &str = "an ISO-8601 time or epoch milliseconds";

impl<'a, 'w> Reader<'a, 'w> {
    pub(crate) fn new(
        entries: Entries<'a>,
        shape: Shape,
        path: Cow<'static, str>,
        warnings: &'w mut Vec<FieldWarning>,
        keep_extra: bool,
    ) -> Self {
        Reader::from_slotted(
            Slotted::from_entries(entries, shape),
            path,
            warnings,
            keep_extra,
        )
    }

    /// A reader over an object already sorted into `shape`'s slots.
    pub(crate) fn from_slotted(
        object: Slotted<'a>,
        path: Cow<'static, str>,
        warnings: &'w mut Vec<FieldWarning>,
        keep_extra: bool,
    ) -> Self {
        Reader {
            shape: object.shape,
            slots: object.slots,
            rest: object.rest,
            path,
            warnings,
            keep_extra,
        }
    }

    /// The value of `key`, left in place.
    fn get(&self, key: &str) -> Option<&Lazy<'a>> {
        (self.shape.slot)(key).and_then(|i| self.slots[i].as_ref())
    }

    /// Take the value of slot `i` out.
    fn remove(&mut self, i: usize) -> Option<Lazy<'a>> {
        self.slots[i].take()
    }

    pub(crate) fn warn(
        &mut self,
        key: &str,
        expected: &'static str,
        found_text: String,
        action: WarningAction,
    ) {
        self.warnings.push(FieldWarning {
            path: format!("{}.{key}", self.path),
            expected,
            found: found_text,
            action,
        });
    }

    /// Keep a value the model could not use in `extra`, and say so.
    fn reject(&mut self, key: &str, expected: &'static str, value: Lazy<'a>) {
        self.warn(key, expected, found(Some(&value)), WarningAction::Ignored);
        self.rest.push((Cow::Owned(key.to_owned()), value));
    }

    /// Check that the ids a family cannot do without are there; warn for each that is not.
    pub(crate) fn require(&mut self, keys: &[&str], family: &'static str) -> bool {
        let mut ok = true;
        for key in keys {
            let value = self.get(key);
            if !id_usable(value) {
                let text = found(value);
                self.warn(key, family, text, WarningAction::FamilyNotRead);
                ok = false;
            }
        }
        ok
    }

    /// A string field as read: borrowed from the body when it has no escapes, so that a typed
    /// value built from it (an id, an open enum) copies it once or not at all.
    fn text(&mut self, i: usize, key: &str) -> Option<Cow<'a, str>> {
        match self.remove(i)? {
            Lazy::Null => None,
            Lazy::Str(s) => Some(s),
            Lazy::Number(n) => {
                self.warn(
                    key,
                    "a string",
                    describe(Some(&Value::Number(n.clone()))),
                    WarningAction::Converted,
                );
                Some(Cow::Owned(n.to_string()))
            }
            other => {
                self.reject(key, "a string", other);
                None
            }
        }
    }

    /// A text field (a name, a label) kept inline when it is short, as most are: read as an
    /// id is.
    pub(crate) fn compact(&mut self, i: usize, key: &str) -> Option<compact_str::CompactString> {
        self.id(i, key)
    }

    pub(crate) fn id<T: for<'s> From<&'s str>>(&mut self, i: usize, key: &str) -> Option<T> {
        self.text(i, key).map(|s| T::from(&s))
    }

    /// An id checked by [`Reader::require`]: present by construction.
    pub(crate) fn required_id<T: for<'s> From<&'s str>>(&mut self, i: usize, key: &str) -> T {
        T::from(self.text(i, key).as_deref().unwrap_or_default())
    }

    pub(crate) fn open<T: for<'s> From<&'s str>>(&mut self, i: usize, key: &str) -> Option<T> {
        self.text(i, key).map(|s| T::from(&s))
    }

    pub(crate) fn phone(&mut self, i: usize, key: &str) -> Option<PhoneNumber> {
        self.text(i, key).map(|s| PhoneNumber::new(s.into_owned()))
    }

    pub(crate) fn int(&mut self, i: usize, key: &str) -> Option<i64> {
        match self.remove(i)? {
            Lazy::Null => None,
            Lazy::Number(n) => match number_ms(&n) {
                Some(i) => Some(i),
                None => {
                    self.reject(key, "an integer", Lazy::Number(n));
                    None
                }
            },
            Lazy::Str(s) => match s.trim().parse::<i64>() {
                Ok(i) => {
                    self.warn(
                        key,
                        "an integer",
                        found(Some(&Lazy::Str(s))),
                        WarningAction::Converted,
                    );
                    Some(i)
                }
                Err(_) => {
                    self.reject(key, "an integer", Lazy::Str(s));
                    None
                }
            },
            other => {
                self.reject(key, "an integer", other);
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, i: usize, key: &str) -> Option<bool> {
        match self.remove(i)? {
            Lazy::Null => None,
            Lazy::Bool(b) => Some(b),
            Lazy::Str(s) if s == "true" || s == "false" => {
                let b = s == "true";
                self.warn(
                    key,
                    "a boolean",
                    found(Some(&Lazy::Str(s))),
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
    /// anything else, or a time outside [`crate::time::PLAUSIBLE_MS`], warns and stays in
    /// `extra`.
    pub(crate) fn time(&mut self, i: usize, key: &str) -> Option<i64> {
        let value = self.remove(i)?;
        match lazy_time_of(&value) {
            Ok(ms) => ms,
            Err(expected) => {
                self.reject(key, expected, value);
                None
            }
        }
    }

    /// A list of objects, each read by `read`. Items that are not objects are dropped with a
    /// warning; a value that is not a list warns and stays in `extra`.
    pub(crate) fn list<T>(
        &mut self,
        i: usize,
        key: &str,
        shape: Shape,
        mut read: impl FnMut(&mut Reader<'a, '_>) -> T,
    ) -> Vec<T> {
        match self.remove(i) {
            None | Some(Lazy::Null) => Vec::new(),
            Some(Lazy::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    let item_path = format!("{}.{key}[{i}]", self.path);
                    match item {
                        Lazy::Object(m) => {
                            let mut sub = Reader::new(
                                m,
                                shape,
                                Cow::Owned(item_path),
                                self.warnings,
                                self.keep_extra,
                            );
                            out.push(read(&mut sub));
                        }
                        other => self.warnings.push(FieldWarning {
                            path: item_path,
                            expected: "an object",
                            found: found(Some(&other)),
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

    /// Like [`Reader::list`], but `None` when the key is absent or null, so that an empty list
    /// sent by Zoom (a snapshot with nobody in it) differs from no list at all.
    pub(crate) fn opt_list<T>(
        &mut self,
        i: usize,
        key: &str,
        shape: Shape,
        read: impl FnMut(&mut Reader<'a, '_>) -> T,
    ) -> Option<Vec<T>> {
        match &self.slots[i] {
            None | Some(Lazy::Null) => {
                self.slots[i] = None;
                None
            }
            Some(Lazy::Array(_)) => Some(self.list(i, key, shape, read)),
            Some(_) => {
                self.list(i, key, shape, read);
                None
            }
        }
    }

    /// A nested object read by `read`; a value that is not an object warns and stays in
    /// `extra`.
    pub(crate) fn object<T>(
        &mut self,
        i: usize,
        key: &str,
        shape: Shape,
        read: impl FnOnce(&mut Reader<'a, '_>) -> T,
    ) -> Option<T> {
        match self.remove(i) {
            None | Some(Lazy::Null) => None,
            Some(Lazy::Object(m)) => {
                let path = format!("{}.{key}", self.path);
                let mut sub =
                    Reader::new(m, shape, Cow::Owned(path), self.warnings, self.keep_extra);
                Some(read(&mut sub))
            }
            Some(other) => {
                self.reject(key, "an object", other);
                None
            }
        }
    }

    /// What is left, as the object's `extra` (empty when extras are skipped).
    pub(crate) fn take_extra(&mut self) -> Map<String, Value> {
        let rest = std::mem::take(&mut self.rest);
        if self.keep_extra {
            entries_into_map(rest)
        } else {
            Map::new()
        }
    }

    /// The whole object, verbatim (for an object read as [`crate::Family::Other`]).
    pub(crate) fn finish(self) -> Map<String, Value> {
        let mut map = entries_into_map(self.rest);
        for (name, value) in self.shape.names.iter().zip(self.slots) {
            if let Some(value) = value {
                map.insert((*name).to_owned(), value.into_value());
            }
        }
        map
    }
}
