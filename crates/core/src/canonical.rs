//! Canonical JSON: object keys sorted at every level, no insignificant whitespace, serde_json's
//! escaping. One byte string per value whatever order a map was built in, so it can be hashed
//! (the audit chain) and signed (badges and staff attestations).

use serde::Serialize;
use serde_json::Value;

/// JSON with object keys sorted at every level and no insignificant whitespace.
pub fn canonical_json(v: &Value) -> String {
    let mut out = Vec::with_capacity(128);
    write_canonical(v, &mut out);
    // Every byte above was written by serde_json, which writes UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Appends the canonical JSON of `v` to `out`, with no allocation but the keys' order.
pub fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(k.as_str(), out);
                out.push(b':');
                write_canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        other => write_json(other, out),
    }
}

/// Appends a string, number, `null` or `Option` of them as serde_json writes it — the same
/// bytes as in canonical JSON (a scalar has one form). Not for maps: their keys are not sorted.
pub fn write_json<T: Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    // Writing a scalar into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_keys_at_every_level_and_drops_whitespace() {
        let v: Value = serde_json::from_str(
            r#"{ "b": [1, {"z": null, "a": "x\n"}], "a": {"z":[{"y":1,"x":"é"}],"c":null} }"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":null,"z":[{"x":"é","y":1}]},"b":[1,{"a":"x\n","z":null}]}"#
        );
    }
}
