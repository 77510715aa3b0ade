#ifndef MOIR_CONVERT_CALIBRATION_DATA_HPP
#define MOIR_CONVERT_CALIBRATION_DATA_HPP

// INT8 conversion's inputs: reading --calibration_data (a folder of .npy files for a single-input
// model, or NAME=DIR per input, the folders' files paired by sorted name), checking every file
// against the model's inputs before the long run starts, and running the calibration with progress
// lines sent to a log function.

#include <moir/convert/flags.hpp>
#include <moir/io/npy.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/passes/quantize/calibrate_int8.hpp>

#include <algorithm>  // find, min, sort, stable_sort
#include <cstddef>     // size_t
#include <filesystem>  // directory_iterator, exists, is_directory
#include <functional>  // function
#include <string>      // string
#include <vector>     // vector

namespace moir {

/// What --calibration_data and --calibration_subset give: one input set per run, in model input order.
struct calibration_sets {
    std::vector<std::vector<tensor>> sets;
    std::vector<std::string> first_files;  ///< the first input's file of each set, for messages
};

namespace detail {
/// The .npy files of a calibration folder, sorted by name. ensures: throws naming the folder when
/// it is missing, not a folder, or holds no .npy file.
template <class = void>
inline std::vector<std::string> calibration_files(const std::string& dir) {
    MOIR_CHECK(std::filesystem::exists(dir), error, "--calibration_data " + dir + ": no such folder");
    MOIR_CHECK(std::filesystem::is_directory(dir), error, "--calibration_data " + dir + ": not a folder");
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.is_regular_file() && frontends::extension_of(e.path().string()) == ".npy") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    MOIR_CHECK(!files.empty(), error, "--calibration_data " + dir + ": the folder holds no .npy file");
    return files;
}

/// One calibration file read as model input i. ensures: throws naming the file when it is not a
/// numeric .npy, has another rank than the input, or a dim the input fixes differently.
template <class = void>
inline tensor calibration_tensor(const model& m, std::size_t i, const std::string& file) {
    tensor t;
    try {
        t = npy::load(file);
    } catch (const error& e) {
        throw error(std::string("--calibration_data: ") + e.what());
    }
    const auto& p = m.at(m.parameters[i]).attrs_as<ops::parameter>();
    MOIR_CHECK(t.type() != element_type::boolean && (is_float(t.type()) || is_integer(t.type())), error,
               file + ": a " + std::string(ir_name(t.type())) + " array cannot feed input '" + m.input_name(i) +
                   "' (" + std::string(ir_name(p.element_type)) + ")");
    MOIR_CHECK(is_float(p.element_type), error,
               file + ": input '" + m.input_name(i) + "' is " + std::string(ir_name(p.element_type)) +
                   "; INT8 calibration needs floating-point inputs");
    if (!p.shape.rank_dynamic) {
        MOIR_CHECK(t.rank() == p.shape.rank(), error,
                   file + ": shape [" + to_string(t.dims()) + "] has rank " + std::to_string(t.rank()) + ", input '" +
                       m.input_name(i) + "' " + p.shape.str() + " has rank " + std::to_string(p.shape.rank()));
        for (std::size_t d = 0; d < t.rank(); ++d)
            MOIR_CHECK(p.shape.dims[d] < 0 || p.shape.dims[d] == t.dims()[d], error,
                       file + ": shape [" + to_string(t.dims()) + "] does not fit input '" + m.input_name(i) + "' " +
                           p.shape.str());
    }
    return t.type() == p.element_type ? t : t.converted(p.element_type);
}
}  // namespace detail

