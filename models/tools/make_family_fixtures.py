"""Builds the tokenizer-family fixtures: tiny random-weight ONNX bundles of five BERT-family tokenizers
(`models/families/<bundle>/`) and what the `transformers` pipelines answer for each of them
(`streams-app/src/test/resources/golden/families/<bundle>.json`).

Every tokenizer is trained here on local text (no model hub, no network) and then built through the
`transformers` tokenizer class a user's export would use, because transformers 5 classes rebuild the
normalizer, pre-tokenizer and decoder from the class on load; the saved `tokenizer.json` is checked to be
what `AutoTokenizer.from_pretrained(bundle)` rebuilds. Weights are random (seeded), so scores mean nothing:
the vectors exist so that the service's tokenization and post-processing can be compared exactly.

Run from anywhere (one command, seeded, rewrites every output in place):

    python3 -m venv V && V/bin/pip install transformers==5.17.0 tokenizers torch onnx onnxscript \
        onnxruntime==1.30.0 sentencepiece safetensors
    V/bin/python models/tools/make_family_fixtures.py

Inputs: models/tools/family-text.txt, streams-app/src/test/resources/golden/sentences-dev.json,
models/starter/{ner,sentiment}/test.jsonl, models/starter/hand-sentences.jsonl.
"""
import json
import os

os.environ.setdefault("RUST_BACKTRACE", "0")  # a refused stride panics inside tokenizers: one line, no backtrace
import random
import shutil
import tempfile
import time
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import sentencepiece as spm
import tokenizers
import torch
import transformers
from tokenizers import Tokenizer, models as tk_models, normalizers, pre_tokenizers, trainers
from transformers import (AutoTokenizer, BertConfig, BertForSequenceClassification, BertForTokenClassification,
                          BertTokenizer, DebertaV2Config, DebertaV2ForSequenceClassification,
                          DebertaV2ForTokenClassification, DebertaV2Tokenizer, DistilBertConfig,
                          DistilBertForSequenceClassification, DistilBertForTokenClassification,
                          DistilBertTokenizer, RobertaConfig, RobertaForSequenceClassification,
                          RobertaForTokenClassification, RobertaTokenizer, XLMRobertaConfig,
                          XLMRobertaForSequenceClassification, XLMRobertaForTokenClassification,
                          XLMRobertaTokenizer, pipeline)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS_OUT = os.path.join(ROOT, "models", "families")
GOLDEN_DIR = os.path.join(ROOT, "streams-app", "src", "test", "resources", "golden")
GOLDEN_OUT = os.path.join(GOLDEN_DIR, "families")
SENTENCES_OUT = os.path.join(GOLDEN_OUT, "sentences-families.json")

MAXLEN = 64          # tokenizer_config model_max_length of every bundle (special tokens included)
CONTENT = MAXLEN - 2  # content tokens per window: every family adds one token before and one after
SEED = 20260301
VOCAB = {"roberta": 2500, "xlmr": 2000, "deberta": 2000, "bert-cased": 2000, "distilbert": 2000}
WORDPIECE_ALPHABET = 220  # WordPiece trainers keep only this many characters: the rest become [UNK]
SPM_COVERAGE = 0.995      # SentencePiece drops the rarest 0.5% of characters: they become <unk>/[UNK]
FALLBACK_WARNING = "Tokenizer does not support real words, using fallback heuristic"
CONLL = ["O", "B-MISC", "I-MISC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
SENTIMENT = ["negative", "neutral", "positive"]
MODERATION = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
            initializer_range=0.4, attn_implementation="eager")

