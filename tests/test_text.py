"""Text dataset distillation: embedding, TextConvNet hypergradient, distiller,
baselines and classifier, on a tiny generated corpus."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from skdistill import (
    DistilledDataset,
    SentenceEmbedder,
    TextBaselineSampler,
    TextConvNetClassifier,
    TextDatasetDistiller,
)
from skdistill._engine.autograd_unroll import unrolled_loss
from skdistill._nets import text_cnn

POSITIVE = ["good", "great", "fine", "lovely", "superb"]
NEGATIVE = ["bad", "awful", "poor", "boring", "dull"]
NEUTRAL = ["film", "movie", "plot", "actor", "scene", "the", "and", "was", "this"]


def make_corpus(n, seed):
    """Sentences of neutral words with sentiment words of one polarity."""
    rng = np.random.RandomState(seed)
    texts, labels = [], []
    for i in range(n):
        label = i % 2
        polar = POSITIVE if label else NEGATIVE
        words = list(rng.choice(NEUTRAL, 6)) + list(rng.choice(polar, 2))
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(["neg", "pos"][label])
    return np.array(texts, dtype=object), np.array(labels)


def toy_embedding(d=6, seed=0):
    rng = np.random.RandomState(seed)
    vocabulary = POSITIVE + NEGATIVE + NEUTRAL
    matrix = rng.normal(size=(len(vocabulary), d))
    return vocabulary, matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


SMALL_NET = dict(sequence_length=8, n_filters=6, kernel_sizes=(2, 3))


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(120, 0), make_corpus(200, 1)


@pytest.fixture(scope="module")
def distiller(corpus):
    (X, y), _ = corpus
    return TextDatasetDistiller(
        **SMALL_NET,
        embedding=toy_embedding(),
        n_steps=2,
        n_epochs=2,
        max_iter=40,
        batch_size=32,
        learning_rate=0.05,
        lr_init=0.5,
        init="noise",  # the paper's start: what a network learns comes from TDD
        random_state=0,
    ).fit(X, y)


# -- embedding -------------------------------------------------------------------


def test_learned_embedding_places_words_of_a_polarity_together():
    # Words of one polarity share contexts, words of the two never meet.
    rng = np.random.RandomState(0)
    X = [
        " ".join(
            rng.permutation(
                list(rng.choice(POSITIVE if i % 2 else NEGATIVE, 4))
                + list(rng.choice(NEUTRAL, 2))
            )
        )
        for i in range(200)
    ]
    emb = SentenceEmbedder(sequence_length=8, embedding_dim=3, random_state=0).fit(X)
    assert emb.embedding_matrix_.shape == (len(emb.vocabulary_), 3)
    np.testing.assert_allclose(np.linalg.norm(emb.embedding_matrix_, axis=1), 1.0)
    vec = dict(zip(emb.vocabulary_, emb.embedding_matrix_))
    same = np.mean([vec[a] @ vec[b] for a in POSITIVE for b in POSITIVE if a != b])
    across = np.mean([vec[a] @ vec[b] for a in POSITIVE for b in NEGATIVE])
    assert same > across + 0.3


def test_transform_pads_truncates_and_drops_unknown_words():
    emb = SentenceEmbedder(sequence_length=3, embedding=toy_embedding()).fit(["x"])
    rows = emb.transform(["zzz good film", "good bad film plot", "zzz"])
    assert rows.shape == (3, 3 * 6)
    matrix = dict(zip(*toy_embedding()))
    np.testing.assert_allclose(rows[0, :6], matrix["good"])
    np.testing.assert_allclose(rows[0, 12:], 0.0)  # padding
    np.testing.assert_allclose(rows[2], 0.0)
    assert emb.decode(rows).tolist() == ["good film", "good bad film", ""]


def test_decoding_returns_vocabulary_words(distiller):
    sentences = distiller.decode()
    assert sentences.shape == (distiller.distilled_.n_rows,)
    vocabulary = set(distiller.embedder_.vocabulary_)
    words = " ".join(sentences).split()
    assert words and set(words) <= vocabulary
    np.testing.assert_array_equal(sentences, distiller.distilled_.extras["sentences"])


def test_decoding_is_nearest_word():
    vocabulary, matrix = toy_embedding()
    emb = SentenceEmbedder(sequence_length=2, embedding=(vocabulary, matrix)).fit(["x"])
    noisy = np.concatenate([matrix[3] + 0.01, matrix[7] - 0.01])[None]
    assert emb.decode(noisy).tolist() == [f"{vocabulary[3]} {vocabulary[7]}"]


# -- the hypergradient -----------------------------------------------------------


def test_text_convnet_hypergradient_matches_finite_differences():
    """The autograd gradient through unrolled TextConvNet steps, with respect to
    the distilled sentences, their soft labels and the learning rates, against
    central finite differences in float64."""
    gen = torch.Generator().manual_seed(0)
    s, d, n_classes = 5, 3, 2
    params = [
        p.double()
        for p in text_cnn.init(
            (s, d), n_classes, {"n_filters": 4, "kernel_sizes": (2, 3)}, generator=gen
        )
    ]
    params = [
        p + 0.1 * torch.randn(p.shape, generator=gen, dtype=p.dtype) for p in params
    ]  # non-zero biases
    syn_X = torch.randn((2, 2, s, d), generator=gen, dtype=torch.float64)
    syn_Y = torch.tensor(
        [[[0.8, 0.2], [0.3, 0.7]], [[0.6, 0.4], [0.1, 0.9]]], dtype=torch.float64
    )
    lrs = torch.tensor([0.3, 0.2, 0.25], dtype=torch.float64)  # 3 steps, 2 batches
    X_real = torch.randn((7, s, d), generator=gen, dtype=torch.float64)
    y_real = torch.tensor([0, 1, 1, 0, 1, 0, 0])

    def loss(a, b, c):
        return unrolled_loss(text_cnn.forward, params, a, b, c, X_real, y_real)

    inputs = [t.clone().requires_grad_() for t in (syn_X, syn_Y, lrs)]
    analytic = torch.autograd.grad(loss(*inputs), inputs)
    eps = 1e-6
    for which, (tensor, grad) in enumerate(zip((syn_X, syn_Y, lrs), analytic)):
        flat = tensor.reshape(-1)
        for i in range(0, flat.numel(), max(1, flat.numel() // 12)):
            args_plus = [syn_X.clone(), syn_Y.clone(), lrs.clone()]
            args_minus = [syn_X.clone(), syn_Y.clone(), lrs.clone()]
            args_plus[which].view(-1)[i] += eps
            args_minus[which].view(-1)[i] -= eps
            numeric = (loss(*args_plus) - loss(*args_minus)).item() / (2 * eps)
            assert grad.reshape(-1)[i].item() == pytest.approx(
                numeric, rel=1e-5, abs=1e-8
            )


def test_forward_is_a_convolution_with_max_pooling():
    """The functional TextConvNet against torch.nn modules with its weights."""
    gen = torch.Generator().manual_seed(1)
    params = text_cnn.init(
        (6, 3), 2, {"n_filters": 4, "kernel_sizes": (2,)}, generator=gen
    )
    X = torch.randn((5, 6, 3), generator=gen)
    conv = torch.nn.Conv1d(3, 4, 2)
    conv.weight.data, conv.bias.data = params[0], params[1] + 0.5
    params[1] = params[1] + 0.5
    pooled = torch.relu(conv(X.transpose(1, 2))).max(dim=2).values
    expected = pooled @ params[2].T + params[3]
    torch.testing.assert_close(text_cnn.forward(params, X), expected)


# -- the distiller ---------------------------------------------------------------


def test_distilled_dataset_layout(distiller):
    ds = distiller.distilled_
    np.testing.assert_array_equal(distiller.distilled_X_, ds.X_scaled)
    assert distiller.sampling_strategy_ == {"neg": 2, "pos": 2}
    # Texts in, sentences out: there are no feature names to give.
    assert not hasattr(distiller, "get_feature_names_out")
    s, d = ds.row_shape
    assert (s, d) == (8, 6)
    assert ds.X_scaled.shape == (4, s * d)  # 2 steps x 2 classes
    assert ds.lr_schedule.shape == (4,)  # 2 steps x 2 epochs
    np.testing.assert_allclose(ds.y.sum(axis=1), 1.0, atol=1e-5)
    assert ds.network == {"name": "TextConvNet", "n_filters": 6, "kernel_sizes": [2, 3]}
    assert distiller.loss_curve_[-1] < distiller.loss_curve_[0]


def test_distilled_sentences_train_a_network(distiller, corpus):
    _, (X_test, y_test) = corpus
    scores = [
        TextConvNetClassifier(distiller.distilled_, random_state=seed)
        .fit()
        .score(X_test, y_test)
        for seed in range(5)
    ]
    assert np.mean(scores) > 0.72  # about 0.5 before distillation


def test_fixed_initialisation_is_stored_and_replayed(corpus):
    (X, y), (X_test, y_test) = corpus
    tdd = TextDatasetDistiller(
        **SMALL_NET,
        embedding=toy_embedding(),
        n_steps=2,
        n_epochs=2,
        fixed_init=True,
        max_iter=40,
        batch_size=32,
        learning_rate=0.05,
        lr_init=0.5,
        random_state=0,
    ).fit(X, y)
    assert tdd.distilled_.fixed_init is not None
    a = TextConvNetClassifier(FrozenEstimator(tdd), init="fixed", random_state=1).fit()
    b = TextConvNetClassifier(FrozenEstimator(tdd), init="fixed", random_state=2).fit()
    for pa, pb in zip(a.params_, b.params_):
        np.testing.assert_array_equal(pa, pb)  # the init, not the seed, decides
    assert a.score(X_test, y_test) > 0.8
    with pytest.raises(ValueError, match="fixed_init=True"):
        TextConvNetClassifier(
            TextDatasetDistiller(
                **SMALL_NET, embedding=toy_embedding(), max_iter=1, random_state=0
            )
            .fit(X, y)
            .distilled_,
            init="fixed",
        ).fit()


def test_starting_sentences_from_real_texts(corpus):
    """init="real" starts at embedded texts of each row's class, "kmeans" at
    the class's k-means centroids (with one row per class: its mean)."""
    (X, y), _ = corpus
    params = dict(
        **SMALL_NET,
        embedding=toy_embedding(),
        n_steps=1,
        max_iter=1,
        learning_rate=1e-12,  # one outer step that does not move the rows
        random_state=0,
    )
    real = TextDatasetDistiller(init="real", **params).fit(X, y)
    embedded = real.embedder_.transform(X)
    for row, label in zip(real.distilled_.X_scaled, real.distilled_.hard_labels):
        distances = np.abs(embedded - row).max(axis=1)
        assert distances.min() < 1e-6
        assert y[np.argmin(distances)] == label
    kmeans = TextDatasetDistiller(init="kmeans", **params).fit(X, y)
    for row, label in zip(kmeans.distilled_.X_scaled, kmeans.distilled_.hard_labels):
        np.testing.assert_allclose(row, embedded[y == label].mean(axis=0), atol=1e-6)


