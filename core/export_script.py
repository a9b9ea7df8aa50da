"""Write a standalone Python script that reproduces a training run.

The script uses pandas, scikit-learn and PyTorch only and reads like a
textbook snippet. It reads the CSV, encodes the labels, splits the rows
and fits a ColumnTransformer on the training rows. Then it trains an
`nn.Sequential` with the optimizer, batches and stopping rule of
`core.training` and prints the validation metrics. Each step does the
same arithmetic in the same order as the app, so with the library
versions the model was trained with, the script computes the app's
validation probabilities bit for bit. Tests run generated scripts and
compare.
"""

from __future__ import annotations

import logging
import math
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.bundle import TrainedModel, library_versions
from core.encoding import MAX_ONEHOT_LEVELS, MISSING_LEVEL, OTHER_LEVEL, ColumnSpec
from core.features import ColumnEncoding
from core.target import TargetEncoding
from core.training import TrainConfig

logger = logging.getLogger(__name__)

LINE_LENGTH = 88
INDENT = "    "
ACTIVATION_LAYERS = {
    "relu": "nn.ReLU()",
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
}
# ColumnTransformer rejects transformer names that contain "__" or equal
# one of its own parameters.
_TRANSFORMER_PARAMETERS = {
    "force_int_remainder_cols",
    "n_jobs",
    "remainder",
    "sparse_threshold",
    "transformer_weights",
    "transformers",
    "verbose",
    "verbose_feature_names_out",
}

# Mirrors core.values.category_strings, so that the script's categories
# and labels are the strings the app compared.
_CATEGORY_HELPER = '''\
def as_category(value):
    """Write a value as the app compares categories: 1.0 as "1", TRUE as "True"."""
    if pd.isna(value):
        return np.nan
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()'''


@dataclass(frozen=True)
class _Call:
    """A function call in the generated source, kept as a tree for line wrapping."""

    function: str
    arguments: tuple[str | _Call, ...]
    # A magic trailing comma: ruff keeps the arguments one per line.
    exploded: bool = False

    def flat(self) -> str:
        inner = ", ".join(a if isinstance(a, str) else a.flat() for a in self.arguments)
        return f"{self.function}({inner})"


def split_arguments(y: np.ndarray, validation_share: float) -> tuple[int, bool]:
    """Return the `test_size` and stratification that `split_rows` uses.

    This repeats the rule of `core.training.split_rows`: the validation
    part has ``ceil(n_samples * validation_share)`` rows, and the split is
    stratified when every class has two rows or more and both parts can
    hold one row of each class.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Class codes of every usable row.
    validation_share : float
        The fraction of rows held out, as in TrainConfig.

    Returns
    -------
    n_valid : int
        The `test_size` passed to `train_test_split`.
    stratify : bool
        Whether ``stratify=y`` is passed.
    """
    n_samples = len(y)
    n_valid = int(math.ceil(n_samples * validation_share))
    counts = np.bincount(y)
    n_classes = int(np.count_nonzero(counts))
    stratify = (
        int(counts[counts > 0].min()) >= 2
        and n_valid >= n_classes
        and n_samples - n_valid >= n_classes
    )
    return n_valid, bool(stratify)