# Hand-written hostile/multilingual sentences (shared by every bundle). Invisible characters are written as
# escapes so that this list stays readable.
HOSTILE = [
    "Angela Merkel visited Berlin and Paris with Emmanuel Macron.",
    "Jeff Bezos founded Amazon in Seattle; Satya Nadella runs Microsoft in Redmond.",
    "Sundar Pichai (Google) met Tim Cook (Apple) in San Francisco.",
    "ANGELA MERKEL VISITED BERLIN",
    "angela merkel visited berlin",
    "Merkel,Macron;Berlin.Paris!London?Rome",
    "\"Paris\" (France) and 'Berlin' [Germany] {Europe} <Asia>",
    "U.S.A.-based IBM's CEO said New-York-based firms won't wait.",
    "阿里巴巴集团在杭州成立，马云是创始人之一。",
    "北京和上海的天气很好",
    "ソフトバンクの孫正義氏が福岡で講演した。",
    "すもももももももものうち",
    "김정은 위원장이 평양에서 연설했다.",
    "محمد بن سلمان زار الرياض وجدة",
    "בנימין נתניהו ביקר בירושלים",
    "Meeting in دبي with שרה tomorrow at 10",
    "Владимир Путин встретился с Ангелой Меркель в Сочи.",
    "Ο Κυριάκος Μητσοτάκης επισκέφθηκε την Κρήτη.",
    "नरेंद्र मोदी दिल्ली में",
    "กรุงเทพมหานครเป็นเมืองหลวง",
    "Zoë Saldaña and François Hollande met in Besançon.",
    "Zoe\u0308 Saldan\u0303a and Franc\u0327ois Hollande met in Besanc\u0327on.",
    "İstanbul ISTANBUL istanbul ıslak",
    "STRASSE Straße ẞ Øresund Ærø Łódź",
    "Great job 👍🏽 team!",
    "👩‍💻 coding with 👨‍👩‍👧‍👦 in Berlin",
    "🇩🇪 vs 🇫🇷 tonight 🏳️‍🌈 ⚽",
    "❤️‍🔥 1️⃣ #️⃣ ©️ ™",
    "Angela\u200bMerkel in Ber\u200dlin and Ham\u200cburg",
    "\u200b\u200b\u200b",
    "\ufeffAngela Merkel visited Berlin",
    "Berlin\ufeff Paris\ufeff",
    "ﬁnance ﬂights to Ｔｏｋｙｏ and Ｂｅｒｌｉｎ",
    "① ② ③ steps, Ⅻ chapters",
    "5 ㎏ and 3 ㎞ in ㍻",
    "x² + y³ = z⁴ and H₂O",
    "ｶﾀｶﾅ halfwidth and ＡＢＣ fullwidth",
    "𝐀𝐧𝐠𝐞𝐥𝐚 𝐌𝐞𝐫𝐤𝐞𝐥 in 𝔅𝔢𝔯𝔩𝔦𝔫",
    "™ ℃ ℉ № ½ ¼",
    "   Angela Merkel   visited    Berlin   ",
    "\tTabbed\tAngela\tMerkel\n\nNew line Paris\r\nLondon",
    "\u00a0non-breaking\u00a0space Berlin\u00a0",
    "\u3000ideographic space 東京\u3000大阪",
    "en\u2002space em\u2003space thin\u2009space",
    " ",
    "Berlin\u0000Paris\u0001London\u007fRome",
    "Donaudampfschifffahrtsgesellschaftskapitänswitwe",
    "Pneumonoultramicroscopicsilicovolcanoconiosis and Supercalifragilisticexpialidocious",
    "Xq" + "zvbnmlkjhgfdsaqwertyuiop" * 5 + " is a very long token",
    "Email angela.merkel@bundestag.de or see https://www.bundesregierung.de/breg-de/aktuelles?id=42#top",
    "ftp://files.example.com/a_b-c/d.tar.gz and mailto:info@example.co.uk",
    "€1,234.56 and $7.8bn on 2026-03-01 at 23:59:59 (+05:30)",
    "!!!???...,,,;;;",
    "Berlinберлин柏林ベルリン",
    "Mr. O'Neil and Dr. van der Berg visited St. Petersburg.",
    "Le président Macron a visité Montréal et Québec.",
    "Toyota Motor Corporation in Aichi and Samsung Electronics in Suwon",
]

# Words of several tokens used to straddle the window limit (letters only: one pre-tokenizer word in every
# family), and the sentence that starts every long text.
STRADDLE_WORDS = ["Donaudampfschifffahrtsgesellschaftskapitän", "Pneumonoultramicroscopicsilicovolcanoconiosis",
                  "Supercalifragilisticexpialidocious", "Internationalization", "Schwarzwaldhochstraße",
                  "Thessaloniki", "Konstantinopolitanischer", "Bundesverfassungsgericht"]
LONG_OPENING = "Angela Merkel visited Berlin with Emmanuel Macron"


# ---------------------------------------------------------------------------------------------- corpus

def training_lines():
    """The local training text: family-text.txt, the dev golden sentences and the starter data sets."""
    lines = open(os.path.join(ROOT, "models", "tools", "family-text.txt"), encoding="utf-8").read().splitlines()
    lines += json.load(open(os.path.join(GOLDEN_DIR, "sentences-dev.json"), encoding="utf-8"))
    for f in ["ner/test.jsonl", "sentiment/test.jsonl", "hand-sentences.jsonl"]:
        with open(os.path.join(ROOT, "models", "starter", f), encoding="utf-8") as fh:
            lines += [json.loads(l)["text"] for l in fh if l.strip()]
    return [l for l in lines if l.strip()]


