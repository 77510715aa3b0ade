// `moir codegen`: a model compiled into one C++17 header (docs/embedded.md). The model is planned
// as `moir run --threads 1` plans it (runtime/plan.hpp: constant folding, the same fast kernels
// and fusions, the memory planner's arena), and each step of that plan is written out as a direct
// call to its statically chosen kernel (kernels/simd/) or its loop (codegen/support.hpp), with the
// shapes as constants and the weights already packed for those kernels as alignas(64) arrays (or
// in a .bin the header embeds, --weights). The header's run() allocates nothing: activations and
// scratch live in one caller-provided arena of arena_bytes. Steps the generator cannot write (the
// reference family, INT8, dynamic shapes, control flow) are all listed in one error, and no header
// is written (the output goes to a temporary file renamed at the end).

#include "cli.hpp"

#include <moir/ops/slice.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/runtime/plan.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>  // sort
#include <cctype>     // isalnum, isdigit
#include <cmath>      // isinf, isnan
#include <cstdio>     // snprintf
#include <cstring>    // memcpy
#include <fstream>    // ofstream
#include <iostream>   // cout
#include <map>        // map
#include <memory>     // make_shared
#include <set>        // set
#include <sstream>    // ostringstream
#include <string>     // string
#include <vector>     // vector

namespace moir::cli {

namespace {

namespace st = runtime::steps;
namespace simd = kernels::simd;

struct codegen_args {
    std::string model_path, output, name, ns = "moir_models", arch = "avx2", weights;
    std::string shapes;
    bool extern_c = false;
};

int run_codegen(const codegen_args& a, const frontends::frontend_registry& registry);

}  // namespace

command add_codegen(CLI::App& app, const frontends::frontend_registry& registry) {
    auto args = std::make_shared<codegen_args>();
    codegen_args& a = *args;
    auto* c = app.add_subcommand("codegen",
                                 "Compile a model into a C++17 header: static kernels, packed weights, one arena, "
                                 "no heap at inference (docs/embedded.md)");
    c->add_option("--model,-m", a.model_path, "The model (.xml, or a framework file)")->required();
    c->add_option("--output,-o", a.output, "The header to write (e.g. net.hpp)")->required();
    c->add_option("--name", a.name, "The model's C++ name (default: the model file's stem)");
    c->add_option("--namespace", a.ns, "The namespace around it (default moir_models; a::b nests)");
    c->add_option("--arch", a.arch,
                  "The kernels' instruction set: avx512, avx2 (default) or generic (scalar); the header must be "
                  "compiled with its flags (-mavx2 -mfma; -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma)");
    c->add_option("--weights", a.weights,
                  "Write the packed weights to this .bin, embedded by the header with .incbin (large models "
                  "compile much faster) instead of as arrays in the header");
    c->add_option("--input_shape", a.shapes,
                  "Static shapes for the inputs, in order: [1,3,48,192] or [1,3,48,192],[1,10] (as moir convert)");
    c->add_flag("--extern_c", a.extern_c,
                "Also define extern \"C\" entry points NS_NAME_run / NS_NAME_arena_bytes (include the header in "
                "one translation unit only)");
    return [args, &registry]() { return run_codegen(*args, registry); };
}

namespace {

/// A C++ identifier made of s: other characters become '_', a leading digit gets a '_' before it.
std::string identifier(const std::string& s) {
    std::string o;
    for (char ch : s) o += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    if (o.empty() || std::isdigit(static_cast<unsigned char>(o[0]))) o = "_" + o;
    return o;
}

/// A float as an exact C++ literal.
std::string flit(float v) {
    if (std::isnan(v)) return "std::numeric_limits<float>::quiet_NaN()";
    if (std::isinf(v)) return v < 0 ? "-std::numeric_limits<float>::infinity()" : "std::numeric_limits<float>::infinity()";
    char buf[48];
    std::snprintf(buf, sizeof buf, "%af", static_cast<double>(v));
    return buf;
}

std::string comment_text(const std::string& s) {
    std::string o;
    for (char ch : s) o += (ch == '\n' || ch == '\r') ? ' ' : ch;
    // no "*/" or trailing backslash can end a // comment early
    if (!o.empty() && o.back() == '\\') o += ' ';
    return o;
}

std::string c_string(const std::string& s) {
    std::string o = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') o += '\\', o += ch;
        else if (static_cast<unsigned char>(ch) < 0x20) o += '?';
        else o += ch;
    }
    return o + "\"";
}

const char* activation_name(simd::activation a) {
    switch (a) {
        case simd::activation::relu: return "relu";
        case simd::activation::clamp: return "clamp";
        case simd::activation::hswish: return "hswish";
        case simd::activation::hsigmoid: return "hsigmoid";
        case simd::activation::sigmoid: return "sigmoid";
        case simd::activation::swish: return "swish";
        case simd::activation::leaky: return "leaky";
        case simd::activation::scaled_hswish: return "scaled_hswish";
        case simd::activation::none: break;
    }
    return "none";
}

/// The unary and binary element-wise ops the generator writes, with their f32 formulas: exactly the
/// op's own apply (ops/<op>.hpp) as the eltwise step runs it (runtime/steps/eltwise.hpp).
template <class Op>
struct formula;
template <> struct formula<ops::relu> { static constexpr const char* f = "x < 0.0f ? 0.0f : x"; };
template <> struct formula<ops::hswish> {
    static constexpr const char* f = "x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f";
};
template <> struct formula<ops::hsigmoid> {
    static constexpr const char* f = "std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f";
};
template <> struct formula<ops::sigmoid> {
    static constexpr const char* f = "static_cast<float>(1 / (1 + std::exp(-static_cast<double>(x))))";
};
template <> struct formula<ops::tanh> { static constexpr const char* f = "static_cast<float>(std::tanh(static_cast<double>(x)))"; };
template <> struct formula<ops::sqrt> { static constexpr const char* f = "static_cast<float>(std::sqrt(static_cast<double>(x)))"; };
template <> struct formula<ops::exp> { static constexpr const char* f = "static_cast<float>(std::exp(static_cast<double>(x)))"; };
template <> struct formula<ops::log> { static constexpr const char* f = "static_cast<float>(std::log(static_cast<double>(x)))"; };
template <> struct formula<ops::abs> { static constexpr const char* f = "std::fabs(x)"; };
template <> struct formula<ops::floor> { static constexpr const char* f = "std::floor(x)"; };
template <> struct formula<ops::negative> { static constexpr const char* f = "-x"; };
template <> struct formula<ops::erf> { static constexpr const char* f = "static_cast<float>(std::erf(static_cast<double>(x)))"; };
template <> struct formula<ops::power> { static constexpr const char* f = "std::pow(a, b)"; };
template <> struct formula<ops::add> { static constexpr const char* f = "a + b"; };
template <> struct formula<ops::multiply> { static constexpr const char* f = "a * b"; };
template <> struct formula<ops::subtract> { static constexpr const char* f = "a - b"; };
template <> struct formula<ops::divide> { static constexpr const char* f = "a / b"; };
template <> struct formula<ops::maximum> { static constexpr const char* f = "a < b ? b : a"; };
template <> struct formula<ops::minimum> { static constexpr const char* f = "b < a ? b : a"; };
template <> struct formula<ops::prelu> { static constexpr const char* f = "a >= 0.0f ? a : b * a"; };
using codegen_unary = type_list<ops::relu, ops::hswish, ops::hsigmoid, ops::sigmoid, ops::tanh, ops::exp, ops::sqrt,
                                ops::log, ops::abs, ops::floor, ops::negative, ops::erf>;
using codegen_binary = type_list<ops::add, ops::multiply, ops::subtract, ops::divide, ops::maximum, ops::minimum,
                                 ops::prelu, ops::power>;

/// Writes one header from a compiled plan.
class emitter {
public:
    /// outputs: the plan's slot of each model output; blocking: the arch's GEMM blocking.
    emitter(const model& m, const runtime::plan& p, const codegen_args& a, std::vector<std::size_t> outputs,
            const simd::gemm_blocking& blocking)
        : m_(m), p_(p), a_(a), outputs_(std::move(outputs)), blocking_(blocking) {}

