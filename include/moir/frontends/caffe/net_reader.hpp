#ifndef MOIR_FRONTENDS_CAFFE_NET_READER_HPP
#define MOIR_FRONTENDS_CAFFE_NET_READER_HPP

// Reading a Caffe model: the deploy .prototxt (protobuf text, frontends/common/prototext.hpp) gives
// the layers, their parameters and the inputs; the .caffemodel (binary NetParameter, read with
// frontends/common/protobuf_wire.hpp) gives the trained blobs, matched to the layers by name. Both
// layer generations are read: V2 `layer { type: "Convolution" }` and V1 `layers { type: CONVOLUTION }`
// (enum types spelled as their V2 names here), and the input forms `input:` + `input_shape { dim }`,
// `input:` + `input_dim`, and Input layers. Layers restricted to the TRAIN phase are dropped.

#include <moir/core/errors.hpp>
#include <moir/frontends/common/prototext.hpp>
#include <moir/frontends/common/protobuf_wire.hpp>

#include <cstddef>        // size_t
#include <cstdint>        // int64_t, uint8_t
#include <fstream>        // ifstream
#include <iterator>       // istreambuf_iterator
#include <map>            // map
#include <string>         // string, to_string
#include <unordered_map>  // unordered_map
#include <utility>        // move
#include <vector>         // vector

