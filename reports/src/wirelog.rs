//! Wire-log rows, serialized exactly as Autobahn's `wirelog` arrays.
//!
//! Autobahn writes each row as a JSON array whose first element names the kind:
//!
//! | kind  | array                                                                  |
//! |-------|------------------------------------------------------------------------|
//! | `RO`  | `["RO", [len, hex]]`                                                   |
//! | `TO`  | `["TO", [len, hex], sync]`                                             |
//! | `RF`  | `["RF", [len, payload], opcode, fin, rsv, masked, mask_hex_or_null]`   |
//! | `TF`  | `["TF", [len, payload], opcode, fin, rsv, mask_hex_or_null, repeat_len_or_null, chopsize_or_null, sync]` |
//! | `CT`  | `["CT", delay_s, tag_or_null]`                                         |
//! | `CTE` | `["CTE", tag_or_null]`                                                 |
//! | `KL`  | `["KL", delay_s]`                                                      |
//! | `KLE` | `["KLE"]`                                                              |
//! | `TI`  | `["TI", delay_s]`                                                      |
//! | `TIE` | `["TIE"]`                                                              |
//! | `WLM` | `["WLM", enabled]`                                                     |
//! | `CUT` | `["CUT", rows, octets]` (ours: rows left out of a bounded log here)    |
//!
//! `hex` and `payload` are previews: see [`bin_log_data`] and [`ascii_log_data`].

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// How many bytes of data a wire-log preview shows (Autobahn's `maxlen`).
pub const PREVIEW_BYTES: usize = 64;

const ELLIPSIS: &str = " ...";

/// Autobahn's octet preview: lower-case hex of the data, cut to the first 64 bytes plus
/// `" ..."` when the data is longer than 60 bytes.
pub fn bin_log_data(data: &[u8]) -> String {
    let (shown, cut) = preview_slice(data);
    let mut out = String::with_capacity(shown.len() * 2 + ELLIPSIS.len());
    for b in shown {
        out.push_str(&format!("{b:02x}"));
    }
    if cut {
        out.push_str(ELLIPSIS);
    }
    out
}

/// Autobahn's payload preview: the data as UTF-8 text (cut like [`bin_log_data`]); when the
/// (cut) bytes are not valid UTF-8, `"0x"` followed by the hex preview.
pub fn ascii_log_data(data: &[u8]) -> String {
    let (shown, cut) = preview_slice(data);
    match std::str::from_utf8(shown) {
        Ok(text) if cut => format!("{text}{ELLIPSIS}"),
        Ok(text) => text.to_owned(),
        Err(_) => format!("0x{}", bin_log_data(data)),
    }
}

// Autobahn compares the length with `maxlen - len(" ...")` but then keeps `maxlen` bytes;
// reproduce both numbers so previews match byte for byte.
fn preview_slice(data: &[u8]) -> (&[u8], bool) {
    if data.len() > PREVIEW_BYTES - ELLIPSIS.len() {
        (&data[..data.len().min(PREVIEW_BYTES)], true)
    } else {
        (data, false)
    }
}

/// One row of the wire log.
#[derive(Clone, Debug, PartialEq)]
pub enum WireLogEntry {
    /// `RO`: octets received from the socket.
    RxOctets {
        /// Number of octets received.
        len: u64,
        /// Hex preview ([`bin_log_data`]).
        hex: String,
    },
    /// `TO`: octets sent on the socket.
    TxOctets {
        /// Number of octets sent.
        len: u64,
        /// Hex preview ([`bin_log_data`]).
        hex: String,
        /// The write was flushed on its own (not coalesced with later writes).
        sync: bool,
    },
    /// `RF`: a frame received.
    RxFrame {
        /// Payload length.
        payload_len: u64,
        /// Payload preview ([`ascii_log_data`]).
        payload: String,
        /// Frame opcode.
        opcode: u8,
        /// FIN bit.
        fin: bool,
        /// RSV bits as a number 0..=7.
        rsv: u8,
        /// The frame was masked.
        masked: bool,
        /// The masking key in hex, when masked.
        mask: Option<String>,
    },
    /// `TF`: a frame sent.
    TxFrame {
        /// Payload length (of the payload given, before repetition).
        payload_len: u64,
        /// Payload preview ([`ascii_log_data`]).
        payload: String,
        /// Frame opcode.
        opcode: u8,
        /// FIN bit.
        fin: bool,
        /// RSV bits as a number 0..=7.
        rsv: u8,
        /// The masking key in hex, when masked.
        mask: Option<String>,
        /// The payload was repeated up to this length.
        repeat_length: Option<u64>,
        /// The frame was written in chunks of this many octets.
        chopsize: Option<u64>,
        /// The frame was flushed on its own.
        sync: bool,
    },
    /// `CT`: a delayed step was scheduled.
    Timer {
        /// Delay in seconds.
        delay: f64,
        /// Tag of the step, if any.
        tag: Option<String>,
    },
    /// `CTE`: a delayed step ran.
    TimerFired {
        /// Tag of the step, if any.
        tag: Option<String>,
    },
    /// `KL`: the connection will be failed after a delay.
    KillAfter {
        /// Delay in seconds.
        delay: f64,
    },
    /// `KLE`: the connection is being failed now.
    KillFired,
    /// `TI`: the closing handshake will start after a delay.
    CloseAfter {
        /// Delay in seconds.
        delay: f64,
    },
    /// `TIE`: the closing handshake is starting now.
    CloseFired,
    /// `WLM`: wire logging switched on or off.
    WirelogMode {
        /// Whether logging is on from here.
        enabled: bool,
    },
    /// `CUT` (ours, Autobahn has no such row): the log is bounded per case, and this
    /// many rows were left out here, between its first and its last rows.
    Cut {
        /// Rows left out.
        rows: u64,
        /// Octets (read and write sizes, frame payload lengths) those rows stood for.
        octets: u64,
    },
}

