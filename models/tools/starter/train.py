#!/usr/bin/python3
"""Fine-tunes the top layers of MiniLM-L6 plus a new head into a starter model, evaluates it once on the
held-out test set, and writes what the bundle build needs: the trained weights only, as float16.

  ner        BertForTokenClassification, 9 CoNLL labels (IOB2), trained on ner-train.jsonl
  sentiment  BertForSequenceClassification (pooler + classifier), negative/neutral/positive

The bottom (6 - --train-layers) layers stay frozen, so their outputs are computed once per sentence and
cached; each epoch then runs only the trained layers. 5% of the training file is set aside as a dev set
(reported per epoch); the test file is read only for the final evaluation, with the float16 weights that
ship. Writes to --out: weights.npz (float16, Hugging Face parameter names, PyTorch layout), metrics.json,
reference.json (token ids and logits of a few sentences, for the Java build check).

Needs Debian's python3-torch, python3-onnx, python3-numpy; run with /usr/bin/python3, OMP_NUM_THREADS=1.
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import minilm  # noqa: E402

CONLL = ["O", "B-MISC", "I-MISC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
SENTIMENT = ["negative", "neutral", "positive"]
IGNORE = -100
REFERENCE_TEXTS = [
    "Angela Merkel visited Paris.",
    "Tim Cook said Apple will open a new office in Berlin next year.",
    "The United Nations met in Geneva to discuss the French proposal.",
    "I absolutely love this phone, the battery lasts forever!",
    "The delivery was late and the box arrived broken. Terrible service.",
    "The meeting is scheduled for 3 pm on Thursday.",
    "payment service timeout after 30s, retrying",
]


STARTED = time.time()


def log(msg):
    print("[%6.1fs] %s" % (time.time() - STARTED, msg), flush=True)


class Head(torch.nn.Module):
    """The trained top layers and the task head, on cached hidden states of the frozen bottom layers."""

    def __init__(self, encoder, task, first_trained, n_labels):
        super().__init__()
        self.task = task
        self.first = first_trained
        self.layers = torch.nn.ModuleList(encoder.layers[first_trained:])
        if task == "sentiment":
            self.pooler = torch.nn.Linear(minilm.HIDDEN, minilm.HIDDEN)
            torch.nn.init.normal_(self.pooler.weight, std=0.02)
            torch.nn.init.zeros_(self.pooler.bias)
        self.dropout = torch.nn.Dropout(0.1)
        self.classifier = torch.nn.Linear(minilm.HIDDEN, n_labels)
        torch.nn.init.normal_(self.classifier.weight, std=0.02)
        torch.nn.init.zeros_(self.classifier.bias)

    def forward(self, hidden, mask):
        m = minilm.Encoder.additive_mask(mask)
        for layer in self.layers:
            hidden = layer(hidden, m)
        if self.task == "sentiment":
            hidden = torch.tanh(self.pooler(hidden[:, 0]))
        return self.classifier(self.dropout(hidden))

    def hf_state(self):
        out = {}
        for i, layer in enumerate(self.layers):
            out.update(minilm.layer_state(layer, self.first + i))
        if self.task == "sentiment":
            out["pooler.dense.weight"], out["pooler.dense.bias"] = self.pooler.weight, self.pooler.bias
        out["classifier.weight"], out["classifier.bias"] = self.classifier.weight, self.classifier.bias
        return out


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def word_tags(words, entities):
    """IOB2 tag per word: a word belongs to an entity when its first character lies inside the span."""
    tags = ["O"] * len(words)
    for e in entities:
        inside = [i for i, (_, start, _) in enumerate(words) if e["start"] <= start < e["end"]]
        for k, i in enumerate(inside):
            tags[i] = ("B-" if k == 0 else "I-") + e["type"]
    return tags


def encode_ner(wp, example, max_tokens):
    """Token labels: every sub-token of a word gets the word's tag, a B- tag only on its first sub-token."""
    words = wp.words(example["text"])
    tags = word_tags(words, example["entities"])
    ids, _, word_ids = wp.encode(example["text"], max_tokens)
    labels, previous = [], None
    for w in word_ids:
        if w is None:
            labels.append(IGNORE)
        else:
            tag = tags[w]
            if w == previous and tag.startswith("B-"):
                tag = "I-" + tag[2:]
            labels.append(CONLL.index(tag))
        previous = w
    return ids, labels, word_ids, tags


