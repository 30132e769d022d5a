//! A tiny writer for compact JSON objects that keeps fields in the order they are written.
//!
//! Zoom's bodies list their fields in a fixed, non-alphabetical order; `serde_json::Map` would
//! sort them (or not, depending on a feature another crate may switch on). Writing by hand keeps
//! the bytes stable whatever the workspace's feature set is.

use std::fmt::Write as _;

/// A compact JSON object under construction: `{"k":v,...}`.
#[derive(Debug, Clone)]
pub(crate) struct Obj {
    buf: String,
    empty: bool,
}

impl Obj {
    pub(crate) fn new() -> Self {
        let mut buf = String::with_capacity(1024);
        buf.push('{');
        Obj { buf, empty: true }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.buf.push(',');
        }
        self.empty = false;
        push_str_lit(&mut self.buf, key);
        self.buf.push(':');
    }

    /// A string field.
    pub(crate) fn s(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        push_str_lit(&mut self.buf, value);
        self
    }

    /// An integer field.
    pub(crate) fn i(&mut self, key: &str, value: i64) -> &mut Self {
        self.key(key);
        let _ = write!(self.buf, "{value}");
        self
    }

    /// A boolean field.
    pub(crate) fn b(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key);
        self.buf.push_str(if value { "true" } else { "false" });
        self
    }

    /// A field whose value is already-rendered JSON.
    pub(crate) fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key);
        self.buf.push_str(json);
        self
    }

    pub(crate) fn finish(mut self) -> String {
        self.buf.push('}');
        self.buf
    }
}

fn push_str_lit(buf: &mut String, s: &str) {
    buf.push('"');
    for c in s.chars() {
        match c {
            '"' => buf.push_str("\\\""),
            '\\' => buf.push_str("\\\\"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            '\t' => buf.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(buf, "\\u{:04x}", c as u32);
            }
            c => buf.push(c),
        }
    }
    buf.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_fields_in_order_and_escapes() {
        let mut o = Obj::new();
        o.s("z", "a\"b\\c\n").i("a", -3).b("m", true).raw("r", "{}");
        let text = o.finish();
        assert_eq!(text, r#"{"z":"a\"b\\c\n","a":-3,"m":true,"r":{}}"#);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["z"], "a\"b\\c\n");
    }
}