    /// The header's text. ensures: throws moir::unsupported_error listing every step it cannot write.
    std::string header(const std::string& guard, const std::string& name) {
        const auto& slots = p_.slots();
        // arena: the plan's activations, then one worker's scratch
        std::size_t scratch_floats = 0;
        for (const auto& s : p_.steps()) scratch_floats = std::max(scratch_floats, runtime::align_up(s->scratch_floats, 16));
        activation_bytes_ = runtime::align_up(p_.arena_bytes(), 64);
        arena_bytes_ = activation_bytes_ + runtime::align_up(scratch_floats * sizeof(float) + 64, 64);
        for (std::size_t i = 0; i < p_.steps().size(); ++i) step(i, *p_.steps()[i]);
        // inputs and outputs: f32
        for (std::size_t i = 0; i < m_.parameters.size(); ++i) {
            const element_type t = m_.at(m_.parameters[i]).attrs_as<ops::parameter>().element_type;
            if (t != element_type::f32)
                fail("input '" + m_.input_name(i) + "' is " + std::string(ir_name(t)), "the generated API takes f32");
        }
        for (std::size_t o = 0; o < m_.results.size(); ++o) {
            const element_type t = slots[output_slot(o)].type;
            if (t != element_type::f32)
                fail("output '" + m_.output_name(o) + "' is " + std::string(ir_name(t)), "the generated API gives f32");
        }
        check_unsupported();
        std::ostringstream h;
        h << "// " << comment_text(name) << ": generated by `moir codegen` from " << comment_text(a_.model_path)
          << " (arch " << a_.arch << "). Do not edit.\n"
          << "// " << p_.steps().size() << " plan steps as direct kernel calls; weights packed for " << arch_tag()
          << " (" << weight_bytes_ << " bytes); activations and scratch in one arena of arena_bytes (" << arena_bytes_
          << " bytes).\n"
          << "// Compile with the arch's flags (" << arch_flags() << "); see docs/embedded.md.\n"
          << "#ifndef " << guard << "\n#define " << guard << "\n\n";
        h << "#include <moir/codegen/support.hpp>\n#include <moir/core/denormals.hpp>\n#include <moir/kernels/simd/gemm.hpp>\n";
        for (const auto& inc : includes_) h << "#include <" << inc << ">\n";
        h << "\n#include <algorithm>  // min, max (element-wise formulas)\n"
          << "#include <cmath>      // exp, tanh (element-wise formulas)\n"
          << "#include <cstddef>    // byte, size_t\n"
          << "#include <cstdint>    // int32_t, int64_t\n"
          << "#include <cstring>    // memcpy\n"
          << "#include <limits>     // numeric_limits\n\n";
        if (!a_.weights.empty()) h << blob_decl_;
        h << "namespace " << a_.ns << " {\nnamespace " << name << " {\n\n";
        h << "/// The instruction set of the kernels (the translation unit must be compiled with its flags).\n"
          << "using arch = " << arch_tag() << ";\n"
          << "static_assert(arch::supported(), \"" << name << ": compile with " << arch_flags() << "\");\n";
        if (!int8_arch_.empty())
            h << "/// The instruction set of the INT8 kernels (as `moir run` chose them for this arch).\n"
              << "using int8_arch = moir::arch::" << int8_arch_ << ";\n"
              << "static_assert(int8_arch::supported(), \"" << name << ": compile with the flags of " << int8_arch_ << "\");\n";
        h << "\n";
        // shapes
        auto dims_of = [](const shape& d) {
            std::string s;
            for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
            return s.empty() ? std::string("1") : s;
        };
        h << "inline constexpr std::size_t input_count = " << m_.parameters.size() << ";\n"
          << "inline constexpr std::size_t output_count = " << m_.results.size() << ";\n";
        for (std::size_t i = 0; i < m_.parameters.size(); ++i) {
            const shape& d = p_.input_shapes()[i];
            h << "/// Input " << i << " '" << comment_text(m_.input_name(i)) << "': f32[" << to_string(d) << "].\n"
              << "inline constexpr const char* input" << i << "_name = " << c_string(m_.input_name(i)) << ";\n"
              << "inline constexpr std::int64_t input" << i << "_shape[] = {" << dims_of(d) << "};\n"
              << "inline constexpr std::size_t input" << i << "_size = " << numel(d) << ";\n";
        }
        for (std::size_t o = 0; o < m_.results.size(); ++o) {
            const shape& d = slots[output_slot(o)].dims;
            h << "/// Output " << o << " '" << comment_text(m_.output_name(o)) << "': f32[" << to_string(d) << "].\n"
              << "inline constexpr const char* output" << o << "_name = " << c_string(m_.output_name(o)) << ";\n"
              << "inline constexpr std::int64_t output" << o << "_shape[] = {" << dims_of(d) << "};\n"
              << "inline constexpr std::size_t output" << o << "_size = " << numel(d) << ";\n";
        }
        h << "inline constexpr std::size_t input_sizes[] = {";
        for (std::size_t i = 0; i < m_.parameters.size(); ++i) h << (i ? ", " : "") << numel(p_.input_shapes()[i]);
        h << "};\ninline constexpr std::size_t output_sizes[] = {";
        for (std::size_t o = 0; o < m_.results.size(); ++o) h << (o ? ", " : "") << numel(slots[output_slot(o)].dims);
        h << "};\ninline constexpr const char* input_names[] = {";
        for (std::size_t i = 0; i < m_.parameters.size(); ++i) h << (i ? ", " : "") << c_string(m_.input_name(i));
        h << "};\ninline constexpr const char* output_names[] = {";
        for (std::size_t o = 0; o < m_.results.size(); ++o) h << (o ? ", " : "") << c_string(m_.output_name(o));
        h << "};\n\n"
          << "/// Bytes of the arena run() works in (activations, as moir's memory planner placed them, then scratch);\n"
          << "/// it must be 64-byte aligned.\n"
          << "inline constexpr std::size_t arena_bytes = " << arena_bytes_ << ";\n"
          << "/// Bytes of packed weights (constant data).\n"
          << "inline constexpr std::size_t weight_bytes = " << weight_bytes_ << ";\n\n";
        h << "namespace data {\n" << data_.str() << "}  // namespace data\n\n";
        h << "/// Runs the model: inputs[i] holds input_sizes[i] floats (row-major), outputs[o] receives\n"
          << "/// output_sizes[o] floats; arena: arena_bytes bytes, 64-byte aligned, owned by the caller (its\n"
          << "/// contents need not survive between calls). Allocates nothing; not reentrant on one arena.\n"
          << "/// Denormal floats are flushed to zero during the call, as moir's plans do (moir/core/denormals.hpp;\n"
          << "/// the calling thread's setting is restored before it returns).\n"
          << "inline void run(const float* const* inputs, float* const* outputs, void* arena) noexcept {\n"
          << "    const moir::denormals::scope flush_denormals;\n"
          << "    namespace k = moir::kernels::simd;\n"
          << "    namespace cg = moir::codegen;\n"
          << "    constexpr k::gemm_blocking bl = k::blocking_of<arch>();\n"
          << "    static_assert(bl.mr == " << blocking_.mr << " && bl.nv == " << blocking_.nv << " && bl.kc == "
          << blocking_.kc << ", \"the moir headers pack differently from the moir that generated this file\");\n"
          << "    std::byte* const a = static_cast<std::byte*>(arena);\n"
          << "    float* const scratch = reinterpret_cast<float*>(a + " << activation_bytes_ << ");\n"
          << "    (void)bl, (void)scratch, (void)inputs;\n";
        for (const auto& c : int8_checks_) h << c;
        h << body_.str();
        for (std::size_t o = 0; o < m_.results.size(); ++o) {
            const std::size_t s = output_slot(o);
            h << "    std::memcpy(outputs[" << o << "], " << ptr(s, false) << ", " << slots[s].bytes << ");\n";
        }
        h << "}\n\n"
          << "/// run() on a static arena of this header (one per program; not thread-safe).\n"
          << "inline void run(const float* const* inputs, float* const* outputs) noexcept {\n"
          << "    alignas(64) static std::byte arena[arena_bytes];\n"
          << "    run(inputs, outputs, arena);\n"
          << "}\n\n"
          << "}  // namespace " << name << "\n}  // namespace " << a_.ns << "\n\n";
        if (a_.extern_c) {
            const std::string c = identifier(a_.ns + "_" + name);
            h << "/// C entry points (C callers declare: void " << c
              << "_run(const float* const*, float* const*, void*); size_t " << c << "_arena_bytes(void);).\n"
              << "extern \"C\" void " << c << "_run(const float* const* inputs, float* const* outputs, void* arena) {\n"
              << "    " << a_.ns << "::" << name << "::run(inputs, outputs, arena);\n}\n"
              << "extern \"C\" std::size_t " << c << "_arena_bytes(void) { return " << a_.ns << "::" << name
              << "::arena_bytes; }\n\n";
        }
        h << "#endif  // " << guard << "\n";
        return h.str();
    }

    /// The weights blob (--weights), 64-byte aligned pieces.
    const std::string& blob() const { return blob_; }
    void set_blob_symbol(const std::string& sym, const std::string& path, const std::string& macro) {
        blob_sym_ = sym;
        std::ostringstream d;
        d << "// The packed weights: " << comment_text(path) << ", embedded at compile time (ELF, GNU as). Define\n"
          << "// " << macro << " to its path to move it (the path is relative to the compiler's working directory).\n"
          << "#ifndef " << macro << "\n#define " << macro << " " << c_string(path) << "\n#endif\n"
          << "__asm__(\".section .rodata." << sym << ",\\\"aG\\\",@progbits," << sym << ",comdat\\n\"\n"
          << "        \".balign 64\\n.weak " << sym << "\\n" << sym << ":\\n.incbin \\\"\" " << macro
          << " \"\\\"\\n.previous\\n\");\n"
          << "extern \"C\" const unsigned char " << sym << "[];\n\n";
        blob_decl_ = d.str();
    }
    std::size_t weight_bytes() const { return weight_bytes_; }
    std::size_t arena_bytes() const { return arena_bytes_; }

private:
    const model& m_;
    const runtime::plan& p_;
    const codegen_args& a_;
    std::vector<std::size_t> outputs_;
    simd::gemm_blocking blocking_;
    std::ostringstream data_, body_;
    std::set<std::string> includes_;
    std::map<std::string, std::size_t> unsupported_;  // "Op (kernel): reason" -> count
    std::vector<std::string> unsupported_order_;
    std::map<std::size_t, std::string> constants_;  // slot -> array name
    std::size_t next_ = 0, weight_bytes_ = 0, arena_bytes_ = 0, activation_bytes_ = 0;
    std::string blob_, blob_sym_, blob_decl_;
    const simd::int8_kernel_table* t8_ = nullptr;  // the INT8 table of the plan's INT8 steps
    std::string int8_arch_;                // the INT8 kernels' arch tag ("avx2"), once an INT8 step is written
    std::set<std::string> int8_checks_;    // static_asserts on the INT8 blockings the weights were packed with

    std::string arch_tag() const {
        return a_.arch == "generic" ? "moir::arch::reference" : "moir::arch::" + a_.arch;
    }
    std::string arch_flags() const {
        if (a_.arch == "avx512") return "-mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma";
        if (a_.arch == "avx2") return "-mavx2 -mfma";
        return "no flags";
    }

    void fail(const std::string& what, const std::string& why) {
        const std::string key = what + ": " + why;
        if (!unsupported_.count(key)) unsupported_order_.push_back(key);
        ++unsupported_[key];
    }
    void check_unsupported() const {
        if (unsupported_.empty()) return;
        std::string msg = a_.model_path + ": moir codegen cannot specialize " + std::to_string(unsupported_.size()) +
                          (unsupported_.size() == 1 ? " kind of step" : " kinds of steps") + ":";
        for (const auto& k : unsupported_order_) {
            const std::size_t n = unsupported_.at(k);
            msg += "\n  " + k + " (" + std::to_string(n) + (n == 1 ? " node)" : " nodes)");
        }
        throw unsupported_error(msg);
    }

    std::size_t output_slot(std::size_t o) const { return outputs_.at(o); }

    std::string name() { return std::to_string(next_++); }

