// The plan's steps for what detection post-processing runs (runtime/steps/top_k.hpp, convert.hpp,
// arithmetic.hpp, gather.hpp) against the reference executor, bit for bit: TopK on any axis, largest
// and smallest, sorted by value or index, k from 1 to the whole axis, lines long enough for the
// selection's threshold, ties and NaN; Convert between every pair of element types; integer and
// doubly broadcast f32 arithmetic (floor division and modulo of negatives, zero divisors); Gather on
// any axis with batch_dims, negative and out-of-range indices; constant Pad. Each at 1, 2 and 3
// threads (sizes that the workers share among them), and none of these nodes left on a reference step.

#include <moir/ops/add.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/floor_mod.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/mod.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/split.hpp>
#include <moir/ops/variadic_split.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/top_k.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cmath>    // nanf
#include <cstdint>  // int32_t, int64_t, uint32_t
#include <string>   // string
#include <vector>   // vector

namespace {

using namespace moir;
namespace rt = moir::runtime;

/// Deterministic integers in [lo, hi].
std::vector<std::int64_t> ints(std::size_t n, std::int64_t lo, std::int64_t hi, std::uint32_t seed) {
    std::vector<std::int64_t> v(n);
    for (auto& x : v) {
        seed = seed * 1664525u + 1013904223u;
        x = lo + static_cast<std::int64_t>((seed >> 8) % static_cast<std::uint32_t>(hi - lo + 1));
    }
    return v;
}

/// A tensor of type t and shape s holding `values` converted to t.
tensor typed(element_type t, const shape& s, const std::vector<double>& values) {
    return tensor::from_vector(values, s).converted(t);
}

output_ref param(model& m, element_type t, const shape& s, const std::string& name) {
    const node_id id = m.add<ops::parameter>({t, partial_shape(s)}, {}, name);
    m.parameters.push_back(id);
    return {id, 0};
}
void result(model& m, output_ref r) { m.results.push_back(m.add<ops::result>({}, {r}, m.at(r.node).name + "/y" + std::to_string(r.port))); }

std::size_t count_kernel(const rt::plan& p, const std::string& kernel) {
    std::size_t n = 0;
    for (const auto& s : p.steps()) n += s->kernel == kernel;
    return n;
}

/// Plans m at 1, 2 and 3 threads and checks every output equals the reference executor's bit for
/// bit, and that `kernel` runs `steps` steps with no reference step left.
void check_exact(model& m, const std::vector<tensor>& in, const std::string& kernel, std::size_t steps) {
    m.validate();
    const auto want = reference_executor<>(m).run(in);
    std::vector<shape> shapes;
    for (const auto& t : in) shapes.push_back(t.dims());
    for (std::size_t threads : {1, 2, 3}) {
        CAPTURE(threads);
        rt::plan_options o;
        o.threads = threads;
        rt::plan p(m, shapes, o);
        CHECK(count_kernel(p, kernel) == steps);
        CHECK(count_kernel(p, "reference") == 0);
        for (int run = 0; run < 2; ++run) {  // the second on the same arena and buffers
            const auto got = p.run(in);
            REQUIRE(got.size() == want.size());
            for (std::size_t i = 0; i < got.size(); ++i) {
                CAPTURE(i);
                CHECK(got[i].same_as(want[i]));
            }
        }
    }
}

}  // namespace