def generate_script(
    model: TrainedModel,
    data_filename: str,
    specs: list[ColumnSpec],
    target: TargetEncoding,
    *,
    sep: str = ",",
    decimal: str = ".",
    encoding: str = "utf-8",
) -> str:
    """Write a Python script that retrains `model` from its CSV file.

    The script reads the file with `pandas.read_csv` and its defaults, so
    it does not repeat what `core.data.read_csv` adds: stripping spaces
    around column names and naming empty ones.

    Parameters
    ----------
    model : TrainedModel
        A model returned by `core.pipeline.fit_classifier`.
    data_filename : str
        Path of the CSV file as the script should open it.
    specs : list of ColumnSpec
        The column encodings the model was trained with (the PreparedData's
        `specs`); they tell whether a numeric column was standardized.
    target : TargetEncoding
        The PreparedData's `target`, whose class codes decide the split.
    sep, decimal, encoding : str, optional
        The delimiter, decimal mark and text encoding that
        `core.data.read_csv` detected, i.e. a CSVTable's `delimiter`,
        `decimal` and `encoding`. The script passes values other than
        pandas' defaults to `pd.read_csv`.

    Returns
    -------
    str
        The script's source code, formatted as ruff formats it.

    Raises
    ------
    NotImplementedError
        If a one-hot column has an "(other)" output, which scikit-learn's
        encoders cannot reproduce.
    ValueError
        If `specs` or `target` do not belong to `model`.
    """
    columns = model.encoder.columns_
    _check_reproducible(columns)
    scaled = _scaled_columns(model, specs)
    n_valid, stratify = split_arguments(target.y, model.config.validation_share)
    if n_valid != len(model.y_valid) or list(target.classes_) != model.classes_:
        raise ValueError(
            f"the target has {len(target.y)} rows and classes {target.classes_}, "
            f"which do not give the model's {len(model.y_valid)} validation rows "
            f"and classes {model.classes_}; pass the PreparedData that trained "
            "this model"
        )
    read_options = {
        "sep": (sep, ","),
        "decimal": (decimal, "."),
        "encoding": (encoding, "utf-8"),
    }
    options = [
        f"{k}={_literal(v)}" for k, (v, default) in read_options.items() if v != default
    ]
    paragraphs = [
        _read_paragraph(model, columns, data_filename, options),
        _label_paragraph(model),
        _category_paragraph(columns),
        _split_paragraph(model, len(target.y), n_valid, stratify),
        _encoder_paragraph(model, columns, scaled),
        _network_paragraph(model),
        _training_paragraph(model.config),
        _evaluation_paragraph(model),
    ]
    # ruff puts two blank lines around a top-level function.
    text = "\n\n".join(
        [_header(model, data_filename), _imports(model, columns, scaled)]
    )
    text += (
        "\n\n# the app trains on one thread, and more threads may sum large batches in"
    )
    text += "\n# another order, which changes the last bits of the weights"
    text += "\ntorch.set_num_threads(1)\n\n\n" + _CATEGORY_HELPER + "\n\n\n"
    text += "\n\n".join(p for p in paragraphs if p) + "\n"
    logger.debug("wrote a %d-line script for %s", text.count("\n"), data_filename)
    return text


def _check_reproducible(columns: list[ColumnEncoding]) -> None:
    for column in columns:
        if column.other_level:
            raise NotImplementedError(
                f"no script can be written for this model: column {column.name!r} "
                f"has more than {MAX_ONEHOT_LEVELS} categories, so the app grouped "
                f"the rarer ones into one {OTHER_LEVEL!r} column, and "
                "scikit-learn's OneHotEncoder cannot reproduce that grouping (its "
                "infrequent categories break ties between equally frequent levels "
                f"the other way). Set {column.name!r} to 'drop' and train again"
            )


def _scaled_columns(model: TrainedModel, specs: list[ColumnSpec]) -> set[str]:
    used = [s for s in specs if s.encoding != "drop"]
    if [s.name for s in used] != model.encoder.input_columns_:
        raise ValueError(
            f"the specs use the columns {[s.name for s in used]}, but the model "
            f"was trained on {model.encoder.input_columns_}; pass the specs of "
            "the PreparedData that trained this model"
        )
    return {s.name for s in used if s.encoding == "numeric" and s.scale}


