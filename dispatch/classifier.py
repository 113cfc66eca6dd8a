"""A category classifier trained on dispatched appeals (`minyi suggest train`).

Character n-grams (1–3) weighted by TF-IDF feed a logistic regression: Chinese needs no word
segmentation this way, and the probabilities rank categories for the operator. The module does no
I/O of its own; a trained model travels as bytes (`to_bytes` / `from_bytes`) that the service
stores. Those bytes are a pickle: `from_bytes` must only be given bytes the service itself wrote,
never an upload, since unpickling runs code.

scikit-learn (and scipy with it) is imported when a model is trained, loaded or used, not with
this module: the web and RQ workers import it through the suggestions, and start without loading
scikit-learn (seconds on a busy machine) until a trained model is needed.
"""

from __future__ import annotations

import math
import pickle
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from sklearn.pipeline import Pipeline

#: Fewer dispatched appeals than this, or fewer categories, and no model is worth training.
MIN_SAMPLES = 50
MIN_CLASSES = 2

_FORMAT = 1  # version of the serialised form; bump when its layout changes


class TextClassifier:
    """A fitted pipeline (TF-IDF of character n-grams → logistic regression) over category codes."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(str(label) for label in self._pipeline.classes_)

    def predict_top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The `k` likeliest labels for `text` with their probabilities, most likely first."""
        if k <= 0:
            return []
        import numpy as np

        proba = self._pipeline.predict_proba([text])[0]
        best = _top_indices(proba[np.newaxis, :], k)[0]
        labels = self._pipeline.classes_
        return [(str(labels[i]), float(proba[i])) for i in best]

    def to_bytes(self) -> bytes:
        import sklearn

        return pickle.dumps(
            {"format": _FORMAT, "sklearn": sklearn.__version__, "pipeline": self._pipeline},
            protocol=pickle.HIGHEST_PROTOCOL,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> TextClassifier:
        """Load a model written by `to_bytes`. Trusted input only: this unpickles.

        A model written by another scikit-learn version loads with scikit-learn's own
        InconsistentVersionWarning; retrain rather than rely on it.
        """
        payload = pickle.loads(data)  # only models this service stored are loaded
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise ValueError("not a model written by this version of the service; retrain it")
        return cls(payload["pipeline"])


@dataclass(frozen=True)
class TrainResult:
    model: TextClassifier  # refitted on all the data once the held-out scores were taken
    accuracy: float  # held out: the top label is the dispatched category
    top3_accuracy: float  # held out: the dispatched category is among the top three
    n_train: int
    n_test: int
    n_classes: int
    class_counts: dict[str, int]  # samples per label in all the data, most frequent first
    stratified: bool  # whether the held-out set kept each label's share


def _pipeline(seed: int) -> Pipeline:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1),
            ),
            ("clf", LogisticRegression(C=10.0, max_iter=2000, random_state=seed)),
        ]
    )


def _top_indices(proba: np.ndarray, k: int) -> np.ndarray:
    import numpy as np

    # A stable sort on the negated probabilities: ties keep label order, so results are repeatable.
    return np.argsort(-proba, axis=1, kind="stable")[:, :k]


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    test_size: float = 0.2,
    seed: int = 0,
) -> TrainResult:
    """Train a classifier on appeal texts (title + content) and their dispatched category codes.

    A share `test_size` is held out to measure accuracy, stratified by label when every label has
    at least two samples; the returned model is then refitted on all the data. Raises ValueError
    when there is too little data to learn or to measure anything.
    """
    if len(texts) != len(labels):
        raise ValueError(f"got {len(texts)} texts but {len(labels)} labels")
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    texts = [str(t) for t in texts]
    labels = [str(label) for label in labels]
    counts = Counter(labels)
    if len(texts) < MIN_SAMPLES or len(counts) < MIN_CLASSES:
        raise ValueError(
            f"need at least {MIN_SAMPLES} dispatched appeals in at least {MIN_CLASSES} categories "
            f"to train a classifier; got {len(texts)} in {len(counts)}"
        )

    import numpy as np
    from sklearn.model_selection import train_test_split

    n_test = math.ceil(test_size * len(texts))
    n_train = len(texts) - n_test
    # train_test_split refuses to stratify unless each side can hold every label at least once.
    stratified = min(counts.values()) >= 2 and min(n_test, n_train) >= len(counts)
    x_train, x_test, y_train, y_test = train_test_split(
        texts,
        labels,
        test_size=n_test,
        random_state=seed,
        stratify=labels if stratified else None,
    )
    if len(set(y_train)) < MIN_CLASSES:
        raise ValueError(
            f"need at least {MIN_CLASSES} categories among the training appeals; add appeals of the "
            "rarer categories"
        )

    held_out = _pipeline(seed).fit(x_train, y_train)
    proba = held_out.predict_proba(x_test)
    classes = held_out.classes_
    truth = np.asarray(y_test)
    top = classes[_top_indices(proba, 3)]
    accuracy = float(np.mean(top[:, 0] == truth))
    top3_accuracy = float(np.mean((top == truth[:, np.newaxis]).any(axis=1)))

    model = TextClassifier(_pipeline(seed).fit(texts, labels))
    return TrainResult(
        model=model,
        accuracy=accuracy,
        top3_accuracy=top3_accuracy,
        n_train=len(x_train),
        n_test=len(x_test),
        n_classes=len(counts),
        class_counts=dict(counts.most_common()),
        stratified=stratified,
    )
