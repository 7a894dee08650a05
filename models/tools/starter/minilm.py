"""MiniLM-L6 (BERT, 6 layers, hidden 384, 12 heads) in plain PyTorch, with its weights read from the ONNX
encoder that langchain4j publishes on Maven Central, and the BERT WordPiece tokenizer of its tokenizer.json.

Used by train.py only (Debian's python3-torch 1.13, python3-onnx, python3-numpy; run with /usr/bin/python3).
Parameter names are those of Hugging Face's BertModel, so that a trained layer maps onto the ONNX graph by
name (see assemble.py).
"""
import json
import math
import unicodedata

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from assemble import matmul_weight_names

HIDDEN = 384
LAYERS = 6
HEADS = 12
INTERMEDIATE = 1536
LN_EPS = 1e-12


def load_encoder_weights(onnx_path):
    """Returns {hf_name: float32 array in PyTorch layout ([out, in] for Linear weights)}."""
    graph = onnx.load(onnx_path).graph
    renamed = matmul_weight_names(graph)
    weights = {}
    for t in graph.initializer:
        a = numpy_helper.to_array(t)
        if t.name in renamed:
            weights[renamed[t.name]] = np.ascontiguousarray(a.T)
        elif t.name.startswith(("embeddings.", "encoder.")) and a.dtype == np.float32:
            weights[t.name] = a
    return weights


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        lin = torch.nn.Linear
        self.q, self.k, self.v, self.o = lin(HIDDEN, HIDDEN), lin(HIDDEN, HIDDEN), lin(HIDDEN, HIDDEN), lin(HIDDEN, HIDDEN)
        self.ln1 = torch.nn.LayerNorm(HIDDEN, eps=LN_EPS)
        self.up, self.down = lin(HIDDEN, INTERMEDIATE), lin(INTERMEDIATE, HIDDEN)
        self.ln2 = torch.nn.LayerNorm(HIDDEN, eps=LN_EPS)

    HF_NAMES = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                "o": "attention.output.dense", "ln1": "attention.output.LayerNorm",
                "up": "intermediate.dense", "down": "output.dense", "ln2": "output.LayerNorm"}

    def forward(self, x, additive_mask):
        b, s, _ = x.shape
        split = lambda t: t.view(b, s, HEADS, HIDDEN // HEADS).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(HIDDEN // HEADS) + additive_mask
        ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, s, HIDDEN)
        x = self.ln1(x + self.o(ctx))
        return self.ln2(x + self.down(torch.nn.functional.gelu(self.up(x))))


class Encoder(torch.nn.Module):
    """BertModel without pooler, run in two steps so that frozen layers can be cached: `embed(ids)`, then
    `run_layers(x, mask, first, last)` for layers [first, last). Token type ids are all 0."""

    def __init__(self):
        super().__init__()
        self.word = torch.nn.Embedding(30522, HIDDEN)
        self.position = torch.nn.Embedding(512, HIDDEN)
        self.token_type = torch.nn.Embedding(2, HIDDEN)
        self.ln = torch.nn.LayerNorm(HIDDEN, eps=LN_EPS)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(LAYERS))

    @staticmethod
    def additive_mask(mask):
        return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min

    def embed(self, ids):
        positions = torch.arange(ids.shape[1])[None, :]
        return self.ln(self.word(ids) + self.position(positions) + self.token_type(torch.zeros_like(ids)))

    def run_layers(self, x, mask, first, last):
        m = self.additive_mask(mask)
        for layer in self.layers[first:last]:
            x = layer(x, m)
        return x

    def hf_state(self):
        """{hf_name: tensor} for every parameter."""
        out = {"embeddings.word_embeddings.weight": self.word.weight,
               "embeddings.position_embeddings.weight": self.position.weight,
               "embeddings.token_type_embeddings.weight": self.token_type.weight,
               "embeddings.LayerNorm.weight": self.ln.weight, "embeddings.LayerNorm.bias": self.ln.bias}
        for i, layer in enumerate(self.layers):
            out.update(layer_state(layer, i))
        return out


