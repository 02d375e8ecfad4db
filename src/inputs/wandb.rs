//! Weights & Biases offline runs: `wandb/offline-run-*/run-*.wandb`, the binary log in which
//! current wandb keeps an offline run's config, history and summary (`wandb-summary.json`
//! and `config.yaml` are written only for runs that were synced).
//!
//! The file starts with `:W&B`, the magic `0xBEE1` (little-endian) and a version byte, then
//! follows LevelDB's log format: 32 KiB blocks of chunks, each with an IEEE CRC-32 of its
//! type byte and data, a length and a type (full, first, middle, last); a record split
//! across blocks is joined. Each record is a protobuf `Record`: history rows, summary and
//! config updates (keys as `nested_key` paths, values as JSON text). The file is read as a
//! stream, a block at a time.

use std::collections::BTreeMap;
use std::io::Read;

use super::protobuf::{self, Field};
use super::value::Value;

/// What an offline run holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Run {
    /// The run's id (`offline-run-…-ID`).
    pub id: String,
    /// Its display name, when it was given one.
    pub name: String,
    /// The config (params), flattened keys, wandb's own (`_wandb`) left out.
    pub config: BTreeMap<String, Value>,
    /// The summary (the final metrics), internal keys (`_step`, `_runtime`) left out.
    pub summary: BTreeMap<String, Value>,
    /// History rows in order: `_step` and the values logged at it.
    pub history: Vec<(i64, BTreeMap<String, Value>)>,
}

/// Why a run log cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WandbError {
    /// Not a W&B run log.
    #[error("not a W&B run log (it does not start with `:W&B`)")]
    NotALog,
    /// A chunk's checksum does not match.
    #[error("block {block}: a chunk's checksum does not match: the log is damaged")]
    Checksum {
        /// The block.
        block: u64,
    },
    /// A chunk is malformed (a length past its block, a middle without a first).
    #[error("block {block}: {what}")]
    Malformed {
        /// The block.
        block: u64,
        /// What was wrong.
        what: &'static str,
    },
    /// A record's protobuf is malformed.
    #[error("{0}")]
    Protobuf(#[from] protobuf::WireError),
    /// The stream failed.
    #[error("{0}")]
    Io(String),
}

const BLOCK: usize = 32 * 1024;
const HEADER: usize = 7;

/// Reads a run log as a stream.
pub fn read_run(mut reader: impl Read) -> Result<Run, WandbError> {
    let mut run = Run::default();
    let mut block = vec![0u8; BLOCK];
    let mut record: Vec<u8> = Vec::new();
    let mut in_record = false;
    for index in 0u64.. {
        let filled = fill(&mut reader, &mut block)?;
        if filled == 0 {
            break;
        }
        let mut at = 0;
        if index == 0 {
            if filled < HEADER || &block[..4] != b":W&B" || block[4..6] != [0xe1, 0xbe] {
                return Err(WandbError::NotALog);
            }
            at = HEADER;
        }
        while at + HEADER <= filled {
            let crc = u32::from_le_bytes(block[at..at + 4].try_into().expect("4 bytes"));
            let length = usize::from(u16::from_le_bytes(
                block[at + 4..at + 6].try_into().expect("2 bytes"),
            ));
            let kind = block[at + 6];
            if kind == 0 && length == 0 {
                break; // zero padding to the end of the block
            }
            let data_start = at + HEADER;
            let Some(data) = block
                .get(data_start..data_start + length)
                .filter(|_| data_start + length <= filled)
            else {
                return Err(WandbError::Malformed {
                    block: index,
                    what: "a chunk runs past its block",
                });
            };
            if crc32(&block[at + 6..data_start + length]) != crc {
                return Err(WandbError::Checksum { block: index });
            }
            match kind {
                1 => apply(&mut run, data)?,
                2 => {
                    record.clear();
                    record.extend_from_slice(data);
                    in_record = true;
                }
                3 | 4 if in_record => {
                    record.extend_from_slice(data);
                    if kind == 4 {
                        in_record = false;
                        apply(&mut run, &record)?;
                    }
                }
                _ => {
                    return Err(WandbError::Malformed {
                        block: index,
                        what: "a chunk of an unknown kind, or a middle without a first",
                    });
                }
            }
            at = data_start + length;
        }
        if filled < BLOCK {
            break;
        }
    }
    Ok(run)
}

fn fill(reader: &mut impl Read, buffer: &mut [u8]) -> Result<usize, WandbError> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(WandbError::Io(error.to_string())),
        }
    }
    Ok(filled)
}