    /// An f32 array of the data section; returns the expression of its address.
    std::string floats(const float* v, std::size_t n, std::size_t slack, const std::string& what) {
        const std::string id = "w" + name();
        const std::size_t total = n + slack;
        weight_bytes_ += total * sizeof(float);
        if (!a_.weights.empty()) {
            while (blob_.size() % 64) blob_.push_back('\0');
            const std::size_t off = blob_.size();
            blob_.append(reinterpret_cast<const char*>(v), n * sizeof(float));
            blob_.append(slack * sizeof(float), '\0');
            data_ << "// " << comment_text(what) << ": " << total << " floats at byte " << off << " of the weights\n"
                  << "inline const float* const " << id << " = reinterpret_cast<const float*>(" << blob_sym_ << " + "
                  << off << ");\n";
            return "data::" + id;
        }
        data_ << "// " << comment_text(what) << "\nalignas(64) inline const float " << id << "[" << total << "] = {";
        for (std::size_t i = 0; i < n; ++i) data_ << (i % 8 ? " " : "\n    ") << flit(v[i]) << ",";
        data_ << "\n};\n";
        return "data::" + id;
    }
    std::string ints(const std::int32_t* v, std::size_t n, const std::string& what) {
        const std::string id = "i" + name();
        weight_bytes_ += n * sizeof(std::int32_t);
        if (!a_.weights.empty()) {
            while (blob_.size() % 64) blob_.push_back('\0');
            const std::size_t off = blob_.size();
            blob_.append(reinterpret_cast<const char*>(v), n * sizeof(std::int32_t));
            data_ << "// " << comment_text(what) << "\ninline const std::int32_t* const " << id
                  << " = reinterpret_cast<const std::int32_t*>(" << blob_sym_ << " + " << off << ");\n";
            return "data::" + id;
        }
        data_ << "// " << comment_text(what) << "\nalignas(64) inline const std::int32_t " << id << "[" << n << "] = {";
        for (std::size_t i = 0; i < n; ++i) data_ << (i % 16 ? " " : "\n    ") << v[i] << ",";
        data_ << "\n};\n";
        return "data::" + id;
    }
    /// n values of the integer type T (spelled ctype) and `slack` zeros after them in the data section
    /// (or the blob), 64-byte aligned; returns the expression of its address.
    template <class T>
    std::string array(const T* v, std::size_t n, std::size_t slack, const char* ctype, const std::string& what) {
        const std::string id = "a" + name();
        const std::size_t total = n + slack;
        weight_bytes_ += total * sizeof(T);
        if (!a_.weights.empty()) {
            while (blob_.size() % 64) blob_.push_back('\0');
            const std::size_t off = blob_.size();
            blob_.append(reinterpret_cast<const char*>(v), n * sizeof(T));
            blob_.append(slack * sizeof(T), '\0');
            data_ << "// " << comment_text(what) << "\ninline const " << ctype << "* const " << id << " = reinterpret_cast<const "
                  << ctype << "*>(" << blob_sym_ << " + " << off << ");\n";
            return "data::" + id;
        }
        data_ << "// " << comment_text(what) << "\nalignas(64) inline const " << ctype << " " << id << "[" << total << "] = {";
        for (std::size_t i = 0; i < n; ++i) data_ << (i % 16 ? " " : "\n    ") << +v[i] << ",";
        data_ << "\n};\n";
        return "data::" + id;
    }
    template <class T>
    std::string sizes(const std::vector<T>& v) {
        std::ostringstream o;
        o << "{";
        for (std::size_t i = 0; i < v.size(); ++i) o << (i ? ", " : "") << v[i];
        o << "}";
        return o.str();
    }

    /// The expression of slot s's address (float*, or const float* when !writable).
    std::string ptr(std::size_t s, bool writable, const char* type = "float") {
        const runtime::slot& sl = p_.slots()[s];
        const std::string cst = std::string(writable ? "" : "const ") + type;
        switch (sl.where) {
            case runtime::slot::kind::input:
                return std::string(type) == "float" ? "inputs[" + std::to_string(sl.input) + "]"
                                                    : "reinterpret_cast<" + cst + "*>(inputs[" + std::to_string(sl.input) + "])";
            case runtime::slot::kind::constant: {
                auto it = constants_.find(s);
                if (it == constants_.end()) {
                    const tensor f = sl.value.type() == element_type::f32 ? sl.value : tensor();
                    std::string id;
                    if (sl.value.type() == element_type::f32) {
                        id = floats(f.data<float>(), f.numel(), 16, "constant operand");
                    } else {
                        fail("a constant of type " + std::string(ir_name(sl.value.type())), "read by a step (only f32)");
                        id = "nullptr";
                    }
                    it = constants_.emplace(s, id).first;
                }
                return std::string(type) == "float" ? it->second : "reinterpret_cast<" + cst + "*>(" + it->second + ")";
            }
            case runtime::slot::kind::arena: break;
        }
        return "reinterpret_cast<" + cst + "*>(a + " + std::to_string(sl.offset) + ")";
    }

    /// The kernels' static activation tag of e (only that activation's code is compiled).
    static std::string tag(const simd::epilogue& e) { return std::string("k::act::") + activation_name(e.act); }

    /// The declaration of k::epilogue `v` (default ep) holding e, with these bias expressions.
    std::string epilogue(const simd::epilogue& e, const std::string& bias, const std::string& col_bias,
                         const std::string& v = "ep") {
        std::ostringstream o;
        o << "k::epilogue " << v << ";\n"
          << "        " << v << ".act = k::activation::" << activation_name(e.act) << ";\n";
        if (!bias.empty()) o << "        " << v << ".bias = " << bias << ";\n";
        if (!col_bias.empty()) o << "        " << v << ".col_bias = " << col_bias << ";\n";
        if (e.lo != 0.0f || e.hi != 0.0f) o << "        " << v << ".lo = " << flit(e.lo) << ", " << v << ".hi = " << flit(e.hi) << ";\n";
        if (e.act_scale != 1.0f || e.act_shift != 0.0f)
            o << "        " << v << ".act_scale = " << flit(e.act_scale) << ", " << v << ".act_shift = " << flit(e.act_shift)
              << ";\n";
        if (e.post_affine)
            o << "        " << v << ".post_affine = true, " << v << ".post_scale = " << flit(e.post_scale) << ", " << v
              << ".post_shift = " << flit(e.post_shift) << ";\n";
        return o.str();
    }
    /// "ep.<field> = <slopes>;" (field: slope or col_slope) when f's PRelu has a slope per channel, else "".
    std::string slopes_of(const st::fused_epilogue& f, const char* field, const std::string& what) {
        return f.slope.empty() ? std::string()
                               : "        ep." + std::string(field) + " = " +
                                     floats(f.slope.data(), f.slope.size(), 16, what + " PRelu slopes") + ";\n";
    }
    std::string bias_of(const st::fused_epilogue& f, const std::string& what) {
        return f.bias.empty() ? std::string() : floats(f.bias.data(), f.bias.size(), 16, what + " bias");
    }
    std::string geometry(const simd::conv_geometry& g) {
        std::ostringstream o;
        o << "k::conv_geometry g;\n"
          << "        g.groups = " << g.groups << ", g.in_c = " << g.in_c << ", g.out_c = " << g.out_c << ";\n"
          << "        g.in_h = " << g.in_h << ", g.in_w = " << g.in_w << ", g.out_h = " << g.out_h << ", g.out_w = " << g.out_w
          << ";\n"
          << "        g.kh = " << g.kh << ", g.kw = " << g.kw << ", g.sh = " << g.sh << ", g.sw = " << g.sw << ", g.dh = " << g.dh
          << ", g.dw = " << g.dw << ", g.pt = " << g.pt << ", g.pl = " << g.pl << ";\n";
        return o.str();
    }