/// Reads --calibration_data for m. spec: DIR (single-input model) or NAME=DIR[,NAME=DIR...]
/// naming every input; subset > 0 keeps the first `subset` sets. ensures: every file checked and
/// loaded; throws moir::error naming the flag, folder or file and the reason otherwise.
template <class = void>
inline calibration_sets read_calibration_data(const model& m, const std::string& spec, std::size_t subset) {
    std::vector<std::vector<std::string>> files(m.parameters.size());
    const std::vector<std::string> parts = flags::split_list(spec, ',');
    MOIR_CHECK(!parts.empty(), error, "--calibration_data is empty");
    for (const auto& part : parts) {
        const auto eq = part.find('=');
        std::string name, dir;
        if (eq == std::string::npos) {
            MOIR_CHECK(parts.size() == 1 && m.parameters.size() == 1, error,
                       "--calibration_data " + part + ": the model has " + std::to_string(m.parameters.size()) +
                           " inputs; give NAME=DIR for each");
            name = m.input_name(0);
            dir = part;
        } else {
            name = part.substr(0, eq);
            dir = part.substr(eq + 1);
        }
        std::size_t idx = m.parameters.size();
        for (std::size_t i = 0; i < m.parameters.size(); ++i) {
            const auto& names = m.at(m.parameters[i]).outputs[0].names;
            if (m.at(m.parameters[i]).name == name || std::find(names.begin(), names.end(), name) != names.end()) idx = i;
        }
        if (idx == m.parameters.size()) {
            std::string known;
            for (std::size_t i = 0; i < m.parameters.size(); ++i) known += (i ? ", " : "") + m.input_name(i);
            throw error("--calibration_data " + part + ": the model has no input '" + name + "' (inputs: " + known + ")");
        }
        MOIR_CHECK(files[idx].empty(), error, "--calibration_data: input '" + name + "' is given twice");
        files[idx] = detail::calibration_files(dir);
    }
    for (std::size_t i = 0; i < files.size(); ++i)
        MOIR_CHECK(!files[i].empty(), error, "--calibration_data gives no folder for input '" + m.input_name(i) + "'");
    for (std::size_t i = 1; i < files.size(); ++i)
        MOIR_CHECK(files[i].size() == files[0].size(), error,
                   "--calibration_data: the folders hold different numbers of .npy files (" +
                       std::to_string(files[0].size()) + " for '" + m.input_name(0) + "', " +
                       std::to_string(files[i].size()) + " for '" + m.input_name(i) + "')");
    std::size_t n = files[0].size();
    if (subset) n = std::min(n, subset);
    calibration_sets out;
    for (std::size_t s = 0; s < n; ++s) {
        std::vector<tensor> set;
        for (std::size_t i = 0; i < files.size(); ++i) set.push_back(detail::calibration_tensor(m, i, files[i][s]));
        out.sets.push_back(std::move(set));
        out.first_files.push_back(files[0][s]);
    }
    return out;
}

/// Calibrates m on the sets, sending "calibrating: k/N" lines to `log` (about 20 of them, and the
/// last; none when log is empty). The sets run grouped by shape, so the plan compiles once per
/// distinct shape.
template <class = void>
inline passes::calibration_table run_calibration(const model& m, const calibration_sets& data,
                                                 passes::calibration_options opt,
                                                 const std::function<void(const std::string&)>& log = {}) {
    std::vector<std::size_t> order(data.sets.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto dims_of = [&](std::size_t i) {
        std::vector<shape> d;
        for (const auto& t : data.sets[i]) d.push_back(t.dims());
        return d;
    };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return dims_of(a) < dims_of(b); });
    const std::size_t total = order.size(), every = std::max<std::size_t>(1, total / 20);
    opt.progress = [&](std::size_t done, std::size_t all) {
        if (log && (done % every == 0 || done == all))
            log("calibrating: " + std::to_string(done) + "/" + std::to_string(all));
    };
    std::size_t current = 0;
    try {
        return passes::calibrate_int8(
            m, total,
            [&](std::size_t k) {
                current = order[k];
                return data.sets[current];
            },
            opt);
    } catch (const error& e) {
        throw error("--calibration_data: " + data.first_files.at(current) + ": " + e.what());
    }
}

}  // namespace moir

#endif  // MOIR_CONVERT_CALIBRATION_DATA_HPP