def test_random_state_fixes_the_fit(corpus):
    (X, y), _ = corpus
    params = dict(**SMALL_NET, embedding_dim=3, n_steps=2, max_iter=3, random_state=7)
    a = TextDatasetDistiller(**params).fit(X, y).distilled_
    b = TextDatasetDistiller(**params).fit(X, y).distilled_
    np.testing.assert_array_equal(a.X_scaled, b.X_scaled)
    np.testing.assert_array_equal(a.lr_schedule, b.lr_schedule)


def test_fit_leaves_global_rngs_alone(corpus):
    (X, y), _ = corpus
    torch_state = torch.random.get_rng_state()
    np_state = np.random.get_state()  # noqa: NPY002
    TextDatasetDistiller(**SMALL_NET, embedding_dim=3, max_iter=2, random_state=0).fit(
        X, y
    )
    assert torch.equal(torch_state, torch.random.get_rng_state())
    assert np.array_equal(np_state[1], np.random.get_state()[1])  # noqa: NPY002


def test_fit_resample_returns_sentences_and_labels(corpus):
    (X, y), _ = corpus
    tdd = TextDatasetDistiller(
        **SMALL_NET, embedding=toy_embedding(), n_steps=3, max_iter=2, random_state=0
    )
    sentences, labels = tdd.fit_resample(X, y)
    assert sentences.shape == labels.shape == (6,)
    assert set(labels) == {"neg", "pos"}
    _, soft = tdd.set_params(resample_labels="soft").fit_resample(X, y)
    assert soft.shape == (6, 2)