def batches(indices, lengths, size, shuffle_rng=None):
    """Length-sorted batches of up to `size` examples (shuffled batch order when shuffle_rng is given)."""
    order = sorted(indices, key=lambda i: lengths[i])
    out = [order[i:i + size] for i in range(0, len(order), size)]
    if shuffle_rng:
        shuffle_rng.shuffle(out)
    return out


def pad(rows, value):
    width = max(len(r) for r in rows)
    return torch.tensor([list(r) + [value] * (width - len(r)) for r in rows])


def cache_frozen(encoder, ids_list, first_trained, batch_size):
    """Hidden states after the frozen layers, one [tokens, 384] tensor per example."""
    lengths = [len(x) for x in ids_list]
    cached = [None] * len(ids_list)
    with torch.no_grad():
        todo = batches(range(len(ids_list)), lengths, batch_size)
        for n, batch in enumerate(todo):
            ids = pad([ids_list[i] for i in batch], 0)
            mask = (ids != 0).long()
            hidden = encoder.run_layers(encoder.embed(ids), mask, 0, first_trained)
            for row, i in enumerate(batch):
                cached[i] = hidden[row, :lengths[i]].clone()
            if n % 100 == 0:
                log("  cached %d/%d batches" % (n, len(todo)))
    return cached


def stack_hidden(cached, batch):
    width = max(cached[i].shape[0] for i in batch)
    hidden = torch.zeros(len(batch), width, minilm.HIDDEN)
    mask = torch.zeros(len(batch), width, dtype=torch.long)
    for row, i in enumerate(batch):
        n = cached[i].shape[0]
        hidden[row, :n] = cached[i]
        mask[row, :n] = 1
    return hidden, mask


def predict(model, cached, batch_size):
    """Logits per example ([labels] or [tokens, labels]) in input order."""
    model.eval()
    out = [None] * len(cached)
    with torch.no_grad():
        for batch in batches(range(len(cached)), [c.shape[0] for c in cached], batch_size):
            hidden, mask = stack_hidden(cached, batch)
            logits = model(hidden, mask)
            for row, i in enumerate(batch):
                out[i] = logits[row] if model.task == "sentiment" else logits[row, :cached[i].shape[0]]
    return out


def chunks(tags):
    """seqeval-style (conlleval) entity chunks of an IOB2 sequence: {(type, first, last)}; an I- tag after O
    or after another type starts a new chunk."""
    found, start, kind = set(), None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, t = (tag[0], tag[2:]) if tag != "O" else ("O", None)
        ends = kind is not None and (prefix in ("O", "B") or t != kind)
        if ends:
            found.add((kind, start, i - 1))
            kind = None
        if prefix == "B" or (prefix == "I" and kind is None):
            start, kind = i, t
    return found


def prf(tp, n_pred, n_gold):
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0, "support": n_gold}


def ner_scores(gold_tags, pred_tags):
    types = ["PER", "ORG", "LOC", "MISC"]
    tp = {t: 0 for t in types}
    n_pred = dict(tp)
    n_gold = dict(tp)
    for gold, pred in zip(gold_tags, pred_tags):
        g, p = chunks(gold), chunks(pred)
        for t in types:
            gt, pt = {c for c in g if c[0] == t}, {c for c in p if c[0] == t}
            tp[t] += len(gt & pt)
            n_pred[t] += len(pt)
            n_gold[t] += len(gt)
    out = {t: prf(tp[t], n_pred[t], n_gold[t]) for t in types}
    out["micro"] = prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    return out


