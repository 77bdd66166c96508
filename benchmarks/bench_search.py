"""Grid searches on a distilled set: do they rank configurations as a
full-data search does?

For every set of ``suite_datasets.load_suite()``: a stratified 1/3 test split
(seed 0), the features standardised with the training part's statistics. A
grid of ``MLPClassifier`` configurations (architectures x ``alpha`` x
``learning_rate_init``, optionally x ``activation``) is trained

* on all training rows, ``MLPClassifier(**config)`` (``max_iter=200``), once
  per seed of ``--seeds``: the mean test accuracy over the seeds is the
  **full-data ranking**; the median Kendall tau between the rankings of two
  single seeds is the **ceiling** a cheaper ranking can approach;
* on the distilled set of a ``DatasetDistiller`` (``--distiller``:
  ``search`` distills over the grid's space, ``search_space=grid``;
  ``default`` is the distiller at its defaults), each configuration as
  ``DistilledMLPClassifier(**config, distiller=FrozenEstimator(d))``
  (``--schedule``, ``--n-repeats``), ``--n-nets`` networks averaged, scored
  on the test rows;
* on a stratified random subset of the training rows, and on per-class
  k-means prototypes (classes in proportion), of the distilled set's size,
  ``MLPClassifier(**config)``, ``--n-nets`` seeds averaged;
* on all training rows stopped at the distilled run's step budget
  (``MLPClassifier(max_iter=E)``, ``E`` epochs of minibatches of
  ``min(200, n)`` rows making about as many steps as the replay);
* and the picks of ``HalvingGridSearchCV(resource="n_samples")``, of a random
  pick (expected regret) and of ``GridSearchCV(cv=5)`` on all rows (the
  oracle; it ranks too).

A second grid of configurations the distiller never saw (``UNSEEN``) is
ranked on the same distilled set.

Columns: Kendall tau and Spearman rho against the full-data ranking (all
configurations, and the full-data top 5), top-1 regret (accuracy points of
the full-data ranking lost by the method's pick), top-3 overlap (of 3), and
wall seconds (distillation included). Every method with seeds is run once per
seed of ``--seeds``; the table shows the mean over seeds.

    python benchmarks/bench_search.py                       # default sets
    python benchmarks/bench_search.py --quick               # smoke test
    python benchmarks/bench_search.py --sets hmda,car --seeds 0,1,2
    python benchmarks/bench_search.py --large               # larger sets
    python benchmarks/bench_search.py --distiller default   # today's default
    python benchmarks/bench_search.py --full-cache full.json --json out.json
    python benchmarks/bench_search.py --schedule strategy2 --n-repeats 3

Everything runs on one thread (torch, BLAS). The ablation of the distiller's
defaults on cross-architecture transfer is ``bench_transfer_defaults.py``.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from scipy.stats import kendalltau, spearmanr  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.experimental import enable_halving_search_cv  # noqa: E402, F401
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    HalvingGridSearchCV,
    ParameterGrid,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import parse_params  # noqa: E402
from suite_datasets import SUITE_NAMES, load_suite  # noqa: E402

from skdistill import (  # noqa: E402
    DatasetDistiller,
    DistilledMLPClassifier,
    distillation_accuracy,
)
from skdistill._model_selection.prototypes import ClassPrototypes  # noqa: E402

#: The searched grid: the distiller distills over it with --distiller search.
GRID = {
    "hidden_layer_sizes": [(8,), (32,), (32, 32)],
    "alpha": [1e-4, 0.1, 3.0],
    "learning_rate_init": [1e-3, 1e-2],
}
#: Configurations never seen during distillation (within the grid's range).
UNSEEN = {
    "hidden_layer_sizes": [(16,), (64,), (16, 16)],
    "alpha": [0.01, 1.0],
    "learning_rate_init": [3e-3],
}
#: Sets of <= 1500 training rows whose full-data rankings are stable enough
#: to be approached (seed-to-seed tau well above chance).
DEFAULT_SETS = ("biopsy", "anes96", "fishing", "classes7")
#: --large: larger sets (1.5k-3.5k training rows; slower).
LARGE_SETS = ("hmda", "yogurt", "blobs12", "moons_noisy")
QUICK_SETS = ("glass", "biopsy")
MAX_ITER = 200
#: A full-data ranking reproduces when two seeds agree with tau >= this.
STABLE_CEILING = 0.5


def config_key(config):
    return json.dumps(
        {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(config.items())}
    )


def mlp(config, seed, max_iter=MAX_ITER):
    return MLPClassifier(**config, max_iter=max_iter, random_state=seed)


def mlp_scores(configs, X, y, X_test, y_test, seeds, max_iter=MAX_ITER):
    """Mean test accuracy of every configuration over ``seeds``, and seconds."""
    start = time.perf_counter()
    scores = [
        np.mean([mlp(c, s, max_iter).fit(X, y).score(X_test, y_test) for s in seeds])
        for c in configs
    ]
    return np.array(scores), time.perf_counter() - start


def proportional_counts(y, n_rows):
    """Rows per class in proportion to the class sizes, at least one each."""
    classes, counts = np.unique(y, return_counts=True)
    share = np.maximum(1, np.floor(n_rows * counts / counts.sum())).astype(int)
    order = np.argsort(-counts, kind="stable")
    i = 0
    while share.sum() < n_rows:
        share[order[i % len(order)]] += 1
        i += 1
    return classes, np.minimum(share, counts)


def kmeans_prototypes(X, y, n_rows, seed):
    X_parts, y_parts = [], []
    for c, k in zip(*proportional_counts(y, n_rows)):
        X_c = X[y == c]
        k = min(k, len(np.unique(X_c, axis=0)))
        km = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(X_c)
        X_parts.append(km.cluster_centers_)
        y_parts.append(np.full(k, c))
    return np.concatenate(X_parts), np.concatenate(y_parts)


def random_subset(X, y, n_rows, seed):
    if n_rows >= len(y):
        return X, y
    try:
        X_s, _, y_s, _ = train_test_split(
            X, y, train_size=n_rows, stratify=y, random_state=seed
        )
    except ValueError:
        X_s, _, y_s, _ = train_test_split(X, y, train_size=n_rows, random_state=seed)
    return X_s, y_s


def rank_metrics(full, scores):
    """Kendall/Spearman (all, top 5 of ``full``), regret (points), top-3 overlap."""
    full, scores = np.asarray(full), np.asarray(scores)
    top5 = np.argsort(-full, kind="stable")[:5]

    def corr(f, a, b):
        if np.ptp(a) == 0 or np.ptp(b) == 0:
            return 0.0  # a constant ranking says nothing
        return float(f(a, b)[0])

    best = int(np.argmax(scores))
    top3 = set(np.argsort(-full, kind="stable")[:3])
    top3_method = set(np.argsort(-scores, kind="stable")[:3])
    return {
        "tau": corr(kendalltau, full, scores),
        "rho": corr(spearmanr, full, scores),
        "tau5": corr(kendalltau, full[top5], scores[top5]),
        "rho5": corr(spearmanr, full[top5], scores[top5]),
        "regret": 100 * (full.max() - full[best]),
        "top3": len(top3 & top3_method),
    }


def pick_metrics(full, configs, best_params, seconds):
    index = next(i for i, c in enumerate(configs) if c == best_params)
    return {"regret": 100 * (full.max() - full[index]), "seconds": seconds}


def sync_cache(cache, path):
    """Merge the cache file and ``cache`` both ways (runs may share a file)."""
    if not path:
        return
    if os.path.exists(path):
        with open(path) as f:
            disk = json.load(f)
        for name, entry in disk.items():
            mine = cache.setdefault(name, {"acc": {}, "picks": {}})
            for key, per_seed in entry["acc"].items():
                mine["acc"].setdefault(key, {}).update(per_seed)
            for key, pick in entry["picks"].items():
                mine["picks"].setdefault(key, pick)
    with open(path + ".tmp", "w") as f:
        json.dump(cache, f)
    os.replace(path + ".tmp", path)


def full_data(data_name, configs, grids, X, y, X_test, y_test, seeds, cache, path):
    """Per-seed full-data accuracy of every configuration (cached), the
    oracle's and HalvingGridSearchCV's picks."""
    sync_cache(cache, path)
    entry = cache.setdefault(data_name, {"acc": {}, "picks": {}})
    for c in configs:
        per_seed = entry["acc"].setdefault(config_key(c), {})
        for s in seeds:
            if str(s) not in per_seed:
                start = time.perf_counter()
                model = mlp(c, s).fit(X, y)
                per_seed[str(s)] = [
                    model.score(X_test, y_test),
                    time.perf_counter() - start,
                ]
    sync_cache(cache, path)
    for name, search in (
        (
            "gridsearch_cv5",
            lambda s: GridSearchCV(mlp({}, s), grids, cv=5, refit=False),
        ),
        (
            "halving",
            lambda s: HalvingGridSearchCV(
                mlp({}, s),
                grids,
                resource="n_samples",
                cv=5,
                refit=False,
                random_state=s,
            ),
        ),
    ):
        # The oracle is one search (seed 0): five folds average the seeds out.
        for s in [seeds[0]] if name == "gridsearch_cv5" else seeds:
            key = f"{name}/{s}"
            if key in entry["picks"]:
                continue
            start = time.perf_counter()
            fitted = search(s).fit(X, y)
            seconds = time.perf_counter() - start
            result = {"best": config_key(fitted.best_params_), "seconds": seconds}
            if name == "gridsearch_cv5":
                params = [config_key(p) for p in fitted.cv_results_["params"]]
                mean = fitted.cv_results_["mean_test_score"]
                result["scores"] = dict(zip(params, mean.tolist()))
            entry["picks"][key] = result
            sync_cache(cache, path)
    return entry


def distilled_scores(configs, frozen, data_split, n_nets, seed, replay):
    """Mean test accuracy of ``n_nets`` networks of every configuration
    trained on the frozen distiller's set (``replay``: schedule and
    n_repeats), and seconds."""
    start = time.perf_counter()
    scores = [
        distillation_accuracy(
            DistilledMLPClassifier(**c, distiller=frozen, **replay),
            *data_split,
            n_models=n_nets,
            random_state=seed,
        ).mean
        for c in configs
    ]
    return np.array(scores), time.perf_counter() - start


def run_set(data, args, params, cache):
    X_train, X_test, y_train, y_test = train_test_split(
        data.X, data.y, test_size=1 / 3, stratify=data.y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    data_split = (X_train, y_train, X_test, y_test)
    configs = list(ParameterGrid(GRID_USED))
    unseen = list(ParameterGrid(UNSEEN_USED))
    seeds = args.seeds
    entry = full_data(
        data.name,
        configs + unseen,
        GRID_USED,
        X_train,
        y_train,
        X_test,
        y_test,
        seeds,
        cache,
        args.full_cache,
    )

    def full_of(cfgs, seed=None):
        accs = [entry["acc"][config_key(c)] for c in cfgs]
        if seed is None:
            return np.array([np.mean([a[str(s)][0] for s in seeds]) for a in accs])
        return np.array([a[str(seed)][0] for a in accs])

    full, full_unseen = full_of(configs), full_of(unseen)
    full_seconds = sum(entry["acc"][config_key(c)][str(seeds[0])][1] for c in configs)
    ceiling = [
        kendalltau(full_of(configs, a), full_of(configs, b))[0]
        for a, b in itertools.combinations(seeds, 2)
    ]
    ceiling_unseen = [
        kendalltau(full_of(unseen, a), full_of(unseen, b))[0]
        for a, b in itertools.combinations(seeds, 2)
    ]
    out = {
        "set": data.name,
        "rows": len(y_train),
        "features": data.X.shape[1],
        "classes": len(np.unique(data.y)),
        "n_configs": len(configs),
        "ceiling_tau": float(np.median(ceiling)) if ceiling else float("nan"),
        "ceiling_tau_unseen": float(np.median(ceiling_unseen))
        if ceiling_unseen
        else float("nan"),
        "full_best": 100 * float(full.max()),
        "full_seconds": full_seconds,
        "methods": {},
    }
    methods = out["methods"]

    def record(method, metrics):
        methods.setdefault(method, []).append(metrics)

    oracle = entry["picks"][f"gridsearch_cv5/{seeds[0]}"]
    cv_scores = np.array([oracle["scores"][config_key(c)] for c in configs])
    record(
        "gridsearch_cv5",
        {**rank_metrics(full, cv_scores), "seconds": oracle["seconds"]},
    )
    for s in seeds:
        halving = entry["picks"][f"halving/{s}"]
        record(
            "halving",
            pick_metrics(
                full,
                [config_key(c) for c in configs],
                halving["best"],
                halving["seconds"],
            ),
        )
    regrets = 100 * (full.max() - full)
    record("random_pick", {"regret": float(regrets.mean()), "seconds": 0.0})

    replay = {"schedule": args.schedule, "n_repeats": args.n_repeats}
    for s in seeds:
        distiller = DatasetDistiller(random_state=s, **params)
        if args.distiller == "search":
            distiller.set_params(search_space=GRID_USED)
        start = time.perf_counter()
        distiller.fit(X_train, y_train)
        distill_seconds = time.perf_counter() - start
        frozen = FrozenEstimator(distiller)
        n_syn = len(distiller.distilled_X_)
        n_replay_steps = len(distiller.lr_schedule_)
        if args.schedule in ("strategy2", "strategy3"):
            n_replay_steps *= args.n_repeats

        scores, seconds = distilled_scores(
            configs, frozen, data_split, args.n_nets, s, replay
        )
        record(
            "distilled",
            {
                **rank_metrics(full, scores),
                "seconds": distill_seconds + seconds,
                "distill_seconds": distill_seconds,
                "n_syn": n_syn,
                "n_iter": distiller.n_iter_,
            },
        )
        scores_unseen, _ = distilled_scores(
            unseen, frozen, data_split, args.n_nets, s, replay
        )
        record("distilled_unseen", rank_metrics(full_unseen, scores_unseen))

        # The default first stage of DistilledSearchCV: k-means prototypes of
        # every class (10 sqrt(n) rows, shared by the classes), every
        # configuration trained on them as on ordinary rows.
        start = time.perf_counter()
        prototypes = FrozenEstimator(
            ClassPrototypes(random_state=s).fit(X_train, y_train)
        )
        build_seconds = time.perf_counter() - start
        scores, seconds = distilled_scores(
            configs, prototypes, data_split, args.n_nets, s, replay
        )
        record(
            "prototypes",
            {**rank_metrics(full, scores), "seconds": build_seconds + seconds},
        )
        scores, _ = distilled_scores(
            unseen, prototypes, data_split, args.n_nets, s, replay
        )
        record("prototypes_unseen", rank_metrics(full_unseen, scores))

        nets = range(s * args.n_nets, (s + 1) * args.n_nets)
        subsets = {
            "random_subset": random_subset(X_train, y_train, n_syn, s),
            "kmeans": kmeans_prototypes(X_train, y_train, n_syn, s),
        }
        for name, (X_s, y_s) in subsets.items():
            scores, seconds = mlp_scores(configs, X_s, y_s, X_test, y_test, nets)
            record(name, {**rank_metrics(full, scores), "seconds": seconds})
            scores, _ = mlp_scores(unseen, X_s, y_s, X_test, y_test, nets)
            record(name + "_unseen", rank_metrics(full_unseen, scores))

        batch = min(200, len(y_train))
        steps_per_epoch = int(np.ceil(len(y_train) / batch))
        epochs = max(1, round(n_replay_steps / steps_per_epoch))
        scores, seconds = mlp_scores(
            configs, X_train, y_train, X_test, y_test, [s], max_iter=epochs
        )
        record(
            "full_budget",
            {**rank_metrics(full, scores), "seconds": seconds, "epochs": epochs},
        )
    return out


METHODS = (
    "distilled",
    "prototypes",
    "random_subset",
    "kmeans",
    "full_budget",
    "halving",
    "random_pick",
    "gridsearch_cv5",
    "distilled_unseen",
    "prototypes_unseen",
    "random_subset_unseen",
    "kmeans_unseen",
)
FIELDS = ("tau", "rho", "tau5", "rho5", "regret", "top3", "seconds")


def mean_of(runs, field):
    values = [r[field] for r in runs if field in r]
    return float(np.mean(values)) if values else float("nan")


def table(results):
    head = (
        "| set | rows | ceiling tau | method | tau | rho | tau top5 | rho top5 "
        "| regret pts | top-3 overlap | wall s |"
    )
    lines = [head, "|" + "---|" * 11]
    for res in results:
        for method in METHODS:
            runs = res["methods"].get(method)
            if not runs:
                continue
            ceiling = res["ceiling_tau_unseen" if "unseen" in method else "ceiling_tau"]
            cells = [
                res["set"],
                str(res["rows"]),
                f"{ceiling:.2f}",
                method,
                *(
                    "" if np.isnan(v := mean_of(runs, f)) else fmt.format(v)
                    for f, fmt in zip(
                        FIELDS,
                        (
                            "{:+.2f}",
                            "{:+.2f}",
                            "{:+.2f}",
                            "{:+.2f}",
                            "{:.2f}",
                            "{:.2f}",
                            "{:.1f}",
                        ),
                    )
                ),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def summary(results):
    lines = []
    for method in METHODS:
        taus = [mean_of(r["methods"][method], "tau") for r in results]
        regrets = [mean_of(r["methods"][method], "regret") for r in results]
        seconds = [mean_of(r["methods"][method], "seconds") for r in results]
        parts = [f"{method:22s}"]
        if not all(np.isnan(taus)):
            parts.append(f"median tau {np.nanmedian(taus):+.2f}")
        if not all(np.isnan(regrets)):
            parts.append(
                f"regret median {np.median(regrets):.2f} max {np.max(regrets):.2f}"
            )
        if not all(np.isnan(seconds)):
            parts.append(f"wall s summed {np.sum(seconds):.0f}")
        lines.append("  ".join(parts))
    ceilings = [r["ceiling_tau"] for r in results]
    lines.append(
        f"{'ceiling (seed to seed)':22s}  median tau {np.median(ceilings):+.2f}"
    )
    # A set whose full-data ranking does not reproduce from seed to seed has no
    # ranking to follow: the medians over the others are given beside the
    # medians over all sets, and the sets left out are named with their figures.
    stable = [r for r in results if r["ceiling_tau"] >= STABLE_CEILING]
    unstable = [r for r in results if r["ceiling_tau"] < STABLE_CEILING]
    lines.append(
        f"sets with a reproducible full-data ranking (ceiling >= "
        f"{STABLE_CEILING}): {', '.join(r['set'] for r in stable) or 'none'}; "
        "left out of the medians below: "
        + (
            ", ".join(f"{r['set']} (ceiling {r['ceiling_tau']:+.2f})" for r in unstable)
            or "none"
        )
    )
    for method in METHODS:
        taus = [mean_of(r["methods"][method], "tau") for r in stable]
        if stable and not all(np.isnan(taus)):
            lines.append(
                f"{method:22s}  median tau over the reproducible sets "
                f"{np.nanmedian(taus):+.2f} ("
                + ", ".join(f"{r['set']} {t:+.2f}" for r, t in zip(stable, taus))
                + ")"
            )
    lines.append(
        f"{'full data, one seed':22s}  wall s summed "
        f"{np.sum([r['full_seconds'] for r in results]):.0f}"
    )
    return lines


GRID_USED, UNSEEN_USED = GRID, UNSEEN


def main(argv=None):
    global GRID_USED, UNSEEN_USED
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", help=f"comma-separated subset of {SUITE_NAMES}")
    parser.add_argument(
        "--large", action="store_true", help=f"the larger sets {LARGE_SETS}"
    )
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--json", help="write every figure to this JSON file")
    parser.add_argument(
        "--full-cache",
        help="JSON file keeping the full-data accuracies and the picks of the "
        "full-data searches between runs (they do not depend on the distiller)",
    )
    parser.add_argument(
        "--distiller",
        choices=("search", "default"),
        default="search",
        help="search: distill over the grid (search_space); default: the "
        "distiller's defaults",
    )
    parser.add_argument("--params", help="extra DatasetDistiller parameters")
    parser.add_argument("--n-nets", type=int, default=3)
    parser.add_argument(
        "--schedule",
        default="distilled",
        help="schedule of the candidates' runs on the distilled set "
        "(DistilledMLPClassifier's; with --n-repeats)",
    )
    parser.add_argument("--n-repeats", type=int, default=10)
    parser.add_argument(
        "--activation",
        action="store_true",
        help="add activation in (relu, tanh) to both grids",
    )
    args = parser.parse_args(argv)
    args.seeds = [int(s) for s in args.seeds.split(",")]
    params = parse_params(args.params)
    names = DEFAULT_SETS
    if args.large:
        names = LARGE_SETS
    if args.sets:
        names = args.sets.split(",")
    if args.quick:
        names = args.sets.split(",") if args.sets else QUICK_SETS
        args.seeds = args.seeds[:2]
        params.setdefault("max_iter", 50)
    if args.activation:
        GRID_USED = {**GRID, "activation": ["relu", "tanh"]}
        UNSEEN_USED = {**UNSEEN, "activation": ["relu", "tanh"]}
    cache = {}
    print(
        f"grid {GRID_USED} ({len(ParameterGrid(GRID_USED))} configurations); "
        f"unseen {UNSEEN_USED}; seeds {args.seeds}; distiller {args.distiller} "
        f"{params}; {args.n_nets} networks per configuration",
        flush=True,
    )
    results = []
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        # In the order asked for (load_suite keeps the suite's order).
        suite = sorted(load_suite(names), key=lambda d: list(names).index(d.name))
        for data in suite:
            start = time.perf_counter()
            results.append(run_set(data, args, params, cache))
            print(
                "\n".join(table(results[-1:])[2:]),
                f"\n({data.name}: {time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    lines = table(results) + [""] + summary(results)
    print("\n" + "\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