    void step(std::size_t i, const runtime::step& s) {
        const std::string label = "'" + s.name + "' (" + s.ops + ")";
        body_ << "    // step " << i << ": " << comment_text(s.ops) << " '" << comment_text(s.name) << "' on " << s.kernel
              << "\n";
        if (dynamic_cast<const st::view_step*>(&s)) {
            body_ << "    // (a view of its input: nothing to run)\n";
            return;
        }
        if (auto* c = dynamic_cast<const st::conv_step*>(&s)) return conv(*c, label);
        if (auto* d = dynamic_cast<const st::depthwise_step*>(&s)) return depthwise(*d, label);
        if (auto* mm = dynamic_cast<const st::matmul_step*>(&s)) return matmul(*mm, label);
        if (auto* cl = dynamic_cast<const st::constant_left_matmul_step*>(&s)) return constant_left(*cl, label);
        if (auto* sm = dynamic_cast<const st::softmax_step*>(&s)) {
            includes_.insert("moir/kernels/simd/softmax.hpp");
            if (sm->inner == 1) {
                body_ << "    k::softmax_rows<arch>(" << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true) << ", "
                      << sm->outer << ", " << sm->len << ");\n";
                return;
            }
            const std::size_t plane = sm->len * sm->inner;
            body_ << "    for (std::size_t o = 0; o < " << sm->outer << "; ++o)\n"
                  << "        k::softmax_columns<arch>(" << ptr(s.reads[0], false) << " + o * " << plane << ", "
                  << ptr(s.writes[0], true) << " + o * " << plane << ", " << sm->len << ", " << sm->inner << ", 0, "
                  << sm->inner << ");\n";
            return;
        }
        if (auto* mv = dynamic_cast<const st::mvn_step*>(&s)) {
            includes_.insert("moir/kernels/simd/normalization.hpp");
            const auto& p = mv->params;
            body_ << "    {\n        k::mvn_params mp;\n"
                  << "        mp.normalize_variance = " << (p.normalize_variance ? "true" : "false")
                  << ", mp.eps_inside_sqrt = " << (p.eps_inside_sqrt ? "true" : "false") << ", mp.eps = " << flit(p.eps)
                  << ";\n";
            if (!mv->gamma.empty()) body_ << "        mp.gamma = " << floats(mv->gamma.data(), mv->gamma.size(), 0, label + " scale") << ";\n";
            if (!mv->beta.empty()) body_ << "        mp.beta = " << floats(mv->beta.data(), mv->beta.size(), 0, label + " shift") << ";\n";
            if (mv->inner == 1) {
                body_ << "        k::mvn_rows<arch>(" << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true) << ", "
                      << mv->outer << ", " << mv->len << ", mp);\n    }\n";
            } else {
                const std::size_t plane = mv->len * mv->inner;
                body_ << "        for (std::size_t o = 0; o < " << mv->outer << "; ++o)\n"
                      << "            k::mvn_columns<arch>(" << ptr(s.reads[0], false) << " + o * " << plane << ", "
                      << ptr(s.writes[0], true) << " + o * " << plane << ", " << mv->len << ", " << mv->inner << ", 0, "
                      << mv->inner << ", mp);\n    }\n";
            }
            return;
        }
        if (auto* pl = dynamic_cast<const st::pool_step*>(&s)) {
            body_ << "    {\n        constexpr cg::pool_geometry pg{" << pl->planes << ", " << pl->ih << ", " << pl->iw << ", "
                  << pl->oh << ", " << pl->ow << ", " << pl->kh << ", " << pl->kw << ", " << pl->sh << ", " << pl->sw << ", "
                  << pl->pt << ", " << pl->pl << ", " << pl->pb << ", " << pl->pr << "};\n"
                  << "        cg::pool<arch>(pg, " << (pl->is_max ? "true" : "false") << ", " << (pl->exclude_pad ? "true" : "false")
                  << ", " << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true) << ");\n    }\n";
            return;
        }
        if (auto* pn = dynamic_cast<const st::pool_nhwc_step*>(&s)) {
            const auto& g = pn->g;
            body_ << "    {\n        constexpr cg::pool_geometry pg{0, " << g.ih << ", " << g.iw << ", " << g.oh << ", " << g.ow << ", "
                  << g.kh << ", " << g.kw << ", " << g.sh << ", " << g.sw << ", " << g.pt << ", " << g.pl << ", " << g.pb << ", "
                  << g.pr << "};\n"
                  << "        cg::max_pool_nhwc<arch>(pg, " << pn->batch << ", " << pn->channels << ", " << ptr(s.reads[0], false)
                  << ", " << ptr(s.writes[0], true) << ");\n    }\n";
            return;
        }
        if (auto* gm = dynamic_cast<const st::global_mean_step*>(&s)) {
            body_ << "    cg::global_mean(" << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true) << ", " << gm->planes
                  << ", " << gm->size << ");\n";
            return;
        }
        if (auto* ac = dynamic_cast<const st::affine_clamp_step*>(&s)) {
            if (ac->affine)
                body_ << "    cg::hard_sigmoid(" << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true) << ", " << ac->n
                      << ", " << flit(ac->alpha) << ", " << flit(ac->beta) << ");\n";
            else
                body_ << "    cg::clamp(" << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true) << ", " << ac->n << ", "
                      << flit(ac->lo) << ", " << flit(ac->hi) << ");\n";
            return;
        }
        if (auto* us = dynamic_cast<const st::unary_simd_step*>(&s)) {
            includes_.insert("moir/kernels/simd/unary.hpp");
            static constexpr const char* fns[] = {"sigmoid", "tanh", "erf", "exp", "log", "sqrt", "gelu_erf", "gelu_tanh"};
            body_ << "    k::unary_map<arch>(k::unary_fn::" << fns[static_cast<int>(us->fn)] << ", " << ptr(s.reads[0], false) << ", "
                  << ptr(s.writes[0], true) << ", " << us->n << ");\n";
            return;
        }
        bool done = false;
        for_each_type(codegen_unary{}, [&](auto tag) {
            using Op = typename decltype(tag)::type;
            auto* u = dynamic_cast<const st::unary_step<Op>*>(&s);
            if (done || !u) return;
            done = true;
            body_ << "    cg::unary(" << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true) << ", " << u->n
                  << ", [](float x) { return " << formula<Op>::f << "; });\n";
        });
        for_each_type(codegen_binary{}, [&](auto tag) {
            using Op = typename decltype(tag)::type;
            auto* b = dynamic_cast<const st::binary_step<Op>*>(&s);
            if (done || !b) return;
            done = true;
            const std::string big = ptr(s.reads[b->swapped ? 1 : 0], false), small = ptr(s.reads[b->swapped ? 0 : 1], false);
            if (b->square) {
                body_ << "    cg::unary(" << big << ", " << ptr(s.writes[0], true) << ", " << b->n
                      << ", [](float x) { return x * x; });\n";
                return;
            }
            body_ << "    cg::binary(" << big << ", " << small << ", " << ptr(s.writes[0], true) << ", " << b->n << ", "
                  << b->inner << ", " << b->period << ", " << (b->swapped ? "true" : "false")
                  << ", [](float a, float b) { return " << formula<Op>::f << "; });\n";
        });
        if (done) return;
        if (auto* r = dynamic_cast<const st::reduce_step<ops::reduce_mean>*>(&s)) return reduce(s, r->rows, r->len, "sum", "true");
        if (auto* r = dynamic_cast<const st::reduce_step<ops::reduce_sum>*>(&s)) return reduce(s, r->rows, r->len, "sum", "false");
        if (auto* r = dynamic_cast<const st::reduce_step<ops::reduce_max>*>(&s)) return reduce(s, r->rows, r->len, "max", "true");
        if (auto* r = dynamic_cast<const st::reduce_step<ops::reduce_min>*>(&s)) return reduce(s, r->rows, r->len, "max", "false");
        if (auto* r = dynamic_cast<const st::reduce_middle_step<ops::reduce_mean>*>(&s)) return columns(s, *r, "sum", "true");
        if (auto* r = dynamic_cast<const st::reduce_middle_step<ops::reduce_sum>*>(&s)) return columns(s, *r, "sum", "false");
        if (auto* r = dynamic_cast<const st::reduce_middle_step<ops::reduce_max>*>(&s)) return columns(s, *r, "max", "true");
        if (auto* r = dynamic_cast<const st::reduce_middle_step<ops::reduce_min>*>(&s)) return columns(s, *r, "max", "false");
        if (auto* sp = dynamic_cast<const st::split_step*>(&s)) {
            std::vector<std::size_t> from, run;
            for (std::size_t k = 0; k < sp->offset.size(); ++k) {
                from.push_back(sp->offset[k] * sp->inner * sp->elem);
                run.push_back(sp->length[k] * sp->inner * sp->elem);
            }
            body_ << "    {\n        static constexpr std::size_t from[] = " << sizes(from) << ", run[] = " << sizes(run)
                  << ";\n        void* const out[] = {";
            for (std::size_t k = 0; k < s.writes.size(); ++k) body_ << (k ? ", " : "") << ptr(s.writes[k], true, "void");
            body_ << "};\n        cg::split(" << ptr(s.reads[0], false, "void") << ", out, " << s.writes.size() << ", "
                  << sp->outer << ", " << sp->axis * sp->inner * sp->elem << ", from, run);\n    }\n";
            return;
        }
        if (auto* bm = dynamic_cast<const st::batched_matmul_step*>(&s)) return batched(*bm, label);
        if (auto* cc = dynamic_cast<const st::concat_step*>(&s)) {
            body_ << "    {\n        static constexpr cg::copy_piece pieces[] = {";
            for (std::size_t k = 0; k < cc->pieces.size(); ++k)
                body_ << (k ? ", " : "") << "{" << cc->pieces[k].input << ", " << cc->pieces[k].from << ", " << cc->pieces[k].to
                      << ", " << cc->pieces[k].bytes << "}";
            body_ << "};\n        const void* const in[] = {";
            for (std::size_t k = 0; k < s.reads.size(); ++k) body_ << (k ? ", " : "") << ptr(s.reads[k], false);
            body_ << "};\n        cg::copies(in, " << ptr(s.writes[0], true) << ", pieces, " << cc->pieces.size()
                  << ");\n    }\n";
            return;
        }
        if (auto* pd = dynamic_cast<const st::pad_step*>(&s)) {
            body_ << "    {\n        static constexpr unsigned char value[] = {";
            for (std::size_t k = 0; k < pd->value.size(); ++k) body_ << (k ? ", " : "") << static_cast<unsigned>(pd->value[k]);
            body_ << "};\n        static constexpr std::size_t to[] = " << sizes(pd->to) << ";\n"
                  << "        cg::pad(" << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true) << ", " << pd->out_bytes
                  << ", value, " << pd->value.size() << ", " << (pd->zero ? "true" : "false") << ", to, " << pd->to.size()
                  << ", " << pd->block << ");\n    }\n";
            return;
        }
        if (auto* tr = dynamic_cast<const st::transpose_step*>(&s)) {
            const char* t = tr->elem == 1 ? "std::uint8_t" : tr->elem == 2 ? "std::uint16_t" : tr->elem == 8 ? "std::uint64_t" : "std::uint32_t";
            body_ << "    {\n        static constexpr std::size_t dims[] = " << sizes(tr->dims) << ", strides[] = "
                  << sizes(tr->in_strides) << ";\n"
                  << "        cg::transpose<" << t << ">(" << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true)
                  << ", dims, strides, " << tr->dims.size() << ", " << tr->rows << ");\n    }\n";
            return;
        }
        if (auto* q = dynamic_cast<const st::int8_conv_step*>(&s)) return int8(*q, label);
        if (auto* dc = dynamic_cast<const st::deconv_step*>(&s)) return deconv(*dc, label);
        if (auto* ns = dynamic_cast<const st::nearest_step*>(&s)) {
            const char* t = ns->elem == 1 ? "std::uint8_t" : ns->elem == 2 ? "std::uint16_t" : ns->elem == 4 ? "std::uint32_t"
                          : ns->elem == 8 ? "std::uint64_t" : nullptr;
            if (!t) return fail(s.ops + " on " + s.kernel, "elements of " + std::to_string(ns->elem) + " bytes");
            const std::string rows = array(ns->row_src.data(), ns->row_src.size(), 0, "std::int64_t", label + " source rows");
            const std::string cols = ns->identity_cols ? std::string("nullptr")
                                                       : array(ns->col_src.data(), ns->col_src.size(), 0, "std::int64_t", label + " source columns");
            body_ << "    cg::nearest<" << t << ">(" << ptr(s.reads[0], false, "void") << ", " << ptr(s.writes[0], true, "void") << ", "
                  << ns->row_src.size() << ", " << ns->width << ", " << rows << ", " << cols << ", "
                  << (ns->identity_cols ? "true" : "false") << ");\n";
            return;
        }
        if (auto* sp = dynamic_cast<const st::separable_step*>(&s)) {
            const std::string ri = array(sp->row_idx.data(), sp->row_idx.size(), 0, "std::uint32_t", label + " row taps");
            const std::string rw = floats(sp->row_w.data(), sp->row_w.size(), 0, label + " row weights");
            const std::string ci = array(sp->col_idx.data(), sp->col_idx.size(), 0, "std::uint32_t", label + " column taps");
            const std::string cw = floats(sp->col_w.data(), sp->col_w.size(), 0, label + " column weights");
            body_ << "    {\n        constexpr cg::separable_geometry sg{" << sp->planes << ", " << sp->in_h << ", " << sp->in_w << ", "
                  << sp->out_h << ", " << sp->out_w << ", " << sp->inner << ", " << sp->th << ", " << sp->tw << "};\n"
                  << "        cg::separable(sg, " << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true) << ", " << ri << ", " << rw
                  << ", " << ci << ", " << cw << ");\n    }\n";
            return;
        }
        if (auto* sr = dynamic_cast<const st::scaled_residual_step*>(&s)) {
            body_ << "    cg::scaled_residual(" << ptr(s.reads[0], false) << ", " << ptr(s.reads[1], false) << ", "
                  << ptr(s.writes[0], true) << ", " << sr->n << ", " << sr->inner << ", " << sr->period << ");\n";
            return;
        }
        if (auto* fq = dynamic_cast<const st::fake_quantize_step*>(&s)) {
            int8_table(*fq->t);
            body_ << "    k::fake_quantize_f32<int8_arch>(" << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true) << ", " << fq->n
                  << ", " << flit(fq->il) << ", " << flit(fq->ih) << ", " << flit(fq->ol) << ", " << flit(fq->oh) << ", "
                  << fq->levels << ");\n";
            return;
        }
        if (s.ops == "Slice" && slice(s)) return;
        fail(s.ops + " on " + s.kernel, "no generated form of this step");
    }

    /// A Slice on the reference kernel with constant start, stop, step (and axes): a strided copy.
    bool slice(const runtime::step& s) {
        const auto& slots = p_.slots();
        if (s.reads.size() < 4 || s.writes.size() != 1) return false;
        std::vector<std::vector<std::int64_t>> v;
        for (std::size_t i = 1; i < s.reads.size(); ++i) {
            const runtime::slot& c = slots[s.reads[i]];
            if (c.where != runtime::slot::kind::constant || !is_integer(c.value.type())) return false;
            v.push_back(c.value.to_vector<std::int64_t>());
        }
        const runtime::slot& x = slots[s.reads[0]];
        const runtime::slot& y = slots[s.writes[0]];
        const std::size_t elem = size_of(x.type);
        if (x.dims.empty() || elem != 4 || numel(y.dims) == 0) return false;
        std::vector<std::int64_t> axes = v.size() > 3 ? v[3] : std::vector<std::int64_t>();
        if (v.size() <= 3)
            for (std::size_t k = 0; k < v[0].size(); ++k) axes.push_back(static_cast<std::int64_t>(k));
        const auto walks = ops::slice::walks(x.dims, v[0], v[1], v[2], axes);
        std::vector<std::int64_t> stride(x.dims.size(), 1);
        for (std::size_t d = x.dims.size() - 1; d-- > 0;) stride[d] = stride[d + 1] * x.dims[d + 1];
        std::int64_t base = 0;
        std::vector<std::size_t> dims;
        std::vector<std::int64_t> strides;
        for (std::size_t d = 0; d < walks.size(); ++d) {
            base += walks[d].start * stride[d];
            dims.push_back(static_cast<std::size_t>(walks[d].count));
            strides.push_back(walks[d].step * stride[d]);
        }
        body_ << "    {\n        static constexpr std::size_t dims[] = " << sizes(dims) << ";\n"
              << "        static constexpr std::ptrdiff_t strides[] = " << sizes(strides) << ";\n"
              << "        cg::strided_copy<std::uint32_t>(" << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true) << ", "
              << base << ", dims, strides, " << dims.size() << ");\n    }\n";
        return true;
    }

    /// Notes the INT8 table a step runs on (one per plan: its arch becomes the header's int8_arch).
    void int8_table(const simd::int8_kernel_table& t) {
        includes_.insert("moir/codegen/int8.hpp");
        t8_ = &t;
        int8_arch_ = std::string(t.blocking.arch);
    }

    /// The header's expression of INT8 blocking bl (the int8_arch's own, or its pairs or direct
    /// flavour's), with a static_assert that the moir headers still have it.
    std::string int8_blocking(const simd::int8_blocking& bl) {
        std::string e;
        if (bl.arch == t8_->blocking.arch && bl.pairs == t8_->blocking.pairs)
            e = "k::int8_blocking_of<int8_arch>()";
        else if (bl.pairs && bl.arch == t8_->pairs_blocking.arch)
            e = "k::int8_blocking_of<k::int8_pairs_flavour<int8_arch>::type>()";
        else
            e = "k::int8_blocking_of<k::int8_direct_flavour<int8_arch>::type>()";
        std::ostringstream c;
        c << "    static_assert(cg::same_int8_blocking(" << e << ", " << bl.mr << ", " << bl.nv << ", " << bl.width << ", "
          << bl.kgroup << ", " << bl.a_bytes << ", " << bl.b_bytes << ", " << (bl.pairs ? "true" : "false")
          << "), \"the moir headers pack INT8 weights differently from the moir that generated this file\");\n";
        int8_checks_.insert(c.str());
        return e;
    }

    /// The INT8 kernels' flavour template argument for weights packed with blocking bl (the int8_arch
    /// itself or its pairs flavour, as int8_blocking names its blocking): the kernels then compile
    /// only that flavour.
    std::string int8_flavour(const simd::int8_blocking& bl) {
        int8_blocking(bl);
        if (bl.arch == t8_->blocking.arch && bl.pairs == t8_->blocking.pairs) return "int8_arch";
        return "k::int8_pairs_flavour<int8_arch>::type";
    }

    /// The template arguments <int8_arch, activation tag, flavour> of an int8_gemm (or cg::int8_conv)
    /// of weights pa and epilogue e: only that activation and flavour are compiled.
    std::string int8_gemm_args(const simd::packed_int8_a& pa, const simd::epilogue& e) {
        return "<int8_arch, " + tag(e) + ", " + int8_flavour(pa.blocking) + ">";
    }

    /// The INT8 depthwise kernel's body template argument for geometry g (the one it would choose at
    /// run time: only that body is compiled).
    static std::string dw_body(const simd::conv_geometry& g) {
        if (!simd::detail::dw_has_fixed_body(g)) return "k::dw_body<0, 0, 0>";
        return "k::dw_body<" + std::to_string(g.kh) + ", " + std::to_string(g.sh) + ", " + std::to_string(g.sw) + ">";
    }

    /// The expression of a packed_int8_a view over pa's packed weights and compensation.
    std::string int8_a(const simd::packed_int8_a& pa, const std::string& what) {
        MOIR_CHECK(!pa.weight_zero_data, unsupported_error,
                   what + ": INT8 weights with zero points (asymmetric weights) are not generated yet");
        const std::size_t bytes = (pa.m + pa.blocking.mr - 1) / pa.blocking.mr * pa.blocking.mr * pa.kp * pa.blocking.a_bytes;
        const std::string w = array(static_cast<const unsigned char*>(pa.data), bytes, 64, "unsigned char", what + " s8 weights, packed");
        const std::string comp = array(pa.comp_data, pa.m, 0, "std::int32_t", what + " zero-point compensation");
        return "cg::view_int8_a(" + int8_blocking(pa.blocking) + ", " + std::to_string(pa.m) + ", " + std::to_string(pa.k) + ", " +
               std::to_string(pa.zero_point) + ", " + w + ", " + comp + ")";
    }

    /// The INT8 epilogue `ie` of a consumer (scale and shift per output channel, the activation).
    std::string int8_epilogue(const st::int8_conv_step::conv& c, const std::string& label) {
        const std::string sc = floats(c.scale.data(), c.scale.size(), 16, label + " INT8 scale");
        const std::string sh = floats(c.shift.data(), c.shift.size(), 16, label + " INT8 shift");
        return epilogue(c.ep.act, "", "") + "        k::int8_epilogue ie;\n        ie.scale = " + sc + ", ie.shift = " + sh +
               ", ie.act = ep" + (c.ep.transposed ? ", ie.transposed = true" : "") + ";\n        (void)ie;\n";
    }

    /// A FakeQuantize and the INT8 convolutions and MatMuls that read its codes, as
    /// int8_conv_step::run at one thread (runtime/steps/int8_convolution.hpp).
    void int8(const st::int8_conv_step& s, const std::string& label) {
        using kind = st::int8_conv_step::conv::kind;
        int8_table(*s.t);
        const std::string q = s.codes_in ? ptr(s.reads[0], false, "std::uint8_t") : ptr(s.writes[0], true, "std::uint8_t");
        const std::string x = s.codes_in ? std::string() : ptr(s.reads[0], false);
        body_ << "    {\n        std::uint8_t* const q = const_cast<std::uint8_t*>(" << q << ");\n        (void)q;\n";
        if (s.needs_codes && !s.codes_in) {
            if (s.cil.empty()) {
                body_ << "        k::quantize_u8<int8_arch>(" << x << ", q, " << s.numel << ", " << flit(s.il) << ", " << flit(s.ih)
                      << ");\n";
            } else {
                const std::string lo = floats(s.cil.data(), s.cil.size(), 16, label + " per-channel input low");
                const std::string hi = floats(s.cih.data(), s.cih.size(), 16, label + " per-channel input high");
                body_ << "        for (std::size_t p = 0; p < " << s.numel / s.plane << "; ++p)\n"
                      << "            k::quantize_u8<int8_arch>(" << x << " + p * " << s.plane << ", q + p * " << s.plane << ", "
                      << s.plane << ", " << lo << "[p % " << s.cil.size() << "], " << hi << "[p % " << s.cil.size() << "]);\n";
            }
        }
        for (std::size_t i = 0; i < s.convs.size(); ++i) {
            const auto& c = s.convs[i];
            const std::string what = label + " consumer " + std::to_string(i);
            body_ << "        {\n        " << int8_epilogue(c, what);
            if (c.how == kind::matmul) {
                const std::string qt = ptr(s.writes[c.t_write], true, "std::uint8_t");
                body_ << "        const k::packed_int8_a pa = " << int8_a(c.parts[0].w.weights[0], what) << ";\n";
                if (c.fills_t)
                    body_ << "        cg::transpose_codes(q, " << c.k << ", " << qt << ", " << c.rows << ", " << c.rows << ", " << c.k << ");\n";
                body_ << "        k::int8_gemm" << int8_gemm_args(c.parts[0].w.weights[0], c.ep.act) << "(pa, " << qt << ", " << c.rows
                      << ", " << c.rows << ", "
                      << ptr(s.writes[i + 1], true) << ", " << c.channels << ", ie, scratch);\n        }\n";
                continue;
            }
            // the packed weights, once for every image
            if (c.how == kind::pointwise)
                body_ << "        const k::packed_int8_a pa = " << int8_a(c.parts[0].w.weights[0], what) << ";\n";
            if (c.how == kind::depthwise) {
                const auto& dw = c.dw;
                const auto& g = dw.geometry;
                const std::string w = floats(dw.w.data, g.groups * g.kh * g.kw, 16, what + " depthwise weights * scale");
                const bool pairs = int8_arch_ == "avx2" && g.kh == 5, quads = int8_arch_ == "avx512vnni" && g.kh == 5 && dw.row_quads_data;
                const std::string rp = pairs ? array(dw.row_pairs_data, g.groups * ((g.kh + 1) / 2) * g.kw, 0, "std::int32_t", what + " row pairs") : "nullptr";
                const std::string rq = quads ? array(dw.row_quads_data, g.groups * ((g.kh + 3) / 4) * g.kw, 0, "std::int32_t", what + " row quads") : "nullptr";
                const std::string qc = quads ? array(dw.quad_comp_data, g.groups, 0, "std::int32_t", what + " quad compensation") : "nullptr";
                const std::string sc = floats(dw.scale_data, g.groups, 16, what + " depthwise scale");
                body_ << "        " << epilogue(c.dw_ep, floats(c.shift.data(), c.shift.size(), 16, what + " depthwise shift"), "", "de")
                      << "        " << geometry(g) << "        const k::packed_int8_depthwise dw = cg::view_int8_depthwise(g, "
                      << dw.zero_point << ", " << w << ", " << rp << ", " << rq << ", " << qc << ", " << sc << ");\n";
            }
            if (c.how == kind::direct) {
                const auto& dp = c.dp;
                const std::string off = array(dp.off_data, dp.off.size(), 0, "std::ptrdiff_t", what + " direct tap offsets");
                body_ << "        " << geometry(dp.geometry) << "        const k::packed_int8_direct dp = cg::view_int8_direct(g, "
                      << dp.phases << ", " << dp.cg << ", " << dp.hp << ", " << dp.wp << ", " << int8_a(dp.a, what) << ", " << off
                      << ");\n";
            }
            std::vector<std::string> parts;
            if (c.how == kind::general)
                for (std::size_t pi = 0; pi < c.parts.size(); ++pi) {
                    const auto& pw = c.parts[pi].w;
                    body_ << "        const k::packed_int8_a pa" << pi << " = "
                          << int8_a(pw.weights[0], what + " part " + std::to_string(pi)) << ";\n";
                    parts.push_back(geometry(pw.geometry));
                }
            for (std::size_t n = 0; n < s.batch; ++n) {
                const std::string qn = "q + " + std::to_string(n * s.x_stride);
                if (c.q_out) {
                    const std::string yq = ptr(s.writes[i + 1], true, "std::uint8_t") + " + " + std::to_string(n * c.y_stride);
                    if (c.how == kind::pointwise) {
                        body_ << "        for (std::size_t j = 0; j < " << c.columns << "; j += " << c.tile_cols << ") {\n"
                              << "            const std::size_t n = std::min<std::size_t>(" << c.tile_cols << ", " << c.columns << " - j);\n"
                              << "            k::int8_gemm" << int8_gemm_args(c.parts[0].w.weights[0], c.ep.act) << "(pa, " << qn
                              << " + j, " << c.columns << ", n, scratch + " << c.tile_at
                              << ", static_cast<std::ptrdiff_t>(n), ie, scratch);\n"
                              << "            for (std::size_t m = 0; m < " << c.channels << "; ++m)\n"
                              << "                k::quantize_u8<int8_arch>(scratch + " << c.tile_at << " + m * n, " << yq << " + m * "
                              << c.columns << " + j, n, " << flit(c.q_il) << ", " << flit(c.q_ih) << ");\n        }\n";
                    } else {
                        const std::size_t plane = c.y_stride / c.channels;
                        body_ << "        for (std::size_t ch = 0; ch < " << c.channels << "; ++ch) {\n"
                              << "            k::int8_depthwise<int8_arch, " << tag(c.dw_ep) << ", " << dw_body(c.dw.geometry) << ">(dw, " << qn << ", scratch + "
                              << c.tile_at
                              << ", de, scratch, ch, ch + 1);\n"
                              << "            k::quantize_u8<int8_arch>(scratch + " << c.tile_at << ", " << yq << " + ch * " << plane << ", "
                              << plane << ", " << flit(c.q_il) << ", " << flit(c.q_ih) << ");\n        }\n";
                    }
                    continue;
                }
                const std::string yn = ptr(s.writes[i + 1], true) + " + " + std::to_string(n * c.y_stride);
                switch (c.how) {
                    case kind::direct: {
                        const std::string x4 = ptr(s.writes[c.x4_write], true, "std::uint8_t");
                        if (c.fills_x4 || s.batch > 1)
                            body_ << "        k::quantize_u8_4c<int8_arch>(" << x << " + " << n * s.x_stride << ", dp, " << x4 << ", "
                                  << flit(s.il) << ", " << flit(s.ih) << ", " << s.zp << ", 0, " << c.dp.cg
                                  << ", reinterpret_cast<std::uint8_t*>(scratch));\n";
                        body_ << "        k::int8_conv_direct<int8_arch, " << tag(c.ep.act) << ">(dp, " << x4 << ", " << yn << ", ie, 0, " << c.dp.geometry.out_h
                              << ");\n";
                        break;
                    }
                    case kind::pointwise:
                        body_ << "        k::int8_gemm" << int8_gemm_args(c.parts[0].w.weights[0], c.ep.act) << "(pa, " << qn << ", "
                              << c.columns << ", " << c.columns << ", " << yn << ", "
                              << c.columns << ", ie, scratch);\n";
                        break;
                    case kind::general:
                        for (std::size_t pi = 0; pi < c.parts.size(); ++pi) {
                            const auto& p = c.parts[pi];
                            body_ << "        {\n        " << parts[pi] << "        k::int8_epilogue pe = ie;\n        pe.scale += "
                                  << p.ch_off << ";\n        if (pe.shift) pe.shift += " << p.ch_off << ";\n"
                                  << "        cg::int8_conv" << int8_gemm_args(p.w.weights[0], c.ep.act) << "(pa" << pi << ", g, " << qn << " + " << p.x_off << ", " << yn << " + "
                                  << p.y_off << ", pe, scratch);\n        }\n";
                        }
                        break;
                    case kind::depthwise:
                        body_ << "        k::int8_depthwise<int8_arch, " << tag(c.dw_ep) << ", " << dw_body(c.dw.geometry) << ">(dw, " << qn << ", " << yn << ", de, scratch, 0, " << c.channels
                              << ");\n";
                        break;
                    case kind::matmul: break;
                }
            }
            body_ << "        }\n";
        }
        body_ << "    }\n";
    }

    /// ConvolutionBackpropData as deconv_step::run at one thread: per image the GEMM into the col
    /// matrix (FP32, or the INT8 kernels on the image's u8 codes), then col2im with bias and activation.
    void deconv(const st::deconv_step& d, const std::string& label) {
        includes_.insert("moir/codegen/deconvolution.hpp");
        includes_.insert("moir/kernels/simd/gemm.hpp");
        const std::size_t m = d.cout * d.kh * d.kw, n = d.ih * d.iw;
        const std::string bias = d.fused.bias.empty() ? std::string("nullptr") : bias_of(d.fused, label);
        body_ << "    {\n        " << epilogue(d.ep, "", "")
              << "        constexpr cg::deconv_geometry dg{" << d.cout << ", " << d.ih << ", " << d.iw << ", " << d.oh << ", " << d.ow
              << ", " << d.kh << ", " << d.kw << ", " << d.sh << ", " << d.sw << ", " << d.dh << ", " << d.dw << ", " << d.pt << ", "
              << d.pl << ", " << (d.disjoint ? "true" : "false") << "};\n"
              << "        float* const col = scratch;\n"
              << "        float* const gemm_scratch = scratch + " << d.col_floats + (d.i8 ? d.i8->codes_floats : 0) << ";\n";
        if (d.i8) {
            int8_table(*d.i8->t);
            const auto& g = *d.i8;
            const std::string sc = floats(g.scale.data(), g.scale.size(), 16, label + " INT8 scale");
            const std::string sh = floats(g.shift.data(), g.shift.size(), 16, label + " INT8 shift");
            body_ << "        std::uint8_t* const q = reinterpret_cast<std::uint8_t*>(scratch + " << d.col_floats << ");\n"
                  << "        const k::packed_int8_a pa = " << int8_a(g.w, label) << ";\n"
                  << "        k::int8_epilogue ie;\n        ie.scale = " << sc << ", ie.shift = " << sh << ";\n";
        } else {
            const std::string w = floats(d.w.data, d.w.group_stride * d.w.groups, 16, label + " weights, packed");
            body_ << "        const k::packed_a pa = cg::view_a(bl, " << w << ", " << m << ", " << d.cin << ", 1, " << d.w.group_stride
                  << ");\n        const k::epilogue none{};\n";
        }
        for (std::size_t b = 0; b < d.batch; ++b) {
            const std::string xb = ptr(d.reads[0], false) + " + " + std::to_string(b * d.cin * n);
            const std::string yb = ptr(d.writes[0], true) + " + " + std::to_string(b * d.cout * d.oh * d.ow);
            if (d.i8)
                body_ << "        k::quantize_u8<int8_arch>(" << xb << ", q, " << d.cin * n << ", " << flit(d.i8->il) << ", "
                      << flit(d.i8->ih) << ");\n"
                      << "        k::int8_gemm" << int8_gemm_args(d.i8->w, simd::epilogue{}) << "(pa, q, " << n << ", " << n
                      << ", col, " << n << ", ie, gemm_scratch);\n";
            else
                body_ << "        k::gemm_a<arch, k::act::none>(pa, " << xb << ", " << n << ", " << n << ", col, " << n
                      << ", none, gemm_scratch);\n";
            body_ << "        cg::deconv_col2im<arch>(dg, col, " << yb << ", " << bias << ", ep);\n";
        }
        body_ << "    }\n";
    }

    void reduce(const runtime::step& s, std::size_t rows, std::size_t len, const char* kind, const char* flag) {
        body_ << "    cg::reduce_" << kind << "_rows(" << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true) << ", " << rows
              << ", " << len << ", " << flag << ");\n";
    }

    /// A reduction over the middle axis of [outer, len, inner] (reduce_middle_step), column by column.
    template <class Op>
    void columns(const runtime::step& s, const st::reduce_middle_step<Op>& r, const char* kind, const char* flag) {
        body_ << "    cg::reduce_" << kind << "_columns(" << ptr(s.reads[0], false) << ", " << ptr(s.writes[0], true) << ", "
              << r.outer << ", " << r.len << ", " << r.inner << ", " << flag << ");\n";
    }

    /// MatMul of two activations: each batch's B packed into the scratch, then gemm_b.
    void batched(const st::batched_matmul_step& b, const std::string& label) {
        includes_.insert("moir/kernels/simd/gemm.hpp");
        const std::string bias = bias_of(b.fused, label);
        const std::string a = ptr(b.reads[0], false), bm = ptr(b.reads[1], false), c = ptr(b.writes[0], true);
        body_ << "    {\n        " << epilogue(b.ep, "", bias);
        // each operand's batch offsets: i * stride, or a table where it broadcasts along some axes only
        const auto offset = [&](const std::vector<std::size_t>& off, std::size_t stride, const char* name) {
            if (off.empty()) return "i * " + std::to_string(stride);
            body_ << "        static constexpr std::size_t " << name << "[] = " << sizes(off) << ";\n";
            return std::string(name) + "[i]";
        };
        const std::string ao = offset(b.a_off, b.a_stride, "a_off"), bo = offset(b.b_off, b.b_stride, "b_off");
        body_ << "        for (std::size_t t = 0; t < " << b.batches * b.row_blocks << "; ++t) {\n"
              << "            const std::size_t i = t / " << b.row_blocks << ", r0 = (t % " << b.row_blocks << ") * " << b.block_rows
              << ";\n"
              << "            const std::size_t rows = std::min<std::size_t>(" << b.m << ", r0 + " << b.block_rows << ") - r0;\n"
              << "            const float* bi = " << bm << " + " << bo << ";\n"
              << "            const k::packed_b pb = k::pack_b_into(bl, bi, " << b.k << ", " << b.n << ", "
              << (b.transpose_b ? "1, " + std::to_string(b.k) : std::to_string(b.n) + ", 1") << ", scratch);\n"
              << "            k::gemm_b<arch, " << tag(b.ep) << ">(pb, " << a << " + " << ao << " + r0 * " << b.k << ", "
              << b.k << ", rows, " << c << " + (i * " << b.m << " + r0) * " << b.n << ", " << b.n << ", ep);\n"
              << "        }\n    }\n";
    }

    void conv(const st::conv_step& c, const std::string& label) {
        includes_.insert("moir/kernels/simd/convolution.hpp");
        if (c.phased) includes_.insert("moir/kernels/simd/conv_phased.hpp");
        const std::string bias = bias_of(c.fused, label);
        const std::string x = ptr(c.reads[0], false), y = ptr(c.writes[0], true);
        if (c.pixels) {  // the plan's pixels path: im2col^T * W^T on gemm_b into the scratch, transposed into y
            const simd::packed_b& wb = c.windows_w;
            const std::size_t np = c.pixels_g.out_h * c.pixels_g.out_w;
            const std::string w = floats(wb.data, simd::packed_b_floats(wb.blocking, wb.k, wb.n), 16, label + " W^T, packed");
            body_ << "    {\n        " << epilogue(c.wep, "", bias) << slopes_of(c.fused, "col_slope", label) << "        "
                  << geometry(c.pixels_g)
                  << "        const k::packed_b p = cg::view_b(bl, " << w << ", " << wb.k << ", " << wb.n << ");\n";
            for (std::size_t n = 0; n < c.batch; ++n)
                body_ << "        {\n        float* const yn = " << y << " + " << n * c.y_stride << ";\n"
                      << "        k::im2col_rows(g, " << x << " + " << n * c.x_stride << ", 0, " << np << ", scratch);\n"
                      << "        k::gemm_b<arch, " << tag(c.wep) << ">(p, scratch, " << wb.k << ", " << np << ", scratch + " << np * wb.k
                      << ", " << c.out_c << ", ep);\n"
                      << "        for (std::size_t i = 0; i < " << np << "; ++i)\n"
                      << "            for (std::size_t o = 0; o < " << c.out_c << "; ++o) yn[o * " << np << " + i] = scratch["
                      << np * wb.k << " + i * " << c.out_c << " + o];\n        }\n";
            body_ << "    }\n";
            return;
        }
        if (c.windows) {  // the plan's windows path: windows * W^T on gemm_b into the scratch, transposed into y
            const simd::packed_b& wb = c.windows_w;
            const std::string w = floats(wb.data, simd::packed_b_floats(wb.blocking, wb.k, wb.n), 16, label + " W^T, packed");
            body_ << "    {\n        " << epilogue(c.wep, "", bias) << slopes_of(c.fused, "col_slope", label)
                  << "        const k::packed_b p = cg::view_b(bl, " << w << ", "
                  << wb.k << ", " << wb.n << ");\n";
            for (std::size_t n = 0; n < c.batch; ++n)
                body_ << "        {\n        float* const yn = " << y << " + " << n * c.y_stride << ";\n"
                      << "        k::gemm_b<arch, " << tag(c.wep) << ">(p, " << x << " + " << n * c.x_stride << ", " << c.stride_w
                      << ", " << c.out_w << ", scratch, " << c.out_c << ", ep);\n"
                      << "        for (std::size_t i = 0; i < " << c.out_w << "; ++i)\n"
                      << "            for (std::size_t o = 0; o < " << c.out_c << "; ++o) yn[o * " << c.out_w << " + i] = scratch[i * "
                      << c.out_c << " + o];\n        }\n";
            body_ << "    }\n";
            return;
        }
        body_ << "    {\n        " << epilogue(c.ep, bias, "") << slopes_of(c.fused, "slope", label);
        for (std::size_t i = 0; i < c.parts.size(); ++i) {
            const auto& pw = c.parts[i].w;
            const auto& g = pw.geometry;
            const std::string w = floats(pw.weights.data, pw.weights.group_stride * pw.weights.groups, 16,
                                         label + " weights, packed (part " + std::to_string(i) + ")");
            std::string offs = "nullptr";
            if (!pw.direct_offsets.empty())
                offs = ints(pw.direct_offsets.data(), pw.direct_offsets.size(), label + " direct offsets");
            body_ << "        {\n        " << geometry(g) << "        const k::packed_conv p = cg::view_conv(bl, g, " << w << ", "
                  << pw.weights.group_stride << ", " << offs << ", " << pw.direct_span << ", " << pw.direct_width << ", "
                  << pw.plane_rows << ");\n";
            for (std::size_t n = 0; n < c.batch; ++n) {
                const std::string xn = x + " + " + std::to_string(n * c.x_stride), yn = y + " + " + std::to_string(n * c.y_stride);
                if (c.fused.residual_slot != runtime::no_slot)  // a fused residual Add (steps/fusion.hpp)
                    body_ << "        ep.residual = " << ptr(c.fused.residual_slot, false) << " + " << n * c.y_stride
                          << ", ep.residual_origin = " << yn << ";\n";
                if (c.pointwise) {
                    body_ << "        k::gemm_a<arch, " << tag(c.ep) << ">(p.weights, " << xn << ", " << c.columns << ", " << c.columns << ", " << yn
                          << ", " << c.columns << ", ep, scratch);\n";
                } else if (c.plane) {  // narrow images: blocks of rows as planes (kernels/simd/convolution.hpp)
                    body_ << "        k::conv_plane<arch, " << tag(c.ep) << ">(p, " << xn << ", " << yn << ", ep, scratch, 0, " << c.rows << ");\n";
                } else if (c.phased) {  // few input channels, strided (kernels/simd/conv_phased.hpp)
                    body_ << "        k::conv_phased<arch, " << tag(c.ep) << ">(p, " << xn << ", " << yn << ", ep, scratch, 0, " << c.rows << ");\n";
                } else if (c.direct) {
                    body_ << "        k::conv_rows<arch, " << tag(c.ep) << ">(p, " << xn << ", " << yn << ", ep, scratch, 0, " << c.columns << ");\n";
                } else {
                    body_ << "        {\n        const k::epilogue pe = ep.rows_from(" << c.parts[i].bias_off
                          << ");\n        k::conv_columns<arch, " << tag(c.ep) << ">(p, " << xn << " + " << c.parts[i].x_off << ", " << yn << " + "
                          << c.parts[i].y_off << ", pe, scratch, 0, " << c.columns << ");\n        }\n";
                }
            }
            body_ << "        }\n";
        }
        body_ << "    }\n";
    }

    void depthwise(const st::depthwise_step& d, const std::string& label) {
        includes_.insert("moir/kernels/simd/depthwise.hpp");
        const std::string bias = bias_of(d.fused, label);
        const auto& g = d.w.geometry;
        const std::string w = floats(d.w.data, g.groups * g.kh * g.kw, 16, label + " weights");
        const std::string x = ptr(d.reads[0], false), y = ptr(d.writes[0], true);
        body_ << "    {\n        " << epilogue(d.ep, bias, "") << slopes_of(d.fused, "slope", label) << "        " << geometry(g)
              << "        const k::packed_depthwise p = cg::view_depthwise(g, " << w << ");\n";
        for (std::size_t n = 0; n < d.batch; ++n)
            body_ << "        k::depthwise<arch, " << tag(d.ep) << ">(p, " << x << " + " << n * d.x_stride << ", " << y << " + " << n * d.y_stride
                  << ", ep, scratch, 0, " << d.channels << ");\n";
        body_ << "    }\n";
    }

    void matmul(const st::matmul_step& mm, const std::string& label) {
        const std::string bias = bias_of(mm.fused, label);
        const std::string w = floats(mm.w.data, simd::packed_b_floats(mm.w.blocking, mm.k, mm.n), 16, label + " weights, packed");
        std::string affine;  // the per-column affine after the activation (a BatchNorm), when fused
        if (!mm.fused.col_scale.empty())
            affine = "        ep.col_scale = " + floats(mm.fused.col_scale.data(), mm.n, 16, label + " channel scale") +
                     ", ep.col_shift = " + floats(mm.fused.col_shift.data(), mm.n, 16, label + " channel shift") + ";\n";
        body_ << "    {\n        " << epilogue(mm.ep, "", bias) << affine << slopes_of(mm.fused, "col_slope", label) << "        const k::packed_b p = cg::view_b(bl, " << w << ", "
              << mm.k << ", " << mm.n << ");\n"
              << "        k::gemm_b<arch, " << tag(mm.ep) << ">(p, " << ptr(mm.reads[0], false) << ", " << mm.k << ", " << mm.rows << ", "
              << ptr(mm.writes[0], true) << ", " << mm.n << ", ep);\n    }\n";
    }

    /// A constant A of few rows times an activation B read in place (steps/matmul.hpp).
    void constant_left(const st::constant_left_matmul_step& cl, const std::string& label) {
        includes_.insert("moir/kernels/simd/convolution.hpp");
        const std::string w = floats(cl.a.data, cl.a.group_stride, 16, label + " A, packed");
        body_ << "    {\n        const k::packed_a pa = cg::view_a(bl, " << w << ", " << cl.a.m << ", " << cl.a.k << ", 1, "
              << cl.a.group_stride << ");\n"
              << "        k::gemm_a_inplace<arch, k::act::none>(pa, " << ptr(cl.reads[0], false) << ", " << cl.n << ", " << cl.n
              << ", " << ptr(cl.writes[0], true) << ", " << cl.n << ", k::epilogue{});\n    }\n";
    }
};

