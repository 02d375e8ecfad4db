//! Where the runs of a side are, from its list of files alone: each stack's layout, the run
//! folders grouped into *places* that stay the same from run to run (the run ids, dates and
//! counters in their names left out), and in each place the newest run and the others.

use std::collections::BTreeMap;

use super::Stack;
use super::keras;

/// A run found in the file list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its stack.
    pub stack: Stack,
    /// Where it is, the same at every revision: `out`, `lightning_logs`, `runs/*`,
    /// `mlruns/<experiment id>`; pairs a base run with a head run.
    pub place: String,
    /// Which run it is in its place (`version_1`, `train-2`, a run folder), for people.
    pub name: String,
    /// Its files (the stack's reader says which matter).
    pub files: Vec<String>,
    /// The other runs in the same place, older, by name.
    pub others: Vec<String>,
}

/// Folders never walked: tools' and package managers' own, and caches.
pub const SKIPPED: [&str; 11] = [
    ".git",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    "site-packages",
    ".dvc",
    ".cache",
];

/// The deepest a run's files may be below the root (`a/b/.../file`: folders counted).
pub const MAX_DEPTH: usize = 8;

/// Whether a path is in reach of discovery: not under a skipped folder, not too deep.
pub fn in_reach(path: &str) -> bool {
    crate::inputs::source::near(path, MAX_DEPTH, &SKIPPED)
}

/// Every run in `files` (`/`-separated, repository-relative), one per place.
pub fn find(files: &[String]) -> Vec<Found> {
    let mut files: Vec<&str> = files
        .iter()
        .map(String::as_str)
        .filter(|f| in_reach(f))
        .collect();
    // By bytes, for the binary searches below (a source may sort by path components).
    files.sort_unstable();
    let mut runs = Vec::new();
    runs.extend(transformers(&files));
    runs.extend(by_folder(&files, Stack::Lightning, |dir, name| {
        (name == "metrics.csv" && last(dir).starts_with("version_")).then(|| parent(dir).to_owned())
    }));
    runs.extend(by_folder(&files, Stack::Ultralytics, |dir, name| {
        let has_args = files
            .binary_search(&join(dir, "args.yaml").as_str())
            .is_ok();
        (name == "results.csv" && has_args).then(|| parent(dir).to_owned())
    }));
    runs.extend(by_folder(&files, Stack::Wandb, |dir, name| {
        let run = last(dir);
        let is_run = run.starts_with("offline-run-") || run.starts_with("run-");
        (is_run && name.ends_with(".wandb") && name.starts_with("run-"))
            .then(|| parent(dir).to_owned())
    }));
    runs.extend(mlflow(&files));
    runs.extend(tensorboard(&files));
    runs.extend(lm_eval(&files));
    for file in &files {
        let name = split(file).1;
        if keras::NAMES.contains(&name) && !runs.iter().any(|r| r.files.iter().any(|f| f == file)) {
            runs.push(Found {
                stack: Stack::Keras,
                place: (*file).to_owned(),
                name: name.to_owned(),
                files: vec![(*file).to_owned()],
                others: Vec::new(),
            });
        }
    }
    runs.sort_by(|a, b| (a.stack, &a.place).cmp(&(b.stack, &b.place)));
    runs
}

/// Runs that are one folder each, grouped by the place `place_of(folder, file name)` gives
/// for a file that marks a run; the newest run of a place is the one with the largest number
/// at the end of its name (`version_12`, `train-3`; `train` is 0), then the last by name.
fn by_folder(
    files: &[&str],
    stack: Stack,
    place_of: impl Fn(&str, &str) -> Option<String>,
) -> Vec<Found> {
    let mut places: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for file in files {
        let (dir, name) = split(file);
        if let Some(place) = place_of(dir, name) {
            places.entry(place).or_default().push(dir);
        }
    }
    places
        .into_iter()
        .map(|(place, mut dirs)| {
            dirs.sort_by_key(|dir| (trailing_number(last(dir)), last(dir).to_owned()));
            dirs.dedup();
            let newest = dirs.pop().unwrap_or_default();
            Found {
                stack,
                place,
                name: last(newest).to_owned(),
                files: under(files, newest),
                others: dirs.iter().rev().map(|d| last(d).to_owned()).collect(),
            }
        })
        .collect()
}

