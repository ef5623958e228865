#!/usr/bin/env python3
"""Fit the engine's ranking and confidence weights (src/engine/rank.rs, `SCORING`).

Input: files written by `careerbot eval SET.jsonl --offtopic OFF.jsonl --features OUT.jsonl`
(every candidate of every question, its features, and whether the answer it would
show holds the expected fact). Output: the fitted weights and what they would score.

    python3 tools/calibrate.py FEATURES.jsonl... [--holdout FEATURES.jsonl...] [--keep-rank]

`--keep-rank` fits the confidence only, over the candidates in the order the
engine gave them. The shipped confidence was fitted that way on two kinds of
dump together: the training sets against faq/ as it stands (questions the
content was written for) and the same sets against faq/ before their own
content passes (`tools/content-unseen.sh`: questions nobody wrote content for).

Only fit on sets you may tune on; never on a blind set. Needs numpy and scikit-learn.
"""
import json, sys, itertools, random
import numpy as np

RANK = ["coverage", "phrasing", "bm25", "semantic", "semantic_margin"]
CONF = ["coverage", "phrasing", "semantic", "semantic_margin", "bm25", "worst_miss", "unknown", "length"]


def load(paths):
    out = []
    for p in paths:
        for line in open(p):
            out.append(json.loads(line))
    return out


def rank_score(w, f, entry_bonus, missing_penalty):
    s = sum(w[k] * f[k] for k in RANK)
    if f["entry"]:
        s += entry_bonus
    if not f["facts_ok"]:
        s -= missing_penalty
    return s


def top(q, w, eb, mp):
    if not q["candidates"]:
        return None
    if w is None:  # --keep-rank: the order the engine gave them
        return max(q["candidates"], key=lambda c: c["score"])
    return max(q["candidates"], key=lambda c: rank_score(w, c["features"], eb, mp))


def recall(qs, w, eb, mp):
    ind = [q for q in qs if not q["offtopic"]]
    return sum(1 for q in ind if (t := top(q, w, eb, mp)) and t["shown"]) / len(ind)


def fit_rank(qs):
    best, best_r = None, -1
    grid = [0.0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.7, 0.8]
    for cov, phr, bm, sem, mar in itertools.product(
            grid, grid, [0.0, 0.05, 0.1, 0.15, 0.25], grid, [0.0, 0.1, 0.2]):
        if cov + phr + sem == 0:
            continue
        w = dict(coverage=cov, phrasing=phr, bm25=bm, semantic=sem, semantic_margin=mar)
        for eb in [0.0, 0.03]:
            for mp in [0.0, 0.1, 0.3]:
                r = recall(qs, w, eb, mp)
                if r > best_r + 1e-9:
                    best, best_r = (w, eb, mp), r
    return best, best_r


def conf_data(qs, params):
    X, y, kind = [], [], []
    w, eb, mp = params
    for q in qs:
        t = top(q, w, eb, mp)
        if t is None or t["not_covered"]:
            continue
        f = t["features"]
        X.append([f[k] for k in CONF])
        y.append(1 if (not q["offtopic"] and t["shown"]) else 0)
        kind.append(("off" if q["offtopic"] else "in", f["facts_ok"] or not q["want"]))
    return np.array(X), np.array(y), kind


def outcomes(qs, params, clf, thr):
    """Recall@1, answered-but-wrong (share of in-domain), off-topic abstained."""
    w, eb, mp = params
    ok = wrong = n_in = off_abst = n_off = 0
    for q in qs:
        t = top(q, w, eb, mp)
        answered = False
        if t is not None and not t["not_covered"]:
            f = t["features"]
            p = clf.predict_proba([[f[k] for k in CONF]])[0, 1]
            gap = q["want"] is not None and not f["facts_ok"]
            answered = p >= thr and not gap
        if q["offtopic"]:
            n_off += 1
            off_abst += not answered
        else:
            n_in += 1
            ok += answered and t["shown"]
            wrong += answered and not t["shown"]
    return ok / n_in, wrong / n_in, off_abst / max(n_off, 1)


def main(argv):
    from sklearn.linear_model import LogisticRegression
    hold = []
    if "--holdout" in argv:
        i = argv.index("--holdout")
        argv, hold = argv[:i], argv[i + 1:]
    keep_rank = "--keep-rank" in argv
    argv = [a for a in argv if a != "--keep-rank"]
    qs = load(argv)
    if keep_rank:
        params = (None, 0.0, 0.0)
    else:
        params, r = fit_rank(qs)
        print(f"rank weights {params}  top candidate right {r:.3f}")
    X, y, _ = conf_data(qs, params)
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(X, y)
    print("confidence = sigmoid(%.3f + %s)" % (clf.intercept_[0], " + ".join(
        f"{c:.3f}*{k}" for c, k in zip(clf.coef_[0], CONF))))
    w, eb, mp = params
    print("Rust (src/engine/rank.rs):")
    if w is not None:
        for k in RANK:
            print(f"    rank_{k}: {w[k]},")
        print(f"    rank_entry: {eb},\n    rank_missing_facts: {mp},")
    print(f"    conf_bias: {clf.intercept_[0]:.3f},")
    for c, k in zip(clf.coef_[0], CONF):
        print(f"    conf_{k}: {c:.3f},")
    for name, data in [("fit", qs)] + ([("holdout", load(hold))] if hold else []):
        print(f"== {name}")
        for thr in [0.3, 0.4, 0.5, 0.6, 0.7]:
            r1, wr, ab = outcomes(data, params, clf, thr)
            print(f"  threshold {thr:.2f}: Recall@1 {r1:.3f}  answered wrong {wr:.3f}  off-topic abstained {ab:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
