#!/usr/bin/env python3
"""Merges collected corpus files into the development part (the model learns
from it; tuning looks only at it) and the held-out part (only measured). Each
row is assigned ONCE, at random: rows already in corpus-dev.tsv or
corpus-heldout.tsv keep their part; new rows are split within each category, a
third held out, so every category has messages on both sides. Seed 20261202.
Run on 2026-12-02 with the first three collections, then with two more:

    split-corpus.py a.tsv b.tsv c.tsv
    split-corpus.py d.tsv e.tsv

Rows are `message<TAB>category<TAB>source`. Exact repeats (case and digits
ignored) and messages of the domain reference (error-messages.tsv) are dropped.
"""
import csv, random, re, sys, os

here = os.path.dirname(os.path.abspath(__file__))
key = lambda m: re.sub(r"\d+", "#", re.sub(r"\s+", " ", m.strip().lower()))
with open(os.path.join(here, "error-messages.tsv"), newline="") as f:
    seen = {key(r[0]) for r in list(csv.reader(f, delimiter="\t"))[1:]}
def load(name):
    path = os.path.join(here, name)
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return [r for r in list(csv.reader(f, delimiter="\t"))[1:] if len(r) >= 3]
dev, held = load("corpus-dev.tsv"), load("corpus-heldout.tsv")
for r in dev + held:
    seen.add(key(r[0]))
rows = []
for path in sys.argv[1:]:
    with open(path, newline="") as f:
        for r in list(csv.reader(f, delimiter="\t"))[1:]:
            if len(r) < 3 or not r[0].strip():
                continue
            m = re.sub(r"\s+", " ", r[0]).strip()
            if key(m) in seen:
                continue
            seen.add(key(m))
            rows.append([m, r[1].strip(), re.sub(r"\s+", " ", r[2]).strip()])
rng = random.Random(20261202)
for cat in sorted({r[1] for r in rows}):
    part = [r for r in rows if r[1] == cat]
    rng.shuffle(part)
    k = round(len(part) / 3)
    held += part[:k]
    dev += part[k:]
for name, part in (("corpus-dev.tsv", dev), ("corpus-heldout.tsv", held)):
    part.sort(key=lambda r: (r[1], r[0].lower()))
    with open(os.path.join(here, name), "w", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["message", "category", "source"])
        w.writerows(part)
print(f"{len(rows)} new rows; now {len(dev)} development, {len(held)} held out")