# ------------------------------------------------------------------------------------ tokenizer families
# Each returns a transformers tokenizer built through the family's class, with model_max_length MAXLEN.

def roberta_tokenizer(lines, tmp):
    """Byte-level BPE (full 256-byte alphabet, as every RoBERTa has: no unknown token can occur)."""
    tk = Tokenizer(tk_models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=VOCAB["roberta"], special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    model = json.loads(tk.to_str())["model"]
    vocab = dict(model["vocab"])
    vocab["<mask>"] = len(vocab)  # RoBERTa keeps <mask> last
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    return RobertaTokenizer(vocab=vocab, merges=merges, model_max_length=MAXLEN)


def _train_spm(lines, prefix, family, **ids):
    spm.set_random_generator_seed(SEED)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_prefix=prefix, model_type="unigram", vocab_size=VOCAB[family],
        character_coverage=SPM_COVERAGE, normalization_rule_name="nmt_nfkc", num_threads=1, minloglevel=2,
        **ids)


def xlmr_tokenizer(lines, tmp):
    """SentencePiece Unigram laid out as XLM-R's sentencepiece.bpe.model (<unk>=0, <s>=1, </s>=2), loaded by
    XLMRobertaTokenizer.from_pretrained, which applies the fairseq id offset and keeps the NFKC charsmap."""
    d = os.path.join(tmp, "xlmr-spm")
    os.makedirs(d)
    _train_spm(lines, os.path.join(d, "sentencepiece.bpe"), "xlmr", unk_id=0, bos_id=1, eos_id=2, pad_id=-1)
    return XLMRobertaTokenizer.from_pretrained(d, model_max_length=MAXLEN)


def deberta_tokenizer(lines, tmp):
    """SentencePiece Unigram laid out as DeBERTa-v3's spm.model ([PAD]=0, [CLS]=1, [SEP]=2, [UNK]=3), loaded by
    DebertaV2Tokenizer.from_pretrained ([MASK] is added after the vocabulary)."""
    d = os.path.join(tmp, "deberta-spm")
    os.makedirs(d)
    _train_spm(lines, os.path.join(d, "spm"), "deberta", pad_id=0, bos_id=1, eos_id=2, unk_id=3,
               pad_piece="[PAD]", bos_piece="[CLS]", eos_piece="[SEP]", unk_piece="[UNK]")
    return DebertaV2Tokenizer.from_pretrained(d, model_max_length=MAXLEN)


def _wordpiece_vocab(lines, family, lowercase, tmp):
    """A WordPiece vocabulary: the WORDPIECE_ALPHABET most frequent characters (each also as a ##continuation) and
    SentencePiece BPE pieces learnt on the BERT-normalized, pre-tokenized text ("▁x" -> "x", "x" -> "##x").
    (tokenizers' WordPieceTrainer breaks ties in hash order and gives another vocabulary on every run.)"""
    normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                            lowercase=lowercase)
    pre = pre_tokenizers.BertPreTokenizer()
    words = [" ".join(w for w, _ in pre.pre_tokenize_str(normalizer.normalize_str(l))) for l in lines]
    counts = {}
    for w in words:
        for ch in w.replace(" ", ""):
            counts[ch] = counts.get(ch, 0) + 1
    alphabet = sorted(counts, key=lambda ch: (-counts[ch], ch))[:WORDPIECE_ALPHABET]
    prefix = os.path.join(tmp, family + "-wp")
    spm.set_random_generator_seed(SEED)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(words), model_prefix=prefix, model_type="bpe", normalization_rule_name="identity",
        vocab_size=VOCAB[family] - 2 * len(alphabet), character_coverage=1.0, num_threads=1, minloglevel=2,
        add_dummy_prefix=True, unk_id=0, bos_id=-1, eos_id=-1)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    tokens = alphabet + ["##" + ch for ch in alphabet]
    for i in range(sp.get_piece_size()):
        if sp.is_unknown(i) or sp.is_control(i):
            continue
        piece = sp.id_to_piece(i)
        tokens.append(piece[1:] if piece.startswith("▁") else "##" + piece)
    kept = set(alphabet)
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])}
    for t in tokens:
        if t and t != "##" and all(ch in kept for ch in t.removeprefix("##")):
            vocab.setdefault(t, len(vocab))
    return vocab