def test_saved_dataset_trains_the_same_network(distiller, corpus, tmp_path):
    _, (X_test, _) = corpus
    path = tmp_path / "text.npz"
    distiller.distilled_.save(path)
    loaded = DistilledDataset.load(path)
    assert (
        loaded.extras["sentences"].tolist() == distiller.distilled_sentences_.tolist()
    )
    a = TextConvNetClassifier(FrozenEstimator(distiller), random_state=0).fit()
    b = TextConvNetClassifier(loaded, random_state=0).fit()
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))


# -- bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        (["good film", "", "bad film"], [0, 1, 0], ValueError, "empty text"),
        (["good film", "   ", "bad film"], [0, 1, 0], ValueError, "empty text"),
        ([1.0, 2.0, 3.0], [0, 1, 0], TypeError, "must hold strings"),
        (["good film", 3, "bad"], [0, 1, 0], TypeError, "element 1 is int"),
        ([["good", "film"], ["bad", "film"]], [0, 1], ValueError, "1-D sequence"),
        ("good film", [0], TypeError, "not a single string"),
        (["good film", "bad film"], [1, 1], ValueError, "at least two classes"),
        (["good film", "bad film"], [0.5, 1.5], ValueError, "Unknown label type"),
        (["good film", "bad film"], [0, 1, 1], ValueError, "one label per text"),
    ],
)
@pytest.mark.parametrize(
    "estimator",
    [
        TextDatasetDistiller(**SMALL_NET, embedding=toy_embedding(), max_iter=1),
        TextConvNetClassifier(**SMALL_NET, embedding=toy_embedding(), max_iter=1),
        TextBaselineSampler(sequence_length=8, embedding=toy_embedding()),
    ],
    ids=type,
)
def test_bad_input_is_rejected(estimator, X, y, error, match):
    with pytest.raises(error, match=match):
        clone(estimator).fit(X, y)


