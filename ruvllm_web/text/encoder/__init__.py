"""Sentence embeddings with a BERT model run by numpy: all-MiniLM-L6-v2 as sentence-transformers runs it.

- :mod:`.wordpiece`: BERT's uncased tokenizer (normalisation, pre-tokenisation, WordPiece);
- :mod:`.safetensors`: the weights file reader;
- :mod:`.bert`: the encoder's forward pass;
- :mod:`.folder`: what every encoder read from a model folder shares (its checks, its tokenizer,
  ``encode`` of a text or a list);
- :mod:`.sentence_encoder`: :class:`SentenceEncoder`, text to unit-length vectors.
"""

from ruvllm_web.text.encoder.sentence_encoder import SentenceEncoder

__all__ = ["SentenceEncoder"]
