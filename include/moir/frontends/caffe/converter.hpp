#ifndef MOIR_FRONTENDS_CAFFE_CONVERTER_HPP
#define MOIR_FRONTENDS_CAFFE_CONVERTER_HPP

// What a Caffe layer converter sees: the common basic_context over a view of one layer (bottoms
// as inputs, tops as outputs, parameters by dotted path: "convolution_param.num_output"), plus the
// layer's trained blobs. The op table maps Caffe layer types (V2 spelling) to converters.

#include <moir/core/errors.hpp>
#include <moir/core/tensor.hpp>
#include <moir/frontends/caffe/net_reader.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/common/prototext.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <optional>     // optional
#include <string>       // string, to_string
#include <type_traits>  // is_same_v
#include <vector>       // vector

namespace moir::caffe {

/// One layer seen through the frontend interface's NodeView concept.
class layer_view {
public:
    explicit layer_view(const layer& l) : l_(&l) {}
    const layer& get() const { return *l_; }
    std::string name() const { return l_->name; }
    std::string op_type() const { return l_->type; }
    std::size_t input_count() const { return l_->bottoms.size(); }
    std::string input_name(std::size_t i) const { return l_->bottoms.at(i); }
    std::size_t output_count() const { return l_->tops.size(); }
    std::string output_name(std::size_t i) const { return l_->tops.at(i); }

    /// Whether the parameter at a dotted path ("concat_param.axis") is given.
    bool has(const std::string& key) const {
        const prototext::message* m = l_->params;
        std::string rest = key;
        for (auto dot = rest.find('.'); dot != std::string::npos; dot = rest.find('.')) {
            const prototext::field* f = m->find(rest.substr(0, dot));
            if (!f) return false;
            m = &f->as_message();
            rest = rest.substr(dot + 1);
        }
        return m->has(rest);
    }

    /// Parameter at a dotted path ("pooling_param.pool"), nullopt when absent. T: std::int64_t,
    /// float, double, bool, std::string (strings and enum values), std::vector<std::int64_t>,
    /// std::vector<float> (repeated fields; absent -> nullopt).
    template <class T>
    std::optional<T> attribute(const std::string& key) const {
        const prototext::message* m = l_->params;
        std::string rest = key;
        for (auto dot = rest.find('.'); dot != std::string::npos; dot = rest.find('.')) {
            const prototext::field* f = m->find(rest.substr(0, dot));
            if (!f) return std::nullopt;
            m = &f->as_message();
            rest = rest.substr(dot + 1);
        }
        if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
            if (!m->has(rest)) return std::nullopt;
            return m->get_ints(rest);
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
            if (!m->has(rest)) return std::nullopt;
            std::vector<float> r;
            for (double d : m->get_floats(rest)) r.push_back(static_cast<float>(d));
            return r;
        } else {
            const prototext::field* f = m->find(rest);
            if (!f) return std::nullopt;
            if constexpr (std::is_same_v<T, std::int64_t>) return f->as_int();
            else if constexpr (std::is_same_v<T, float>) return static_cast<float>(f->as_float());
            else if constexpr (std::is_same_v<T, double>) return f->as_float();
            else if constexpr (std::is_same_v<T, bool>) return f->as_bool();
            else if constexpr (std::is_same_v<T, std::string>)
                return f->kind == prototext::value_kind::string ? f->as_string() : f->as_enum();
            else static_assert(sizeof(T) == 0, "moir: unsupported Caffe parameter type");
        }
    }

private:
    const layer* l_;
};

/// A converter's view of one layer: basic_context plus the layer's blobs.
class context : public frontends::basic_context<layer_view> {
public:
    context(frontends::graph_builder& g, const layer_view& v) : basic_context(g, v) {}

    const layer& caffe_layer() const { return node().get(); }
    std::size_t blob_count() const { return caffe_layer().blobs.size(); }
    /// ensures: throws moir::error unless the layer has between lo and hi trained blobs.
    void require_blobs(std::size_t lo, std::size_t hi, const char* what) const {
        const std::size_t n = blob_count();
        MOIR_CHECK(n >= lo && n <= hi, error,
                   "has " + frontends::count_of(n, "blob") + " in the weights file, expected " +
                       (lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi)) + " (" +
                       what + ")");
    }
    /// Blob i as an f32 tensor of `expected` shape (its element count must match; Caffe's legacy
    /// 4-D shapes like [1, 1, 1, C] are accepted for a [C] blob). ensures: errors name the blob.
    tensor blob_tensor(std::size_t i, const shape& expected, const char* what) const {
        MOIR_CHECK(i < blob_count(), error, std::string("blob ") + std::to_string(i) + " (" + what + ") is missing");
        const blob& b = caffe_layer().blobs[i];
        std::int64_t n = 1;
        for (auto d : expected) n *= d;
        std::string got, want;
        for (auto d : b.shape) got += (got.empty() ? "" : ",") + std::to_string(d);
        for (auto d : expected) want += (want.empty() ? "" : ",") + std::to_string(d);
        MOIR_CHECK(static_cast<std::int64_t>(b.data.size()) == n, error,
                   std::string("blob ") + std::to_string(i) + " (" + what + ") has shape [" + got + "], expected [" +
                       want + "]");
        return tensor::from_vector(b.data, expected);
    }
    /// Blob i with its own shape.
    tensor blob_tensor(std::size_t i, const char* what) const {
        MOIR_CHECK(i < blob_count(), error, std::string("blob ") + std::to_string(i) + " (" + what + ") is missing");
        const blob& b = caffe_layer().blobs[i];
        return tensor::from_vector(b.data, shape(b.shape.begin(), b.shape.end()));
    }
    /// Whether the parameter at a dotted path is given.
    bool has_param(const std::string& key) const { return node().has(key); }
    /// The type-specific parameter message ("convolution_param"); empty when absent.
    const prototext::message& param(const char* name) const { return caffe_layer().params->get_message(name); }
    /// Static dims of input i. ensures: an error when the rank or a dim is unknown.
    shape input_dims(std::size_t i) {
        const auto& p = input_port(i).shape;
        MOIR_CHECK(!p.rank_dynamic, error, "input " + std::to_string(i) + " has an unknown rank");
        shape s;
        for (auto d : p.dims) {
            MOIR_CHECK(d >= 0, error, "input " + std::to_string(i) + " has a dynamic dim " + p.str());
            s.push_back(d);
        }
        return s;
    }
};

/// Caffe layer type -> converter.
using op_table = frontends::basic_op_table<context>;

}  // namespace moir::caffe

#endif  // MOIR_FRONTENDS_CAFFE_CONVERTER_HPP