def ner_word_predictions(logits, word_ids, n_words):
    """Word tag = argmax of its first sub-token (words cut off by truncation are O)."""
    tags = ["O"] * n_words
    seen = set()
    for pos, w in enumerate(word_ids):
        if w is not None and w not in seen:
            seen.add(w)
            tags[w] = CONLL[int(logits[pos].argmax())]
    return tags


def classification_scores(gold, pred, labels):
    n = len(labels)
    confusion = [[0] * n for _ in range(n)]
    for g, p in zip(gold, pred):
        confusion[g][p] += 1
    per = {}
    for k, name in enumerate(labels):
        tp = confusion[k][k]
        per[name] = prf(tp, sum(confusion[r][k] for r in range(n)), sum(confusion[k]))
    return {"accuracy": round(sum(confusion[k][k] for k in range(n)) / max(1, len(gold)), 4),
            "macro_f1": round(sum(per[x]["f1"] for x in labels) / n, 4),
            "per_label": per, "confusion": {"rows_gold_cols_predicted": labels, "matrix": confusion}}


def evaluate(task, model, cached, extra, batch_size):
    logits = predict(model, cached, batch_size)
    if task == "sentiment":
        return classification_scores(extra["labels"], [int(x.argmax()) for x in logits], SENTIMENT)
    pred = [ner_word_predictions(lg, wids, len(tags)) for lg, wids, tags in zip(logits, extra["word_ids"], extra["tags"])]
    return ner_scores(extra["tags"], pred)


def prepare(task, wp, examples, max_tokens):
    ids_list, targets, extra = [], [], {"word_ids": [], "tags": [], "labels": []}
    for ex in examples:
        if task == "sentiment":
            ids, _, _ = wp.encode(ex["text"], max_tokens)
            label = SENTIMENT.index(ex["label"])
            targets.append(label)
            extra["labels"].append(label)
        else:
            ids, labels, word_ids, tags = encode_ner(wp, ex, max_tokens)
            targets.append(labels)
            extra["word_ids"].append(word_ids)
            extra["tags"].append(tags)
        ids_list.append(ids)
    return ids_list, targets, extra