TEST_CASE("TopK step: any axis, max/min, sorted by value/index, small and large k, ties and NaN, as the reference") {
    struct shape_case {
        shape s;
        std::int64_t axis;
    };
    // lines of 1, 7, 13, 129 and 5000 (the selection's threshold path: 5000 > max(2k, k + 256))
    for (const auto& c : {shape_case{{5000}, 0}, shape_case{{2, 5000}, 1}, shape_case{{3, 129, 2}, 1},
                          shape_case{{13, 7}, 0}, shape_case{{4, 1, 3}, 1}, shape_case{{2, 13, 3}, -1}}) {
        const auto axis = static_cast<std::size_t>(c.axis < 0 ? c.axis + static_cast<std::int64_t>(c.s.size()) : c.axis);
        const std::int64_t n = c.s[axis];
        for (std::int64_t k : {std::int64_t{1}, std::int64_t{3}, n / 2, n - 1, n}) {
            if (k < 1 || k > n) continue;
            for (auto mode : {ops::top_k_mode::max, ops::top_k_mode::min})
                for (auto sort : {ops::top_k_sort::value, ops::top_k_sort::index})
                    for (auto type : {element_type::f32, element_type::i32, element_type::i64}) {
                        CAPTURE(to_string(c.s));
                        CAPTURE(k);
                        CAPTURE(int(mode));
                        CAPTURE(int(sort));
                        CAPTURE(std::string(ir_name(type)));
                        const element_type index_type = type == element_type::i32 ? element_type::i32 : element_type::i64;
                        model m;
                        const output_ref x = param(m, type, c.s, "x");
                        const output_ref kc{m.add<ops::constant>({tensor::scalar(k)}, {}, "k"), 0};
                        const node_id t = m.add<ops::top_k>({c.axis, mode, sort, index_type, true}, {x, kc}, "topk");
                        result(m, {t, 0});
                        result(m, {t, 1});
                        // few distinct values (many ties), a rising tail (the threshold moves), NaN in f32
                        std::vector<double> v;
                        for (std::int64_t q : ints(numel(c.s), -20, 20, 11)) v.push_back(static_cast<double>(q) / 4.0);
                        for (std::size_t i = v.size() / 2; i < v.size(); i += 97) v[i] = 10.0 + static_cast<double>(i % 13);
                        tensor xt = typed(type, c.s, v);
                        if (type == element_type::f32 && xt.numel() > 40) {
                            xt.data<float>()[3] = std::nanf("");
                            xt.data<float>()[xt.numel() - 5] = std::nanf("");
                            xt.data<float>()[7] = -0.0f;
                        }
                        check_exact(m, {xt}, "top_k", 1);
                    }
        }
    }
}

TEST_CASE("TopK step: one long line cut between the workers, merged as the reference (ties to the lower index)") {
    struct shape_case {
        shape s;
        std::int64_t axis;
    };
    // one line of 70001 (cut at 2 and 3 threads); two strided lines of 66000 (cut at 3 threads only)
    for (const auto& c : {shape_case{{70001}, 0}, shape_case{{1, 70001, 1}, 1}, shape_case{{66000, 2}, 0}}) {
        const auto axis = static_cast<std::size_t>(c.axis);
        const std::int64_t n = c.s[axis];
        for (std::int64_t k : {std::int64_t{1}, std::int64_t{100}, std::int64_t{40000}, n}) {
            for (auto mode : {ops::top_k_mode::max, ops::top_k_mode::min})
                for (auto sort : {ops::top_k_sort::value, ops::top_k_sort::index})
                    for (auto type : {element_type::f32, element_type::i32}) {
                        CAPTURE(to_string(c.s));
                        CAPTURE(k);
                        CAPTURE(int(mode));
                        CAPTURE(int(sort));
                        CAPTURE(std::string(ir_name(type)));
                        model m;
                        const output_ref x = param(m, type, c.s, "x");
                        const output_ref kc{m.add<ops::constant>({tensor::scalar(k)}, {}, "k"), 0};
                        const node_id t = m.add<ops::top_k>({c.axis, mode, sort, element_type::i32, true}, {x, kc}, "topk");
                        result(m, {t, 0});
                        result(m, {t, 1});
                        // 41 distinct values: ties across the segments' borders; NaN in f32
                        std::vector<double> v;
                        for (std::int64_t q : ints(numel(c.s), -20, 20, 13)) v.push_back(static_cast<double>(q) / 4.0);
                        tensor xt = typed(type, c.s, v);
                        if (type == element_type::f32) {
                            xt.data<float>()[5] = std::nanf("");
                            xt.data<float>()[xt.numel() - 3] = std::nanf("");
                        }
                        check_exact(m, {xt}, "top_k", 1);
                    }
        }
    }
}