def _header(model: TrainedModel, data_filename: str) -> str:
    versions = model.versions or library_versions()
    kind = "binary" if model.is_binary else f"{model.n_classes}-class"
    text = (
        f"A {kind} classifier trained on {data_filename}, written with pandas, "
        "scikit-learn and PyTorch only. It prints the validation metrics that "
        "the app showed and writes the validation probabilities to "
        f"validation_predictions.csv. The app used torch "
        f"{versions.get('torch', '?')}, scikit-learn "
        f"{versions.get('scikit-learn', '?')} and pandas "
        f"{versions.get('pandas', '?')}; other versions may round differently "
        "in the last bits."
    )
    paragraphs = [
        f"Retrain the Classifier Explorer model that predicts {model.target_name}.",
        text,
    ]
    if model.status in ("stopped", "diverged"):
        paragraphs.append(
            f"NOTE: the app's run ended early ({model.status}), but this script "
            "trains every epoch, so its numbers differ from the app's."
        )
    wrapped = "\n\n".join(textwrap.fill(p, width=79) for p in paragraphs)
    # A backslash or triple quote in a name must not end or escape the docstring.
    wrapped = wrapped.replace("\\", "\\\\").replace('"""', '\\"""')
    return f'"""{wrapped}\n"""'


def _imports(
    model: TrainedModel, columns: list[ColumnEncoding], scaled: set[str]
) -> str:
    categorical = {c.encoding for c in columns} - {"numeric"}
    impute = model.encoder.missing_.strategy == "impute"
    preprocessing = [
        name
        for name, used in (
            ("OneHotEncoder", "onehot" in categorical),
            ("OrdinalEncoder", "ordinal" in categorical),
            ("StandardScaler", bool(scaled)),
        )
        if used
    ]
    lines = ["import copy", ""] if model.config.restore_best else []
    lines += [
        "import numpy as np",
        "import pandas as pd",
        "import torch",
        "from sklearn import metrics",
        "from sklearn.compose import ColumnTransformer",
    ]
    if impute:
        lines.append("from sklearn.impute import SimpleImputer")
    lines.append("from sklearn.model_selection import train_test_split")
    if impute and (categorical or scaled):
        lines.append("from sklearn.pipeline import make_pipeline")
    if preprocessing:
        lines.append(f"from sklearn.preprocessing import {', '.join(preprocessing)}")
    lines.append("from torch import nn")
    return "\n".join(lines)


def _read_paragraph(
    model: TrainedModel,
    columns: list[ColumnEncoding],
    data_filename: str,
    options: list[str],
) -> str:
    if model.encoder.missing_.strategy == "drop_rows":
        lines = [
            "# read the data and drop rows without a label or with a missing feature"
        ]
        features = [c.name for c in columns]
        lines += _assign("features", features)
        subset = "[target, *features]"
    else:
        lines = ["# read the data and drop the rows that have no label"]
        subset = "[target]"
    lines.insert(1, f"target = {_literal(model.target_name)}")
    lines += _format(_Call("pd.read_csv", (_literal(data_filename), *options)), "df = ")
    lines.append(f"df = df.dropna(subset={subset}).reset_index(drop=True)")
    return "\n".join(lines)


def _label_paragraph(model: TrainedModel) -> str:
    if model.is_binary:
        negative = model.classes_[0]
        comment = (
            f"# label encoding: the positive class {_literal(model.pos_label)} is 1, "
            f"{_literal(negative)} is 0"
        )
    else:
        comment = (
            f"# label encoding: the {model.n_classes} classes, sorted, get the codes "
            f"0 to {model.n_classes - 1}"
        )
    codes = {label: code for code, label in enumerate(model.classes_)}
    lines = [comment, *_assign("label_codes", codes)]
    lines.append("df[target] = df[target].map(as_category).map(label_codes)")
    return "\n".join(lines)


def _category_paragraph(columns: list[ColumnEncoding]) -> str:
    levels = {c.name: c.categories for c in columns if c.encoding != "numeric"}
    if not levels:
        return ""
    lines = [
        "# the levels of each categorical column as the app fitted them (ordinal",
        "# ones lowest first), and as_category turns the values into that text",
        *_assign("levels", levels),
        "for column in levels:",
        f"{INDENT}df[column] = df[column].map(as_category)",
    ]
    return "\n".join(lines)