@pytest.mark.parametrize(
    "embedding, match",
    [
        ((["a", "b"], np.ones((3, 2))), r"shape \(len\(vocabulary\), d\)"),
        ((["a", "b"], np.ones(2)), r"shape \(len\(vocabulary\), d\)"),
        ((["a", "b"], np.ones((2, 2, 1))), r"shape \(len\(vocabulary\), d\)"),
        ((["a", "a"], np.ones((2, 2))), "repeated words"),
        ((["a", "b"], [[1, np.nan], [0, 1]]), "NaN"),
        ((["a", 1], np.ones((2, 2))), "sequence of str"),
        (np.ones((2, 2)), "embedding"),
    ],
)
def test_unknown_embedding_shape_is_rejected(corpus, embedding, match):
    (X, y), _ = corpus
    with pytest.raises(ValueError, match=match):
        TextDatasetDistiller(**SMALL_NET, embedding=embedding, max_iter=1).fit(X, y)


def test_kernel_longer_than_sentence_is_rejected(corpus):
    (X, y), _ = corpus
    with pytest.raises(ValueError, match="exceeds sequence_length"):
        TextConvNetClassifier(
            sequence_length=2, kernel_sizes=(3,), embedding=toy_embedding()
        ).fit(X, y)


def test_tabular_dataset_is_refused_by_the_text_classifier():
    ds = DistilledDataset([[0.0, 1.0], [1.0, 0.0]], np.eye(2), [0, 1])
    with pytest.raises(ValueError, match="not made from texts"):
        TextConvNetClassifier(ds).fit()


