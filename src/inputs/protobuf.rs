//! Just enough of the protobuf wire format to read the few fields mlci needs from
//! TensorBoard event files and W&B run logs: varints, fixed 32/64-bit values and
//! length-delimited fields, walked in order. Unknown fields are skipped; a malformed message
//! is an error, never a panic. (A generated protobuf crate would need a build script and
//! the `.proto` files of both libraries for a dozen fields.)

/// One field of a message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1 (a double, a fixed64).
    Fixed64(u64),
    /// Wire type 2 (a string, bytes, a message, a packed list).
    Bytes(&'a [u8]),
    /// Wire type 5 (a float, a fixed32).
    Fixed32(u32),
}

impl<'a> Field<'a> {
    /// The field as a nested message or string bytes.
    pub fn bytes(self) -> Option<&'a [u8]> {
        match self {
            Field::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The field as UTF-8 text.
    pub fn text(self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }

    /// The field as a float or double.
    pub fn float(self) -> Option<f64> {
        match self {
            Field::Fixed32(bits) => Some(f64::from(f32::from_bits(bits))),
            Field::Fixed64(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    /// The field as an integer (int64 as two's complement).
    pub fn int(self) -> Option<i64> {
        match self {
            Field::Varint(v) => Some(v as i64),
            _ => None,
        }
    }
}

/// A malformed message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed protobuf at byte {offset}: {what}")]
pub struct WireError {
    /// Where, in the message.
    pub offset: usize,
    /// What was wrong.
    pub what: &'static str,
}

/// The fields of a message, in order: `(number, value)`.
pub fn fields(message: &[u8]) -> impl Iterator<Item = Result<(u32, Field<'_>), WireError>> {
    let mut at = 0;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || at >= message.len() {
            return None;
        }
        let result = next_field(message, &mut at);
        failed = result.is_err();
        Some(result)
    })
}

/// The fields numbered `number`, skipping the rest; the first malformed byte is an error.
pub fn all(message: &[u8], number: u32) -> Result<Vec<Field<'_>>, WireError> {
    let mut out = Vec::new();
    for field in fields(message) {
        let (n, value) = field?;
        if n == number {
            out.push(value);
        }
    }
    Ok(out)
}

/// The last field numbered `number` (protobuf's rule for a repeated scalar field).
pub fn last(message: &[u8], number: u32) -> Result<Option<Field<'_>>, WireError> {
    Ok(all(message, number)?.pop())
}

fn next_field<'a>(message: &'a [u8], at: &mut usize) -> Result<(u32, Field<'a>), WireError> {
    let start = *at;
    let key = varint(message, at)?;
    let number = u32::try_from(key >> 3).map_err(|_| error(start, "field number too large"))?;
    if number == 0 {
        return Err(error(start, "field number 0"));
    }
    let value = match key & 7 {
        0 => Field::Varint(varint(message, at)?),
        1 => Field::Fixed64(u64::from_le_bytes(
            take(message, at, 8)?.try_into().expect("8 bytes"),
        )),
        2 => {
            let length = varint(message, at)?;
            let length = usize::try_from(length).map_err(|_| error(*at, "length too large"))?;
            Field::Bytes(take(message, at, length)?)
        }
        5 => Field::Fixed32(u32::from_le_bytes(
            take(message, at, 4)?.try_into().expect("4 bytes"),
        )),
        _ => return Err(error(start, "unsupported wire type")),
    };
    Ok((number, value))
}

fn take<'a>(message: &'a [u8], at: &mut usize, n: usize) -> Result<&'a [u8], WireError> {
    let end = at
        .checked_add(n)
        .filter(|end| *end <= message.len())
        .ok_or_else(|| error(*at, "field runs past the end"))?;
    let bytes = &message[*at..end];
    *at = end;
    Ok(bytes)
}

/// A base-128 varint.
pub fn varint(bytes: &[u8], at: &mut usize) -> Result<u64, WireError> {
    let start = *at;
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes
            .get(*at)
            .ok_or_else(|| error(start, "varint runs past the end"))?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(error(start, "varint longer than 10 bytes"))
}

fn error(offset: usize, what: &'static str) -> WireError {
    WireError { offset, what }
}

/// Packed repeated floats (`repeated float x = N [packed]`).
pub fn packed_floats(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(4)
        .map(|c| f64::from(f32::from_le_bytes(c.try_into().expect("4 bytes"))))
        .collect()
}

/// Packed repeated doubles.
pub fn packed_doubles(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_a_message() {
        // field 1 varint 150; field 2 "hi"; field 3 fixed32 1.5f; field 4 fixed64 2.0
        let mut message = vec![0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i', 0x1d];
        message.extend_from_slice(&1.5f32.to_le_bytes());
        message.push(0x21);
        message.extend_from_slice(&2.0f64.to_le_bytes());
        let got: Vec<(u32, Field<'_>)> = fields(&message).map(Result::unwrap).collect();
        assert_eq!(got[0], (1, Field::Varint(150)));
        assert_eq!(got[1].1.text(), Some("hi"));
        assert_eq!(got[2].1.float(), Some(1.5));
        assert_eq!(got[3].1.float(), Some(2.0));
        assert_eq!(last(&message, 1).unwrap().and_then(Field::int), Some(150));
    }

    #[test]
    fn malformed_messages_are_errors() {
        for bad in [
            &[0x12, 0x05, b'a'][..],
            &[0x08, 0xff, 0xff][..],
            &[0x0b][..],
            &[0x00][..],
        ] {
            assert!(all(bad, 1).is_err(), "{bad:?}");
        }
        // Random bytes never panic.
        let mut state = 7u64;
        for _ in 0..5_000 {
            let bytes: Vec<u8> = (0..(state % 40))
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let _ = all(&bytes, 1);
        }
    }
}