def _split_paragraph(
    model: TrainedModel, n_samples: int, n_valid: int, stratify: bool
) -> str:
    share = model.config.validation_share
    held_out = (
        f"# hold out ceil({share:g} * {n_samples}) = {n_valid} rows for validation"
    )
    if stratify:
        stratify_argument = "df[target]"
        comment = [
            f"{held_out}, stratified by class.",
            "# sort_index keeps both parts in file order, as the app does",
        ]
    else:
        stratify_argument = "None"
        comment = [
            f"{held_out}, not stratified",
            "# because a class is too small for that. sort_index keeps both parts in",
            "# file order, as the app does",
        ]
    arguments = (
        "df",
        f"test_size={n_valid}",
        "random_state=seed",
        f"stratify={stratify_argument}",
    )
    lines = [
        *comment,
        f"seed = {model.config.seed}",
        *_format(_Call("train_test_split", arguments), "train_df, valid_df = "),
        "train_df, valid_df = train_df.sort_index(), valid_df.sort_index()",
    ]
    return "\n".join(lines)


def _encoder_paragraph(
    model: TrainedModel, columns: list[ColumnEncoding], scaled: set[str]
) -> str:
    policy = model.encoder.missing_
    impute = policy.strategy == "impute"
    kinds = {c.encoding for c in columns}
    lines = [
        "# encode the features: each imputer, scaler and encoder is fitted on the",
        "# training rows only, and the output columns keep the app's order",
    ]
    if impute and "numeric" in kinds:
        fill = [f"strategy={_literal(policy.numeric)}"]
        if policy.numeric == "constant":
            fill.append(f"fill_value={policy.fill_value!r}")
        lines += _format(_Call("SimpleImputer", tuple(fill)), "fill_numbers = ")
    if impute and kinds - {"numeric"}:
        fill = [f"strategy={_literal(policy.categorical)}"]
        if policy.categorical == "constant":
            fill.append(f"fill_value={_literal(MISSING_LEVEL)}")
        lines += _format(_Call("SimpleImputer", tuple(fill)), "fill_categories = ")

    lines.append("steps = {")
    for column in columns:
        step = _column_step(column, column.name in scaled, impute)
        lines += _format(step, f"{_literal(column.name)}: ", ",", 1)
    lines.append("}")

    safe = all(
        c.name and "__" not in c.name and c.name not in _TRANSFORMER_PARAMETERS
        for c in columns
    )
    if safe:
        lines.append(
            "encoder = ColumnTransformer([(c, step, [c]) for c, step in steps.items()])"
        )
    else:
        lines += [
            "# ColumnTransformer rejects some column names as step names, so the",
            "# steps are named by position",
            "encoder = ColumnTransformer(",
            f'{INDENT}[(f"column_{{i}}", step, [c]) for i, (c, step) in '
            "enumerate(steps.items())]",
            ")",
        ]
    lines += [
        "X_train = torch.tensor(encoder.fit_transform(train_df), dtype=torch.float32)",
        "X_valid = torch.tensor(encoder.transform(valid_df), dtype=torch.float32)",
    ]
    return "\n".join(lines)


def _column_step(column: ColumnEncoding, scale: bool, impute: bool) -> str | _Call:
    levels = f"categories=[levels[{_literal(column.name)}]]"
    encoder: str | _Call
    if column.encoding == "numeric":
        encoder = "StandardScaler()" if scale else ""
        fill = "fill_numbers"
    elif column.encoding == "ordinal":
        # NOTE: a validation value outside the levels makes OrdinalEncoder raise,
        # where the app silently gives it code 0. That happens only for a level
        # seen in validation rows alone (an ordinal column without an explicit
        # order), or a missing value with a "(missing)" fill never seen in training.
        encoder = _Call("OrdinalEncoder", (levels,))
        fill = "fill_categories"
    else:
        options = (levels, 'handle_unknown="ignore"', "sparse_output=False")
        encoder = _Call("OneHotEncoder", options)
        fill = "fill_categories"
    if not impute:
        return encoder or '"passthrough"'
    if not encoder:
        return fill
    return _Call("make_pipeline", (fill, encoder))


