#pragma once
// keras-io's "Text classification with Transformer" (Apoorv Nandan): token and position embeddings, one
// Transformer block (MultiHeadAttention, residuals written as `a + b`, LayerNormalization, a feed-forward
// Sequential), average pooling and a softmax classifier, as Keras writes it. Its two custom layers are
// CompositeLayers here, so they compile like built-in layers. With keras-io's sizes (20,000 tokens, 200 of
// them, 32 dimensions, 2 heads, 32 feed-forward units) it has 657,758 parameters. Used by
// samples/transformer_text_classification.cpp, the tests and the benchmarks.

#include <memory>
#include <string>

#include <strata/strata.hpp>

namespace transformer_sample {

namespace L = strata::layers;

/// keras-io's TokenAndPositionEmbedding: each token's embedding plus its position's, the positions being
/// `ops.arange(0, maxlen)` embedded by a second Embedding.
class TokenAndPositionEmbedding : public strata::CompositeLayerDefinition {
 public:
  TokenAndPositionEmbedding(int maxlen, int vocab_size, int embed_dim)
      : token_emb_(track("token_emb", L::Embedding(vocab_size, embed_dim))),
        pos_emb_(track("pos_emb", L::Embedding(maxlen, embed_dim))) {}
  std::string class_name() const override { return "TokenAndPositionEmbedding"; }
  strata::SymbolicTensor call(const strata::SymbolicTensor& x) const override {
    const int64_t maxlen = x.shape()[-1].value();
    auto positions = pos_emb_(strata::ops::arange(0, maxlen, 1));  // (1, maxlen, embed_dim)
    return token_emb_(x) + positions;
  }

 private:
  L::Embedding token_emb_, pos_emb_;
};

/// keras-io's TransformerBlock: self-attention and a feed-forward network, each added back and normalized.
/// Dropout is the identity at inference.
class TransformerBlock : public strata::CompositeLayerDefinition {
 public:
  TransformerBlock(int embed_dim, int num_heads, int ff_dim, float rate = 0.1f)
      : att_(track("att", L::MultiHeadAttention(num_heads, embed_dim))),
        ffn_(track("ffn", feed_forward(embed_dim, ff_dim))),
        layernorm1_(track("layernorm1", L::LayerNormalization({.epsilon = 1e-6f}))),
        layernorm2_(track("layernorm2", L::LayerNormalization({.epsilon = 1e-6f}))),
        dropout1_(track("dropout1", L::Dropout(rate))),
        dropout2_(track("dropout2", L::Dropout(rate))) {}
  std::string class_name() const override { return "TransformerBlock"; }
  /// keras.Sequential([Dense(ff_dim, activation="relu"), Dense(embed_dim)]), built for any sequence length:
  /// Keras builds it on its first call, and the handle a CompositeLayer tracks must be the built one.
  static strata::Sequential feed_forward(int embed_dim, int ff_dim) {
    strata::Sequential ffn({L::Dense(ff_dim, {.activation = "relu"}), L::Dense(embed_dim)});
    ffn.build({strata::None, embed_dim});
    return ffn;
  }
  strata::SymbolicTensor call(const strata::SymbolicTensor& inputs) const override {
    auto attn_output = dropout1_(att_(inputs, inputs));
    auto out1 = layernorm1_(inputs + attn_output);
    auto ffn_output = dropout2_(ffn_(out1));
    return layernorm2_(out1 + ffn_output);
  }

 private:
  L::MultiHeadAttention att_;
  strata::Sequential ffn_;
  L::LayerNormalization layernorm1_, layernorm2_;
  L::Dropout dropout1_, dropout2_;
};

/// The classifier: `maxlen` token ids (int32 or int64) in, two class probabilities out.
inline strata::Model make_transformer_classifier(int vocab_size = 20000, int maxlen = 200, int embed_dim = 32,
                                                 int num_heads = 2, int ff_dim = 32,
                                                 const std::string& ids_dtype = "int32") {
  auto inputs = strata::Input({maxlen}, {.dtype = ids_dtype});
  auto embedding_layer =
      strata::CompositeLayer(std::make_shared<TokenAndPositionEmbedding>(maxlen, vocab_size, embed_dim));
  auto x = embedding_layer(inputs);
  auto transformer_block =
      strata::CompositeLayer(std::make_shared<TransformerBlock>(embed_dim, num_heads, ff_dim));
  x = transformer_block(x);
  x = L::GlobalAveragePooling1D()(x);
  x = L::Dropout(0.1)(x);
  x = L::Dense(20, {.activation = "relu"})(x);
  x = L::Dropout(0.1)(x);
  auto outputs = L::Dense(2, {.activation = "softmax"})(x);
  return strata::Model(inputs, outputs);
}

}  // namespace transformer_sample
