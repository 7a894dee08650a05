"""Records the windows that a transformers 5.17 fast tokenizer (tokenizers 0.23) makes of long texts with
truncation and a stride, as the token-classification pipeline asks for them, for the Java window tests
(WindowParityTest). Seeded and rerunnable:

    python3 models/tools/make_window_vectors.py OUT.json models/BUNDLE...   (from the repository root)

Texts are random words of one to several tokens, so that words straddle every window limit, and special tokens
typed in the text (matched from the added vocabulary).
"""
import json, os, random, sys
import tokenizers
import transformers
from transformers import AutoTokenizer

WORDS = ["alpha", "unbelievable", "Berlin", "x", "supercalifragilistic", "the", "antidisestablishment", "hello",
         "don't", "e-mail", "über", "naïve", "東京", "!!", "😀x", "Angela", "Merkel", "ﬁne", "Москва", "مرحبا",
         "a.b.c", "(test)", "2026-11-30", "żółć", "\u200bzw", "co-operate",
         "<s>", "</s>", "<mask>", "<unk>", "[SEP]", "[CLS]", "[MASK]", "[UNK]"]  # special tokens typed in text


def main(out, bundles):
    rng = random.Random(1130)
    result = {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__, "cases": []}
    for bundle in bundles:
        tok = AutoTokenizer.from_pretrained(bundle)
        for max_length in (16, 40, tok.model_max_length):
            for stride in sorted({0, 3, 8, max_length // 4}):
                if stride >= max_length - tok.num_special_tokens_to_add():
                    continue
                for _ in range(12):
                    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 160)))
                    enc = tok(text, truncation=True, max_length=max_length, stride=stride,
                              return_overflowing_tokens=True)
                    result["cases"].append({"bundle": os.path.relpath(bundle, "models"), "max_length": max_length, "stride": stride,
                                            "text": text, "windows": enc["input_ids"]})
        print(bundle, "done", len(result["cases"]), "cases so far")
    json.dump(result, open(out, "w"), ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
