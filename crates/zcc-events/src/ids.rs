//! Strongly typed ids, phone numbers and the open enumerations of ZCC objects.
//!
//! Ids are kept exactly as sent; nothing here validates their shape (Zoom documents none).

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

macro_rules! id_newtype {
    ($( $(#[$doc:meta])* $name:ident; )*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub CompactString);

        impl $name {
            /// The id as sent.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// The id as an owned `String`, for a database driver or a row of text (a long id's
        /// buffer is moved, not copied).
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.into_string()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(CompactString::from(s))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(CompactString::from(s))
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    )*};
}

id_newtype! {
    /// `payload.account_id`: the Zoom account.
    AccountId;
    /// `engagement_id`: one interaction (call), stable across transfers.
    EngagementId;
    /// `user_id` and friends (`assigned_user_id`, `transfer_to_user_id`, `monitoring_user_id`,
    /// `takeover_user_id`, `owner_id`): a Contact Center user (agent or supervisor).
    UserId;
    /// `task_id`, `transfer_to_task_id`: one routing attempt. A transfer mints a new task.
    TaskId;
    /// `task_reservation_id`: one offer of a task to one agent.
    ReservationId;
    /// `cc_queue_id`, `queue_id`, `transfer_to_cc_queue_id`.
    QueueId;
    /// `flow_id`, `transfer_to_flow_id`.
    FlowId;
    /// `consumer_id`: the customer.
    ConsumerId;
    /// `recording_id`.
    RecordingId;
    /// `transfer_to_inbox_id`.
    InboxId;
}

/// A phone number as sent, with a normalised form beside it.
///
/// Normalisation: separators (spaces, `-`, `.`, `(`, `)`, `/`) are dropped; a leading `+` or
/// `00` gives `+digits`; 11 to 15 bare digits (for example `18005550101`) look international and
/// gain a `+`; shorter digit strings (extensions such as `1026`, national numbers) are kept as
/// digits; anything with other characters (a SIP address, an email) is kept as sent, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PhoneNumber {
    /// Exactly as sent.
    pub raw: String,
    /// Normalised for comparison (see the type's documentation).
    pub normalized: String,
}

impl PhoneNumber {
    /// Keep `raw` and compute its normalised form.
    pub fn new(raw: impl Into<String>) -> PhoneNumber {
        let raw = raw.into();
        let normalized = normalize_phone(&raw);
        PhoneNumber { raw, normalized }
    }

    /// True when the normalised form is a short digit string (an internal extension).
    pub fn is_extension(&self) -> bool {
        !self.normalized.is_empty()
            && self.normalized.len() <= 6
            && self.normalized.bytes().all(|b| b.is_ascii_digit())
    }
}

impl From<&str> for PhoneNumber {
    fn from(s: &str) -> Self {
        PhoneNumber::new(s)
    }
}

/// The normalised form of a phone number (see [`PhoneNumber`]). One allocation: the digits
/// are gathered behind a provisional `+`, which is dropped for a number that is not
/// international (every webhook's numbers pass through here, a few per event).
pub fn normalize_phone(raw: &str) -> String {
    let trimmed = raw.trim();
    let mut out = String::with_capacity(trimmed.len() + 1);
    out.push('+');
    let mut plus = false;
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '+' if i == 0 => plus = true,
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            _ => return trimmed.to_owned(),
        }
    }
    let digits = out.len() - 1;
    if digits == 0 {
        return trimmed.to_owned();
    }
    if plus {
        return out;
    }
    if out[1..].starts_with("00") && digits - 2 >= 7 {
        out.replace_range(1..3, "");
        return out;
    }
    if (11..=15).contains(&digits) {
        return out;
    }
    out.remove(0);
    out
}

