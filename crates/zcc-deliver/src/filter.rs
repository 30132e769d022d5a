//! Which subscriptions want a message: the type globs (`*` any run of characters, `?` one;
//! none given: every type), raw events only with `include_raw`, and the account filter.
//! A retraction passes a glob that matches `derived_event.retracted` or the retracted kind, so
//! a subscriber to `conference_*` hears when a conference fact it was told no longer stands.

use zcc_store::outbound::{Subscription, SubscriptionState};

use crate::message::RETRACTED;

/// Whether `glob` matches all of `text`.
pub fn glob_matches(glob: &str, text: &str) -> bool {
    let (g, t): (Vec<char>, Vec<char>) = (glob.chars().collect(), text.chars().collect());
    // Iterative matching with one backtrack point for the last `*`.
    let (mut gi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if gi < g.len() && (g[gi] == '?' || g[gi] == t[ti]) {
            gi += 1;
            ti += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some((gi, ti));
            gi += 1;
        } else if let Some((sg, st)) = star {
            gi = sg + 1;
            ti = st + 1;
            star = Some((sg, st + 1));
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|&c| c == '*')
}

/// What a message is, for filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// A standing fact of this kind.
    Fact(&'a str),
    /// A retraction of a fact of this kind.
    Retraction(&'a str),
    /// A raw event of this `zoom.<event>` type.
    Raw(&'a str),
}

/// Whether `subscription` receives a message about `subject` of an engagement of `account`.
/// Disabled subscriptions receive nothing; paused ones queue.
pub fn wants(subscription: &Subscription, subject: Subject<'_>, account: Option<&str>) -> bool {
    if subscription.state == SubscriptionState::Disabled {
        return false;
    }
    if let Some(only) = &subscription.account_id
        && account != Some(only.as_str())
    {
        return false;
    }
    let types: &[&str] = match subject {
        Subject::Fact(kind) => &[kind],
        Subject::Retraction(kind) => &[RETRACTED, kind],
        Subject::Raw(t) => {
            if !subscription.include_raw {
                return false;
            }
            &[t]
        }
    };
    subscription.events.is_empty()
        || subscription
            .events
            .iter()
            .any(|g| types.iter().any(|t| glob_matches(g, t)))
}

/// Check an operator's glob: not empty, no whitespace or commas.
pub fn validate_glob(glob: &str) -> Result<(), String> {
    if glob.is_empty() {
        return Err("an event glob is empty".to_owned());
    }
    if glob.chars().any(|c| c.is_whitespace() || c == ',') {
        return Err(format!(
            "event glob {glob:?} contains whitespace or a comma; give several as GLOB,GLOB"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("conference_*", "conference_started"));
        assert!(glob_matches("*", "anything"));
        assert!(glob_matches("*_ended", "call_ended"));
        assert!(glob_matches("call_?nded", "call_ended"));
        assert!(glob_matches(
            "zoom.*",
            "zoom.contact_center.engagement_started"
        ));
        assert!(glob_matches("*a*b*", "xxaxxbxx"));
        assert!(!glob_matches("conference_*", "transfer_completed"));
        assert!(!glob_matches("call_started", "call_started_late"));
        assert!(!glob_matches("*a*b", "xxaxxbxxc"));
        assert!(validate_glob("a b").is_err() && validate_glob("").is_err());
    }
}