namespace moir::caffe {

/// One trained array of a layer (BlobProto): its shape (the legacy num/channels/height/width when
/// no shape is given) and its values. invariant: data.size() == product(shape).
struct blob {
    std::vector<std::int64_t> shape;
    std::vector<float> data;
};

/// One layer of the deploy file. `params` is the layer's whole message (type-specific parameters
/// are its `<type>_param` sub-messages); `where` is "<file>:<line>:<col>" of its definition.
struct layer {
    std::string name, type;
    std::vector<std::string> bottoms, tops;
    const prototext::message* params = nullptr;
    std::vector<blob> blobs;
    std::string where;
};

/// A graph input declared outside the layers (`input:` with input_shape / input_dim), or by an Input layer.
struct net_input {
    std::string name;
    std::vector<std::int64_t> shape;  ///< empty when the file gives none
};

/// A whole model: the deploy file's document (owning the layers' parameters) and the layers in order.
struct net {
    std::string proto_path, weights_path;
    prototext::document doc;
    std::string name;
    std::vector<net_input> inputs;
    std::vector<layer> layers;
    bool v1 = false;  ///< the file uses V1 `layers { }`
};

namespace detail {

/// V1LayerParameter.LayerType -> the V2 type name.
inline std::string v1_type_name(const std::string& e) {
    static const std::map<std::string, std::string> names{
        {"ABSVAL", "AbsVal"}, {"ACCURACY", "Accuracy"}, {"ARGMAX", "ArgMax"}, {"BNLL", "BNLL"},
        {"CONCAT", "Concat"}, {"CONTRASTIVE_LOSS", "ContrastiveLoss"}, {"CONVOLUTION", "Convolution"},
        {"DATA", "Data"}, {"DECONVOLUTION", "Deconvolution"}, {"DROPOUT", "Dropout"}, {"DUMMY_DATA", "DummyData"},
        {"EUCLIDEAN_LOSS", "EuclideanLoss"}, {"ELTWISE", "Eltwise"}, {"EXP", "Exp"}, {"FLATTEN", "Flatten"},
        {"HDF5_DATA", "HDF5Data"}, {"HDF5_OUTPUT", "HDF5Output"}, {"HINGE_LOSS", "HingeLoss"}, {"IM2COL", "Im2col"},
        {"IMAGE_DATA", "ImageData"}, {"INFOGAIN_LOSS", "InfogainLoss"}, {"INNER_PRODUCT", "InnerProduct"},
        {"LRN", "LRN"}, {"MEMORY_DATA", "MemoryData"}, {"MULTINOMIAL_LOGISTIC_LOSS", "MultinomialLogisticLoss"},
        {"MVN", "MVN"}, {"POOLING", "Pooling"}, {"POWER", "Power"}, {"RELU", "ReLU"}, {"SIGMOID", "Sigmoid"},
        {"SIGMOID_CROSS_ENTROPY_LOSS", "SigmoidCrossEntropyLoss"}, {"SILENCE", "Silence"}, {"SOFTMAX", "Softmax"},
        {"SOFTMAX_LOSS", "SoftmaxWithLoss"}, {"SPLIT", "Split"}, {"SLICE", "Slice"}, {"TANH", "TanH"},
        {"WINDOW_DATA", "WindowData"}, {"THRESHOLD", "Threshold"}};
    const auto it = names.find(e);
    return it == names.end() ? e : it->second;
}
/// V1 enum numbers (a caffemodel stores the enum as a number) -> V1 enum names.
inline std::string v1_type_of_number(std::int64_t n) {
    static const std::map<std::int64_t, std::string> names{
        {35, "ABSVAL"},  {1, "ACCURACY"},  {30, "ARGMAX"},      {2, "BNLL"},   {3, "CONCAT"},   {37, "CONTRASTIVE_LOSS"},
        {4, "CONVOLUTION"}, {5, "DATA"},   {39, "DECONVOLUTION"}, {6, "DROPOUT"}, {32, "DUMMY_DATA"},
        {7, "EUCLIDEAN_LOSS"}, {25, "ELTWISE"}, {38, "EXP"},    {8, "FLATTEN"}, {9, "HDF5_DATA"}, {10, "HDF5_OUTPUT"},
        {28, "HINGE_LOSS"}, {11, "IM2COL"}, {12, "IMAGE_DATA"}, {13, "INFOGAIN_LOSS"}, {14, "INNER_PRODUCT"},
        {15, "LRN"},     {29, "MEMORY_DATA"}, {16, "MULTINOMIAL_LOGISTIC_LOSS"}, {34, "MVN"}, {17, "POOLING"},
        {26, "POWER"},   {18, "RELU"},     {19, "SIGMOID"},     {27, "SIGMOID_CROSS_ENTROPY_LOSS"}, {36, "SILENCE"},
        {20, "SOFTMAX"}, {21, "SOFTMAX_LOSS"}, {22, "SPLIT"},   {33, "SLICE"}, {23, "TANH"},  {24, "WINDOW_DATA"},
        {31, "THRESHOLD"}};
    const auto it = names.find(n);
    return it == names.end() ? "V1 type " + std::to_string(n) : it->second;
}

inline blob read_blob(protobuf::reader r, const std::string& where) {
    blob b;
    std::int64_t legacy[4] = {0, 0, 0, 0};
    bool has_legacy = false, has_shape = false;
    std::vector<double> dbl;
    protobuf::tag t;
    while (r.next(t)) {
        switch (t.field) {
            case 7: {  // BlobShape
                has_shape = true;
                protobuf::reader s = r.read_message(t);
                protobuf::tag st;
                while (s.next(st)) {
                    if (st.field == 1) s.read_repeated_varint(st, b.shape);
                    else s.skip(st);
                }
                break;
            }
            case 5: r.read_repeated_fixed(t, b.data); break;
            case 8: r.read_repeated_fixed(t, dbl); break;
            case 1: case 2: case 3: case 4:
                legacy[t.field - 1] = r.read_int32(t);
                has_legacy = true;
                break;
            default: r.skip(t);
        }
    }
    if (!has_shape && has_legacy) b.shape.assign(legacy, legacy + 4);
    if (b.data.empty() && !dbl.empty()) b.data.assign(dbl.begin(), dbl.end());
    std::int64_t n = 1;
    for (auto d : b.shape) {
        MOIR_CHECK(d >= 0 && (d == 0 || n <= (std::int64_t{1} << 40) / d), parse_error, where + ": bad blob shape");
        n *= d;
    }
    MOIR_CHECK(static_cast<std::int64_t>(b.data.size()) == n, parse_error,
               where + " has " + std::to_string(b.data.size()) + " values for its shape of " + std::to_string(n) +
                   " elements");
    return b;
}

/// A LayerParameter (V2) or V1LayerParameter: name and blobs (and the V1 type).
inline void read_weight_layer(protobuf::reader r, bool v1, const std::string& path,
                              std::unordered_map<std::string, std::vector<blob>>& out) {
    const std::uint32_t name_field = v1 ? 4 : 1, blobs_field = v1 ? 6 : 7;
    std::string name;
    std::vector<protobuf::reader> blobs;
    protobuf::tag t;
    while (r.next(t)) {
        if (t.field == name_field) name = r.read_string(t);
        else if (t.field == blobs_field) blobs.push_back(r.read_message(t));
        else r.skip(t);
    }
    if (blobs.empty() || out.count(name)) return;
    std::vector<blob>& v = out[name];
    for (std::size_t i = 0; i < blobs.size(); ++i)
        v.push_back(read_blob(blobs[i], path + ": layer '" + name + "' blob " + std::to_string(i)));
}

inline std::vector<std::int64_t> dims_of(const prototext::message& shape) { return shape.get_ints("dim"); }

/// Whether a layer's include/exclude rules keep it in the TEST phase (deploy).
inline bool in_test_phase(const prototext::message& l) {
    for (const auto* f : l.all("include"))
        if (f->as_message().get_enum("phase", "TEST") == "TRAIN") return false;
    for (const auto* f : l.all("exclude"))
        if (f->as_message().get_enum("phase", "") == "TEST") return false;
    return l.get_enum("phase", "TEST") != "TRAIN";
}

}  // namespace detail

/// Decodes the trained blobs of a .caffemodel held in `bytes`, by layer name (V2 `layer` and V1
/// `layers`); `path` names the file in errors.
/// ensures: throws moir::parse_error naming the file and byte for malformed or truncated data, and
/// the layer and blob for a blob whose values do not fill its shape.
inline std::unordered_map<std::string, std::vector<blob>> parse_caffemodel(const std::string& bytes, const std::string& path) {
    MOIR_CHECK(!bytes.empty(), parse_error, path + ": the Caffe weights file is empty");
    protobuf::reader r(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), path);
    std::unordered_map<std::string, std::vector<blob>> out;
    protobuf::tag t;
    while (r.next(t)) {
        if (t.field == 100) detail::read_weight_layer(r.read_message(t), false, path, out);
        else if (t.field == 2) detail::read_weight_layer(r.read_message(t), true, path, out);
        else r.skip(t);
    }
    return out;
}

