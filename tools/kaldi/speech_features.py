#!/usr/bin/env python3
"""Kaldi-compatible x-vector features of speech spoken by espeak-ng, for moir's Kaldi tests.

  speech_features.py --text "..." --voice en-us --output feats.npy [--seed N --snr_db X]
                     [--wav out.wav] [--max_frames N]

espeak-ng speaks the text (22.05 kHz), torchaudio resamples it to 8 kHz, and
torchaudio.compliance.kaldi.mfcc computes 23 MFCCs with the options of vosk-model-spk-0.4's
mfcc.conf (--sample-frequency=8000 --high-freq=3700 --low-freq=20 --num-ceps=23) and Kaldi's
defaults otherwise (25 ms frames every 10 ms, 23 mel bins, energy in c0, no dither so that the
features are deterministic). Then Kaldi's sliding CMN as the x-vector recipes apply it
(apply-cmvn-sliding --norm-vars=false --center=true --cmn-window=300). With --seed, the waveform
is first coloured by a random 5-band equalizer (+-6 dB) and mixed with white noise at --snr_db.
Needs Debian's espeak-ng and python3-torchaudio.
"""
import argparse
import os
import subprocess
import tempfile
import wave

import numpy as np


def speak(text, voice):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-w", path, text], check=True, capture_output=True)
        with wave.open(path, "rb") as w:
            rate = w.getframerate()
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32)
    return pcm, rate


def colour(x, rate, rng, snr_db):
    """A random equalizer (5 bands, +-6 dB, smooth in frequency) and white noise at snr_db."""
    n = len(x)
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(n, 1.0 / rate)
    centres = np.linspace(0, rate / 2, 5)
    gains_db = rng.uniform(-6, 6, 5)
    spec *= 10 ** (np.interp(f, centres, gains_db) / 20)
    y = np.fft.irfft(spec, n).astype(np.float32)
    p = np.mean(y * y)
    y += rng.normal(0, np.sqrt(p / 10 ** (snr_db / 10)), n).astype(np.float32)
    return y


def sliding_cmn(feats, window=300):
    """apply-cmvn-sliding --norm-vars=false --center=true --cmn-window=window."""
    t_all = len(feats)
    out = np.empty_like(feats, dtype=np.float64)
    cs = np.concatenate([np.zeros((1, feats.shape[1])), np.cumsum(feats.astype(np.float64), 0)])
    for t in range(t_all):
        b = t - window // 2
        e = b + window
        if b < 0:
            e -= b
            b = 0
        if e > t_all:
            b -= e - t_all
            e = t_all
            b = max(b, 0)
        out[t] = feats[t] - (cs[e] - cs[b]) / (e - b)
    return out.astype(np.float32)


def features(text, voice, seed=None, snr_db=None):
    import torch
    import torchaudio

    pcm, rate = speak(text, voice)
    if seed is not None:
        pcm = colour(pcm, rate, np.random.default_rng(seed), snr_db if snr_db is not None else 5.0)
    wav = torchaudio.functional.resample(torch.from_numpy(pcm)[None, :], rate, 8000)
    m = torchaudio.compliance.kaldi.mfcc(wav, sample_frequency=8000, high_freq=3700, low_freq=20, num_ceps=23,
                                         num_mel_bins=23, use_energy=True, energy_floor=0.0, dither=0.0,
                                         frame_length=25.0, frame_shift=10.0)
    return sliding_cmn(m.numpy()), wav


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--text", required=True)
    ap.add_argument("--voice", default="en-us")
    ap.add_argument("--output", required=True)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--snr_db", type=float)
    ap.add_argument("--max_frames", type=int)
    a = ap.parse_args()
    f, _ = features(a.text, a.voice, a.seed, a.snr_db)
    if a.max_frames:
        f = f[:a.max_frames]
    np.save(a.output, f)
    print("%s: %d frames of %d" % (a.output, f.shape[0], f.shape[1]))


if __name__ == "__main__":
    main()
