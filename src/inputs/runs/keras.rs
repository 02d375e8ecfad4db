//! Keras' `CSVLogger`: one row an epoch, `epoch` first (0-based), then every logged metric
//! (`loss`, `accuracy`, `val_loss`, ...). The callback has no default file name, so a file
//! is one when it is called as people call it (`training.log`, `history.csv`, `log.csv`)
//! and its header is `epoch` followed by metric names. The metrics are the last row; the
//! curves every column against `epoch`.

use super::{RunData, table_run};
use crate::inputs::ParseError;
use crate::inputs::records;
use crate::inputs::value::Value;

/// The names a `CSVLogger` file usually has.
pub const NAMES: [&str; 3] = ["training.log", "history.csv", "log.csv"];

/// Whether a file's first line is a `CSVLogger` header: `epoch`, then at least one name.
pub fn looks_like(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut fields = line.trim_end_matches('\r').split(',');
    fields.next() == Some("epoch")
        && fields.clone().count() >= 1
        && fields.all(|f| !f.trim().is_empty() && f.parse::<f64>().is_err())
}

/// A run from the logger's file.
pub fn read(bytes: &[u8]) -> Result<RunData, ParseError> {
    // Read as CSV whatever the file is called.
    let table = records::read("log.csv", bytes)?;
    let (metrics, curves) = table_run(&table, "epoch", &[]);
    Ok(RunData {
        metrics: Value::Map(metrics),
        params: Value::Map(Vec::new()),
        curves,
        ..RunData::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::runs::{fixtures, get, number};

    #[test]
    fn the_last_epoch_and_every_epoch_are_what_history_holds() {
        let expected = fixtures::expected("keras");
        for (stack, file) in [
            ("keras", "training.log"),
            ("keras-history-csv", "history.csv"),
        ] {
            for side in ["base", "head"] {
                let bytes = fixtures::bytes(stack, side, file);
                assert!(looks_like(&bytes));
                let run = read(&bytes).unwrap();
                let history = expected[side]["History.history"].as_object().unwrap();
                for (key, values) in history {
                    let values: Vec<f64> = values
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_f64().unwrap())
                        .collect();
                    let ours = number(get(&run.metrics, key).unwrap()).unwrap();
                    assert!(
                        fixtures::close(ours, *values.last().unwrap()),
                        "{stack} {side} {key}"
                    );
                    let curve = run.curves.iter().find(|c| &c.name == key).unwrap();
                    assert_eq!(curve.points.len(), values.len());
                    assert_eq!(curve.points[0].0, 0.0, "epochs count from 0");
                }
            }
        }
        assert!(!looks_like(b"step,loss\n1,0.5\n"));
        assert!(!looks_like(b"epoch\n"));
        assert!(!looks_like(b"epoch,1,2\n"));
    }
}