def bert_cased_tokenizer(lines, tmp):
    return BertTokenizer(vocab=_wordpiece_vocab(lines, "bert-cased", False, tmp), do_lower_case=False,
                         model_max_length=MAXLEN)


def distilbert_tokenizer(lines, tmp):
    return DistilBertTokenizer(vocab=_wordpiece_vocab(lines, "distilbert", True, tmp), do_lower_case=True,
                               model_max_length=MAXLEN)


# ---------------------------------------------------------------------------------------- model families
# Each returns (config, token-classification class, sequence-classification class) for a tokenizer.

def _roberta_like(config_cls, tok):
    # positions start after padding_idx (= pad id), so MAXLEN tokens need MAXLEN + pad id + 1 positions
    return config_cls(vocab_size=len(tok), max_position_embeddings=MAXLEN + tok.pad_token_id + 1, type_vocab_size=1,
                      pad_token_id=tok.pad_token_id, bos_token_id=tok.cls_token_id, eos_token_id=tok.sep_token_id,
                      **TINY)


def roberta_models(tok):
    return _roberta_like(RobertaConfig, tok), RobertaForTokenClassification, RobertaForSequenceClassification


def xlmr_models(tok):
    return _roberta_like(XLMRobertaConfig, tok), XLMRobertaForTokenClassification, XLMRobertaForSequenceClassification


def deberta_models(tok):
    # DeBERTa-v3 layout: relative attention only, no absolute positions, no token-type embeddings
    # (type_vocab_size 0: the tokenizer still returns token_type_ids and the ONNX model still takes them)
    cfg = DebertaV2Config(vocab_size=len(tok), max_position_embeddings=MAXLEN, type_vocab_size=0,
                          relative_attention=True, position_biased_input=False, pos_att_type=["p2c", "c2p"],
                          max_relative_positions=-1, position_buckets=32, norm_rel_ebd="layer_norm",
                          share_att_key=True, layer_norm_eps=1e-7, pad_token_id=tok.pad_token_id, **TINY)
    return cfg, DebertaV2ForTokenClassification, DebertaV2ForSequenceClassification


def bert_models(tok):
    cfg = BertConfig(vocab_size=len(tok), max_position_embeddings=MAXLEN, pad_token_id=tok.pad_token_id, **TINY)
    return cfg, BertForTokenClassification, BertForSequenceClassification


def distilbert_models(tok):
    cfg = DistilBertConfig(vocab_size=len(tok), max_position_embeddings=MAXLEN, dim=TINY["hidden_size"],
                           n_layers=TINY["num_hidden_layers"], n_heads=TINY["num_attention_heads"],
                           hidden_dim=TINY["intermediate_size"], initializer_range=TINY["initializer_range"],
                           attn_implementation="eager", pad_token_id=tok.pad_token_id)
    return cfg, DistilBertForTokenClassification, DistilBertForSequenceClassification


FAMILIES = {  # family -> (tokenizer builder, model builder)
    "roberta": (roberta_tokenizer, roberta_models),
    "xlmr": (xlmr_tokenizer, xlmr_models),
    "deberta": (deberta_tokenizer, deberta_models),
    "bert-cased": (bert_cased_tokenizer, bert_models),
    "distilbert": (distilbert_tokenizer, distilbert_models),
}

# bundle -> (family, head, labels, problem_type, torch seed)
BUNDLES = {
    "roberta-ner": ("roberta", "token", CONLL, None, 101),
    "roberta-sentiment": ("roberta", "sequence", SENTIMENT, "single_label_classification", 102),
    "xlmr-ner": ("xlmr", "token", CONLL, None, 201),
    "xlmr-moderation-multilabel": ("xlmr", "sequence", MODERATION, "multi_label_classification", 202),
    "deberta-ner": ("deberta", "token", CONLL, None, 301),
    "deberta-sentiment": ("deberta", "sequence", SENTIMENT, "single_label_classification", 302),
    "bert-cased-ner": ("bert-cased", "token", CONLL, None, 401),
    "bert-cased-sentiment": ("bert-cased", "sequence", SENTIMENT, "single_label_classification", 402),
    "distilbert-ner": ("distilbert", "token", CONLL, None, 501),
    "distilbert-sentiment": ("distilbert", "sequence", SENTIMENT, "single_label_classification", 502),
}