/// Trainer output folders: one with `trainer_state.json` or `all_results.json`, or whose
/// `checkpoint-N/` folders hold the state. The run is the folder's own state when
/// `save_state()` wrote one, else the newest checkpoint's (by number: `checkpoint-8` is
/// older than `checkpoint-36`); the other checkpoints are listed.
fn transformers(files: &[&str]) -> Vec<Found> {
    let mut outputs: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for file in files {
        let (dir, name) = split(file);
        if name == "trainer_state.json" && last(dir).starts_with("checkpoint-") {
            outputs.entry(parent(dir)).or_default().push(dir);
        } else if name == "trainer_state.json" || name == "all_results.json" {
            outputs.entry(dir).or_default();
        }
    }
    outputs
        .into_iter()
        .map(|(out, mut checkpoints)| {
            checkpoints.sort_by_key(|dir| trailing_number(last(dir)));
            let own: Vec<String> = super::transformers::RESULTS
                .iter()
                .chain(&["trainer_state.json"])
                .map(|name| join(out, name))
                .filter(|path| files.binary_search(&path.as_str()).is_ok())
                .collect();
            let has_state = own
                .iter()
                .any(|p| p.ends_with("/trainer_state.json") || p == "trainer_state.json");
            let (name, mut run_files) = match checkpoints.last() {
                Some(newest) if !has_state => {
                    let name = last(newest).to_owned();
                    (name, vec![join(newest, "trainer_state.json")])
                }
                _ => (last(out).to_owned(), Vec::new()),
            };
            run_files.extend(own);
            let shown = name.clone();
            Found {
                stack: Stack::Transformers,
                place: out.to_owned(),
                name,
                files: run_files,
                others: checkpoints
                    .iter()
                    .rev()
                    .map(|d| last(d).to_owned())
                    .filter(|n| *n != shown)
                    .collect(),
            }
        })
        .collect()
}

/// MLflow file stores: `mlruns/<experiment id>/<run id>/meta.yaml`, one place per
/// experiment (its id here; its name once `meta.yaml` is read). Which run is newest needs
/// the runs' `meta.yaml`: the reader decides, `others` lists every run folder. SQLite
/// stores (`mlflow.db`): one each, its experiments read from it.
fn mlflow(files: &[&str]) -> Vec<Found> {
    let mut experiments: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for file in files {
        let (dir, name) = split(file);
        let store = parent(parent(dir));
        if name == "meta.yaml" && last(store) == "mlruns" && !dir.contains("/.trash") {
            experiments.entry(parent(dir)).or_default().push(dir);
        }
    }
    let stores = files
        .iter()
        .filter(|f| split(f).1 == "mlflow.db")
        .map(|db| Found {
            stack: Stack::Mlflow,
            place: (*db).to_owned(),
            name: String::new(),
            files: vec![(*db).to_owned()],
            others: Vec::new(),
        });
    experiments
        .into_iter()
        .map(|(experiment, runs)| Found {
            stack: Stack::Mlflow,
            place: experiment.to_owned(),
            name: String::new(),
            files: std::iter::once(join(experiment, "meta.yaml"))
                .chain(runs.iter().flat_map(|run| under(files, run)))
                .collect(),
            others: runs.iter().map(|r| last(r).to_owned()).collect(),
        })
        .chain(stores)
        .collect()
}

/// TensorBoard: event files grouped by the run folder they belong to. A run folder is the
/// shallowest folder on the way whose name is stamped (a date, a `version_N`, a time), so
/// `runs/Nov29_18-48-59_vm/loss/train/` belongs to `runs/Nov29_18-48-59_vm`; with no stamp,
/// the event file's folder, or its parent when the folder is a split (`train`,
/// `validation`). The place is the run folder with its stamp left out (`runs/*`); the newest
/// run of a place is the one with the newest event file.
fn tensorboard(files: &[&str]) -> Vec<Found> {
    let mut runs: BTreeMap<String, (String, Vec<&str>)> = BTreeMap::new();
    for file in files {
        let (dir, name) = split(file);
        if !name.starts_with("events.out.tfevents.") {
            continue;
        }
        let parts: Vec<&str> = if dir.is_empty() {
            Vec::new()
        } else {
            dir.split('/').collect()
        };
        let root_len = match parts.iter().position(|p| is_stamped(p)) {
            Some(i) => i + 1,
            None if parts.last().is_some_and(|p| is_split(p)) => parts.len() - 1,
            None => parts.len(),
        };
        let root = parts[..root_len].join("/");
        let place = parts[..root_len]
            .iter()
            .map(|p| if is_stamped(p) { "*" } else { p })
            .collect::<Vec<_>>()
            .join("/");
        runs.entry(root)
            .or_insert_with(|| (place, Vec::new()))
            .1
            .push(file);
    }
    /// A run folder: its newest event file's time, its path, its event files.
    type RunFolder<'a> = (u64, String, Vec<&'a str>);
    let mut places: BTreeMap<String, Vec<RunFolder>> = BTreeMap::new();
    for (root, (place, files)) in runs {
        let newest = files.iter().map(|f| event_time(f)).max().unwrap_or(0);
        places.entry(place).or_default().push((newest, root, files));
    }
    places
        .into_iter()
        .map(|(place, mut roots)| {
            roots.sort();
            let (_, root, files) = roots.pop().unwrap_or_default();
            Found {
                stack: Stack::TensorBoard,
                place,
                name: last(&root).to_owned(),
                files: files.iter().map(|f| (*f).to_owned()).collect(),
                others: roots
                    .iter()
                    .rev()
                    .map(|(_, r, _)| last(r).to_owned())
                    .collect(),
            }
        })
        .collect()
}

