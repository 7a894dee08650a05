"""Writes tokenizer folders as older transformers releases saved them (components in tokenizer.json that differ
from what the transformers 5.17 class builds), and records how transformers 5.17 tokenizes texts with them: it
rebuilds normalizer, pre-tokenizer, decoder and post-processor from the class, so the file's own components
are ignored. For the Java test TokenizerClassesTest. Needs the family bundles (make_family_fixtures.py) and the
venv of that script; seeded and rerunnable, from the repository root:

    python3 models/tools/make_legacy_tokenizer_vectors.py streams-app/src/test/resources/tokenize/legacy
"""
import base64, copy, io, json, os, shutil, sys
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2
import tokenizers
import transformers
from transformers import AutoTokenizer

TEXTS = ["Angela Merkel visited Berlin.", "  two  spaces\tand a tab\nnew line  ", "ﬁne ①㎏ x² ＡＢＣ café",
         "Ünïcödé ÜBER über naïve", "東京タワーへ行きました。", "trailing spaces   ", "\u3000ideographic space",
         "e\u0301cole ｶﾀｶﾅ", "plain words only", "Don't STOP-me now!!"]


def precompiled_charsmap():
    """The NFKC charsmap of a SentencePiece model, as converted tokenizer.json files of XLM-R and DeBERTa hold."""
    text = "\n".join(TEXTS * 20 + ["the quick brown fox jumps over the lazy dog"] * 50)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(text.split("\n")), model_writer=model, vocab_size=100, hard_vocab_limit=False,
                                   normalization_rule_name="nmt_nfkc", minloglevel=2, seed_sentencepiece_size=1000)
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model.getvalue())
    return base64.b64encode(proto.normalizer_spec.precompiled_charsmap).decode()


def legacy(family, spec, config, charsmap):
    """The components an older release wrote for this family; tokenizer_config.json keeps the class."""
    if family == "xlmr":
        spec["normalizer"] = {"type": "Precompiled", "precompiled_charsmap": charsmap}
        spec["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                                 "split": True}
    elif family == "deberta":
        spec["normalizer"] = {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": charsmap}, {"type": "Strip", "strip_left": True,
                                                                        "strip_right": True}]}
        spec["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                                 "split": True}
    elif family == "roberta":  # a file saved for pre-split words; the class default has no prefix space
        spec["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                                 "use_regex": True}
        config.pop("add_prefix_space", None)
    elif family in ("bert-cased", "distilbert"):  # a normalizer that disagrees with the config's do_lower_case
        spec["normalizer"]["lowercase"] = not spec["normalizer"]["lowercase"]
        spec["normalizer"]["strip_accents"] = True


def main(out):
    charsmap = precompiled_charsmap()
    result = {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__, "cases": []}
    for family in ("xlmr", "deberta", "roberta", "bert-cased", "distilbert"):
        source = f"models/families/{family}-ner"
        target = os.path.join(out, family)
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(target)
        spec = json.load(open(os.path.join(source, "tokenizer.json")))
        config = json.load(open(os.path.join(source, "tokenizer_config.json")))
        legacy(family, spec, config, charsmap)
        json.dump(spec, open(os.path.join(target, "tokenizer.json"), "w"), ensure_ascii=False)
        json.dump(config, open(os.path.join(target, "tokenizer_config.json"), "w"), ensure_ascii=False, indent=2)
        shutil.copy(os.path.join(source, "config.json"), target)
        tok = AutoTokenizer.from_pretrained(target)
        for text in TEXTS:
            enc = tok(text, truncation=True, return_offsets_mapping=True)
            result["cases"].append({"folder": family, "tokenizer_class": type(tok).__name__, "text": text,
                                    "ids": enc["input_ids"], "offsets": enc["offset_mapping"]})
        print(family, type(tok).__name__, "written to", target)
    json.dump(result, open(os.path.join(out, "vectors.json"), "w"), ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