# ------------------------------------------------------------------------------------ long (window) texts

def content_len(tok, text):
    return len(tok(text, add_special_tokens=False)["input_ids"])


def fill_to(tok, rng, text, words, target):
    """Appends space-separated filler words to `text` until it is exactly `target` content tokens long."""
    while (n := content_len(tok, text)) < target:
        for w in rng.sample(words, len(words)):
            if content_len(tok, text + " " + w) <= target:
                text += " " + w
                break
        else:
            raise RuntimeError(f"cannot fill {n} -> {target} tokens")
    if n != target:
        raise RuntimeError(f"overshot {target}: {n}")
    return text


def random_word(rng, tok, min_tokens, max_chars):
    """A letters-only word of at least `min_tokens` tokens (at most `max_chars` characters: WordPiece turns longer
    words into one [UNK])."""
    letters = "abcdefghijklmnopqrstuvwxyzäöüéèàç"
    for _ in range(200):
        w = "X" + "".join(rng.choice(letters) for _ in range(max_chars - 1))
        if content_len(tok, "a " + w) - 1 >= min_tokens:
            return w
    raise RuntimeError("no long enough random word")


def long_texts(family, tok, rng, filler):
    """Texts of 2-4 windows whose straddling words sit at chosen content positions, for this family's tokenizer.
    Returns [(text, stride, description)]. Content index i is model position i + 1 (after the first special
    token); a window holds content indices 0..CONTENT-1 (positions 1..62)."""
    word_tokens = {w: content_len(tok, "a " + w) - 1 for w in STRADDLE_WORDS}
    by_len = sorted(STRADDLE_WORDS, key=lambda w: (word_tokens[w], w))
    longest = by_len[-1]
    three = next((w for w in by_len if word_tokens[w] >= 3), longest)
    four = next((w for w in by_len if word_tokens[w] >= 4), longest)
    specs = [  # (first content index of the word, word, stride, description)
        (CONTENT - 2, three, 16, "word starts at content index 60 and crosses the limit"),
        (CONTENT - 1, four, 16, "word starts at the last content index (61)"),
        (CONTENT - 3, four, 0, "word starts at content index 59, stride 0"),
        (CONTENT - word_tokens[three], three, 16, "word ends exactly at the last content index (no straddle)"),
        (CONTENT, three, 4, "word starts at the first index past the limit (62), stride 4"),
        (CONTENT - 4, longest, 30, "longest straddle word from index 58, stride 30"),
    ]
    out = []
    for start, word, stride, what in specs:
        text = fill_to(tok, rng, LONG_OPENING, filler, start)
        text = fill_to(tok, rng, text + " " + word, filler, start + word_tokens[word] + 70 + rng.randrange(60))
        out.append((text, stride, f"{family}: {what} ({word}, {word_tokens[word]} tokens)"))
    # one word so long that the windows of its prefix reach 3 and 4 windows (tokenizers windows only the text up
    # to the end of the word that crosses the limit)
    wide = random_word(rng, tok, 70, 99)
    n = content_len(tok, "a " + wide) - 1
    start = CONTENT - 20
    text = fill_to(tok, rng, LONG_OPENING, filler, start)
    text = fill_to(tok, rng, text + " " + wide, filler, start + n + 40)
    out.append((text, 16, f"{family}: {n}-token word from content index {start} (3+ windows with stride 16)"))
    start = CONTENT - 1  # windows of stride 30 advance 32 tokens: 61 + n > 62 + 2 * 32 gives 4 windows
    text = fill_to(tok, rng, "Tim Cook met Angela Merkel", filler, start)
    text = fill_to(tok, rng, text + " " + wide, filler, start + n + 30)
    out.append((text, 30, f"{family}: {n}-token word from the last content index, stride 30 (4+ windows)"))
    return out


def describe_boundary(tok, text):
    """Tokens at content indices 59..64 of the untruncated encoding, '|' at the window limit."""
    enc = tok(text, add_special_tokens=False)
    toks = enc.tokens()
    words = enc.word_ids()
    s = " ".join(toks[59:CONTENT]) + " | " + " ".join(toks[CONTENT:CONTENT + 3])
    straddle = len(toks) > CONTENT and words[CONTENT - 1] == words[CONTENT] and words[CONTENT] is not None
    return s, straddle, len(toks)


# --------------------------------------------------------------------------------------------- export

