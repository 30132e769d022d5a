//! How a projection document is stored in `projections.doc` (`migrations/sqlite/0003`).
//!
//! A document is the canonical JSON of a `CallProjection`, ~3 KB for a call of twenty events:
//! stored as it is, each took most of a 4 KiB page, and the pages of documents were most of
//! what a rebuild and the live projector wrote. LZ4 makes them ~2.2 times smaller and costs a
//! few microseconds a document to encode, less to decode. The encoding is a storage detail of
//! this backend: callers write and read the JSON text, byte for byte (I4).
//!
//! Two forms, told apart by the first byte:
//! - `{` (0x7B): the JSON itself, as documents written before migration 0003 were copied;
//! - [`LZ4`] (0x01): an LZ4 block, the JSON's length first as a little-endian u32.

/// The tag of an LZ4-compressed document.
const LZ4: u8 = 0x01;

/// The stored form of a document.
pub(crate) fn encode(json: &str) -> Vec<u8> {
    let bytes = json.as_bytes();
    let len = u32::try_from(bytes.len()).expect("a document is far below 4 GiB");
    let mut out = vec![0; 5 + lz4_flex::block::get_maximum_output_size(bytes.len())];
    out[0] = LZ4;
    out[1..5].copy_from_slice(&len.to_le_bytes());
    let written = lz4_flex::block::compress_into(bytes, &mut out[5..])
        .expect("the buffer has the maximum compressed size");
    out.truncate(5 + written);
    out
}

/// The JSON of a stored document, or why it does not decode.
pub(crate) fn decode(stored: &[u8]) -> Result<String, String> {
    let json = match stored.first() {
        Some(b'{') => stored.to_vec(),
        Some(&LZ4) => lz4_flex::block::decompress_size_prepended(&stored[1..])
            .map_err(|e| format!("the compressed document does not decompress: {e}"))?,
        Some(other) => {
            return Err(format!(
                "unknown document encoding (first byte {other:#04x})"
            ));
        }
        None => return Err("the document is empty".to_owned()),
    };
    String::from_utf8(json).map_err(|e| format!("the document is not UTF-8: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_byte_for_byte_and_shrink() {
        let json = format!(
            r#"{{"rule":{{"name":"correlated"}},"derived_events":[{}]}}"#,
            (0..40)
                .map(|i| format!(
                    r#"{{"at":{i},"kind":"agent_joined","rule":"correlated@1+3fa2c1"}}"#
                ))
                .collect::<Vec<_>>()
                .join(",")
        );
        let stored = encode(&json);
        assert_eq!(stored[0], LZ4);
        assert!(
            stored.len() * 2 < json.len(),
            "{} of {}",
            stored.len(),
            json.len()
        );
        assert_eq!(decode(&stored).unwrap(), json);
    }

    #[test]
    fn documents_from_before_the_migration_read_as_they_are() {
        assert_eq!(decode(br#"{"a":1}"#).unwrap(), r#"{"a":1}"#);
    }

    #[test]
    fn damage_is_named_not_passed_on() {
        let mut stored = encode(r#"{"a":"some text to compress, some text to compress"}"#);
        stored.truncate(stored.len() - 3);
        assert!(decode(&stored).unwrap_err().contains("does not decompress"));
        assert!(
            decode(&[0x7f, 1])
                .unwrap_err()
                .contains("unknown document encoding")
        );
        assert!(decode(&[]).unwrap_err().contains("empty"));
        assert!(decode(&[b'{', 0xff]).unwrap_err().contains("not UTF-8"));
    }
}