/// Reads the trained blobs of the .caffemodel at `path`. ensures: moir::error when it cannot be
/// opened, else as parse_caffemodel.
inline std::unordered_map<std::string, std::vector<blob>> read_caffemodel(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, path + ": cannot open the Caffe weights file");
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return parse_caffemodel(bytes, path);
}

/// Reads a deploy .prototxt and, when `weights_path` is not empty, the .caffemodel's blobs for its layers.
/// ensures: syntax errors give "<file>:<line>:<col>"; layers missing a name or type, and files that
/// mix `layer` and `layers`, are errors; blobs are matched by layer name (a layer the weights lack
/// has none; the converters say what they need).
inline net read_net(const std::string& proto_path, const std::string& weights_path) {
    net n;
    n.proto_path = proto_path;
    n.weights_path = weights_path;
    n.doc = prototext::parse_file(proto_path);
    const prototext::message& root = *n.doc;
    n.name = root.get_string("name");
    const auto v2 = root.all("layer");
    const auto v1 = root.all("layers");
    MOIR_CHECK(v2.empty() || v1.empty(), parse_error,
               proto_path + ": mixes V2 'layer' and V1 'layers' definitions");
    n.v1 = !v1.empty();

    // inputs outside the layers
    const auto names = root.get_strings("input");
    const auto shapes = root.all("input_shape");
    const auto dims = root.get_ints("input_dim");
    MOIR_CHECK(shapes.empty() || dims.empty(), parse_error, proto_path + ": gives both input_shape and input_dim");
    MOIR_CHECK(shapes.empty() || shapes.size() == names.size(), parse_error,
               proto_path + ": " + std::to_string(names.size()) + " inputs but " + std::to_string(shapes.size()) +
                   " input_shape entries");
    MOIR_CHECK(dims.empty() || dims.size() == 4 * names.size(), parse_error,
               proto_path + ": " + std::to_string(names.size()) + " inputs need " + std::to_string(4 * names.size()) +
                   " input_dim values, the file gives " + std::to_string(dims.size()));
    for (std::size_t i = 0; i < names.size(); ++i) {
        net_input in{names[i], {}};
        if (!shapes.empty()) in.shape = detail::dims_of(shapes[i]->as_message());
        else if (!dims.empty()) in.shape.assign(dims.begin() + static_cast<std::ptrdiff_t>(4 * i), dims.begin() + static_cast<std::ptrdiff_t>(4 * i + 4));
        n.inputs.push_back(in);
    }

    std::unordered_map<std::string, std::vector<blob>> weights;
    if (!weights_path.empty()) weights = read_caffemodel(weights_path);

    for (const prototext::field* f : n.v1 ? v1 : v2) {
        const prototext::message& m = f->as_message();
        if (!detail::in_test_phase(m)) continue;
        layer l;
        l.params = &m;
        l.where = f->where();
        l.name = m.get_string("name");
        const prototext::field* tf = m.find("type");
        MOIR_CHECK(tf, parse_error, l.where + ": layer '" + l.name + "' has no type");
        if (n.v1) {
            l.type = detail::v1_type_name(tf->kind == prototext::value_kind::number
                                              ? detail::v1_type_of_number(tf->as_int())
                                              : tf->as_enum());
        } else {
            l.type = tf->as_string();
        }
        if (l.name.empty()) l.name = l.type + "_" + std::to_string(n.layers.size());
        l.bottoms = m.get_strings("bottom");
        l.tops = m.get_strings("top");
        const auto it = weights.find(l.name);
        if (it != weights.end()) l.blobs = std::move(it->second);
        n.layers.push_back(std::move(l));
    }
    return n;
}

}  // namespace moir::caffe

#endif  // MOIR_FRONTENDS_CAFFE_NET_READER_HPP