impl WireLogEntry {
    /// An `RO` row for the given received bytes.
    pub fn rx_octets(data: &[u8]) -> Self {
        WireLogEntry::RxOctets {
            len: data.len() as u64,
            hex: bin_log_data(data),
        }
    }

    /// A `TO` row for the given sent bytes.
    pub fn tx_octets(data: &[u8], sync: bool) -> Self {
        WireLogEntry::TxOctets {
            len: data.len() as u64,
            hex: bin_log_data(data),
            sync,
        }
    }

    /// The Autobahn row kind (`"RO"`, `"TF"`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            WireLogEntry::RxOctets { .. } => "RO",
            WireLogEntry::TxOctets { .. } => "TO",
            WireLogEntry::RxFrame { .. } => "RF",
            WireLogEntry::TxFrame { .. } => "TF",
            WireLogEntry::Timer { .. } => "CT",
            WireLogEntry::TimerFired { .. } => "CTE",
            WireLogEntry::KillAfter { .. } => "KL",
            WireLogEntry::KillFired => "KLE",
            WireLogEntry::CloseAfter { .. } => "TI",
            WireLogEntry::CloseFired => "TIE",
            WireLogEntry::WirelogMode { .. } => "WLM",
            WireLogEntry::Cut { .. } => "CUT",
        }
    }
}

// Each row is a tuple, which serde writes as a JSON array: the kind, then the fields in
// Autobahn's order.
impl Serialize for WireLogEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let kind = self.kind();
        match self {
            WireLogEntry::RxOctets { len, hex } => (kind, (len, hex)).serialize(serializer),
            WireLogEntry::TxOctets { len, hex, sync } => {
                (kind, (len, hex), sync).serialize(serializer)
            }
            // Short bindings keep each row's tuple on one line.
            WireLogEntry::RxFrame {
                payload_len: len,
                payload: data,
                opcode: op,
                fin,
                rsv,
                masked,
                mask,
            } => (kind, (len, data), op, fin, rsv, masked, mask).serialize(serializer),
            WireLogEntry::TxFrame {
                payload_len: len,
                payload: data,
                opcode: op,
                fin,
                rsv,
                mask,
                repeat_length: repeat,
                chopsize: chop,
                sync,
            } => (kind, (len, data), op, fin, rsv, mask, repeat, chop, sync).serialize(serializer),
            WireLogEntry::Timer { delay, tag } => (kind, delay, tag).serialize(serializer),
            WireLogEntry::TimerFired { tag } => (kind, tag).serialize(serializer),
            WireLogEntry::KillAfter { delay } | WireLogEntry::CloseAfter { delay } => {
                (kind, delay).serialize(serializer)
            }
            WireLogEntry::KillFired | WireLogEntry::CloseFired => (kind,).serialize(serializer),
            WireLogEntry::WirelogMode { enabled } => (kind, enabled).serialize(serializer),
            WireLogEntry::Cut { rows, octets } => (kind, rows, octets).serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for WireLogEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let row = Vec::<Value>::deserialize(deserializer)?;
        parse_row(&row).map_err(D::Error::custom)
    }
}

