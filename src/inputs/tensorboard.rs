//! TensorBoard event files (`events.out.tfevents.*`): the scalars in them, per tag.
//!
//! A file is a sequence of TFRecords: a little-endian `u64` length, the masked CRC-32C of
//! those 8 bytes, the data, and the masked CRC-32C of the data. Each record is an `Event`
//! protobuf; a scalar is a `Summary.Value` with a `simple_value` (tensorboardX, PyTorch,
//! Lightning) or a scalar `tensor` whose tag's plugin is `scalars` (TF2's `tf.summary`,
//! Keras). Files are read as a stream, one record at a time, and only scalars are kept, so
//! a file of images and histograms costs no more memory than its largest record.

use std::collections::BTreeMap;
use std::io::Read;

use super::protobuf::{self, Field};

/// The scalars of one event file (or several, merged).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scalars {
    /// Per tag, `(step, value)` in the order they were written.
    pub tags: BTreeMap<String, Vec<(i64, f64)>>,
    /// The file ended in the middle of a record (a writer still running, or a crash).
    pub truncated: bool,
}

/// Why an event file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// A record's checksum does not match.
    #[error(
        "record {record} (byte {offset}): its checksum does not match: not a TensorBoard event file, or a damaged one"
    )]
    Checksum {
        /// The record's index.
        record: usize,
        /// Its offset in the file.
        offset: u64,
    },
    /// A record's protobuf is malformed.
    #[error("record {record}: {source}")]
    Protobuf {
        /// The record's index.
        record: usize,
        /// What was wrong.
        source: protobuf::WireError,
    },
    /// A record larger than mlci reads.
    #[error("record {record} (byte {offset}) claims {length} bytes, more than {MAX_RECORD} bytes")]
    TooLarge {
        /// The record's index.
        record: usize,
        /// Its offset in the file.
        offset: u64,
        /// Its length.
        length: u64,
    },
    /// The stream failed.
    #[error("{0}")]
    Io(String),
}

/// The largest record read (a scalar event is tens of bytes; an image is the large one).
pub const MAX_RECORD: u64 = 256 << 20;

/// The scalars of an event file, read as a stream.
pub fn read_scalars(mut reader: impl Read) -> Result<Scalars, EventError> {
    let mut scalars = Scalars::default();
    // The plugin each tag was declared with (only the first event of a tag carries it).
    let mut plugins: BTreeMap<String, String> = BTreeMap::new();
    let mut data = Vec::new();
    let mut offset = 0u64;
    for record in 0.. {
        let mut header = [0u8; 12];
        match read_full(&mut reader, &mut header)? {
            0 => break,
            12 => {}
            _ => {
                scalars.truncated = true;
                break;
            }
        }
        let length = u64::from_le_bytes(header[..8].try_into().expect("8 bytes"));
        let length_crc = u32::from_le_bytes(header[8..].try_into().expect("4 bytes"));
        if masked_crc32c(&header[..8]) != length_crc {
            return Err(EventError::Checksum { record, offset });
        }
        if length > MAX_RECORD {
            return Err(EventError::TooLarge {
                record,
                offset,
                length,
            });
        }
        // Grown as bytes arrive, so a length a damaged file claims costs nothing.
        data.clear();
        (&mut reader)
            .take(length + 4)
            .read_to_end(&mut data)
            .map_err(|e| EventError::Io(e.to_string()))?;
        if data.len() as u64 != length + 4 {
            scalars.truncated = true;
            break;
        }
        let (body, crc) = data.split_at(data.len() - 4);
        if masked_crc32c(body) != u32::from_le_bytes(crc.try_into().expect("4 bytes")) {
            return Err(EventError::Checksum { record, offset });
        }
        event_scalars(body, &mut plugins, &mut scalars)
            .map_err(|source| EventError::Protobuf { record, source })?;
        offset += 12 + length + 4;
    }
    Ok(scalars)
}

/// Reads until `buffer` is full or the stream ends; returns how much was read.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> Result<usize, EventError> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(EventError::Io(error.to_string())),
        }
    }
    Ok(filled)
}