macro_rules! open_enum {
    ($( $(#[$doc:meta])* $name:ident { $( $variant:ident = $text:literal ),* $(,)? } )*) => {$(
        $(#[$doc])*
        ///
        /// Open: a value never seen is kept verbatim in `Other` (SPEC I6).
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(
                #[doc = concat!("`", $text, "`")]
                $variant,
            )*
            /// A value this crate does not know, verbatim.
            Other(String),
        }

        impl $name {
            /// The value as Zoom spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(s) => s,
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($text => $name::$variant,)*
                    _ => $name::Other(s),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)*
                    _ => $name::Other(s.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::from(String::deserialize(d)?))
            }
        }
    )*};
}

open_enum! {
    /// `engagement_direction`.
    Direction { Inbound = "inbound", Outbound = "outbound" }
    /// `channel`, `channel_name`, `upgrade_to_channel`.
    Channel {
        Voice = "voice", Video = "video", Messaging = "messaging", Sms = "sms", Chat = "chat",
        InAppChat = "in_app_chat", Email = "email",
    }
    /// `task_status`, `transfer_to_task_status`.
    TaskStatus {
        Pending = "pending", Reserved = "reserved", Assigned = "assigned", Canceled = "canceled",
        Completed = "completed", Wrapping = "wrapping",
    }
    /// `transfer_type`. Only `warm` has been seen from Zoom.
    TransferType { Warm = "warm", Cold = "cold", Direct = "direct", Blind = "blind" }
    /// `transfer_level`. Only `queue` has been seen from Zoom.
    TransferLevel {
        Queue = "queue", User = "user", Agent = "agent", Flow = "flow", Inbox = "inbox",
        Number = "number",
    }
    /// `action_type` of `engagement_monitor_*`. Only `barge` has been seen from Zoom.
    ActionType {
        Listen = "listen", Monitor = "monitor", Whisper = "whisper", Barge = "barge",
        Takeover = "takeover",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_normalise_without_losing_the_original() {
        let cases = [
            ("+18005550100", "+18005550100"),
            ("18005550101", "+18005550101"),
            ("1026", "1026"),
            ("+1 (800) 555-0100", "+18005550100"),
            ("0044 20 7946 0958", "+442079460958"),
            ("8005550100", "8005550100"),
            ("sip:alice@example.com", "sip:alice@example.com"),
            ("", ""),
        ];
        for (raw, want) in cases {
            let p = PhoneNumber::new(raw);
            assert_eq!(p.raw, raw);
            assert_eq!(p.normalized, want, "normalising {raw:?}");
        }
        assert!(PhoneNumber::new("1045").is_extension());
        assert!(!PhoneNumber::new("+18005550100").is_extension());
    }

    /// The normalisation as first written (two allocations, plainly): the one in use must
    /// agree with it on every shape of input.
    fn reference_normalize(raw: &str) -> String {
        let trimmed = raw.trim();
        let mut plus = false;
        let mut digits = String::new();
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '+' if i == 0 => plus = true,
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
                _ => return trimmed.to_owned(),
            }
        }
        if digits.is_empty() {
            return trimmed.to_owned();
        }
        if plus {
            return format!("+{digits}");
        }
        if let Some(rest) = digits.strip_prefix("00")
            && rest.len() >= 7
        {
            return format!("+{rest}");
        }
        if (11..=15).contains(&digits.len()) {
            return format!("+{digits}");
        }
        digits
    }

    #[test]
    fn phone_normalisation_agrees_with_the_plain_reading() {
        let parts = [
            "+", "0", "00", "1", "44", "5550", "100", " ", "-", "(", ")", ".", "/", "\u{a0}", "x",
            "é", "+1", "",
        ];
        let mut checked = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for d in ["", "1", "12345678", "123456789012345", " 7"] {
                        let raw = format!("{a}{b}{c}{d}");
                        assert_eq!(normalize_phone(&raw), reference_normalize(&raw), "{raw:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 20_000);
    }

    #[test]
    fn open_enums_keep_unknown_values_verbatim() {
        assert_eq!(Direction::from("inbound"), Direction::Inbound);
        let odd = TransferType::from("consultative");
        assert_eq!(odd, TransferType::Other("consultative".to_owned()));
        assert_eq!(odd.as_str(), "consultative");
        assert_eq!(ActionType::from("barge").as_str(), "barge");
    }
}
