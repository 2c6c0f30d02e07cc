#include "ml/context.h"

#include <unordered_map>
#include <utility>

#include "util/check.h"

namespace corral {

TensorNode* Context::new_node(DType dtype, const Shape& shape) {
  TensorNode& n = nodes_.emplace_back();
  n.dtype = dtype;
  n.shape = shape;
  n.strides = contiguous_strides(dtype, shape);
  n.id = static_cast<int>(nodes_.size() - 1);
  return &n;
}

Tensor Context::input(DType dtype, const Shape& shape, std::string_view name) {
  TensorNode* n = new_node(dtype, shape);
  n->flags = kTensorInput;
  n->name = name;
  return Tensor(n);
}

Tensor Context::external(DType dtype, const Shape& shape, void* data, std::string_view name) {
  CORRAL_CHECK(data != nullptr || shape.numel() == 0, "external tensor '%.*s' without data",
               static_cast<int>(name.size()), name.data());
  TensorNode* n = new_node(dtype, shape);
  n->flags = kTensorExternal;
  n->data = static_cast<std::byte*>(data);
  n->name = name;
  return Tensor(n);
}

void Context::bind(Tensor t, void* data) {
  CORRAL_CHECK(t.valid() && t.node()->is_leaf(), "bind: only leaves can be bound");
  t.node()->data = static_cast<std::byte*>(data);
  t.node()->flags |= kTensorExternal;
}

Tensor Context::name(Tensor t, std::string_view name, int layer) {
  CORRAL_CHECK(t.valid(), "name: invalid tensor");
  t.node()->name = name;
  t.node()->layer = layer;
  return t;
}

Tensor Context::make_op(Op op, const OpParams& params, std::initializer_list<Tensor> sources) {
  CORRAL_CHECK(sources.size() <= kMaxSources, "op %s: too many sources", std::string(op_name(op)).c_str());
  std::array<TensorNode*, kMaxSources> src{};
  size_t i = 0;
  for (const Tensor& t : sources) src[i++] = t.node();
  const OpSignature sig = infer_op(op, params, std::span<TensorNode* const>(src.data(), i));
  TensorNode* n = new_node(sig.dtype, sig.shape);
  n->op = op;
  n->params = params;
  n->src = src;
  n->n_src = static_cast<int>(i);
  return Tensor(n);
}

Tensor Context::make_view(Tensor source, const Shape& shape, const std::array<int64_t, kMaxDims>& strides,
                          size_t offset, Op op, const OpParams& params, std::initializer_list<Tensor> sources) {
  CORRAL_CHECK(source.valid(), "view of an invalid tensor");
  TensorNode* s = source.node();
  TensorNode* root = s->is_view() ? s->view_src : s;
  const size_t base = s->is_view() ? s->view_offset : 0;
  TensorNode* n = new_node(s->dtype, shape);
  n->strides = strides;
  n->op = op;
  n->params = params;
  n->view_src = root;
  n->view_offset = base + offset;
  if (op == Op::kView) {
    n->src[0] = s;
    n->n_src = 1;
  } else {
    std::array<TensorNode*, kMaxSources> src{};
    size_t i = 0;
    for (const Tensor& t : sources) src[i++] = t.node();
    const OpSignature sig = infer_op(op, params, std::span<TensorNode* const>(src.data(), i));
    CORRAL_CHECK(sig.shape == shape && sig.dtype == s->dtype, "in-place op %s changes its target",
                 std::string(op_name(op)).c_str());
    n->src = src;
    n->n_src = static_cast<int>(i);
  }
  // The view must lie inside its root's storage.
  CORRAL_CHECK(n->view_offset + span_bytes(*n) <= span_bytes(*root), "view %s at offset %zu runs past its source %s",
               shape.to_string().c_str(), n->view_offset, describe(*root).c_str());
  if (root->data != nullptr) n->data = root->data + n->view_offset;
  return Tensor(n);
}

Graph Context::build(std::span<const Tensor> outputs) const {
  Graph g;
  std::unordered_map<const TensorNode*, int> index;  // >= 0 node, < 0 leaf
  index.reserve(nodes_.size() * 2 + 16);
  struct Frame {
    TensorNode* node;
    int next_src;
  };
  std::vector<Frame> stack;
  for (const Tensor& out : outputs) {
    CORRAL_CHECK(out.valid(), "build: invalid output tensor");
    g.outputs.push_back(out.node());
    if (index.count(out.node())) continue;
    stack.push_back({out.node(), 0});
    while (!stack.empty()) {
      Frame& f = stack.back();
      TensorNode* n = f.node;
      if (n->is_leaf()) {
        index[n] = -1 - static_cast<int>(g.leaves.size());
        g.leaves.push_back(n);
        stack.pop_back();
        continue;
      }
      if (f.next_src < n->n_src) {
        TensorNode* s = n->src[static_cast<size_t>(f.next_src++)];
        if (s != nullptr && !index.count(s)) stack.push_back({s, 0});
        continue;
      }
      std::array<int, kMaxSources> src_index;
      src_index.fill(Graph::kNoSource);
      for (int i = 0; i < n->n_src; ++i) {
        if (n->src[static_cast<size_t>(i)] != nullptr) src_index[static_cast<size_t>(i)] = index.at(n->src[static_cast<size_t>(i)]);
      }
      index[n] = static_cast<int>(g.nodes.size());
      g.nodes.push_back(n);
      g.sources.push_back(src_index);
      stack.pop_back();
    }
  }
  return g;
}

}  // namespace corral