TEST_CASE("Pad step: constant pads of zero and of a value, f32 and i64, small and shared by the workers, as the reference") {
    struct pad_case {
        shape s;
        std::vector<std::int64_t> begin, end;
    };
    // channel pads (BlazeFace's), an odd 4-D border, one long axis (one block), nothing padded (one
    // block), the first axis only, sizes large enough that 2 and 3 workers each fill and copy a range,
    // and an NCHW border of a 128x128 map (MediaPipe BlazePose's ZeroPadding2D: a block per input row;
    // as blocks of one element, 524288 of them, it had stayed on the reference kernel)
    for (const auto& c : {pad_case{{1, 8, 8, 24}, {0, 0, 0, 0}, {0, 0, 0, 8}}, pad_case{{2, 3, 5, 7}, {0, 1, 2, 0}, {1, 0, 3, 2}},
                          pad_case{{100003}, {3}, {5}}, pad_case{{3, 40, 1001}, {0, 0, 0}, {0, 0, 0}},
                          pad_case{{2, 37, 41, 23}, {0, 1, 2, 0}, {1, 0, 3, 2}}, pad_case{{1, 64, 64, 24}, {0, 0, 0, 0}, {0, 0, 0, 24}},
                          pad_case{{3, 5, 2}, {2, 0, 0}, {1, 0, 0}}, pad_case{{1, 32, 128, 128}, {0, 0, 1, 1}, {0, 0, 1, 2}}}) {
        for (auto type : {element_type::f32, element_type::i64})
            for (bool value : {false, true}) {
                CAPTURE(to_string(c.s));
                CAPTURE(std::string(ir_name(type)));
                CAPTURE(value);
                model m;
                const output_ref x = param(m, type, c.s, "x");
                const auto ints64 = [&](const std::vector<std::int64_t>& v, const char* name) {
                    return output_ref{m.add<ops::constant>({tensor::from_vector(v)}, {}, name), 0};
                };
                std::vector<output_ref> in{x, ints64(c.begin, "b"), ints64(c.end, "e")};
                if (value) in.push_back({m.add<ops::constant>({typed(type, {}, {-7.0})}, {}, "v"), 0});
                result(m, {m.add<ops::pad>({ops::pad_mode::constant}, in, "pad"), 0});
                std::vector<double> v;
                for (std::int64_t q : ints(numel(c.s), -50, 50, 17)) v.push_back(static_cast<double>(q));
                check_exact(m, {typed(type, c.s, v)}, "pad", 1);
            }
    }
}

TEST_CASE("Pad step in modes edge, reflect and symmetric: every axis, crops, u8 / f32 / i64, as the reference") {
    struct pad_case {
        shape s;
        std::vector<std::int64_t> begin, end;
    };
    // an image border (reflect's at most dim - 1), pads on the outer axes only, one axis, a crop on
    // the last axis (negative pads) beside a pad on another, a width-1 axis, rows shared by workers
    for (const auto& c : {pad_case{{2, 3, 8, 9}, {0, 0, 2, 3}, {0, 0, 1, 4}}, pad_case{{3, 4, 5, 6}, {1, 2, 0, 0}, {2, 1, 0, 0}},
                          pad_case{{17}, {5, }, {7}}, pad_case{{4, 6, 10}, {0, 2, -3}, {0, 1, -2}},
                          pad_case{{3, 5, 1}, {0, 1, 0}, {0, 2, 0}}, pad_case{{2, 64, 60, 61}, {0, 0, 3, 3}, {0, 0, 3, 3}}}) {
        for (auto mode : {ops::pad_mode::edge, ops::pad_mode::reflect, ops::pad_mode::symmetric})
            for (auto type : {element_type::u8, element_type::f32, element_type::i64}) {
                CAPTURE(to_string(c.s));
                CAPTURE(static_cast<int>(mode));
                CAPTURE(std::string(ir_name(type)));
                bool fits = true;  // reflect: pads at most dim - 1; a width-1 axis reflects onto itself only
                for (std::size_t d = 0; d < c.s.size(); ++d)
                    fits = fits && (mode != ops::pad_mode::reflect || std::max(c.begin[d], c.end[d]) <= c.s[d] - 1 ||
                                    std::max(c.begin[d], c.end[d]) <= 0);
                if (!fits) continue;
                model m;
                const output_ref x = param(m, type, c.s, "x");
                const auto ints64 = [&](const std::vector<std::int64_t>& v, const char* name) {
                    return output_ref{m.add<ops::constant>({tensor::from_vector(v)}, {}, name), 0};
                };
                result(m, {m.add<ops::pad>({mode}, {x, ints64(c.begin, "b"), ints64(c.end, "e")}, "pad"), 0});
                std::vector<double> v;
                for (std::int64_t q : ints(numel(c.s), 0, 200, 19)) v.push_back(static_cast<double>(q));
                const std::string kernel = mode == ops::pad_mode::edge ? "pad.edge" : mode == ops::pad_mode::reflect ? "pad.reflect" : "pad.symmetric";
                check_exact(m, {typed(type, c.s, v)}, kernel, 1);
            }
    }
}