def layer_state(layer, index):
    out = {}
    for short, hf in Layer.HF_NAMES.items():
        module = getattr(layer, short)
        out["encoder.layer.%d.%s.weight" % (index, hf)] = module.weight
        out["encoder.layer.%d.%s.bias" % (index, hf)] = module.bias
    return out


def load_encoder(onnx_path):
    encoder = Encoder()
    weights = load_encoder_weights(onnx_path)
    with torch.no_grad():
        for name, param in encoder.hf_state().items():
            if name not in weights:
                raise ValueError("weight %s not found in %s" % (name, onnx_path))
            if tuple(weights[name].shape) != tuple(param.shape):
                raise ValueError("weight %s: shape %s in ONNX, %s expected"
                                 % (name, weights[name].shape, tuple(param.shape)))
            param.copy_(torch.from_numpy(np.array(weights[name])))
    return encoder


class WordPiece:
    """The BertNormalizer (lowercase, strip accents, CJK spacing, control chars) + BertPreTokenizer + WordPiece
    of an uncased BERT tokenizer.json; returns ids with [CLS]/[SEP] and code-point offsets per token."""

    def __init__(self, tokenizer_json):
        with open(tokenizer_json, encoding="utf-8") as f:
            spec = json.load(f)
        model = spec["model"]
        if model["type"] != "WordPiece":
            raise ValueError("%s: expected a WordPiece model, found %s" % (tokenizer_json, model["type"]))
        self.vocab = model["vocab"]
        self.prefix = model.get("continuing_subword_prefix", "##")
        self.max_chars = model.get("max_input_chars_per_word", 100)
        self.unk = self.vocab[model["unk_token"]]
        self.cls, self.sep = self.vocab["[CLS]"], self.vocab["[SEP]"]

    @staticmethod
    def _normalize_char(c):
        if c in "\t\n\r":
            return " "
        cat = unicodedata.category(c)
        if c == "\x00" or c == "\ufffd" or cat in ("Cc", "Cf"):
            return ""
        decomposed = unicodedata.normalize("NFD", c.lower())
        return "".join(d for d in decomposed if unicodedata.category(d) != "Mn")

    @staticmethod
    def _is_punct(c):
        o = ord(c)
        if 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126:
            return True
        return unicodedata.category(c).startswith("P")

    def words(self, text):
        """[(normalized word, start, end)] with code-point offsets into `text`."""
        out, cur, start = [], "", None
        for i, c in enumerate(text):
            n = self._normalize_char(c)
            if not n or n.isspace() or c.isspace():
                if cur:
                    out.append((cur, start, i))
                cur, start = "", None
            elif self._is_punct(c) or 0x4E00 <= ord(c) <= 0x9FFF:
                if cur:
                    out.append((cur, start, i))
                out.append((n, i, i + 1))
                cur, start = "", None
            else:
                if not cur:
                    start = i
                cur += n
        if cur:
            out.append((cur, start, len(text)))
        return out

    def encode(self, text, max_tokens=128):
        """(ids, offsets, word_ids) including [CLS] and [SEP] (offsets (0, 0), word id None), truncated to
        max_tokens; word_ids index the list that words(text) returns."""
        ids, offsets, word_ids = [self.cls], [(0, 0)], [None]
        for w, (word, start, end) in enumerate(self.words(text)):
            pieces = self._wordpiece(word) or [(self.unk, len(word))]
            pos = start
            for p, piece_len in pieces:
                ids.append(p)
                # normalization can change lengths (e.g. accents); offsets stay within the word
                offsets.append((min(pos, end), min(pos + piece_len, end)))
                word_ids.append(w)
                pos += piece_len
        keep = max_tokens - 1
        return ids[:keep] + [self.sep], offsets[:keep] + [(0, 0)], word_ids[:keep] + [None]

    def _wordpiece(self, word):
        if len(word) > self.max_chars:
            return None
        pieces, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                sub = word[start:end] if start == 0 else self.prefix + word[start:end]
                if sub in self.vocab:
                    found = self.vocab[sub]
                    break
                end -= 1
            if found is None:
                return None
            pieces.append((found, end - start))
            start = end
        return pieces
