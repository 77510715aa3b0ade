// ocr_accuracy: the accuracy of the PaddleOCR recognizer (rec) or direction classifier (cls) on a
// labelled set of rendered text lines, with moir's compiled plan or from another runtime's saved
// outputs. benchmarks/ocr_accuracy.py drives it over onnxruntime, moir FP32, FP16 and INT8 IRs.
#include "ocr.hpp"

#include <cstdio>      // printf, fprintf
#include <exception>   // exception
#include <filesystem>  // directory_iterator, is_directory
#include <fstream>     // ifstream
#include <memory>      // unique_ptr, make_unique
#include <sstream>     // ostringstream
#include <string>      // string, getline
#include <vector>      // vector

namespace {

namespace fs = std::filesystem;

const char* const usage =
    "usage: ocr_accuracy rec --lines DIR --keys KEYS.txt (--model REC.xml [--threads N] | --outputs DIR)\n"
    "                        [--show_errors]\n"
    "       ocr_accuracy cls --lines DIR (--model CLS.xml [--threads N] | --outputs DIR)\n"
    "\n"
    "Measures a PaddleOCR model on the labelled lines of DIR, as tools/render_text.py lines writes\n"
    "them: DIR/NAME.npy (the model input) and DIR/labels.txt, one 'NAME<TAB>TEXT' line per input\n"
    "(cls: 'NAME<TAB>TEXT<TAB>ANGLE', ANGLE 0 or 180, from render_text.py lines --rotate_odd).\n"
    "\n"
    "  rec: greedy CTC decoding with the dictionary KEYS (ppocr_keys_v1.txt); prints JSON with the\n"
    "       line count, exact line matches, character accuracy = 1 - sum(edit distance) / sum(label\n"
    "       length) in Unicode characters (may go below 0 on garbage), both in %, and the mean\n"
    "       inference time per line in ms.\n"
    "  cls: the label with the higher probability ([1,2]: '0', '180'); prints JSON with the share\n"
    "       of lines whose angle is found, in %, and the mean inference time.\n"
    "\n"
    "  --model X.xml  run the IR with moir's compiled plan (the first line runs once untimed, to\n"
    "                 compile the plan); --threads N threads (default 1)\n"
    "  --outputs DIR  read the model outputs instead, DIR/NAME/<one>.npy, as 'moir run' and\n"
    "                 'node tools/ort_run.js --input x=DIR/' write them (no timing)\n"
    "  --show_errors  print each misread line to stderr\n"
    "  -h, --help     this help\n"
    "Exit status: 0 on success, 1 on an error (named with its file), 2 on a usage error.\n";

int usage_error(const std::string& msg) {
    std::fprintf(stderr, "ocr_accuracy: error: %s\n%s", msg.c_str(), usage);
    return 2;
}

struct sample {
    std::string name, text;
    int angle = 0;
};

std::vector<sample> read_labels(const std::string& dir, bool with_angle) {
    const std::string path = dir + "/labels.txt";
    std::ifstream f(path);
    if (!f) throw ocr::error(path + ": cannot open (make the set with tools/render_text.py lines)");
    std::vector<sample> r;
    std::size_t n = 0;
    for (std::string line; std::getline(f, line);) {
        ++n;
        if (line.empty()) continue;
        const auto tab = line.find('\t');
        if (tab == std::string::npos) throw ocr::error(path + ":" + std::to_string(n) + ": expected NAME<TAB>TEXT");
        sample s{line.substr(0, tab), line.substr(tab + 1)};
        if (with_angle) {
            const auto tab2 = s.text.rfind('\t');
            const std::string angle = tab2 == std::string::npos ? "" : s.text.substr(tab2 + 1);
            if (angle != "0" && angle != "180")
                throw ocr::error(path + ":" + std::to_string(n) + ": expected a third column 0 or 180 (render_text.py lines --rotate_odd)");
            s.angle = angle == "180" ? 180 : 0;
            s.text.resize(tab2);
        }
        r.push_back(std::move(s));
    }
    if (r.empty()) throw ocr::error(path + ": no labelled lines");
    return r;
}

/// The one .npy in dir/name/ (a runtime's saved output for one input).
moir::tensor saved_output(const std::string& dir, const std::string& name) {
    const fs::path d = fs::path(dir) / name;
    if (!fs::is_directory(d)) throw ocr::error(d.string() + ": no saved outputs for input " + name);
    std::string found;
    for (const auto& e : fs::directory_iterator(d))
        if (e.path().extension() == ".npy") {
            if (!found.empty()) throw ocr::error(d.string() + ": more than one output .npy");
            found = e.path().string();
        }
    if (found.empty()) throw ocr::error(d.string() + ": no output .npy");
    return moir::npy::load(found);
}

std::string json_string(const std::string& s) {
    std::string r = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') r += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            r += buf;
            continue;
        }
        r += c;
    }
    return r + "\"";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage_error("no subcommand (rec or cls)");
    const std::string cmd = argv[1];
    if (cmd == "-h" || cmd == "--help") {
        std::fputs(usage, stdout);
        return 0;
    }
    if (cmd != "rec" && cmd != "cls") return usage_error("unknown subcommand '" + cmd + "' (rec or cls)");
    std::string lines_dir, keys, model, outputs;
    std::size_t threads = 1;
    bool show = false;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= argc) return false;
            out = argv[++i];
            return true;
        };
        std::string v;
        if (a == "-h" || a == "--help") {
            std::fputs(usage, stdout);
            return 0;
        } else if (a == "--lines") {
            if (!value(lines_dir)) return usage_error("--lines expects a folder");
        } else if (a == "--keys") {
            if (!value(keys)) return usage_error("--keys expects a file");
        } else if (a == "--model") {
            if (!value(model)) return usage_error("--model expects a file");
        } else if (a == "--outputs") {
            if (!value(outputs)) return usage_error("--outputs expects a folder");
        } else if (a == "--threads") {
            if (!value(v) || v.find_first_not_of("0123456789") != std::string::npos || v.empty() || std::stoul(v) < 1)
                return usage_error("--threads expects an integer >= 1");
            threads = std::stoul(v);
        } else if (a == "--show_errors") {
            show = true;
        } else {
            return usage_error("unknown argument '" + a + "'");
        }
    }
    if (lines_dir.empty()) return usage_error("--lines is required");
    if (model.empty() == outputs.empty()) return usage_error("give one of --model and --outputs");
    if (cmd == "rec" && keys.empty()) return usage_error("rec needs --keys");
    try {
        const auto samples = read_labels(lines_dir, cmd == "cls");
        std::unique_ptr<ocr::model_runner> runner;
        if (!model.empty()) runner = std::make_unique<ocr::model_runner>(model, threads);
        auto input = [&](const sample& s) { return moir::npy::load(lines_dir + "/" + s.name + ".npy"); };
        double ms = 0;
        auto output = [&](const sample& s) {
            if (!runner) return saved_output(outputs, s.name);
            moir::tensor out = runner->run(input(s));
            ms += runner->last_ms();
            return out;
        };
        if (runner) runner->run(input(samples[0]));  // compiles the plan, untimed

        std::ostringstream json;
        json.precision(6);
        json << "{\"task\": \"" << cmd << "\", \"lines\": " << samples.size();
        if (cmd == "rec") {
            const ocr::dictionary dict = ocr::dictionary::load(keys);
            std::size_t exact = 0, errors = 0, length = 0;
            for (const auto& s : samples) {
                const ocr::decoded d = ocr::ctc_greedy(output(s), dict);
                const std::size_t e = ocr::edit_distance(d.text, s.text);
                exact += e == 0 ? 1 : 0;
                errors += e;
                length += ocr::code_points(s.text).size();
                if (show && e) std::fprintf(stderr, "%s: read %s, expected %s\n", s.name.c_str(), json_string(d.text).c_str(), json_string(s.text).c_str());
            }
            json << ", \"exact\": " << exact << ", \"exact_pct\": " << 100.0 * static_cast<double>(exact) / static_cast<double>(samples.size())
                 << ", \"chars\": " << length << ", \"edit_distance\": " << errors
                 << ", \"char_accuracy_pct\": " << 100.0 * (1.0 - static_cast<double>(errors) / static_cast<double>(length));
        } else {
            std::size_t right = 0;
            for (const auto& s : samples) {
                const moir::tensor out = output(s);
                if (out.numel() != 2 || out.type() != moir::element_type::f32)
                    throw ocr::error(s.name + ": expected a classifier output of 2 f32 values, got " + moir::to_string(out.dims()));
                const int angle = out.data<float>()[1] > out.data<float>()[0] ? 180 : 0;
                right += angle == s.angle ? 1 : 0;
                if (show && angle != s.angle) std::fprintf(stderr, "%s: %d, expected %d\n", s.name.c_str(), angle, s.angle);
            }
            json << ", \"right\": " << right << ", \"accuracy_pct\": " << 100.0 * static_cast<double>(right) / static_cast<double>(samples.size());
        }
        if (runner) json << ", \"mean_ms\": " << ms / static_cast<double>(samples.size());
        json << "}";
        std::printf("%s\n", json.str().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ocr_accuracy: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