/// Reads the fields of one row leniently where Python may have written a number for a
/// boolean (`fin=1`) or an integer for a float delay.
struct Row<'a> {
    row: &'a [Value],
    kind: &'a str,
}

impl<'a> Row<'a> {
    fn at(&self, i: usize) -> Result<&'a Value, String> {
        self.row
            .get(i)
            .ok_or_else(|| format!("wire-log row {:?} has no element {i}", self.kind))
    }

    fn bad(&self, i: usize, what: &str) -> String {
        format!(
            "wire-log row {:?}: element {i} is not {what}: {}",
            self.kind,
            self.row.get(i).map(Value::to_string).unwrap_or_default()
        )
    }

    fn boolean(&self, i: usize) -> Result<bool, String> {
        match self.at(i)? {
            Value::Bool(b) => Ok(*b),
            Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
            Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
            _ => Err(self.bad(i, "a boolean")),
        }
    }

    fn uint(&self, i: usize) -> Result<u64, String> {
        self.at(i)?
            .as_u64()
            .ok_or_else(|| self.bad(i, "an unsigned integer"))
    }

    fn opt_uint(&self, i: usize) -> Result<Option<u64>, String> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.uint(i).map(Some),
        }
    }

    fn small(&self, i: usize) -> Result<u8, String> {
        u8::try_from(self.uint(i)?).map_err(|_| self.bad(i, "a number below 256"))
    }

    fn float(&self, i: usize) -> Result<f64, String> {
        self.at(i)?.as_f64().ok_or_else(|| self.bad(i, "a number"))
    }

    fn opt_string(&self, i: usize) -> Result<Option<String>, String> {
        match self.row.get(i) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            // Tags are strings in every Autobahn case; keep any other scalar readable.
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(self.bad(i, "a string or null")),
        }
    }

    fn len_and_data(&self, i: usize) -> Result<(u64, String), String> {
        match self.at(i)? {
            Value::Array(pair) if pair.len() == 2 => {
                let len = pair[0]
                    .as_u64()
                    .ok_or_else(|| self.bad(i, "a [length, data] pair"))?;
                let data = pair[1]
                    .as_str()
                    .ok_or_else(|| self.bad(i, "a [length, data] pair"))?;
                Ok((len, data.to_owned()))
            }
            _ => Err(self.bad(i, "a [length, data] pair")),
        }
    }
}

