//! Ultralytics YOLO: `runs/<task>/<name>/results.csv` (one row an epoch; before 8.3 every
//! header and cell padded to 23 characters) and `args.yaml`. The metrics are the last row
//! (`metrics/mAP50(B)`, the losses, the learning rates); the curves every column against
//! `epoch` (the wall-clock `time` left out); the params the arguments, except the paths of
//! the machine that trained.

use super::{RunData, is_machine_path, table_run};
use crate::inputs::value::Value;
use crate::inputs::{ParseError, records, yaml};

/// A run from its `results.csv` and, when there is one, its `args.yaml`.
pub fn read(results_csv: &[u8], args: Option<&[u8]>) -> Result<RunData, ParseError> {
    // Padding is spaces around each header and cell: read it without them.
    let text = String::from_utf8_lossy(results_csv);
    let unpadded: String = text
        .lines()
        .map(|line| {
            line.split(',')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(",")
                .trim_end_matches(',')
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let table = records::read("results.csv", unpadded.as_bytes())?;
    let (metrics, curves) = table_run(&table, "epoch", &["time"]);
    let params = match args {
        Some(bytes) => match yaml::parse(bytes)? {
            Value::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .filter(|(_, v)| !matches!(v, Value::Str(s) if is_machine_path(s)))
                    .collect(),
            ),
            _ => Value::Map(Vec::new()),
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
    fn results_are_what_ultralytics_reads_back() {
        let expected = fixtures::expected("ultralytics");
        for (side, run_dir) in [
            ("base", "runs/detect/train"),
            ("head", "runs/detect/train-2"),
        ] {
            let run = read(
                &fixtures::bytes("ultralytics", side, &format!("{run_dir}/results.csv")),
                Some(&fixtures::bytes(
                    "ultralytics",
                    side,
                    &format!("{run_dir}/args.yaml"),
                )),
            )
            .unwrap();
            // `trainer.read_results_csv()`: every column, every epoch.
            let columns = expected[side][run_dir]["trainer.read_results_csv()"]
                .as_object()
                .unwrap();
            for (name, values) in columns {
                if name == "epoch" || name == "time" {
                    continue;
                }
                let values: Vec<f64> = values
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect();
                let curve = run.curves.iter().find(|c| &c.name == name).unwrap();
                let ours: Vec<f64> = curve.points.iter().map(|p| p.1).collect();
                assert_eq!(ours, values, "{side} {name}");
                let last = number(get(&run.metrics, name).unwrap()).unwrap();
                assert_eq!(last, *values.last().unwrap());
            }
            assert!(get(&run.metrics, "time").is_none());
            let args = &expected[side][run_dir]["train_args"];
            assert_eq!(
                number(get(&run.params, "lr0").unwrap()),
                args["lr0"].as_f64()
            );
            assert!(
                get(&run.params, "save_dir").is_none(),
                "a path of the training machine"
            );
        }
    }

    #[test]
    fn padded_results_of_8_2_read_the_same() {
        let run = read(
            &fixtures::bytes("ultralytics-8.2", "head", "runs/detect/train2/results.csv"),
            None,
        )
        .unwrap();
        let names: Vec<&str> = run.curves.iter().map(|c| c.name.as_str()).collect();
        assert!(
            names.contains(&"metrics/mAP50(B)") && names.contains(&"train/box_loss"),
            "{names:?}"
        );
        assert!(run.curves.iter().all(|c| c.points.len() == 8));
    }
}