class Logits(torch.nn.Module):
    """ONNX signature: (input_ids, attention_mask[, token_type_ids]) -> logits."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        kw = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        return self.model(input_ids=input_ids, attention_mask=attention_mask, **kw).logits


def onnx_input_names(tok):
    """The tokenizer's model_input_names, in the order input_ids, attention_mask, token_type_ids."""
    names = ["input_ids", "attention_mask", "token_type_ids"]
    assert set(tok.model_input_names) <= set(names), tok.model_input_names
    return [n for n in names if n in tok.model_input_names]


CHECK_BATCHES = [
    ["x"],
    ["Angela Merkel visited Berlin.", "a much longer second sentence with many more words in it, like Zürich"],
    ["b " * 80, "c", "東京 ① ﬁne 😀"],
]


def strip_debug_metadata(path):
    """Drops the exporter's per-node debug annotations (stack traces, FX node names: ~40% of the file)."""
    m = onnx.load(path)
    for node in m.graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    onnx.save(m, path)


def export(model, tok, path, token_head):
    """Writes model.onnx (dynamo at opset 18, else TorchScript at 17) and returns (exporter, max |ORT - torch|)."""
    names = onnx_input_names(tok)
    enc = tok(["hello world", "a longer second sentence here"], padding=True, return_tensors="pt")
    args = tuple(enc[k] for k in names)
    wrapped = Logits(model).eval()
    for how in ["dynamo", "torchscript"]:
        try:
            if how == "dynamo":
                dyn = torch.export.Dim.DYNAMIC
                torch.onnx.export(wrapped, args, path, input_names=names, output_names=["logits"],
                                  dynamic_shapes={k: {0: dyn, 1: dyn} for k in names}, opset_version=18,
                                  dynamo=True, external_data=False, verbose=False)
            else:
                axes = {k: {0: "batch", 1: "sequence"} for k in names}
                axes["logits"] = {0: "batch", 1: "sequence"} if token_head else {0: "batch"}
                torch.onnx.export(wrapped, args, path, input_names=names, output_names=["logits"],
                                  dynamic_axes=axes, opset_version=17, dynamo=False)
        except Exception as e:
            print("   ", how, "export failed:", repr(e)[:300])
            continue
        strip_debug_metadata(path)
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        got_names = [i.name for i in sess.get_inputs()]
        if got_names != names:
            print("   ", how, "inputs", got_names, "!= tokenizer's", names)
            continue
        worst = 0.0
        for batch in CHECK_BATCHES:
            e2 = tok(batch, padding=True, truncation=True, return_tensors="pt")
            with torch.no_grad():
                ref = wrapped(*(e2[k] for k in names)).numpy()
            got = sess.run(None, {k: e2[k].numpy() for k in names})[0]
            mask = e2["attention_mask"].numpy().astype(bool)
            diff = np.abs(got - ref)
            worst = max(worst, float((diff[mask] if token_head else diff).max()))
        print(f"    {how}: max |ORT - torch| = {worst:.2e} over padded batches (real tokens)")
        if worst < 1e-4:
            return how, worst
    raise SystemExit(f"no exporter produced a faithful ONNX model for {path}")


# ------------------------------------------------------------------------------------------- pipelines

def f32(x):
    """A float32 as the shortest decimal that reads back as the same float32."""
    return float(np.format_float_positional(np.float32(x), unique=True, trim="0"))