def _network_paragraph(model: TrainedModel) -> str:
    config = model.config
    layers = []
    width = "X_train.shape[1]"
    for units in config.hidden_layers:
        layers += [f"nn.Linear({width}, {units})", ACTIVATION_LAYERS[config.activation]]
        width = str(units)

    if model.is_binary:
        layers.append(f"nn.Linear({width}, 1)")
        lines = [
            "# BCEWithLogitsLoss wants float targets shaped like the (n, 1) output",
            "y_train = torch.tensor(train_df[target].to_numpy(), dtype=torch.float32)",
            "y_valid = torch.tensor(valid_df[target].to_numpy(), dtype=torch.float32)",
            "y_train, y_valid = y_train.view(-1, 1), y_valid.view(-1, 1)",
            "",
            "# the network ends in one logit, and sigmoid(logit) is P(label 1). The",
            "# app trains with BCEWithLogitsLoss, which is nn.Sigmoid() + nn.BCELoss()",
            "# in one numerically stable step, so the numbers match only with it",
        ]
        loss = "nn.BCEWithLogitsLoss()"
    else:
        layers.append(f"nn.Linear({width}, {model.n_classes})")
        lines = [
            "y_train = torch.tensor(train_df[target].to_numpy(), dtype=torch.int64)",
            "y_valid = torch.tensor(valid_df[target].to_numpy(), dtype=torch.int64)",
            "",
            "# the network ends in one logit per class, and CrossEntropyLoss applies",
            "# the softmax itself, so the network returns the raw logits",
        ]
        loss = "nn.CrossEntropyLoss()"

    lines.append("torch.manual_seed(seed)")
    lines += _format(_Call("nn.Sequential", tuple(layers), exploded=True), "model = ")
    lines += [
        "# Glorot (Xavier) uniform weights and zero biases, as the app starts",
        "# each layer, in place of PyTorch's nn.Linear default",
        "for layer in model:",
        f"{INDENT}if isinstance(layer, nn.Linear):",
        f"{INDENT * 2}nn.init.xavier_uniform_(layer.weight)",
        f"{INDENT * 2}nn.init.zeros_(layer.bias)",
    ]
    lines.append(f"loss_fn = {loss}")
    lines += _optimizer_lines(config)
    return "\n".join(lines)


def _optimizer_lines(config: TrainConfig) -> list[str]:
    rate = f"lr={config.learning_rate!r}"
    if config.optimizer == "sgd":
        arguments = ["model.parameters()", rate]
        if config.momentum:
            arguments.append(f"momentum={config.momentum!r}")
        return _format(_Call("torch.optim.SGD", tuple(arguments)), "optimizer = ")
    arguments = ["model.parameters()", rate, "fused=True"]
    return [
        "# fused=True: the app uses PyTorch's fused Adam, whose rounding differs",
        "# from the default Adam's in the last bit",
        *_format(_Call("torch.optim.Adam", tuple(arguments)), "optimizer = "),
    ]


