"""Scale check: a synthetic data set through the whole default chain (ingest, data gate, train,
prune, fine-tune, distill, quantize, validate), with the peak resident memory of
the run. What `make scale` runs; tests/reliability/test_scale.py asserts on the same JSON.

    python benchmarks/scale.py [--samples 50000] [--epochs 1] [--out benchmarks/results/scale.json]

Memory does not depend on the number of epochs, so one epoch per stage is the default. The run
happens in a scratch copy of the project: data/ and mlflow.db are not touched.
"""

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from prunegate.benchmark.recipes import scratch_project

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("prunegate.scale")


def measure(samples: int, epochs: int, extra: str = "") -> dict:
    """Run the default recipe on ``samples`` synthetic digits (0: the built-in 5,000)."""
    with tempfile.TemporaryDirectory(prefix="prunegate-scale-") as tmp:
        project = scratch_project(ROOT, Path(tmp))
        params = {"train.epochs": epochs, "finetune.epochs": epochs,
                  "distill.training.epochs": epochs,
                  "mlflow.tracking_uri": f"sqlite:///{project / 'mlflow.db'}"}
        if samples:
            params |= {"data.source": "synthetic", "data.samples": samples}
        kedro = Path(sys.executable).with_name("kedro")
        command = [str(kedro), "run", "--config", "pipelines/mnist_mlp.yml", "--params",
                   ",".join([*(f"{k}={v}" for k, v in params.items()), *filter(None, [extra])])]
        env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
        start = time.perf_counter()
        with subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) as child:
            peaks = {}
            sampler = threading.Thread(target=_sample_peaks, args=(child, peaks), daemon=True)
            sampler.start()
            _, stderr = child.communicate()
            sampler.join()
        seconds = time.perf_counter() - start
        splits = project / "data" / "05_model_input"
        result = {
            "samples": samples or 5000, "epochs": epochs, "returncode": child.returncode,
            "seconds": round(seconds, 1),
            # ru_maxrss (KiB on Linux): the peak of the largest process waited for, the run
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
            # sampled every 10 ms from /proc: anonymous memory is what the data and the models
            # take; file-backed is the libraries' code, whose resident share varies by machine
            **{f"peak_{kind}_mib": round(kib / 1024, 1) for kind, kib in peaks.items()},
            "split_mib": round(sum(p.stat().st_size for p in splits.glob("*.npz")) / 2**20, 1),
            "stderr_tail": stderr.strip().splitlines()[-5:],
        }
    return result


def _sample_peaks(child: subprocess.Popen, peaks: dict[str, int]) -> None:
    """The largest anonymous and file-backed resident sizes (KiB) of ``child`` until it exits."""
    fields = {"RssAnon:": "anon", "RssFile:": "file"}
    while child.poll() is None:
        try:
            lines = Path(f"/proc/{child.pid}/status").read_text().splitlines()
        except OSError:    # gone, or not Linux
            return
        for line in lines:
            name, *value = line.split()
            if name in fields:
                peaks[fields[name]] = max(peaks.get(fields[name], 0), int(value[0]))
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=50_000,
                        help="synthetic samples (0: the built-in 5,000 digits)")
    parser.add_argument("--epochs", type=int, default=1, help="per training stage")
    parser.add_argument("--out", default="benchmarks/results/scale.json")
    parser.add_argument("--params", default="", help="more kedro --params overrides")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = measure(args.samples, args.epochs, args.params)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    log.info("%d samples: exit %d in %.0f s, peak RSS %.0f MiB (splits on disk %.0f MiB) -> %s",
             result["samples"], result["returncode"], result["seconds"],
             result["peak_rss_mib"], result["split_mib"], args.out)
    return result["returncode"]


if __name__ == "__main__":
    sys.exit(main())
