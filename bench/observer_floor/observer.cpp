// A compiled dispatch observer, for measuring what observing every call
// costs without a Python dispatch mode (scripts/bench_observer_floor.py).
//
// A boxed fallback registered at DispatchKey::Fake, the key just below
// Python: with Fake included in the thread's dispatch keys, every call
// that passed autograd and ADInplaceOrView reaches it, the calls the
// capture's TorchDispatchMode sees at the Python key. It writes what a
// recorder needs of each call into a buffer (the operator's name; each
// tensor argument's and result's sizes, strides, dtype, storage and
// TensorImpl addresses, version and requires_grad; ints and floats), then
// runs the call with Fake excluded (calls made inside a kernel are not
// observed, as under a dispatch mode). Not a capture: nothing is written to
// a file and no identity is kept.

#include <torch/extension.h>

#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/impl/LocalDispatchKeySet.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace {

std::vector<char> buffer;
int64_t calls = 0;
// Calls by operator (`aten::add.Tensor`), kept only while counting.
bool counting = false;
std::map<std::string, int64_t> by_operator;

void put(const void* data, size_t n) {
  const char* bytes = static_cast<const char*>(data);
  buffer.insert(buffer.end(), bytes, bytes + n);
}

void put_i64(int64_t v) { put(&v, sizeof v); }

void record(const c10::IValue& value) {
  if (value.isTensor()) {
    const at::Tensor& t = value.toTensor();
    if (!t.defined()) {
      put_i64(-1);
      return;
    }
    if (t.is_nested()) {  // no sizes of its own
      put_i64(-2);
      return;
    }
    put_i64(t.dim());
    put(t.sizes().data(), sizeof(int64_t) * t.dim());
    if (t.layout() == c10::kStrided) {
      put(t.strides().data(), sizeof(int64_t) * t.dim());
    }
    put_i64(static_cast<int64_t>(t.scalar_type()));
    put_i64(t.has_storage() ? reinterpret_cast<intptr_t>(t.storage().unsafeGetStorageImpl()) : 0);
    put_i64(reinterpret_cast<intptr_t>(t.unsafeGetTensorImpl()));
    put_i64(t.is_inference() ? 0 : t._version());
    put_i64(t.requires_grad());
  } else if (value.isTensorList()) {
    for (const at::Tensor& t : value.toTensorList().vec()) {
      record(c10::IValue(t));
    }
  } else if (value.isInt()) {
    put_i64(value.toInt());
  } else if (value.isDouble()) {
    double d = value.toDouble();
    put(&d, sizeof d);
  }
}

void observe(const c10::OperatorHandle& op, torch::jit::Stack* stack) {
  const auto& name = op.operator_name();
  put(name.name.data(), name.name.size());
  put(name.overload_name.data(), name.overload_name.size());
  const size_t args = op.schema().arguments().size();
  for (size_t i = stack->size() - args; i < stack->size(); ++i) {
    record((*stack)[i]);
  }
  {
    c10::impl::ExcludeDispatchKeyGuard below(c10::DispatchKey::Fake);
    op.callBoxed(stack);
  }
  const size_t returns = op.schema().returns().size();
  for (size_t i = stack->size() - returns; i < stack->size(); ++i) {
    record((*stack)[i]);
  }
  ++calls;
  if (counting) {
    std::string key(name.name);
    if (!name.overload_name.empty()) {
      key += "." + name.overload_name;
    }
    ++by_operator[key];
  }
  if (buffer.size() > (1u << 20)) {
    buffer.clear();
  }
}

void enable(bool on) {
  c10::impl::tls_set_dispatch_key_included(c10::DispatchKey::Fake, on);
}

int64_t observed_calls() { return calls; }

void count_operators(bool on) {
  counting = on;
  by_operator.clear();
}

std::map<std::string, int64_t> operator_counts() { return by_operator; }

}  // namespace

TORCH_LIBRARY_IMPL(_, Fake, m) {
  m.fallback(torch::CppFunction::makeFromBoxedFunction<&observe>());
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("enable", &enable, "observe the calls of this thread (or stop)");
  m.def("observed_calls", &observed_calls, "calls observed so far");
  m.def("count_operators", &count_operators, "count calls by operator from now (or stop); clears the counts");
  m.def("operator_counts", &operator_counts, "calls by operator since counting started");
}
