#!/usr/bin/python3
"""A small synthetic text corpus for LabelSphere's end-to-end text test: short documents on five topics.

Each document carries one topic, or two (three in ten), and is 12 to 20 words: six in ten drawn from its topics'
words, the rest from words common to all topics, with capitals and punctuation sprinkled in so that the tokeniser
has work to do. Seeded, so the files are the same on every run.

Run from the repository root:  /usr/bin/python3 docs/scripts/text_topics.py
It writes tests/LabelSphere.Tests/TestData/text/topics_train.txt (LibMultiLabel's id<TAB>labels<TAB>text, 200
documents) and topics_test.tsv (labels<TAB>text, 60 documents).
"""
import pathlib
import random

TOPICS = {
    "sports": "match goal team coach league striker referee season score stadium players tournament champion defeat victory",
    "finance": "stocks market bonds investors shares earnings inflation bank interest dividend portfolio trading profit currency rates",
    "cooking": "recipe oven flour butter garlic sauce simmer bake onion pepper dough spices kitchen roast salad",
    "weather": "rain storm forecast wind temperature clouds snow sunny humidity thunder frost drizzle heatwave breeze flood",
    "music": "guitar album concert melody drums singer chorus band lyrics tempo orchestra piano rhythm song violin",
}
COMMON = ("the a of and to in is was for on with as at by from this that it be are were has had will "
          "new after before over more most some many very today week year people said").split()


def document(rng, topics):
    words = []
    for _ in range(rng.randint(12, 20)):
        if rng.random() < 0.6:
            words.append(rng.choice(TOPICS[rng.choice(topics)].split()))
        else:
            words.append(rng.choice(COMMON))
    if rng.random() < 0.5:
        words[0] = words[0].capitalize()
    text = " ".join(words)
    return text + rng.choice([".", "!", "?", "", "..."])


def documents(rng, count):
    names = sorted(TOPICS)
    for _ in range(count):
        topics = rng.sample(names, 2 if rng.random() < 0.3 else 1)
        yield sorted(topics), document(rng, topics)


def main():
    rng = random.Random(20261130)
    out = pathlib.Path("tests/LabelSphere.Tests/TestData/text")
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "topics_train.txt", "w", encoding="utf-8") as f:
        for i, (topics, text) in enumerate(documents(rng, 200)):
            f.write(f"doc{i}\t{' '.join(topics)}\t{text}\n")
    with open(out / "topics_test.tsv", "w", encoding="utf-8") as f:
        for topics, text in documents(rng, 60):
            f.write(f"{' '.join(topics)}\t{text}\n")
    print(f"wrote {out}/topics_train.txt and topics_test.tsv")


if __name__ == "__main__":
    main()