def clean(o):
    """Pipeline output as JSON values: float32 scores shortest-round-trip, float64 ones (means) as they are."""
    if isinstance(o, dict):
        return {k: clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [clean(v) for v in o]
    if isinstance(o, np.float32):
        return f32(o)
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    return o


def call(pipe, text, **kw):
    """pipe(text, **kw) as JSON; a refusal (including a tokenizers panic) becomes {"error": ...}."""
    try:
        return clean(pipe(text, **kw))
    except (Exception, BaseException) as e:  # pyo3 PanicException derives from BaseException
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return {"error": f"{type(e).__name__}: {e}"[:400]}


def record_cases(pipe, tok, model, sess, texts, strides, token_head):
    """One case per text; returns (cases, whether the fallback-heuristic warning fired, max |ORT - torch| over the
    cases' truncated logits)."""
    names = onnx_input_names(tok)
    cases, fallback, ort_diff = [], False, 0.0
    for text in texts:
        enc = tok(text, truncation=True, return_tensors="pt")
        with torch.no_grad():
            logits = Logits(model)(*(enc[k] for k in names))[0].numpy()
        got = sess.run(None, {k: enc[k].numpy() for k in names})[0][0]
        ort_diff = max(ort_diff, float(np.abs(got - logits).max()))
        ids = enc["input_ids"][0].tolist()
        case = {"text": text, "input_ids_truncated": ids, "tokens_truncated": tok.convert_ids_to_tokens(ids),
                "logits_truncated": [clean(list(r)) if r.ndim else f32(r) for r in logits],
                "pipeline": {}}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if not token_head:
                for fn in ["default", "sigmoid", "softmax", "none"]:
                    kw = {} if fn == "default" else {"function_to_apply": fn}
                    case["pipeline"][fn] = call(pipe, text, top_k=None, truncation=True, **kw)
            else:
                long = len(tok(text)["input_ids"]) > MAXLEN
                case["longer_than_model"] = long
                for agg in ["none", "simple", "first", "average", "max"]:
                    case["pipeline"][agg] = call(pipe, text, aggregation_strategy=agg)
                if long:
                    stride = strides.get(text, 16)
                    case["stride"] = stride
                    case["pipeline_stride"] = {agg: call(pipe, text, aggregation_strategy=agg, stride=stride)
                                               for agg in ["simple", "first", "average", "max"]}
        fallback |= any(FALLBACK_WARNING in str(w.message) for w in caught)
        cases.append(case)
    return cases, fallback, ort_diff


# ------------------------------------------------------------------------------------------------ main

def tokenizer_summary(path):
    j = json.load(open(path, encoding="utf-8"))

    def kind(c):
        if c is None:
            return "none"
        if c["type"] == "Sequence":
            inner = c.get("normalizers") or c.get("pretokenizers") or c.get("processors") or c.get("decoders")
            return "Sequence[" + ", ".join(kind(x) for x in inner) + "]"
        return c["type"]

    return {k: kind(j.get(k)) for k in ["normalizer", "pre_tokenizer", "post_processor", "decoder"]} | {
        "model": j["model"]["type"]}


def build_family_tokenizers(lines, tmp):
    """Trains, builds through the class, saves and reloads each family's tokenizer. Returns {family: (dir, tok)}
    where tok is AutoTokenizer.from_pretrained(dir) and dir holds exactly what save_pretrained wrote."""
    out = {}
    for family, (make_tok, _) in FAMILIES.items():
        t0 = time.time()
        d = os.path.join(tmp, "tok-" + family)
        make_tok(lines, tmp).save_pretrained(d)
        for f in os.listdir(d):  # ship tokenizer.json only, never a SentencePiece model (5.17 writes none anyway)
            if f.endswith(".model"):
                os.remove(os.path.join(d, f))
        tok = AutoTokenizer.from_pretrained(d)
        saved = json.load(open(os.path.join(d, "tokenizer.json"), encoding="utf-8"))
        if json.loads(tok.backend_tokenizer.to_str()) != saved:
            raise SystemExit(f"{family}: the reloaded tokenizer differs from the saved tokenizer.json")
        print(f"[{family}] {type(tok).__name__}, {len(tok)} tokens, inputs {tok.model_input_names}, "
              f"files {sorted(os.listdir(d))}, {time.time() - t0:.1f}s")
        out[family] = (d, tok)
    return out


def main():
    torch.set_num_threads(2)
    print("transformers", transformers.__version__, "tokenizers", tokenizers.__version__, "torch", torch.__version__,
          "onnxruntime", ort.__version__)
    lines = training_lines()
    print(len(lines), "training lines")
    tmp = tempfile.mkdtemp(prefix="family-fixtures-")
    try:
        toks = build_family_tokenizers(lines, tmp)

        # sentences: dev set, hostile set, then long texts built with each family's tokenizer; a bundle gets the dev
        # and hostile sets, its own family's long texts and the one text whose stride tokenizers refuses
        rng = random.Random(SEED)
        filler = [w for l in open(os.path.join(ROOT, "models", "tools", "family-text.txt"), encoding="utf-8")
                  .read().splitlines()[:12] for w in l.split()]
        dev = json.load(open(os.path.join(GOLDEN_DIR, "sentences-dev.json"), encoding="utf-8"))
        strides, longs, family_longs = {}, [], {}
        for family, (_, tok) in toks.items():
            family_longs[family] = []
            for text, stride, what in long_texts(family, tok, rng, filler):
                boundary, straddle, n = describe_boundary(tok, text)
                windows = len(tok(text, truncation=True, return_overflowing_tokens=True, stride=stride)["input_ids"])
                print(f"  long: {what}; {n} tokens; straddles={straddle}; stride {stride} -> {windows} windows; "
                      f"[{boundary}]")
                strides[text] = stride
                longs.append(text)
                family_longs[family].append(text)
        refused = longs[0].replace(LONG_OPENING, "Barack Obama visited Berlin with Emmanuel Macron", 1)
        strides[refused] = CONTENT  # tokenizers refuses stride >= content length (transformers passes it on)
        longs.append(refused)
        family_sentences = HOSTILE + longs
        os.makedirs(GOLDEN_OUT, exist_ok=True)
        with open(SENTENCES_OUT, "w", encoding="utf-8") as f:
            json.dump(family_sentences, f, ensure_ascii=False, indent=0)
            f.write("\n")
        print(len(dev), "dev,", len(HOSTILE), "hostile,", len(longs), "long texts")

        summary, fallback_by_family = {}, {}
        # token classifiers first: their run tells whether the family's tokenizer triggers the fallback warning
        for bundle in sorted(BUNDLES, key=lambda b: BUNDLES[b][1] != "token"):
            family, head, labels, problem, seed = BUNDLES[bundle]
            tok_dir, tok = toks[family]
            t0 = time.time()
            print(f"[{bundle}] building")
            d = os.path.join(MODELS_OUT, bundle)
            shutil.rmtree(d, ignore_errors=True)
            shutil.copytree(tok_dir, d)
            cfg, token_cls, seq_cls = FAMILIES[family][1](tok)
            cfg.id2label = dict(enumerate(labels))
            cfg.label2id = {l: i for i, l in enumerate(labels)}
            if problem:
                cfg.problem_type = problem
            model_cls = token_cls if head == "token" else seq_cls
            cfg.architectures = [model_cls.__name__]
            torch.manual_seed(seed)
            model = model_cls(cfg).eval()
            model.config.save_pretrained(d)
            how, diff = export(model, tok, os.path.join(d, "model.onnx"), head == "token")
            task = "token-classification" if head == "token" else "text-classification"
            pipe = pipeline(task, model=model, tokenizer=tok, device=-1)
            texts = dev + HOSTILE + family_longs[family] + [refused]
            sess = ort.InferenceSession(os.path.join(d, "model.onnx"), providers=["CPUExecutionProvider"])
            cases, fallback, case_diff = record_cases(pipe, tok, model, sess, texts, strides, head == "token")
            diff = max(diff, case_diff)
            if diff >= 1e-4:
                raise SystemExit(f"{bundle}: ONNX Runtime and PyTorch differ by {diff} on the recorded texts")
            if head == "token":
                fallback_by_family[family] = fallback
            doc = {"model": bundle, "family": family, "max_length": MAXLEN, "transformers": transformers.__version__,
                   "tokenizers": tokenizers.__version__, "torch": torch.__version__,
                   "tokenizer_class": type(tok).__name__,
                   "fallback_heuristic_warning": fallback_by_family[family], "cases": cases}
            golden = os.path.join(GOLDEN_OUT, f"{bundle}.json")
            with open(golden, "w", encoding="utf-8") as f:
                json.dump(doc, f, ensure_ascii=False)
            size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
            n_long = sum(1 for c in cases if c.get("longer_than_model"))
            summary[bundle] = (len(cases), n_long, size, os.path.getsize(golden), how, diff, fallback_by_family[family])
            print(f"[{bundle}] {len(cases)} cases ({n_long} longer than {MAXLEN}), bundle {size} B, "
                  f"golden {os.path.getsize(golden)} B, {how}, ORT diff (check batches and every case) {diff:.2e}, "
                  f"fallback warning {fallback_by_family[family]}, {time.time() - t0:.1f}s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print("\nsummary")
    for bundle, (n, n_long, size, gsize, how, diff, fb) in summary.items():
        print(f"  {bundle:28s} cases {n:3d} long {n_long:2d} bundle {size / 1e6:5.2f} MB golden {gsize / 1e6:5.2f} MB "
              f"{how:11s} ORT diff {diff:.1e} fallback {fb}")
    for family in FAMILIES:
        print(f"  {family:12s} {tokenizer_summary(os.path.join(MODELS_OUT, family + ('-ner'), 'tokenizer.json'))}")
    total = sum(os.path.getsize(os.path.join(MODELS_OUT, b, f))
                for b in BUNDLES for f in os.listdir(os.path.join(MODELS_OUT, b)))
    print(f"  models/families total {total} bytes ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
