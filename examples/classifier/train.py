"""Train a small neural network on scikit-learn's breast cancer dataset and log with dvclive.

A real, fast (seconds) training run whose outputs are what mlci reads: dvclive's metrics
summary, per-epoch curves, sklearn plots and a matplotlib image. Parameters come from
params.yaml; run `python train.py` (or `dvc repro`).
"""

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import yaml
from dvclive import Live
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import permutation_importance
from sklearn.metrics import accuracy_score, f1_score, log_loss, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler


def main():
    params = yaml.safe_load(open("params.yaml"))
    prepare, train = params["prepare"], params["train"]

    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=prepare["test_size"], random_state=prepare["seed"], stratify=data.target
    )
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

    model = MLPClassifier(
        hidden_layer_sizes=tuple(train["hidden"]),
        alpha=train["alpha"],
        learning_rate_init=train["lr"],
        batch_size=train["batch_size"],
        random_state=train["seed"],
        max_iter=1,
        warm_start=True,
    )
    classes = np.unique(y_train)
    with Live("dvclive", dvcyaml=None) as live:
        for epoch in range(train["epochs"]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.partial_fit(x_train, y_train, classes=classes)
            live.log_metric("train/loss", log_loss(y_train, model.predict_proba(x_train)))
            live.log_metric("test/loss", log_loss(y_test, model.predict_proba(x_test)))
            live.log_metric("test/accuracy", accuracy_score(y_test, model.predict(x_test)))
            live.next_step()

        predicted = model.predict(x_test)
        scores = model.predict_proba(x_test)[:, 1]
        live.summary = {
            "test": {
                "accuracy": accuracy_score(y_test, predicted),
                "roc_auc": roc_auc_score(y_test, scores),
                "f1": f1_score(y_test, predicted),
                "precision": precision_score(y_test, predicted),
                "recall": recall_score(y_test, predicted),
                "loss": log_loss(y_test, model.predict_proba(x_test)),
            },
            "train": {"loss": log_loss(y_train, model.predict_proba(x_train))},
        }
        live.log_sklearn_plot("roc", y_test, scores, name="roc.json")
        live.log_sklearn_plot("precision_recall", y_test, scores, name="prc.json")
        live.log_sklearn_plot("confusion_matrix", y_test, predicted, name="confusion.json")
        live.log_sklearn_plot("calibration", y_test, scores, name="calibration.json")

        importance = permutation_importance(model, x_test, y_test, n_repeats=5, random_state=0)
        top = np.argsort(importance.importances_mean)[-10:]
        fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
        ax.barh([data.feature_names[i] for i in top], importance.importances_mean[top], color="#4c72b0")
        ax.set_xlabel("Mean accuracy decrease when shuffled")
        ax.set_title("Permutation feature importance (top 10)")
        fig.tight_layout()
        live.log_image("importance.png", fig)
        plt.close(fig)
        live.log_params({"n_features": int(data.data.shape[1]), "n_train": int(len(y_train))})


if __name__ == "__main__":
    main()