TEST_CASE("Split steps: Split and VariadicSplit on any axis, a length of -1, f32 / i64, as the reference") {
    // (a part of length 0 makes the node run its reference kernel, as every node with an empty tensor)
    struct split_case {
        shape s;
        std::int64_t axis;
        std::vector<std::int64_t> lengths;  // empty: Split into `parts` equal parts
        std::int64_t parts;
    };
    for (const auto& c : {split_case{{2, 10, 7, 9}, 2, {3, 4}, 0}, split_case{{2, 10, 7, 9}, -1, {}, 3},
                          split_case{{6, 5}, 0, {}, 2}, split_case{{4, 12, 3}, 1, {5, -1, 2}, 0},
                          split_case{{3, 400, 90}, 1, {100, 300}, 0}, split_case{{1, 3, 2}, 2, {}, 1}}) {
        for (auto type : {element_type::f32, element_type::i64}) {
            CAPTURE(to_string(c.s));
            CAPTURE(c.axis);
            CAPTURE(std::string(ir_name(type)));
            model m;
            const output_ref x = param(m, type, c.s, "x");
            const output_ref axis{m.add<ops::constant>({tensor::scalar(c.axis)}, {}, "axis"), 0};
            node_id n;
            std::size_t outs;
            if (c.lengths.empty()) {
                n = m.add<ops::split>({c.parts}, {x, axis}, "split");
                outs = static_cast<std::size_t>(c.parts);
            } else {
                const output_ref len{m.add<ops::constant>({tensor::from_vector(c.lengths)}, {}, "lengths"), 0};
                n = m.add<ops::variadic_split>({}, {x, axis, len}, "split");
                outs = c.lengths.size();
            }
            for (std::size_t p = 0; p < outs; ++p) result(m, {n, p});
            std::vector<double> v;
            for (std::int64_t q : ints(numel(c.s), -1000, 1000, 23)) v.push_back(static_cast<double>(q));
            check_exact(m, {typed(type, c.s, v)}, "split", 1);
        }
    }
}

TEST_CASE("Convert step: every pair of element types, as the reference") {
    const element_type types[] = {element_type::f32, element_type::f16, element_type::f64, element_type::i8,
                                  element_type::i16, element_type::i32, element_type::i64, element_type::u8,
                                  element_type::u16, element_type::u32, element_type::u64, element_type::boolean};
    const auto is_unsigned = [](element_type t) {
        return t == element_type::u8 || t == element_type::u16 || t == element_type::u32 || t == element_type::u64 ||
               t == element_type::boolean;
    };
    const shape s{3, 37};  // 111 elements: not a multiple of any vector width
    for (element_type from : types)
        for (element_type to : types) {
            CAPTURE(std::string(ir_name(from)));
            CAPTURE(std::string(ir_name(to)));
            // values every type holds (no overflow, whose result C++ leaves undefined): fractions that
            // truncate toward zero, zeros (false), negatives where both types are signed
            const bool negative = !is_unsigned(from) && !is_unsigned(to);
            std::vector<double> v;
            for (std::int64_t q : ints(numel(s), negative ? -400 : 0, 400, 5)) v.push_back(static_cast<double>(q) / 4.0);
            v[0] = 0.0, v[1] = 1.0, v[2] = 0.25;
            model m;
            const output_ref x = param(m, from, s, "x");
            result(m, {m.add<ops::convert>({to}, {x}, "convert"), 0});
            check_exact(m, {typed(from, s, v)}, "convert", 1);
        }
}