fn parse_row(row: &[Value]) -> Result<WireLogEntry, String> {
    let kind = row
        .first()
        .and_then(Value::as_str)
        .ok_or("wire-log row does not start with a kind string")?;
    let r = Row { row, kind };
    Ok(match kind {
        "RO" => {
            let (len, hex) = r.len_and_data(1)?;
            WireLogEntry::RxOctets { len, hex }
        }
        "TO" => {
            let (len, hex) = r.len_and_data(1)?;
            WireLogEntry::TxOctets {
                len,
                hex,
                sync: r.boolean(2)?,
            }
        }
        "RF" => {
            let (payload_len, payload) = r.len_and_data(1)?;
            WireLogEntry::RxFrame {
                payload_len,
                payload,
                opcode: r.small(2)?,
                fin: r.boolean(3)?,
                rsv: r.small(4)?,
                masked: r.boolean(5)?,
                mask: r.opt_string(6)?,
            }
        }
        "TF" => {
            let (payload_len, payload) = r.len_and_data(1)?;
            WireLogEntry::TxFrame {
                payload_len,
                payload,
                opcode: r.small(2)?,
                fin: r.boolean(3)?,
                rsv: r.small(4)?,
                mask: r.opt_string(5)?,
                repeat_length: r.opt_uint(6)?,
                chopsize: r.opt_uint(7)?,
                sync: r.boolean(8)?,
            }
        }
        "CT" => WireLogEntry::Timer {
            delay: r.float(1)?,
            tag: r.opt_string(2)?,
        },
        "CTE" => WireLogEntry::TimerFired {
            tag: r.opt_string(1)?,
        },
        "KL" => WireLogEntry::KillAfter { delay: r.float(1)? },
        "KLE" => WireLogEntry::KillFired,
        "TI" => WireLogEntry::CloseAfter { delay: r.float(1)? },
        "TIE" => WireLogEntry::CloseFired,
        "WLM" => WireLogEntry::WirelogMode {
            enabled: r.boolean(1)?,
        },
        "CUT" => WireLogEntry::Cut {
            rows: r.uint(1)?,
            octets: r.uint(2)?,
        },
        other => return Err(format!("unknown wire-log row kind {other:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn all_kinds() -> Vec<WireLogEntry> {
        vec![
            WireLogEntry::tx_octets(b"GET / HTTP/1.1\r\n", false),
            WireLogEntry::rx_octets(&[0x81, 0x02, b'H', b'i']),
            WireLogEntry::TxFrame {
                payload_len: 2,
                payload: "Hi".into(),
                opcode: 1,
                fin: true,
                rsv: 0,
                mask: Some("1b6b4e7e".into()),
                repeat_length: None,
                chopsize: Some(1),
                sync: false,
            },
            WireLogEntry::RxFrame {
                payload_len: 2,
                payload: "Hi".into(),
                opcode: 1,
                fin: true,
                rsv: 0,
                masked: false,
                mask: None,
            },
            WireLogEntry::Timer {
                delay: 0.5,
                tag: Some("A".into()),
            },
            WireLogEntry::TimerFired {
                tag: Some("A".into()),
            },
            WireLogEntry::KillAfter { delay: 1.0 },
            WireLogEntry::KillFired,
            WireLogEntry::CloseAfter { delay: 1.0 },
            WireLogEntry::CloseFired,
            WireLogEntry::WirelogMode { enabled: false },
        ]
    }

    #[test]
    fn rows_serialize_as_autobahn_arrays() {
        let v = serde_json::to_value(all_kinds()).unwrap();
        assert_eq!(
            v,
            json!([
                ["TO", [16, "474554202f20485454502f312e310d0a"], false],
                ["RO", [4, "81024869"]],
                ["TF", [2, "Hi"], 1, true, 0, "1b6b4e7e", null, 1, false],
                ["RF", [2, "Hi"], 1, true, 0, false, null],
                ["CT", 0.5, "A"],
                ["CTE", "A"],
                ["KL", 1.0],
                ["KLE"],
                ["TI", 1.0],
                ["TIE"],
                ["WLM", false]
            ])
        );
    }

    #[test]
    fn rows_round_trip() {
        let rows = all_kinds();
        let text = serde_json::to_string(&rows).unwrap();
        let back: Vec<WireLogEntry> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, rows);
    }

    #[test]
    fn python_style_rows_are_read_leniently() {
        // Python may write fin as 1 and delays as integers.
        let rows: Vec<WireLogEntry> = serde_json::from_value(json!([
            ["TF", [0, ""], 8, 1, 0, null, null, null, true],
            ["KL", 1],
            ["CT", 1, null]
        ]))
        .unwrap();
        assert_eq!(
            rows[0],
            WireLogEntry::TxFrame {
                payload_len: 0,
                payload: String::new(),
                opcode: 8,
                fin: true,
                rsv: 0,
                mask: None,
                repeat_length: None,
                chopsize: None,
                sync: true
            }
        );
        assert_eq!(rows[1], WireLogEntry::KillAfter { delay: 1.0 });
        assert_eq!(
            rows[2],
            WireLogEntry::Timer {
                delay: 1.0,
                tag: None
            }
        );
    }

    #[test]
    fn malformed_rows_are_rejected_with_the_kind() {
        let err = serde_json::from_value::<WireLogEntry>(json!(["XX", 1])).unwrap_err();
        assert!(err.to_string().contains("XX"), "{err}");
        let err = serde_json::from_value::<WireLogEntry>(json!(["RF", [2, "Hi"], 1])).unwrap_err();
        assert!(err.to_string().contains("RF"), "{err}");
    }

    #[test]
    fn previews_match_autobahn_cut_rules() {
        // 60 bytes: shown whole; 61 bytes: cut to 64 (so whole) plus the ellipsis.
        assert_eq!(bin_log_data(&[0xab; 60]), "ab".repeat(60));
        assert_eq!(
            bin_log_data(&[0xab; 61]),
            format!("{} ...", "ab".repeat(61))
        );
        assert_eq!(
            bin_log_data(&[0xab; 100]),
            format!("{} ...", "ab".repeat(64))
        );
        assert_eq!(ascii_log_data(b"Hello"), "Hello");
        assert_eq!(
            ascii_log_data(&[b'*'; 70]),
            format!("{} ...", "*".repeat(64))
        );
        assert_eq!(ascii_log_data(&[0xff, 0xfe]), "0xfffe");
        // A cut through a multi-byte character makes the text invalid: hex like Autobahn.
        let mut data = vec![b'a'; 63];
        data.extend_from_slice("é".as_bytes());
        assert!(ascii_log_data(&data).starts_with("0x6161"));
    }
}