# -- baselines -------------------------------------------------------------------


@pytest.mark.parametrize(
    "strategy, n_rows", [("random", 6), ("kmeans", 6), ("class_mean", 2)]
)
def test_baselines(corpus, strategy, n_rows):
    (X, y), (X_test, y_test) = corpus
    base = TextBaselineSampler(
        strategy,
        n_sentences=6,
        sequence_length=8,
        embedding=toy_embedding(),
        random_state=0,
    ).fit(X, y)
    ds = base.distilled_
    assert ds.X_scaled.shape == (n_rows, 8 * 6)
    np.testing.assert_array_equal(base.X_resampled_, ds.X_scaled)
    np.testing.assert_array_equal(base.y_resampled_, ds.hard_labels)
    assert base.sampling_strategy_ == {"neg": n_rows // 2, "pos": n_rows // 2}
    assert ds.lr_schedule is None
    assert sorted(ds.hard_labels.tolist()) == sorted(["neg", "pos"] * (n_rows // 2))
    if strategy == "random":
        assert set(ds.extras["sentences"]) <= set(X)
    if strategy == "class_mean":
        for c in ("neg", "pos"):
            np.testing.assert_allclose(
                ds.X_scaled[ds.hard_labels == c][0],
                base.embedder_.transform(X[y == c]).mean(axis=0),
            )
    clf = TextConvNetClassifier(
        base.distilled_, max_iter=50, learning_rate=0.01, random_state=0
    ).fit()
    assert clf.n_iter_ == 50
    assert 0.0 <= clf.score(X_test, y_test) <= 1.0


def test_baseline_resamples_into_the_containers_of_its_input(corpus):
    (X, y), _ = corpus
    # A list in, a list out (imbalanced-learn's convention); no class gives
    # more rows than it has.
    base = TextBaselineSampler(
        "random", n_sentences=5, sequence_length=8, embedding=toy_embedding()
    )
    texts, labels = base.fit_resample(list(X[:4]), list(y[:4]))
    assert isinstance(texts, list) and isinstance(labels, list)
    assert sorted(texts) == sorted(X[:4]) and labels == ["neg", "neg", "pos", "pos"]
    assert base.sampling_strategy_ == {"neg": 2, "pos": 2}
    assert not hasattr(base, "get_feature_names_out")


# -- the classifier --------------------------------------------------------------


def test_classifier_on_real_texts_in_a_pipeline(corpus):
    (X, y), (X_test, y_test) = corpus
    pipe = make_pipeline(
        FunctionTransformer(lambda texts: np.char.upper(np.asarray(texts, dtype=str))),
        TextConvNetClassifier(
            **SMALL_NET,
            embedding=toy_embedding(),
            max_iter=15,
            learning_rate=0.03,
            random_state=0,
        ),
    )
    pipe.fit(X, y)
    assert pipe.score(X_test, y_test) > 0.9
    proba = pipe.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(pipe.predict(X_test)) <= {"neg", "pos"}


def test_unfitted_distiller_is_fitted_on_X_y(corpus):
    (X, y), _ = corpus
    tdd = TextDatasetDistiller(
        **SMALL_NET, embedding=toy_embedding(), max_iter=2, random_state=0
    )
    clf = TextConvNetClassifier(tdd, random_state=0).fit(X, y)
    assert clf.dataset_.n_rows == 20
    assert clf.distiller_ is not tdd
    assert not hasattr(tdd, "distilled_")  # the parameter is left unfitted
    with pytest.raises(ValueError, match="not fitted"):
        TextConvNetClassifier(tdd).fit()


def test_a_fitted_distiller_is_refitted_as_its_clone_would_be(corpus):
    """A grid search fits clones: the classifier given a fitted distiller must
    train as its clone does (on the distiller refitted to X, y)."""
    (X, y), (X_test, _) = corpus
    tdd = TextDatasetDistiller(
        **SMALL_NET, embedding=toy_embedding(), max_iter=3, random_state=0
    ).fit(X[:40], y[:40])
    before = tdd.distilled_.X_scaled.copy()
    clf = TextConvNetClassifier(tdd, random_state=0).fit(X, y)
    twin = clone(clf).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X_test), twin.predict_proba(X_test))
    np.testing.assert_array_equal(clf.dataset_.X_scaled, twin.dataset_.X_scaled)
    # The parameter is not modified; its refit on X, y is kept as distiller_.
    assert clf.distiller_ is not tdd
    np.testing.assert_array_equal(tdd.distilled_.X_scaled, before)


def test_a_fitted_distiller_without_data_asks_for_a_frozen_one(corpus):
    (X, y), _ = corpus
    tdd = TextDatasetDistiller(
        **SMALL_NET, embedding=toy_embedding(), max_iter=2, random_state=0
    ).fit(X, y)
    with pytest.raises(ValueError, match=r"FrozenEstimator\(distiller\)"):
        TextConvNetClassifier(tdd).fit()


@pytest.mark.parametrize("wrap", [FrozenEstimator, lambda d: d.distilled_])
def test_a_frozen_distiller_or_a_dataset_is_used_as_is(corpus, wrap):
    (X, y), _ = corpus
    tdd = TextDatasetDistiller(
        **SMALL_NET, embedding=toy_embedding(), max_iter=2, random_state=0
    ).fit(X[:40], y[:40])
    source = wrap(tdd)
    without = TextConvNetClassifier(source, random_state=0).fit()
    with_data = TextConvNetClassifier(source, random_state=0).fit(X, y)
    for clf in (without, with_data):
        assert clf.dataset_ is tdd.distilled_
    np.testing.assert_array_equal(without.params_[0], with_data.params_[0])
    np.testing.assert_array_equal(clone(without).fit().params_[0], without.params_[0])
    with pytest.raises(ValueError, match="does not know"):
        TextConvNetClassifier(source).fit(X, np.where(y == "pos", "pos", "other"))


def test_binary_decision_function_is_one_score_per_text(corpus):
    """scikit-learn's convention: shape (n,) for two classes, positive for
    classes_[1]; so the roc_auc scorer works in cross-validation."""
    (X, y), (X_test, _) = corpus
    clf = TextConvNetClassifier(
        **SMALL_NET,
        embedding=toy_embedding(),
        max_iter=15,
        learning_rate=0.03,
        random_state=0,
    )
    scores = cross_val_score(clf, X, y, cv=3, scoring="roc_auc")
    assert np.all(np.isfinite(scores)) and scores.mean() > 0.9
    clf.fit(X, y)
    decision = clf.decision_function(X_test)
    assert decision.shape == (len(X_test),)
    np.testing.assert_array_equal(clf.predict(X_test), clf.classes_[(decision > 0) * 1])
    proba = clf.predict_proba(X_test)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-decision)), rtol=1e-6)