def _training_paragraph(config: TrainConfig) -> str:
    if config.batch_size == 1:
        batches = (
            "one row at a time (batch size 1 is plain stochastic gradient descent)"
        )
    else:
        batches = (
            f"in batches of {config.batch_size} rows (the last one may be smaller)"
        )
    lines = [
        "# train: each epoch visits the training rows in a new random order,",
        f"# {batches}",
        f"epochs, batch_size = {config.epochs}, {config.batch_size}",
        "generator = torch.Generator().manual_seed(seed)",
    ]
    if config.restore_best:
        lines.append('best_loss, best_epoch, best_state = float("inf"), 0, None')
    elif config.early_stopping:
        lines.append('best_loss, best_epoch = float("inf"), 0')
    track_best = config.restore_best or config.early_stopping
    loop = (
        "for epoch in range(1, epochs + 1):"
        if track_best
        else "for _ in range(epochs):"
    )
    lines += [
        loop,
        f"{INDENT}model.train()",
        f"{INDENT}order = torch.randperm(len(X_train), generator=generator)",
        f"{INDENT}for start in range(0, len(X_train), batch_size):",
        f"{INDENT * 2}batch = order[start : start + batch_size]",
        f"{INDENT * 2}loss = loss_fn(model(X_train[batch]), y_train[batch])",
        f"{INDENT * 2}optimizer.zero_grad()",
        f"{INDENT * 2}loss.backward()",
        f"{INDENT * 2}optimizer.step()",
    ]
    if track_best:
        lines += _best_epoch_lines(config)
    if config.restore_best:
        lines += [
            "",
            "# keep the weights of the epoch with the lowest validation loss",
            "if best_state is not None:",
            f"{INDENT}model.load_state_dict(best_state)",
            'print(f"trained {epoch} epochs, kept the weights of epoch {best_epoch}")',
        ]
    else:
        count = "epoch" if config.early_stopping else "epochs"
        lines += ["", f'print(f"trained {{{count}}} epochs, kept the last weights")']
    return "\n".join(lines)


def _best_epoch_lines(config: TrainConfig) -> list[str]:
    lines = [
        "",
        f"{INDENT}# the validation loss after each epoch, whose minimum marks the "
        "best epoch",
        f"{INDENT}model.eval()",
        f"{INDENT}with torch.no_grad():",
        f"{INDENT * 2}valid_loss = loss_fn(model(X_valid), y_valid).item()",
        f"{INDENT}if valid_loss < best_loss:",
        f"{INDENT * 2}best_loss, best_epoch = valid_loss, epoch",
    ]
    if config.restore_best:
        lines.append(f"{INDENT * 2}best_state = copy.deepcopy(model.state_dict())")
    if config.early_stopping:
        lines += [
            f"{INDENT}# early stopping: end after {config.patience} epochs without a "
            "lower validation loss",
            f"{INDENT}elif epoch - best_epoch >= {config.patience}:",
            f"{INDENT * 2}break",
        ]
    return lines