/// lm-eval: `<output_path>/<model>/results_<timestamp>.json`. The place is the output
/// path (the model folder is named after the model's path, which a new checkpoint
/// changes); the newest by its stamp is compared, the others listed.
fn lm_eval(files: &[&str]) -> Vec<Found> {
    let mut places: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for file in files {
        let (dir, name) = split(file);
        if name.starts_with("results_") && name.ends_with(".json") {
            places.entry(parent(dir)).or_default().push(file);
        }
    }
    places
        .into_iter()
        .map(|(place, mut results)| {
            results.sort_by_key(|f| split(f).1);
            let newest = results.pop().unwrap_or_default();
            Found {
                stack: Stack::LmEval,
                place: place.to_owned(),
                name: split(newest).1.to_owned(),
                files: vec![newest.to_owned()],
                others: results.iter().rev().map(|f| (*f).to_owned()).collect(),
            }
        })
        .collect()
}

/// The Unix time in an event file's name (`events.out.tfevents.<time>.<host>...`).
fn event_time(file: &str) -> u64 {
    split(file)
        .1
        .trim_start_matches("events.out.tfevents.")
        .split('.')
        .next()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

/// A folder named for one run: a date or time (`Nov29_18-48-59_vm`, `20261129-184911`,
/// `1795978141.8088837`), or Lightning's `version_N`.
pub fn is_stamped(name: &str) -> bool {
    let digits = name.chars().filter(char::is_ascii_digit).count();
    let month = name.len() > 5 && name.is_char_boundary(5) && {
        let (mon, rest) = name.split_at(3);
        [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .contains(&mon)
            && rest.starts_with(|c: char| c.is_ascii_digit())
            && rest.contains('_')
    };
    let version = name
        .strip_prefix("version_")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let numeric = digits >= 8
        && name
            .chars()
            .all(|c| c.is_ascii_digit() || "-_.T:".contains(c));
    month || version || numeric
}

/// A folder named for a split of one run (`train/`, `validation/`).
fn is_split(name: &str) -> bool {
    matches!(
        name,
        "train" | "training" | "val" | "valid" | "validation" | "test" | "eval" | "evaluation"
    )
}

/// The number at the end of a name (`checkpoint-36` → 36, `version_12` → 12, `train2` → 2),
/// for ordering runs newest last; a name without one counts as 0 (`train` before `train2`).
pub fn trailing_number(name: &str) -> u64 {
    let start = name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    name[start..].parse().unwrap_or(0)
}

/// Every file under `dir`.
fn under(files: &[&str], dir: &str) -> Vec<String> {
    let prefix = format!("{dir}/");
    files
        .iter()
        .filter(|f| dir.is_empty() || f.starts_with(&prefix))
        .map(|f| (*f).to_owned())
        .collect()
}

fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

fn parent(dir: &str) -> &str {
    dir.rsplit_once('/').map_or("", |(p, _)| p)
}

fn last(dir: &str) -> &str {
    dir.rsplit('/').next().unwrap_or(dir)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files of a fixture side, as a source lists them.
    fn listed(stack: &str, side: &str) -> Vec<String> {
        let root = crate::inputs::runs::fixtures::path(stack, side, "");
        let mut files = Vec::new();
        let mut stack_dirs = vec![root.clone()];
        while let Some(dir) = stack_dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let meta = std::fs::symlink_metadata(&path).unwrap();
                if meta.is_dir() {
                    stack_dirs.push(path);
                } else if meta.is_file() {
                    let rel = path.strip_prefix(&root).unwrap();
                    files.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        files.sort();
        files
    }

    fn summary(stack: &str, side: &str) -> Vec<(Stack, String, String, Vec<String>)> {
        find(&listed(stack, side))
            .into_iter()
            .map(|f| (f.stack, f.place, f.name, f.others))
            .collect()
    }

    #[test]
    fn every_stack_is_found_in_its_own_layout() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            summary("transformers", "head"),
            [(
                Stack::Transformers,
                "out".into(),
                "out".into(),
                s(&[
                    "checkpoint-36",
                    "checkpoint-32",
                    "checkpoint-24",
                    "checkpoint-16",
                    "checkpoint-8"
                ])
            )]
        );
        assert_eq!(
            summary("transformers-checkpoints-only", "head"),
            [(
                Stack::Transformers,
                "out".into(),
                "checkpoint-36".into(),
                s(&[
                    "checkpoint-32",
                    "checkpoint-24",
                    "checkpoint-16",
                    "checkpoint-8"
                ])
            )]
        );
        assert_eq!(
            summary("lightning", "head"),
            [(
                Stack::Lightning,
                "lightning_logs".into(),
                "version_1".into(),
                s(&["version_0"])
            )]
        );
        assert_eq!(
            summary("ultralytics", "head"),
            [(
                Stack::Ultralytics,
                "runs/detect".into(),
                "train-2".into(),
                s(&["train"])
            )]
        );
        assert_eq!(
            summary("ultralytics-8.2", "head"),
            [(
                Stack::Ultralytics,
                "runs/detect".into(),
                "train2".into(),
                s(&["train"])
            )]
        );
        assert_eq!(
            summary("keras", "base"),
            [(
                Stack::Keras,
                "training.log".into(),
                "training.log".into(),
                s(&[])
            )]
        );
        let wandb = summary("wandb", "head");
        assert_eq!(wandb.len(), 1);
        assert_eq!(wandb[0].1, "wandb");
        assert!(
            wandb[0].2.starts_with("offline-run-20261129_184925"),
            "{wandb:?}"
        );
        let lm = summary("lm-eval", "head");
        assert_eq!(lm[0].0, Stack::LmEval);
        assert_eq!(
            lm[0].1, "results",
            "the output path: the model folder changes with it"
        );
        let mlflow = find(&listed("mlflow-file", "head"));
        let experiments: Vec<(&str, usize)> = mlflow
            .iter()
            .map(|f| (f.place.as_str(), f.others.len()))
            .collect();
        assert!(
            experiments.contains(&("mlruns/247661175881913255", 2)),
            "{experiments:?}"
        );
    }

    #[test]
    fn tensorboard_runs_are_placed_without_their_stamps() {
        for (stack, place) in [
            ("tensorboard-tbx", "runs/*"),
            ("tensorboard-torch", "runs/*"),
            ("tensorboard-tf", "logs/gradient_tape/*"),
            ("tensorboard-keras", "logs"),
        ] {
            for side in ["base", "head"] {
                let found = find(&listed(stack, side));
                assert_eq!(found.len(), 1, "{stack} {side}: {found:?}");
                assert_eq!(found[0].place, place, "{stack} {side}");
                assert!(
                    found[0].files.len() >= 2,
                    "{stack} {side}: every event file of the run"
                );
            }
        }
        let lightning = find(&listed("lightning-tensorboard", "head"));
        assert_eq!(lightning[0].place, "lightning_logs/*");
        assert_eq!(lightning[0].others.len(), 1);
    }

    #[test]
    fn names_and_reach() {
        for stamped in [
            "Nov29_18-48-59_vm",
            "20261129-184911",
            "1795978141.8088837",
            "version_3",
        ] {
            assert!(is_stamped(stamped), "{stamped}");
        }
        for plain in [
            "runs",
            "train",
            "logs",
            "gradient_tape",
            "version_x",
            "2024",
        ] {
            assert!(!is_stamped(plain), "{plain}");
        }
        assert_eq!(trailing_number("checkpoint-36"), 36);
        assert_eq!(trailing_number("train"), 0);
        assert!(
            in_reach("a/b/c.json") && !in_reach(".venv/lib/x.json") && !in_reach(&"d/".repeat(10))
        );
    }
}
