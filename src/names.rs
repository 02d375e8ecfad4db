//! What a metric's name says: which way is better (`val_loss` lower, `mAP50-95(B)` higher,
//! `eval_runtime` neither), and whether it counts progress rather than quality (`step`,
//! `epoch`). One list, table-tested; [`crate::verdict`] and the chart summaries read it.
//!
//! A name is cut into words at anything that is not a letter or a digit (`metrics.mAP50(B)`:
//! `metrics`, `map50`, `b`). A word names a metric when it is a known stem as it stands
//! (`acc`, `wer`), a stem followed by digits (`map50`, `bleu4`, `rouge2`, `top5`, `f1`,
//! `r2`), or a long stem followed by one letter or `sum` (`rougel`, `rougelsum`). The rules
//! are about the way metrics are named, so names on no list (`map75`, `rouge3`, `top3_acc`)
//! read the same way.

use crate::model::Direction;

/// How a stem may be extended to a word.
#[derive(Clone, Copy)]
enum Form {
    /// Only as it stands.
    Exact,
    /// As it stands, or followed by digits.
    Digits,
    /// Only followed by digits (`top5`, `f1`, `r2`: `top` alone means nothing).
    OnlyDigits,
    /// As it stands, followed by digits, or by one letter or `sum` (`rougel`, `rougelsum`).
    Variant,
}

/// Stems of names for which a higher value is better.
const HIGHER: &[(&str, Form)] = &[
    ("accuracy", Form::Exact),
    ("acc", Form::Digits),
    ("auc", Form::Exact),
    ("auroc", Form::Exact),
    ("aupr", Form::Exact),
    ("f", Form::OnlyDigits),
    ("fscore", Form::Exact),
    ("fbeta", Form::Exact),
    ("precision", Form::Exact),
    ("prec", Form::Exact),
    ("recall", Form::Exact),
    ("r", Form::OnlyDigits),
    ("ap", Form::Digits),
    ("map", Form::Digits),
    ("iou", Form::Digits),
    ("miou", Form::Exact),
    ("dice", Form::Exact),
    ("bleu", Form::Digits),
    ("sacrebleu", Form::Exact),
    ("rouge", Form::Variant),
    ("chrf", Form::Exact),
    ("meteor", Form::Exact),
    ("top", Form::OnlyDigits),
    ("mcc", Form::Exact),
    ("kappa", Form::Exact),
    ("specificity", Form::Exact),
    ("sensitivity", Form::Exact),
    ("tpr", Form::Exact),
    ("ndcg", Form::Digits),
    ("mrr", Form::Exact),
    ("hit", Form::Digits),
    ("throughput", Form::Exact),
];

/// Stems of names for which a lower value is better.
const LOWER: &[(&str, Form)] = &[
    ("loss", Form::Exact),
    ("error", Form::Exact),
    ("err", Form::Exact),
    ("rmse", Form::Exact),
    ("mae", Form::Exact),
    ("mse", Form::Exact),
    ("mape", Form::Exact),
    ("latency", Form::Exact),
    ("perplexity", Form::Exact),
    ("ppl", Form::Exact),
    ("fpr", Form::Exact),
    ("fnr", Form::Exact),
    ("nll", Form::Exact),
    ("wer", Form::Exact),
    ("cer", Form::Exact),
    ("ter", Form::Exact),
    ("eer", Form::Exact),
    ("ece", Form::Exact),
    ("brier", Form::Exact),
];

/// Whole names (or last segments) that count progress, not quality.
const PROGRESS: &[&str] = &[
    "step",
    "steps",
    "epoch",
    "epochs",
    "global_step",
    "iteration",
    "iter",
    "_step",
];

/// Whether `word` (lower case) is `stem` in one of its forms.
fn is(word: &str, stem: &str, form: Form) -> bool {
    let Some(rest) = word.strip_prefix(stem) else {
        return false;
    };
    let digits = !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit());
    match form {
        Form::Exact => rest.is_empty(),
        Form::Digits => rest.is_empty() || digits,
        Form::OnlyDigits => digits,
        Form::Variant => {
            rest.is_empty()
                || digits
                || rest == "sum"
                || (rest.len() == 1 && rest.bytes().all(|b| b.is_ascii_alphabetic()))
                || rest
                    .strip_suffix("sum")
                    .is_some_and(|r| r.len() == 1 && r.bytes().all(|b| b.is_ascii_alphabetic()))
        }
    }
}