def _evaluation_paragraph(model: TrainedModel) -> str:
    lines = [
        "# validation metrics of the kept weights",
        "model.eval()",
        "with torch.no_grad():",
        f"{INDENT}logits = model(X_valid)",
        f"{INDENT}valid_loss = loss_fn(logits, y_valid).item()",
        "y_true = valid_df[target].to_numpy()",
    ]
    if model.is_binary:
        lines += [
            "# a row is predicted 1 when its probability is >= the threshold",
            "proba = torch.sigmoid(logits).squeeze(1).numpy()",
            f"threshold = {model.threshold!r}",
            "y_pred = (proba >= threshold).astype(np.int64)",
            "predictions = pd.DataFrame("
            '{"y_true": y_true, "probability": proba, "y_pred": y_pred})',
        ]
    else:
        lines += [
            "# softmax turns logits into probabilities, and the prediction is the most",
            "# probable class (argmax, the lowest code on a tie)",
            "proba = torch.softmax(logits, dim=1).numpy()",
            "y_pred = proba.argmax(axis=1)",
            'columns = [f"probability_{label}" for label in label_codes]',
            "predictions = pd.DataFrame(proba, columns=columns)",
            'predictions.insert(0, "y_true", y_true)',
            'predictions["y_pred"] = y_pred',
        ]
    lines += [
        "# the probabilities of the validation rows, to inspect in a spreadsheet",
        'predictions.to_csv("validation_predictions.csv", index=False)',
        "",
        'print(f"validation loss {valid_loss:.6f}")',
        "accuracy = metrics.accuracy_score(y_true, y_pred)",
        "n_correct = (y_pred == y_true).sum()",
        'print(f"accuracy  {accuracy:.4f} ({n_correct} of {len(y_true)} rows)")',
    ]
    if model.is_binary:
        lines += [
            "# precision is undefined (nan) when no row is predicted 1, recall when",
            "# no row is labelled 1",
            "precision = metrics.precision_score(y_true, y_pred, zero_division=np.nan)",
            "recall = metrics.recall_score(y_true, y_pred, zero_division=np.nan)",
            "f1 = metrics.f1_score(y_true, y_pred, zero_division=np.nan)",
            'print(f"precision {precision:.4f}")',
            'print(f"recall    {recall:.4f}")',
            'print(f"f1        {f1:.4f}")',
            'print("confusion matrix (rows: true 0, 1; columns: predicted 0, 1)")',
            "print(metrics.confusion_matrix(y_true, y_pred, labels=[0, 1]))",
        ]
    else:
        lines += [
            "report = metrics.classification_report(",
            f"{INDENT}y_true,",
            f"{INDENT}y_pred,",
            f"{INDENT}labels=list(label_codes.values()),",
            f"{INDENT}target_names=list(label_codes),",
            f"{INDENT}digits=4,",
            f"{INDENT}zero_division=np.nan,",
            ")",
            "print(report)",
        ]
    return "\n".join(lines)


def _literal(value: object) -> str:
    """Write `value` as Python source, with double quotes as ruff writes them."""
    if isinstance(value, str):
        text = repr(value)
        if text.startswith("'") and '"' not in value:
            text = '"' + text[1:-1] + '"'
        return text
    if isinstance(value, dict):
        items = (f"{_literal(k)}: {_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


def _assign(name: str, value: list[str] | dict[str, Any]) -> list[str]:
    """Write `name = value`, one item per line when it is too long for one."""
    line = f"{name} = {_literal(value)}"
    if len(line) <= LINE_LENGTH:
        return [line]
    if isinstance(value, list):
        return [f"{name} = [", *(f"{INDENT}{_literal(v)}," for v in value), "]"]
    items = []
    for key, item in value.items():
        entry = f"{INDENT}{_literal(key)}: {_literal(item)},"
        if len(entry) > LINE_LENGTH and isinstance(item, list):
            items.append(f"{INDENT}{_literal(key)}: [")
            items += [f"{INDENT * 2}{_literal(v)}," for v in item]
            items.append(f"{INDENT}],")
        else:
            items.append(entry)
    return [f"{name} = {{", *items, "}"]


def _format(
    expression: str | _Call, prefix: str = "", suffix: str = "", depth: int = 0
) -> list[str]:
    """Wrap `prefix + expression + suffix` at 88 columns as ruff does for calls.

    A call that does not fit moves its arguments to the next line, and
    then to one line each (with a trailing comma) if they still do not fit.
    """
    indent = INDENT * depth
    if isinstance(expression, str):
        return [f"{indent}{prefix}{expression}{suffix}"]
    flat = f"{indent}{prefix}{expression.flat()}{suffix}"
    if len(flat) <= LINE_LENGTH and not expression.exploded:
        return [flat]
    opening = f"{indent}{prefix}{expression.function}("
    closing = f"{indent}){suffix}"
    inner = ", ".join(
        a if isinstance(a, str) else a.flat() for a in expression.arguments
    )
    if len(indent + INDENT + inner) <= LINE_LENGTH and not expression.exploded:
        return [opening, f"{indent}{INDENT}{inner}", closing]
    lines = [opening]
    for argument in expression.arguments:
        lines += _format(argument, "", ",", depth + 1)
    return [*lines, closing]
