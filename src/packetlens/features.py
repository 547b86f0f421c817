"""The text features the heads read: the sentence embedding (scaled) beside TF-IDF of words.

One logistic regression over both transferred best across writers (DEVELOPERS.md: strength
macro-F1 0.88-0.91 against 0.81-0.86 for the embedding alone). The TF-IDF here is a plain-numpy
re-implementation of scikit-learn's ``TfidfVectorizer(lowercase=True, ngram_range=(1, 2),
sublinear_tf=True, norm="l2")`` so scoring never imports scikit-learn; a test pins them equal.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TOKEN = re.compile(r"(?u)\b\w\w+\b")


def analyze(text: str) -> list[str]:
    """Lower-cased word unigrams and bigrams, as scikit-learn's word analyzer makes them."""
    words = TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


@dataclass(frozen=True)
class Tfidf:
    """A fitted TF-IDF vocabulary: ``vocabulary[i]`` has weight ``idf[i]``."""

    vocabulary: tuple[str, ...]
    idf: np.ndarray  # (n_terms,) float64

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.vocabulary)})

    @property
    def n_terms(self) -> int:
        return len(self.vocabulary)

    def transform(self, texts: Sequence[str]) -> list[dict[int, float]]:
        """Sparse rows as ``{term index: weight}``, L2-normalized, sublinear tf."""
        index: dict[str, int] = self._index  # type: ignore[attr-defined]
        rows: list[dict[int, float]] = []
        for text in texts:
            counts = Counter(index[t] for t in analyze(text) if t in index)
            row = {j: (1.0 + math.log(c)) * float(self.idf[j]) for j, c in counts.items()}
            norm = math.sqrt(sum(v * v for v in row.values()))
            rows.append({j: v / norm for j, v in row.items()} if norm > 0 else {})
        return rows

    def transform_dense(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.n_terms), dtype=np.float64)
        for i, row in enumerate(self.transform(texts)):
            for j, v in row.items():
                out[i, j] = v
        return out


def fit_tfidf(texts: Sequence[str], *, min_df: int = 2, max_features: int = 20000) -> Tfidf:
    """Fit the vocabulary with scikit-learn (training only) and return it as plain arrays."""
    return fit_transform_tfidf(texts, min_df=min_df, max_features=max_features)[0]


def fit_transform_tfidf(texts: Sequence[str], *, min_df: int = 2, max_features: int = 20000):
    """Fit the vocabulary and return ``(Tfidf, CSR matrix of texts)``; the matrix equals ``Tfidf.transform``."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True, norm="l2",
                          min_df=min_df, max_features=max_features, token_pattern=TOKEN.pattern)
    matrix = vec.fit_transform(list(texts))
    vocab = [""] * len(vec.vocabulary_)
    for term, i in vec.vocabulary_.items():
        vocab[i] = term
    return Tfidf(tuple(vocab), np.asarray(vec.idf_, dtype=np.float64)), matrix


def design_matrix(embeddings: np.ndarray, tfidf_matrix, embed_scale: float,  # noqa: ANN001
                  cues: np.ndarray | None = None, cue_scale: float = 0.0):
    """The training design matrix ``[embed_scale * embeddings | tfidf | cue_scale * cues]`` as CSR.

    Shapes: ``embeddings`` (n, d), ``tfidf_matrix`` (n, n_terms, from :func:`fit_transform_tfidf`)
    and ``cues`` (n, k, from :func:`packetlens.cues.cue_matrix`; omitted or ``None`` for none)
    -> result (n, d + n_terms + k).
    """
    from scipy import sparse

    blocks = [sparse.csr_matrix(embeddings * embed_scale), tfidf_matrix]
    if cues is not None and cues.shape[1]:
        blocks.append(sparse.csr_matrix(cues * cue_scale))
    return sparse.hstack(blocks, format="csr")


def principal_basis(vecs: np.ndarray, dims: int | None) -> np.ndarray:
    """(d, k) orthonormal basis of the top-``dims`` principal directions of the rows' embeddings."""
    d = vecs.shape[1]
    if dims is None or dims >= min(d, len(vecs)):
        return np.eye(d)
    v = np.asarray(vecs, dtype=np.float64)
    _, _, vt = np.linalg.svd(v - v.mean(axis=0), full_matrices=False)
    return np.ascontiguousarray(vt[:dims].T)
