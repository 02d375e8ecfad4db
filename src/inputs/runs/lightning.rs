//! PyTorch Lightning's `CSVLogger`: `lightning_logs/version_N/metrics.csv` (sparse rows:
//! training and validation values are logged at different steps, the other cells blank) and
//! `hparams.yaml`. The metrics are each column's last value; the curves each column against
//! `step`, blanks skipped; the params the hyperparameters.

use super::{RunData, table_run};
use crate::inputs::records;
use crate::inputs::value::Value;
use crate::inputs::{ParseError, yaml};

/// A run from its `metrics.csv` and, when there is one, its `hparams.yaml`.
pub fn read(metrics_csv: &[u8], hparams: Option<&[u8]>) -> Result<RunData, ParseError> {
    let table = records::read("metrics.csv", metrics_csv)?;
    let (metrics, curves) = table_run(&table, "step", &["epoch"]);
    let params = match hparams {
        Some(bytes) => match yaml::parse(bytes)? {
            Value::Null => Value::Map(Vec::new()),
            map => map,
        },
        None => Value::Map(Vec::new()),
    };
    Ok(RunData {
        metrics: Value::Map(metrics),
        params,
        curves,
        ..RunData::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::runs::{fixtures, get, number};

    #[test]
    fn the_last_value_of_each_column_is_what_lightning_ends_with() {
        let expected = fixtures::expected("lightning");
        for (side, version) in [
            ("base", "version_0"),
            ("head", "version_0"),
            ("head", "version_1"),
        ] {
            let dir = format!("lightning_logs/{version}");
            let run = read(
                &fixtures::bytes("lightning", side, &format!("{dir}/metrics.csv")),
                Some(&fixtures::bytes(
                    "lightning",
                    side,
                    &format!("{dir}/hparams.yaml"),
                )),
            )
            .unwrap();
            let theirs = &expected[side][&dir];
            for (key, value) in theirs["callback_metrics"].as_object().unwrap() {
                let ours = number(get(&run.metrics, key).unwrap()).unwrap();
                assert!(
                    fixtures::close(ours, value.as_f64().unwrap()),
                    "{side} {dir} {key}"
                );
            }
            assert_eq!(
                number(get(&run.params, "lr").unwrap()),
                theirs["args"]["lr"].as_f64()
            );
            // Sparse rows: validation is logged once an epoch, training every other step.
            let val = run.curves.iter().find(|c| c.name == "val_loss").unwrap();
            let epochs = theirs["args"]["epochs"].as_u64().unwrap() as usize;
            assert_eq!(val.points.len(), epochs);
            assert!(
                run.curves
                    .iter()
                    .all(|c| c.points.iter().all(|p| !p.1.is_nan()))
            );
        }
    }
}