TEST_CASE("arithmetic step: i32 / i64 index arithmetic and doubly broadcast f32, as the reference") {
    struct shapes {
        shape a, b;
    };
    for (const auto& c : {shapes{{2, 3, 5}, {2, 3, 5}}, shapes{{4, 1, 3}, {1, 5, 1}}, shapes{{7}, {}},
                          shapes{{}, {1, 6}}, shapes{{1, 2, 1, 33}, {3, 2, 5, 1}}, shapes{{100, 1}, {1}},
                          // large enough to be shared by the workers, cut mid-row: one merged row of
                          // 38885, rows of 1111 against one broadcast row, a broadcast column
                          shapes{{7, 5, 1111}, {7, 5, 1111}}, shapes{{7, 5, 1111}, {7, 1, 1111}},
                          shapes{{3, 1, 1}, {3, 11, 1001}}}) {
        for (auto type : {element_type::i32, element_type::i64, element_type::f32}) {
            CAPTURE(to_string(c.a));
            CAPTURE(to_string(c.b));
            CAPTURE(std::string(ir_name(type)));
            model m;
            const output_ref a = param(m, type, c.a, "a"), b = param(m, type, c.b, "b");
            result(m, {m.add<ops::add>({}, {a, b}, "add"), 0});
            result(m, {m.add<ops::subtract>({}, {b, a}, "sub"), 0});
            result(m, {m.add<ops::multiply>({}, {a, b}, "mul"), 0});
            result(m, {m.add<ops::divide>({ops::auto_broadcast::numpy, true}, {a, b}, "floordiv"), 0});
            result(m, {m.add<ops::divide>({ops::auto_broadcast::numpy, false}, {a, b}, "truncdiv"), 0});
            result(m, {m.add<ops::floor_mod>({}, {a, b}, "floormod"), 0});
            result(m, {m.add<ops::mod>({}, {a, b}, "mod"), 0});
            result(m, {m.add<ops::maximum>({}, {a, b}, "max"), 0});
            result(m, {m.add<ops::minimum>({}, {b, a}, "min"), 0});
            std::vector<double> va, vb;
            for (std::int64_t q : ints(numel(c.a), -50, 50, 3)) va.push_back(static_cast<double>(q));
            for (std::int64_t q : ints(numel(c.b), -7, 7, 9)) vb.push_back(static_cast<double>(q));  // zeros too
            if (type == element_type::f32)
                for (auto& x : vb) x = x == 0.0 ? 0.5 : x / 2.0;
            m.validate();
            // the eltwise family keeps the f32 cases of its own (equal shapes, a scalar operand ...)
            const rt::plan p(m, {c.a, c.b});
            const std::size_t taken = count_kernel(p, "arithmetic");
            CHECK(taken + count_kernel(p, "eltwise") == 9);
            if (type != element_type::f32 || c.a == shape{4, 1, 3}) CHECK(taken == 9);  // both operands broadcast
            check_exact(m, {typed(type, c.a, va), typed(type, c.b, vb)}, "arithmetic", taken);
        }
    }
}

TEST_CASE("Gather step: any axis, batch_dims, computed i32 / i64 indices, negative and out of range, as the reference") {
    struct gather_case {
        shape data, indices;
        std::int64_t axis, batch_dims;
    };
    for (const auto& c : {gather_case{{13, 5}, {4}, 0, 0}, gather_case{{2, 7, 3}, {3, 2}, 1, 0},
                          gather_case{{2, 7, 3}, {}, 2, 0}, gather_case{{3, 9, 2}, {3, 4}, 1, 1},
                          gather_case{{1, 1000, 6}, {1, 100}, 1, 1}, gather_case{{4, 6}, {5}, -1, 0}})
        for (auto type : {element_type::f32, element_type::i32, element_type::boolean})
            for (auto index_type : {element_type::i32, element_type::i64}) {
                CAPTURE(to_string(c.data));
                CAPTURE(to_string(c.indices));
                CAPTURE(c.axis);
                CAPTURE(std::string(ir_name(type)));
                CAPTURE(std::string(ir_name(index_type)));
                model m;
                const output_ref x = param(m, type, c.data, "x"), ix = param(m, index_type, c.indices, "i");
                const output_ref axis{m.add<ops::constant>({tensor::scalar(c.axis)}, {}, "axis"), 0};
                result(m, {m.add<ops::gather>({c.batch_dims}, {x, ix, axis}, "gather"), 0});
                const auto ax = static_cast<std::size_t>(c.axis < 0 ? c.axis + static_cast<std::int64_t>(c.data.size())
                                                                    : c.axis);
                const std::int64_t dim = c.data[ax];
                std::vector<double> vx, vi;
                for (std::int64_t q : ints(numel(c.data), -9, 9, 21)) vx.push_back(static_cast<double>(q) / 2.0);
                // in range, negative (from the end), and out of range either way (a row of zeros)
                for (std::int64_t q : ints(numel(c.indices), -dim - 2, dim + 1, 23)) vi.push_back(static_cast<double>(q));
                check_exact(m, {typed(type, c.data, vx), typed(index_type, c.indices, vi)}, "gather", 1);
            }
}
