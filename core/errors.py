"""Exception and warning types that every user-facing failure in `core` uses.

Each message is written for the person using the product: it names the
column, parameter or value involved and states what to do next. Front ends
catch `ExplorerError` once and show its message.
"""


class ExplorerError(Exception):
    """Base class of every error that `core` raises on bad input or state."""


class CSVReadError(ExplorerError):
    """A CSV file cannot be read, or its contents are unusable."""


class EncodingSpecError(ExplorerError):
    """A feature-encoding choice does not fit the data it is applied to."""


class TargetError(ExplorerError):
    """The target column cannot be turned into class labels."""


class TrainingError(ExplorerError):
    """A training configuration is invalid, or training failed."""


class DivergenceError(TrainingError):
    """The loss became non-finite or stuck during training."""


class ModelFileError(ExplorerError):
    """A model file cannot be loaded safely or has an unknown layout."""


class PredictionError(ExplorerError):
    """A frame given for prediction does not match the trained model."""


class ExplorerWarning(UserWarning):
    """A soft problem the user should see, such as an undefined metric."""