/// The scalars of one `Event`.
fn event_scalars(
    event: &[u8],
    plugins: &mut BTreeMap<String, String>,
    scalars: &mut Scalars,
) -> Result<(), protobuf::WireError> {
    // Event: step = 2, summary = 5 (Summary: value = 1).
    let step = protobuf::last(event, 2)?.and_then(Field::int).unwrap_or(0);
    for summary in protobuf::all(event, 5)? {
        let Some(summary) = summary.bytes() else {
            continue;
        };
        for value in protobuf::all(summary, 1)? {
            let Some(value) = value.bytes() else { continue };
            // Summary.Value: tag = 1, simple_value = 2, tensor = 8, metadata = 9
            // (SummaryMetadata: plugin_data = 1, PluginData: plugin_name = 1).
            let Some(tag) = protobuf::last(value, 1)?.and_then(Field::text) else {
                continue;
            };
            if let Some(metadata) = protobuf::last(value, 9)?.and_then(Field::bytes)
                && let Some(plugin) = protobuf::last(metadata, 1)?.and_then(Field::bytes)
                && let Some(name) = protobuf::last(plugin, 1)?.and_then(Field::text)
            {
                plugins
                    .entry(tag.to_owned())
                    .or_insert_with(|| name.to_owned());
            }
            let number = match protobuf::last(value, 2)?.and_then(Field::float) {
                Some(simple) => Some(simple),
                None => match protobuf::last(value, 8)?.and_then(Field::bytes) {
                    Some(tensor) if plugins.get(tag).is_some_and(|p| p == "scalars") => {
                        scalar_tensor(tensor)?
                    }
                    _ => None,
                },
            };
            if let Some(number) = number {
                scalars
                    .tags
                    .entry(tag.to_owned())
                    .or_default()
                    .push((step, number));
            }
        }
    }
    Ok(())
}

/// The value of a scalar `TensorProto` of a number type.
fn scalar_tensor(tensor: &[u8]) -> Result<Option<f64>, protobuf::WireError> {
    // TensorProto: dtype = 1, tensor_shape = 2 (dim = 2), tensor_content = 4, float_val = 5,
    // double_val = 6, int_val = 7, int64_val = 10.
    let dtype = protobuf::last(tensor, 1)?.and_then(Field::int).unwrap_or(0);
    if let Some(shape) = protobuf::last(tensor, 2)?.and_then(Field::bytes) {
        // A scalar has no dimension, or dimensions of size 1.
        for dim in protobuf::all(shape, 2)? {
            let size = dim
                .bytes()
                .map(|d| protobuf::last(d, 1))
                .transpose()?
                .flatten()
                .and_then(Field::int)
                .unwrap_or(1);
            if size != 1 {
                return Ok(None);
            }
        }
    }
    let content = protobuf::last(tensor, 4)?.and_then(Field::bytes);
    let value = match dtype {
        // DT_FLOAT
        1 => match content {
            Some(bytes) => protobuf::packed_floats(bytes).first().copied(),
            None => protobuf::all(tensor, 5)?.into_iter().find_map(|f| match f {
                Field::Bytes(packed) => protobuf::packed_floats(packed).first().copied(),
                other => other.float(),
            }),
        },
        // DT_DOUBLE
        2 => match content {
            Some(bytes) => protobuf::packed_doubles(bytes).first().copied(),
            None => protobuf::all(tensor, 6)?.into_iter().find_map(|f| match f {
                Field::Bytes(packed) => protobuf::packed_doubles(packed).first().copied(),
                other => other.float(),
            }),
        },
        // DT_INT32, DT_INT64
        3 | 9 => match content {
            Some(bytes) if dtype == 3 && bytes.len() >= 4 => Some(f64::from(i32::from_le_bytes(
                bytes[..4].try_into().expect("4 bytes"),
            ))),
            Some(bytes) if bytes.len() >= 8 => {
                Some(i64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as f64)
            }
            _ => {
                let field = if dtype == 3 { 7 } else { 10 };
                match protobuf::last(tensor, field)? {
                    Some(Field::Varint(v)) => Some(v as i64 as f64),
                    Some(Field::Bytes(packed)) => {
                        let mut at = 0;
                        protobuf::varint(packed, &mut at)
                            .ok()
                            .map(|v| v as i64 as f64)
                    }
                    _ => None,
                }
            }
        },
        _ => None,
    };
    Ok(value)
}

/// CRC-32C (Castagnoli), masked as TFRecord stores it.
pub fn masked_crc32c(bytes: &[u8]) -> u32 {
    let crc = crc32c(bytes);
    (crc.rotate_right(15)).wrapping_add(0xa282_ead8)
}

fn crc32c(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut crc = i as u32;
            let mut bit = 0;
            while bit < 8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0x82f6_3b78
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
    fn crc32c_matches_the_standard_check_value() {
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
    }

    #[test]
    fn a_damaged_or_cut_file_is_told_apart() {
        assert_eq!(read_scalars(&b""[..]).unwrap(), Scalars::default());
        assert!(read_scalars(&b"not an event file at all"[..]).is_err());
        // A cut header is a truncated file, not an error.
        assert!(read_scalars(&[1u8, 2, 3][..]).unwrap().truncated);
    }
}