def round_to_fp16(model):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", choices=["ner", "sentiment"], required=True)
    ap.add_argument("--data", required=True, help="folder with <task>-train.jsonl and <task>-test.jsonl")
    ap.add_argument("--onnx", required=True, help="the MiniLM encoder all-minilm-l6-v2.onnx")
    ap.add_argument("--tokenizer", required=True, help="its tokenizer.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--train-layers", type=int, default=2, help="top encoder layers trained (default %(default)s)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-4, help="peak learning rate of the encoder layers")
    ap.add_argument("--head-lr", type=float, default=1e-3, help="peak learning rate of the new head")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N training examples (smoke runs)")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    labels = CONLL if args.task == "ner" else SENTIMENT
    first_trained = minilm.LAYERS - args.train_layers
    log("torch %s, %d thread(s); task %s, training layers %d-%d + head"
        % (torch.__version__, torch.get_num_threads(), args.task, first_trained, minilm.LAYERS - 1))

    encoder = minilm.load_encoder(args.onnx).eval()
    wp = minilm.WordPiece(args.tokenizer)
    train_all = read_jsonl(os.path.join(args.data, args.task + "-train.jsonl"))
    if args.limit:
        train_all = train_all[: args.limit]
    rng.shuffle(train_all)
    n_dev = max(1, len(train_all) // 20)
    dev, train = train_all[:n_dev], train_all[n_dev:]
    log("train %d, dev %d (from the training file)" % (len(train), len(dev)))

    train_ids, train_targets, _ = prepare(args.task, wp, train, args.max_tokens)
    dev_ids, _, dev_extra = prepare(args.task, wp, dev, args.max_tokens)
    log("caching the outputs of frozen layers 0-%d" % (first_trained - 1))
    train_cache = cache_frozen(encoder, train_ids, first_trained, 64)
    dev_cache = cache_frozen(encoder, dev_ids, first_trained, 64)

    model = Head(encoder, args.task, first_trained, len(labels))
    head_params = [p for n, p in model.named_parameters() if not n.startswith("layers.")]
    optimizer = torch.optim.AdamW([
        {"params": list(model.layers.parameters()), "lr": args.lr},
        {"params": head_params, "lr": args.head_lr}], weight_decay=0.01)
    lengths = [len(x) for x in train_ids]
    steps_per_epoch = (len(train_ids) + args.batch - 1) // args.batch
    total = steps_per_epoch * args.epochs
    warmup = max(1, total // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup))))
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=IGNORE)
    history = []
    step = 0
    for epoch in range(args.epochs):
        model.train()
        running, seen = 0.0, 0
        for batch in batches(range(len(train_ids)), lengths, args.batch, rng):
            hidden, mask = stack_hidden(train_cache, batch)
            logits = model(hidden, mask)
            if args.task == "sentiment":
                loss = loss_fn(logits, torch.tensor([train_targets[i] for i in batch]))
            else:
                target = pad([train_targets[i] for i in batch], IGNORE)
                loss = loss_fn(logits.reshape(-1, len(labels)), target.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            running += loss.item() * len(batch)
            seen += len(batch)
            if step % 100 == 0:
                log("  epoch %d step %d/%d loss %.4f" % (epoch + 1, step, total, running / seen))
        dev_scores = evaluate(args.task, model, dev_cache, dev_extra, 64)
        headline = dev_scores["micro"]["f1"] if args.task == "ner" else dev_scores["macro_f1"]
        history.append({"epoch": epoch + 1, "train_loss": round(running / seen, 4), "dev": dev_scores})
        log("epoch %d: train loss %.4f, dev %s %.4f" % (epoch + 1, running / seen,
                                                         "micro F1" if args.task == "ner" else "macro F1", headline))

    round_to_fp16(model)
    test = read_jsonl(os.path.join(args.data, args.task + "-test.jsonl"))
    test_ids, _, test_extra = prepare(args.task, wp, test, args.max_tokens)
    log("held-out test set: %d examples (float16 weights, as shipped)" % len(test))
    test_scores = evaluate(args.task, model, cache_frozen(encoder, test_ids, first_trained, 64), test_extra, 64)
    log("test: %s" % json.dumps(test_scores["micro"] if args.task == "ner"
                                 else {k: test_scores[k] for k in ("accuracy", "macro_f1")}))

    os.makedirs(args.out, exist_ok=True)
    state = {k: v.detach().numpy().astype(np.float16) for k, v in model.hf_state().items()}
    np.savez_compressed(os.path.join(args.out, "weights.npz"), **state)

    model.eval()
    reference = []
    with torch.no_grad():
        for text in REFERENCE_TEXTS:
            ids, _, _ = wp.encode(text, 512)
            x = torch.tensor([ids])
            mask = torch.ones_like(x)
            logits = model(encoder.run_layers(encoder.embed(x), mask, 0, first_trained), mask)[0]
            reference.append({"text": text, "input_ids": ids, "logits": np.round(logits.numpy(), 5).tolist()})
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")

    metrics = {
        "task": args.task, "labels": labels, "trained_layers": list(range(first_trained, minilm.LAYERS)),
        "settings": {k: getattr(args, k) for k in ("epochs", "batch", "lr", "head_lr", "max_tokens", "seed",
                                                     "train_layers", "limit")},
        "optimizer": "AdamW (weight decay 0.01), linear warm-up over 10% of steps then linear decay, "
                     "gradient clipping 1.0, dropout 0.1 before the classifier",
        "examples": {"train": len(train), "dev": len(dev), "test": len(test)},
        "history": history, "test": test_scores,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "train_seconds": round(time.time() - STARTED, 1),
    }
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")
    log("wrote %s (weights.npz %d bytes)" % (args.out, os.path.getsize(os.path.join(args.out, "weights.npz"))))


if __name__ == "__main__":
    main()