/// The plan's slot of each model output. The plan adds its slots in topological order, one per
/// output port of every node but the Results (runtime/plan.hpp, compile step 1; step families may
/// append more afterwards, e.g. INT8 codes); replaying that order gives each port's slot.
/// ensures: throws moir::error when the plan has fewer slots than ports.
std::vector<std::size_t> output_slots(const model& m, const runtime::plan& p) {
    std::vector<std::vector<std::size_t>> port(m.nodes.size());
    std::size_t next = 0;
    for (node_id id : m.topo_order()) {
        const node& n = m.nodes[id];
        if (n.is<ops::result>()) continue;
        for (std::size_t k = 0; k < n.outputs.size(); ++k) port[id].push_back(next++);
    }
    MOIR_CHECK(next <= p.slots().size(), error,
               "moir codegen: the plan has " + std::to_string(p.slots().size()) + " slots, " + std::to_string(next) +
                   " output ports were counted");
    std::vector<std::size_t> out;
    for (node_id r : m.results) {
        const output_ref src = m.nodes.at(r).inputs.at(0);
        out.push_back(port.at(src.node).at(src.port));
    }
    return out;
}

/// The nodes whose output shape depends on input values although their inputs' shapes are static
/// (the plan stops at the first of them; the nodes after one inherit an unknown shape and are only
/// counted), propagated as the plan propagates shapes and constants (runtime/plan.hpp, step 1), so
/// that one error lists them all.
std::vector<std::string> value_dependent_shapes(const model& m, const std::vector<shape>& shapes) {
    std::vector<port_descs> out(m.nodes.size());
    std::map<node_id, std::size_t> param_pos;
    for (std::size_t i = 0; i < m.parameters.size(); ++i) param_pos[m.parameters[i]] = i;
    std::vector<std::string> found;
    std::size_t after = 0;
    for (node_id id : m.topo_order()) {
        const node& n = m.nodes[id];
        if (n.is<ops::result>()) continue;
        if (n.is<ops::parameter>()) {
            const std::size_t i = param_pos.at(id);
            out[id] = {port_desc{n.attrs_as<ops::parameter>().element_type,
                                 i < shapes.size() ? partial_shape(shapes[i]) : partial_shape::dynamic(), tensor()}};
            continue;
        }
        if (n.is<ops::constant>()) {
            const tensor& v = n.attrs_as<ops::constant>().value;
            out[id] = {port_desc{v.type(), partial_shape(v.dims()), v}};
            continue;
        }
        port_descs in;
        bool all_known = true, all_static = true;
        for (const auto& r : n.inputs) {
            const port_descs& src = out.at(r.node);
            const port_desc d = r.port < src.size() ? src[r.port] : port_desc{element_type::undefined, partial_shape::dynamic(), tensor()};
            all_known = all_known && d.has_value();
            all_static = all_static && d.shape.is_static();
            in.push_back(d);
        }
        port_descs od;
        try {
            od = infer_outputs(n, in);
            if (all_known && !n.inputs.empty()) {
                std::vector<tensor> values;
                for (const auto& d : in) values.push_back(d.value);
                const std::vector<tensor> folded = evaluate_node(n, values);
                for (std::size_t p = 0; p < od.size() && p < folded.size(); ++p)
                    od[p] = port_desc{folded[p].type(), partial_shape(folded[p].dims()), folded[p]};
            }
        } catch (const std::exception&) {
            od.assign(n.outputs.size(), port_desc{element_type::undefined, partial_shape::dynamic(), tensor()});
        }
        for (const auto& d : od)
            if (!d.has_value() && !d.shape.is_static()) {
                if (all_static)
                    found.push_back(std::string(n.op->ir_name) + " '" + n.name + "': its output shape " + d.shape.str() +
                                    " depends on input values (a plan needs static shapes)");
                else
                    ++after;
                break;
            }
        out[id] = std::move(od);
    }
    if (after)
        found.push_back("(and " + std::to_string(after) + (after == 1 ? " node" : " nodes") +
                        " after them, whose shapes follow from those)");
    return found;
}

