// `moir bench` end to end on the real PaddleOCR cls model: --json prints one valid JSON object
// with the documented keys, --per_layer names the kernels, and the text report has the latency
// lines. Fails (not skipped) when the model is missing: run tools/setup.sh.

#include <support/env.hpp>

#include <doctest/doctest.h>

#include <string>

namespace {
using namespace moir::test;

std::string cls_model() {
    const std::string path = ocr_assets() + "/ch_ppocr_mobile_v2.0_cls_infer.onnx";
    REQUIRE_MESSAGE(fs::exists(path), "missing " << path << ": run tools/setup.sh first");
    return path;
}
}  // namespace

TEST_CASE("moir bench --json prints one valid JSON object with median_ms") {
    const std::string dir = scratch("bench_json");
    auto r = run(q(moir_exe()) + " bench --model " + q(cls_model()) +
                 " --shape x=[1,3,48,192] --threads 2 --iterations 3 --warmup 1 --json --per_layer > " +
                 q(dir + "/out.json"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    // python's json module is the validator: every key present, numbers where numbers belong
    r = run(python() + " -c " +
            q("import json,sys\n"
              "d = json.load(open(sys.argv[1]))\n"
              "for k in ('median_ms','min_ms','p90_ms','mean_ms','max_ms','fps'): assert isinstance(d[k], (int, float)) and d[k] > 0, k\n"
              "assert d['threads'] == 2 and d['iterations'] == 3, d\n"
              "assert d['min_ms'] <= d['median_ms'] <= d['p90_ms'] <= d['max_ms'], d\n"
              "assert any(l['kernel'] != 'reference' for l in d['layers'])\n"
              "print('median_ms', d['median_ms'])\n") +
            " " + q(dir + "/out.json"));
    CHECK_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("median_ms") != std::string::npos);
}

TEST_CASE("moir bench text report, --per_layer table, errors and --help") {
    auto r = run(q(moir_exe()) + " bench -m " + q(cls_model()) + " --shape x=[1,3,48,192] -t 1 -n 2 --warmup 0 --per_layer");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    for (const char* s : {"Median:", "Min:", "p90:", "Throughput:", "FPS", "conv1x1.", "Convolution+Add"})
        CHECK_MESSAGE(r.output.find(s) != std::string::npos, s);
    // denormals kept (plan_options::flush_denormals = false): the same report
    r = run(q(moir_exe()) + " bench -m " + q(cls_model()) + " --shape x=[1,3,48,192] -t 2 -n 2 --warmup 0 --keep_denormals");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("Median:") != std::string::npos);
    r = run(q(moir_exe()) + " bench -m " + q(cls_model()) + " -n 1");  // dynamic dims, no shape
    CHECK(r.status != 0);
    CHECK(r.output.find("--shape") != std::string::npos);
    r = run(q(moir_exe()) + " bench --help");
    CHECK(r.status == 0);
    for (const char* s : {"--threads", "--iterations", "--warmup", "--json", "--per_layer", "--shape", "--input",
                          "--keep_denormals"})
        CHECK_MESSAGE(r.output.find(s) != std::string::npos, s);
}