def test_multiclass_decision_function_is_one_score_per_class():
    rng = np.random.RandomState(0)
    words = {"a": POSITIVE, "b": NEGATIVE, "c": NEUTRAL}
    labels = np.array(list("abc") * 20)
    texts = np.array(
        [" ".join(rng.choice(words[label], 4)) for label in labels], dtype=object
    )
    clf = TextConvNetClassifier(
        **SMALL_NET, embedding=toy_embedding(), max_iter=2, random_state=0
    ).fit(texts, labels)
    assert clf.decision_function(texts).shape == (60, 3)


def test_classifier_at_its_defaults_trains_on_a_handful_of_texts():
    """Six short texts have fewer distinct words than embedding_dim=50: the
    learned embedding takes as many dimensions as they allow."""
    texts = [
        "a good film, a good plot",
        "good actors and a fine plot",
        "fine film and good actors",
        "a bad film, a bad plot",
        "bad actors and a dull plot",
        "dull film and bad actors",
    ]
    labels = ["pos"] * 3 + ["neg"] * 3
    clf = TextConvNetClassifier(random_state=0).fit(texts, labels)
    n_words = clf.embedder_.vocabulary_.size  # seen twice or more
    assert 2 <= n_words <= 50
    assert clf.embedder_.embedding_dim_ == n_words - 1
    assert np.all(np.isfinite(clf.embedder_.embedding_matrix_))
    proba = clf.predict_proba(texts)
    assert proba.shape == (6, 2) and np.all(np.isfinite(proba))
    with pytest.raises(ValueError, match="two or more"):
        SentenceEmbedder().fit(["one text", "another"])


