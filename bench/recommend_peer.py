#!/usr/bin/python3
"""bench/recommend_peer.py: the peers of `make bench-recommend` (issue 13).

Reads the protocol written by bench/recommend.lua and runs, on exactly the
same libraries and candidates:
  svm       arxiv-sanity-lite's method: its TfidfVectorizer over title +
            abstract of every paper, then per library a LinearSVC with the
            library as positives and every other paper as negatives;
            candidates ranked by decision_function
  centroid  the mean of the library's tf-idf vectors, cosine
Writes a JSON object {svm = {recall, ndcg, ms}, centroid = {...}, big = {...}}.

  /usr/bin/python3 bench/recommend_peer.py PAPERS PROTOCOL OUT [--big PAPERS --big-libraries N]

PAPERS: JSON lines {"id", "text"}; PROTOCOL: JSON lines, the first
{"candidates": [ids], "k": 50}, then one {"author", "library": [ids],
"relevant": [ids]} per library.
"""
import json
import math
import sys
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC


def vectorizer():
    # arxiv-sanity-lite (compute.py), as issue 13 gives it
    return TfidfVectorizer(strip_accents='unicode', lowercase=True, analyzer='word',
                           stop_words='english',
                           token_pattern=r'(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b',
                           ngram_range=(1, 2), max_features=20000, norm='l2',
                           use_idf=True, smooth_idf=True, sublinear_tf=True,
                           max_df=0.1, min_df=5)


def svm_scores(X, lib, cand):
    y = np.zeros(X.shape[0])
    y[lib] = 1
    clf = LinearSVC(class_weight='balanced', verbose=False, max_iter=10000, tol=1e-6, C=0.01)
    clf.fit(X, y)
    return clf.decision_function(X[cand])


def centroid_scores(X, lib, cand):
    c = np.asarray(X[lib].mean(axis=0)).ravel()
    n = np.linalg.norm(c)
    s = X[cand] @ c
    return s / n if n > 0 else s


def measure(ranked, rel, k):
    hit, dcg = 0, 0.0
    for i, d in enumerate(ranked[:k]):
        if d in rel:
            hit += 1
            dcg += 1 / math.log2(i + 2)
    idcg = sum(1 / math.log2(i + 2) for i in range(min(len(rel), k)))
    return hit / len(rel), (dcg / idcg if idcg else 0.0)


def load_papers(path):
    ids, texts = [], []
    with open(path, encoding='utf-8') as f:
        for line in f:
            p = json.loads(line)
            ids.append(p['id'])
            texts.append(p['text'])
    return ids, texts


def main(argv):
    papers, protocol, out = argv[1], argv[2], argv[3]
    big, nbig = None, 3
    if '--big' in argv:
        big = argv[argv.index('--big') + 1]
    if '--big-libraries' in argv:
        nbig = int(argv[argv.index('--big-libraries') + 1])
    ids, texts = load_papers(papers)
    pos = {pid: i for i, pid in enumerate(ids)}
    with open(protocol, encoding='utf-8') as f:
        head = json.loads(f.readline())
        libs = [json.loads(line) for line in f]
    k = head.get('k', 50)
    cand = np.array([pos[c] for c in head['candidates']])
    t0 = time.process_time()
    X = vectorizer().fit_transform(texts).tocsr()
    fit_s = time.process_time() - t0
    result = {'papers': len(ids), 'libraries': len(libs), 'vectorize_s': fit_s}
    for name, fn in (('svm', svm_scores), ('centroid', centroid_scores)):
        rs, ns, ts, per = [], [], [], []
        for L in libs:
            lib = [pos[x] for x in L['library']]
            rel = set(pos[x] for x in L['relevant'])
            t0 = time.process_time()
            s = fn(X, lib, cand)
            libset = set(lib)
            keep = [j for j in range(len(cand)) if cand[j] not in libset]
            order = sorted(keep, key=lambda j: (-s[j], cand[j]))
            ranked = [int(cand[j]) for j in order]
            ts.append(time.process_time() - t0)
            r, n = measure(ranked, rel, k)
            rs.append(r)
            ns.append(n)
            per.append([r, n])
        result[name] = {'recall': float(np.mean(rs)), 'ndcg': float(np.mean(ns)),
                        'ms': 1000 * float(np.mean(ts)), 'ms_median': 1000 * float(np.median(ts)),
                        'per_library': per}
        print(f"  {name}: recall@{k} {np.mean(rs):.4f}  nDCG@{k} {np.mean(ns):.4f}  "
              f"{1000 * np.mean(ts):.1f} ms per library", file=sys.stderr, flush=True)
    if big:
        bids, btexts = load_papers(big)
        bpos = {pid: i for i, pid in enumerate(bids)}
        t0 = time.process_time()
        BX = vectorizer().fit_transform(btexts).tocsr()
        bfit = time.process_time() - t0
        del btexts
        ts = []
        usable = [L for L in libs if all(x in bpos for x in L['library'])][:nbig]
        for L in usable:
            lib = [bpos[x] for x in L['library']]
            y = np.zeros(BX.shape[0])
            y[lib] = 1
            t0 = time.process_time()
            clf = LinearSVC(class_weight='balanced', verbose=False, max_iter=10000, tol=1e-6, C=0.01)
            clf.fit(BX, y)
            clf.decision_function(BX[:1000])
            ts.append(time.process_time() - t0)
            print(f"  svm on {len(bids)} papers: {ts[-1]:.2f} s", file=sys.stderr, flush=True)
        result['big'] = {'papers': len(bids), 'vectorize_s': bfit, 'libraries': len(ts),
                         'svm_ms': 1000 * float(np.mean(ts)) if ts else None}
    with open(out, 'w', encoding='utf-8') as f:
        json.dump(result, f, indent=1)


if __name__ == '__main__':
    main(sys.argv)