/// One `Record`: history = 2, summary = 3, config = 5, run = 17.
fn apply(run: &mut Run, record: &[u8]) -> Result<(), WandbError> {
    for field in protobuf::fields(record) {
        let (number, value) = field?;
        let Some(message) = value.bytes() else {
            continue;
        };
        match number {
            2 => {
                // HistoryRecord: item = 1, step = 2 (HistoryStep: num = 1).
                let mut row = BTreeMap::new();
                let mut step = None;
                for item in protobuf::all(message, 1)? {
                    if let Some((key, value)) = item.bytes().map(item_of).transpose()?.flatten() {
                        if key == "_step" {
                            step = number_of(&value).map(|v| v as i64);
                        }
                        row.insert(key, value);
                    }
                }
                if step.is_none()
                    && let Some(history_step) = protobuf::last(message, 2)?.and_then(Field::bytes)
                {
                    step = protobuf::last(history_step, 1)?.and_then(Field::int);
                }
                run.history
                    .push((step.unwrap_or(run.history.len() as i64), row));
            }
            3 => updates(&mut run.summary, message)?,
            5 => updates(&mut run.config, message)?,
            17 => {
                // RunRecord: run_id = 1, config = 4, summary = 5, display_name = 8.
                if let Some(config) = protobuf::last(message, 4)?.and_then(Field::bytes) {
                    updates(&mut run.config, config)?;
                }
                if let Some(summary) = protobuf::last(message, 5)?.and_then(Field::bytes) {
                    updates(&mut run.summary, summary)?;
                }
                if let Some(id) = protobuf::last(message, 1)?.and_then(Field::text) {
                    run.id = id.to_owned();
                }
                if let Some(name) = protobuf::last(message, 8)?.and_then(Field::text) {
                    run.name = name.to_owned();
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A `SummaryRecord` or `ConfigRecord` (update = 1, remove = 2) applied to `target`;
/// internal keys (`_step`, `_wandb`) are left out.
fn updates(
    target: &mut BTreeMap<String, Value>,
    message: &[u8],
) -> Result<(), protobuf::WireError> {
    for update in protobuf::all(message, 1)? {
        if let Some((key, value)) = update.bytes().map(item_of).transpose()?.flatten()
            && !key.starts_with('_')
        {
            flatten_into(target, &key, value);
        }
    }
    for remove in protobuf::all(message, 2)? {
        if let Some(key) = remove.bytes().map(key_of).transpose()? {
            target.retain(|k, _| k != &key && !k.starts_with(&format!("{key}.")));
        }
    }
    Ok(())
}

/// The key of an item: `key` = 1, or the `nested_key` = 2 path joined with `.`.
fn key_of(item: &[u8]) -> Result<String, protobuf::WireError> {
    let nested: Vec<&str> = protobuf::all(item, 2)?
        .into_iter()
        .filter_map(Field::text)
        .collect();
    Ok(if nested.is_empty() {
        protobuf::last(item, 1)?
            .and_then(Field::text)
            .unwrap_or_default()
            .to_owned()
    } else {
        nested.join(".")
    })
}

/// An item's key and value (`value_json` = 16, or a typed field: boolean 4, integer 5,
/// number 6, text 7); `None` for an item without a value.
fn item_of(item: &[u8]) -> Result<Option<(String, Value)>, protobuf::WireError> {
    let key = key_of(item)?;
    let mut value = None;
    for field in protobuf::fields(item) {
        let (number, field) = field?;
        value = match (number, field) {
            (16, Field::Bytes(json)) => super::json::parse(json).ok(),
            (4, Field::Varint(b)) => Some(Value::Bool(b != 0)),
            (5, Field::Varint(i)) => Some(Value::Int(i128::from(i as i64))),
            (6, number) => number.float().map(Value::Float),
            (7, text) => text.text().map(|t| Value::Str(t.to_owned())),
            _ => continue,
        };
    }
    Ok(value.map(|value| (key, value)))
}

/// Sets a value, a map flattened into `key.sub` entries (a nested config or summary).
fn flatten_into(target: &mut BTreeMap<String, Value>, key: &str, value: Value) {
    match value {
        Value::Map(entries) => {
            target.retain(|k, _| !k.starts_with(&format!("{key}.")));
            for (sub, value) in entries {
                flatten_into(target, &format!("{key}.{sub}"), value);
            }
        }
        value => {
            target.insert(key.to_owned(), value);
        }
    }
}

fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// CRC-32 (IEEE, as zlib computes it).
fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut crc = i as u32;
            let mut bit = 0;
            while bit < 8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
                bit += 1;
            }
            table[i] = crc;
            i += 1;
        }
        table
    };
    let mut crc = !0u32;
    for byte in bytes {
        crc = TABLE[((crc ^ u32::from(*byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn other_files_are_refused() {
        assert_eq!(read_run(&b"{\"a\": 1}"[..]), Err(WandbError::NotALog));
        assert_eq!(read_run(&b""[..]), Ok(Run::default()));
    }
}