/// Writes `text` to `path` through a temporary file renamed at the end (no partial file).
void write_atomically(const std::string& path, const std::string& text) {
    const fs::path target(path);
    if (target.has_parent_path()) fs::create_directories(target.parent_path());
    const fs::path tmp = target.string() + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary);
        MOIR_CHECK(f, error, "cannot write " + tmp.string());
        f.write(text.data(), static_cast<std::streamsize>(text.size()));
        f.close();
        if (!f) {
            fs::remove(tmp);
            throw error("cannot write " + tmp.string());
        }
    }
    fs::rename(tmp, target);
}

int run_codegen(const codegen_args& a, const frontends::frontend_registry& registry) {
    MOIR_CHECK(a.arch == "avx512" || a.arch == "avx2" || a.arch == "generic", error,
               "--arch " + a.arch + ": expected avx512, avx2 or generic");
    model m = load_model(registry, a.model_path, a.shapes);
    // a framework model gets the graph optimizations moir convert runs (BatchNorm folded into the
    // convolutions, activations fused), so that its steps are those of its converted IR; an .xml is
    // taken as it is
    if (!is_ir(registry, a.model_path)) {
        passes::pass_context ctx;
        passes::optimize(m, ctx);
    }
    const std::string name = identifier(a.name.empty() ? fs::path(a.model_path).stem().string() : a.name);
    std::string ns;
    {
        // a::b nests: keep "::", make each part an identifier
        std::string part;
        for (std::size_t i = 0; i <= a.ns.size(); ++i) {
            if (i == a.ns.size() || a.ns.compare(i, 2, "::") == 0) {
                ns += (ns.empty() ? "" : "::") + identifier(part);
                part.clear();
                if (i < a.ns.size()) ++i;
            } else {
                part += a.ns[i];
            }
        }
    }
    // what cannot be specialized before planning: dynamic input shapes, bodies
    std::vector<std::string> problems;
    std::vector<shape> shapes;
    for (std::size_t i = 0; i < m.parameters.size(); ++i) {
        const auto& ps = m.at(m.parameters[i]).attrs_as<ops::parameter>().shape;
        if (!ps.is_static())
            problems.push_back("input '" + m.input_name(i) + "' has the dynamic shape " + ps.str() +
                               " (give --input_shape)");
        else
            shapes.push_back(ps.dims);
    }
    std::map<std::string, std::size_t> flow;
    for (const auto& n : m.nodes)
        if (!n.bodies.empty()) ++flow[std::string(n.op->ir_name)];
    for (const auto& [op, count] : flow)
        problems.push_back(op + ": control flow (" + std::to_string(count) + (count == 1 ? " node)" : " nodes)"));
    if (!problems.empty()) {
        std::string msg = a.model_path + ": moir codegen cannot specialize:";
        for (const auto& p : problems) msg += "\n  " + p;
        throw unsupported_error(msg);
    }
    runtime::plan_options opt;
    opt.threads = 1;
    opt.arch = a.arch == "generic" ? "reference" : a.arch;
    opt.int8 = true;
    // the fused depthwise -> pointwise step has no emitter: its two steps compute the same bits
    opt.fuse_depthwise_pointwise = false;
    std::unique_ptr<runtime::plan> plan;
    try {
        plan = std::make_unique<runtime::plan>(m, shapes, opt);
    } catch (const unsupported_error& e) {
        // a shape that depends on input values stops the plan at its node: list every such node
        const std::vector<std::string> found = value_dependent_shapes(m, shapes);
        if (found.empty()) throw unsupported_error(a.model_path + ": moir codegen cannot specialize: " + e.what());
        std::string msg = a.model_path + ": moir codegen cannot specialize:";
        for (const auto& p : found) msg += "\n  " + p;
        throw unsupported_error(msg);
    }
    codegen_args args = a;
    args.ns = ns;
    const auto* table = runtime::fp32_table_named(opt.arch);
    MOIR_CHECK(table, error, "--arch " + a.arch + ": not compiled into this moir or not available on this CPU");
    emitter em(m, *plan, args, output_slots(m, *plan), table->blocking);
    const std::string blob_sym = identifier(ns + "_" + name + "_weights");
    if (!a.weights.empty())
        em.set_blob_symbol(blob_sym, fs::absolute(a.weights).lexically_normal().string(),
                           identifier("MOIR_" + ns + "_" + name + "_WEIGHTS_FILE"));
    std::string guard = "MOIR_GENERATED_" + identifier(ns + "_" + name) + "_HPP";
    for (auto& ch : guard) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const std::string text = em.header(guard, name);
    if (!a.weights.empty()) write_atomically(a.weights, em.blob());
    write_atomically(a.output, text);
    std::cout << "moir codegen: " << a.model_path << " -> " << a.output << " (" << plan->steps().size() << " steps, arch "
              << a.arch << ", weights " << human_bytes(em.weight_bytes()) << (a.weights.empty() ? " inline" : " in " + a.weights)
              << ", arena " << human_bytes(em.arena_bytes()) << ")\n";
    return 0;
}

}  // namespace

}  // namespace moir::cli
