#!/usr/bin/python3
"""Golden TF-IDF matrices for LabelSphere's text vectoriser, from scikit-learn (Debian's python3-sklearn).

LabelSphere turns text into term counts (TextVectorizer) and weighs them with its TF-IDF feature scaling:
(1 + ln tf) * idf, idf = ln((1 + n) / (1 + df)) + 1 over the training rows, then each row divided by its L2 norm.
That is scikit-learn's TfidfVectorizer(sublinear_tf=True) (smooth idf and the L2 norm are its defaults), or, for
hashing, HashingVectorizer(alternate_sign=False, norm=None) followed by TfidfTransformer(sublinear_tf=True).
Both are fitted on the training rows only and applied to every row, unseen words included.

Run from the repository root:  /usr/bin/python3 docs/scripts/tfidf_golden.py
It writes tests/LabelSphere.Tests/TestData/text/tfidf_golden.json.
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer

CORPUS = [
    "The cat sat on the mat.",
    "A dog and a cat: the DOG barked, the cat ran!",
    "Stocks rose 3.5% as markets rallied; stocks, bonds and gold_futures rose.",
    "Café owners in Zürich serve coffee, coffee and more coffee.",
    "the the the cat",
    "Rain, rain and more rain in the forecast for Zürich",
    "Markets fell: bonds fell, stocks fell 2024 points",
    "A dog ran after the cat and the dog sat",
    # rows 8.. are not training rows: their words unseen in training must be dropped
    "An unseen zebra and a known cat",
    "x y z",
    "",
    "Coffee markets rallied; the cat drank coffee 2024",
]
TRAIN_ROWS = list(range(8))

CASES = [
    {"name": "words", "ngramMin": 1, "ngramMax": 1, "minDf": 1, "maxFeatures": None, "hashWidth": None},
    {"name": "bigrams_min_df_2_max_6", "ngramMin": 1, "ngramMax": 2, "minDf": 2, "maxFeatures": 6, "hashWidth": None},
    {"name": "bigrams_only", "ngramMin": 2, "ngramMax": 2, "minDf": 1, "maxFeatures": None, "hashWidth": None},
    {"name": "hashing_16_bigrams", "ngramMin": 1, "ngramMax": 2, "minDf": 1, "maxFeatures": None, "hashWidth": 16},
]


def case(spec):
    train = [CORPUS[i] for i in TRAIN_ROWS]
    ngram = (spec["ngramMin"], spec["ngramMax"])
    if spec["hashWidth"] is None:
        vectorizer = TfidfVectorizer(ngram_range=ngram, min_df=spec["minDf"], max_features=spec["maxFeatures"],
                                     sublinear_tf=True)
        vectorizer.fit(train)
        if spec["maxFeatures"] is not None:
            # scikit-learn breaks ties at the cut arbitrarily (an unstable argsort); LabelSphere breaks them by term.
            # The corpus must have none, or the golden vocabulary would depend on the sort.
            counts = TfidfVectorizer(ngram_range=ngram, min_df=spec["minDf"], use_idf=False, norm=None).fit(train)
            raw = counts.transform(train).sum(axis=0).A1
            totals = sorted(raw, reverse=True)
            assert totals[spec["maxFeatures"] - 1] != totals[spec["maxFeatures"]], "a tie at the max_features cut"
        matrix = vectorizer.transform(CORPUS).toarray()
        vocabulary = vectorizer.get_feature_names_out().tolist()
    else:
        hashing = HashingVectorizer(n_features=spec["hashWidth"], ngram_range=ngram, alternate_sign=False, norm=None)
        tfidf = TfidfTransformer(sublinear_tf=True).fit(hashing.transform(train))
        matrix = tfidf.transform(hashing.transform(CORPUS)).toarray()
        vocabulary = None
    return dict(spec, vocabulary=vocabulary, matrix=np.round(matrix, 12).tolist())


def main():
    out = pathlib.Path("tests/LabelSphere.Tests/TestData/text/tfidf_golden.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    golden = {"sklearn": sklearn.__version__, "corpus": CORPUS, "trainRows": TRAIN_ROWS, "cases": [case(c) for c in CASES]}
    out.write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