def test_predict_before_fit_raises():
    with pytest.raises(NotFittedError):
        TextConvNetClassifier().predict(["good film"])


def test_fitted_classifier_pickles(corpus):
    (X, y), (X_test, _) = corpus
    clf = TextConvNetClassifier(
        **SMALL_NET, embedding=toy_embedding(), max_iter=2, random_state=0
    ).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(
        clf.predict_proba(X_test), again.predict_proba(X_test)
    )


# scikit-learn's check_estimator skips every check of an estimator whose tags
# say it takes no 2-D array (as for CountVectorizer); the checks that need no
# data apply, and run here.
@pytest.mark.parametrize(
    "Estimator",
    [
        TextConvNetClassifier,
        TextDatasetDistiller,
        TextBaselineSampler,
        SentenceEmbedder,
    ],
)
@pytest.mark.parametrize(
    "check",
    [check_no_attributes_set_in_init, check_get_params_invariance, check_set_params],
)
def test_sklearn_checks_that_apply_to_text_input(Estimator, check):
    check(Estimator.__name__, Estimator())


@pytest.mark.parametrize(
    "Estimator",
    [
        TextConvNetClassifier,
        TextDatasetDistiller,
        TextBaselineSampler,
        SentenceEmbedder,
    ],
)
def test_default_constructible_and_tagged_as_text(Estimator):
    check_parameters_default_constructible(Estimator.__name__, Estimator())
    tags = Estimator().__sklearn_tags__()
    assert tags.input_tags.string and not tags.input_tags.two_d_array


def test_fixed_initialisations_are_saved_with_the_dataset(corpus, tmp_path):
    (X, y), (X_test, _) = corpus
    tdd = TextDatasetDistiller(
        **SMALL_NET,
        embedding=toy_embedding(),
        fixed_init=True,
        n_models=2,
        max_iter=2,
        random_state=0,
    ).fit(X, y)
    # One entry (the one network configuration), the two networks stacked.
    (stacked,) = tdd.distilled_.fixed_init
    assert [p.shape for p in stacked] == [
        (2, 6, 6, 2),
        (2, 6),
        (2, 6, 6, 3),
        (2, 6),
        (2, 2, 12),
        (2, 2),
    ]
    tdd.distilled_.save(tmp_path / "fixed.npz")
    loaded = DistilledDataset.load(tmp_path / "fixed.npz")
    assert loaded.row_shape == (8, 6) and loaded.network == tdd.distilled_.network
    a = TextConvNetClassifier(tdd.distilled_, init="fixed").fit()
    b = TextConvNetClassifier(loaded, init="fixed").fit()
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
