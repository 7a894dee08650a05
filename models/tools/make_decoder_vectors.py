"""Records what the decoders of Hugging Face `tokenizers` (the version installed, 0.23.2 for the committed file)
answer for random token lists, for the Java decoder tests (TokensToStringTest). Seeded and rerunnable:

    python3 models/tools/make_decoder_vectors.py streams-app/src/test/resources/tokenize/decoder-vectors.json
"""
import json, random, sys
import tokenizers
from tokenizers import Tokenizer

DECODERS = [
    {"type": "WordPiece", "prefix": "##", "cleanup": True},
    {"type": "WordPiece", "prefix": "##", "cleanup": False},
    {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False},
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": True},
    {"type": "BPEDecoder", "suffix": "</w>"},
    {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": "_"},
]

BYTE_CHARS = [chr(c) for c in list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
              + list(range(0x100, 0x144))]
PIECES = ["\u2581", "##", "</w>", " ", "  ", "a", "Berlin", "n't", "'s", ".", ",", "?", "!", "do not", "\u00fc",
          "\u00c3\u00bc", "\u0120", "\u00e6\u013f\u00b1", "\u6771", "\U0001F600", "\u00f0\u0141\u013a", "<0x41>",
          "<0xC3>", "<0xBC>", "<0xE6>", "<0x9D>", "<0xB1>", "<0xZZ>", "\u200d", "\t", "\ufffd"]


def token(rng):
    if rng.random() < 0.3:
        return "".join(rng.choice(BYTE_CHARS) for _ in range(rng.randint(1, 4)))
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 3)))


def decoder_of(spec):
    wrapper = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
               "pre_tokenizer": None, "post_processor": None, "decoder": spec,
               "model": {"type": "WordLevel", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}}
    return Tokenizer.from_str(json.dumps(wrapper)).decoder


def main(out):
    rng = random.Random(20261130)
    cases = []
    for spec in DECODERS:
        decoder = decoder_of(spec)
        for _ in range(200):
            tokens = [token(rng) for _ in range(rng.randint(1, 6))]
            cases.append({"decoder": spec, "tokens": tokens, "text": decoder.decode(tokens)})
    json.dump({"tokenizers": tokenizers.__version__, "cases": cases}, open(out, "w"), ensure_ascii=False, indent=0)
    print(len(cases), "cases written to", out)


if __name__ == "__main__":
    main(sys.argv[1])
