"""Raw table columns to numeric features, with scikit-learn's encoders.

The command line distills CSV files whose columns may be text. Numeric (and
boolean) columns pass through; every other column is one-hot encoded by a
:class:`~sklearn.preprocessing.OneHotEncoder` whose output columns are named
``column=value``. The encoder is a :class:`~sklearn.compose.ColumnTransformer`
that keeps the order of the columns. It is described by a small JSON-able dict
(the numeric columns, and the categories of every encoded column), which is
saved in the distilled dataset file; `encoder_from_description` rebuilds the
fitted encoder from it, so new raw rows are encoded exactly as the rows that
were distilled.
"""

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder


def _as_text(X):
    """Category values compared as text, so that 1 and "1" are one category."""
    return np.asarray(X, dtype=object).astype(str)


def _column_equals_value(column, value):
    return f"{column}={value}"


def _encoder(columns, categorical):
    """An unfitted ColumnTransformer over ``columns``, in their order."""
    transformers = []
    for column in columns:
        if column in categorical:
            steps = make_pipeline(
                FunctionTransformer(_as_text, feature_names_out="one-to-one"),
                OneHotEncoder(
                    categories=[list(categorical[column])],
                    sparse_output=False,
                    feature_name_combiner=_column_equals_value,
                    dtype=np.float64,
                ),
            )
            transformers.append((f"onehot_{column}", steps, [column]))
        else:
            transformers.append((f"numeric_{column}", "passthrough", [column]))
    return ColumnTransformer(transformers, verbose_feature_names_out=False).set_output(
        transform="pandas"
    )


def is_numeric_column(values):
    import pandas as pd

    return pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values)


def fit_feature_encoder(frame):
    """Fit the encoder on the feature columns of ``frame``.

    Returns
    -------
    encoder : ColumnTransformer
        Fitted; its output is a DataFrame named ``column`` / ``column=value``.
    description : dict
        ``columns`` (all input columns, in order), ``numeric_columns`` and
        ``categorical_columns`` (column -> sorted categories, as text).
    """
    columns = [str(c) for c in frame.columns]
    categorical = {
        column: sorted(frame[column].astype(str).unique())
        for column in columns
        if not is_numeric_column(frame[column])
    }
    description = {
        "columns": columns,
        "numeric_columns": [c for c in columns if c not in categorical],
        "categorical_columns": categorical,
    }
    return _encoder(columns, categorical).fit(frame), description


def encoder_from_description(description):
    """The fitted encoder that `fit_feature_encoder` described."""
    import pandas as pd

    columns = list(description["columns"])
    categorical = dict(description["categorical_columns"])
    # Fitting with explicit categories learns nothing from the rows: one row
    # made of a known value per column rebuilds the same encoder.
    template = pd.DataFrame(
        {c: [categorical[c][0] if c in categorical else 0.0] for c in columns}
    )
    return _encoder(columns, categorical).fit(template)