/// The direction a metric's name implies (`test.roc_auc`: higher; `val_loss`: lower), or
/// `None` when the name says nothing or says both.
pub fn direction(key: &str) -> Option<Direction> {
    let (mut higher, mut lower) = (false, false);
    for word in key
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_ascii_lowercase();
        higher |= HIGHER.iter().any(|(stem, form)| is(&word, stem, *form));
        lower |= LOWER.iter().any(|(stem, form)| is(&word, stem, *form));
    }
    match (higher, lower) {
        (true, false) => Some(Direction::Higher),
        (false, true) => Some(Direction::Lower),
        _ => None,
    }
}

/// Whether a metric counts how far a run went (`step`, `epoch`, `train.epoch`), not how
/// good it is: the report shows it with the run, not among the metrics that changed.
pub fn is_progress(key: &str) -> bool {
    let last = key.rsplit(['.', '/']).next().unwrap_or(key);
    PROGRESS.contains(&last.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_say_which_way_is_better() {
        use Direction::{Higher, Lower};
        let cases: &[(&str, Option<Direction>)] = &[
            // Named in the issue, from the field.
            ("metrics.mAP50(B)", Some(Higher)),
            ("metrics.mAP50-95(B)", Some(Higher)),
            ("metrics.precision(B)", Some(Higher)),
            ("metrics.recall(B)", Some(Higher)),
            ("map50", Some(Higher)),
            ("mAP@0.5", Some(Higher)),
            ("rouge1", Some(Higher)),
            ("rougeL", Some(Higher)),
            ("rougeLsum", Some(Higher)),
            ("bleu4", Some(Higher)),
            ("top5_acc", Some(Higher)),
            ("eval_f1_macro", Some(Higher)),
            ("wer", Some(Lower)),
            ("cer", Some(Lower)),
            ("perplexity", Some(Lower)),
            ("val/loss", Some(Lower)),
            ("test_loss_epoch", Some(Lower)),
            ("eval_runtime", None),
            // On no list: the patterns carry them.
            ("map75", Some(Higher)),
            ("rouge2", Some(Higher)),
            ("bleu1", Some(Higher)),
            ("top3_acc", Some(Higher)),
            ("val_top1", Some(Higher)),
            ("ap50", Some(Higher)),
            ("ndcg10", Some(Higher)),
            // Old meanings kept.
            ("f1", Some(Higher)),
            ("r2", Some(Higher)),
            ("top1", Some(Higher)),
            ("test.roc_auc", Some(Higher)),
            ("avg_prec.train", Some(Higher)),
            ("RMSE", Some(Lower)),
            ("test.error", Some(Lower)),
            ("latency_ms", Some(Lower)),
            ("val_loss", Some(Lower)),
            ("eval_accuracy", Some(Higher)),
            ("eval_loss", Some(Lower)),
            // Nothing to say, or both.
            ("step", None),
            ("epoch", None),
            ("train_runtime", None),
            ("eval_samples_per_second", None),
            ("learning_rate", None),
            ("grad_norm", None),
            ("n_features", None),
            ("lr", None),
            ("seed", None),
            ("top", None),
            ("f", None),
            ("mapping", None),
            ("roughness", None),
            ("loss_vs_acc", None),
            ("recall_at_fpr", None),
        ];
        for (name, expected) in cases {
            assert_eq!(direction(name), *expected, "{name}");
        }
    }

    #[test]
    fn progress_is_not_quality() {
        for name in ["step", "epoch", "train.epoch", "global_step", "Epoch"] {
            assert!(is_progress(name), "{name}");
        }
        for name in ["steps_per_second", "epoch_loss", "acc"] {
            assert!(!is_progress(name), "{name}");
        }
    }
}
