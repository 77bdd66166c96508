"""Variants of the tuned student on the compression benchmark's splits, and the
spread of a student over its initialisation: how far the tuned student's
differences with ``RandomizedSearchCV`` stand out of the noise.

The splits, teachers and transfer rows are those of ``bench_kd_tables.py
--uses compression --transfer perturb --transfer-size 1`` (same seeds), and
the students the same ``(32,)`` MLPs with the same budget. Every variant is a
``KDMetaparamTuner`` with the benchmark's tuned settings updated by its own
parameters; each is compared with the search, naive and random columns of a
``bench_kd_tables.py --json`` file of the same seeds (``--reference``), which
this script does not recompute.

``--inits K`` also refits the default tuned student and the naive one
(``(0.5, 1)`` fixed) with ``K`` other values of ``random_state`` on every
split (the split is the seed's; ``random_state`` sets the validation rows, the
initialisation and the minibatches): the standard deviation of their test
accuracy over the ``K + 1`` fits is the student's own noise.

Run:  python bench_kd_variants.py --reference compression.json --seeds 0 1 2
      --variants '{"T_init 0.3": {"temperature_init": 0.3}}' [--inits 2]
      [--sets ...] [--json out.json] [--horizon-on both]
"""

import argparse
import json
import time

import numpy as np
import torch
from bench_kd_tables import DEFAULT_SETS, split_and_teacher, with_transfer_rows
from suite_datasets import load_suite
from threadpoolctl import threadpool_limits

import skdistill._kd.students as students_module
from skdistill._kd.tuner import KDMetaparamTuner


def split(data, seed):
    """The compression benchmark's split, teacher and perturbed rows."""
    X_train, X_test, codes, y_test, teacher = split_and_teacher(data, seed)
    X, y = with_transfer_rows(
        "perturb", X_train, codes, teacher, len(codes), seed, hidden_layer_sizes=(32,)
    )
    return teacher, X, y, X_test, y_test


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True)
    parser.add_argument("--variants", default="{}", help="JSON: name -> params")
    parser.add_argument("--sets", nargs="+", default=DEFAULT_SETS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--inits", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=1500)
    parser.add_argument("--json")
    parser.add_argument(
        "--horizon-on",
        choices=["lambda", "both"],
        default="lambda",
        help="metaparameters meta_horizon applies to (the estimator: lambda_1)",
    )
    args = parser.parse_args()
    students_module.HORIZON_METAPARAMETERS = (True, args.horizon_on == "both")
    torch.set_num_threads(1)
    threadpool_limits(1)
    reference = json.load(open(args.reference))["uses"]["compression"]
    ref_seeds = json.load(open(args.reference))["args"]["seeds"]
    variants = json.loads(args.variants)
    out = {"args": vars(args), "variants": {}, "inits": {}}
    for data in load_suite(args.sets, max_rows=3000):
        for seed in args.seeds:
            teacher, X, y, X_test, y_test = split(data, seed)
            student = dict(
                hidden_layer_sizes=(32,),
                learning_rate_init=0.1,
                batch_size=64,
                validation_fraction=0.2,
                max_iter=int(np.ceil(args.iterations / np.ceil(0.8 * len(y) / 64))),
            )
            for name, params in variants.items():
                start = time.perf_counter()
                model = KDMetaparamTuner(
                    teacher, random_state=seed, **{**student, **params}
                ).fit(X, y)
                out["variants"].setdefault(name, {}).setdefault(data.name, []).append(
                    dict(
                        accuracy=model.score(X_test, y_test),
                        seconds=time.perf_counter() - start,
                        lam=model.lambda_,
                        T=model.temperature_,
                    )
                )
            for k in range(args.inits):
                for name, params in (
                    ("tuned", {}),
                    ("naive", dict(meta_learning_rate=0.0)),
                ):
                    model = KDMetaparamTuner(
                        teacher, random_state=1000 * (seed + 1) + k, **student, **params
                    ).fit(X, y)
                    out["inits"].setdefault(name, {}).setdefault(
                        f"{data.name}/{seed}", []
                    ).append(model.score(X_test, y_test))
            print(data.name, seed, "done", flush=True)

    def ref(name, column):
        runs = reference[name]
        return np.mean([runs[ref_seeds.index(s)][column] for s in args.seeds])

    sets = [data_name for data_name in reference if data_name in args.sets]
    print(
        f"\n{'variant':<22}"
        + "".join(f"{s[:9]:>10}" for s in sets)
        + "      mean  >= search  time/search"
    )
    rows = {
        c: [ref(s, c) for s in sets]
        for c in ("search", "tuned", "naive", "random", "no KD")
    }
    search = rows["search"]
    search_s = [ref(s, "search s") for s in sets]
    for column in ("search", "tuned", "no KD", "naive", "random"):
        values = rows[column]
        wins = sum(v >= w - 1e-12 for v, w in zip(values, search))
        print(
            f"{column + ' (ref.)':<22}"
            + "".join(f"{v:>10.3f}" for v in values)
            + f"{np.mean(values):>10.3f}{wins:>7}/{len(sets)}"
        )
    for name, per_set in out["variants"].items():
        values = [np.mean([r["accuracy"] for r in per_set[s]]) for s in sets]
        ratio = np.mean(
            [
                np.mean([r["seconds"] for r in per_set[s]]) / t
                for s, t in zip(sets, search_s)
            ]
        )
        wins = sum(v >= w - 1e-12 for v, w in zip(values, search))
        print(
            f"{name:<22}"
            + "".join(f"{v:>10.3f}" for v in values)
            + f"{np.mean(values):>10.3f}{wins:>7}/{len(sets)}{ratio:>12.2f}"
        )
    if args.inits:
        print(
            f"\nstandard deviation of one student's test accuracy over "
            f"{args.inits + 1} values of random_state (mean over seeds)"
        )
        for column in ("tuned", "naive"):
            sds = []
            for s in sets:
                per_seed = []
                for seed in args.seeds:
                    first = reference[s][ref_seeds.index(seed)][column]
                    per_seed.append(
                        np.std([first, *out["inits"][column][f"{s}/{seed}"]], ddof=1)
                    )
                sds.append(np.mean(per_seed))
            print(
                f"{column:<22}"
                + "".join(f"{v:>10.3f}" for v in sds)
                + f"{np.mean(sds):>10.3f}"
            )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(out, handle, indent=1)


if __name__ == "__main__":
    main()
