#!/usr/bin/env bash
# Side-by-side prior comparison on static MNIST: the six `vae_*_static_mnist` experiments,
# identical except for the prior, same seed, 50 epochs (KL warm-up over the first 10),
# test IS log-likelihood with 1000 samples on all 10,000 test images.
#
#   bash benchmarks/compare_priors.sh [workdir_base] [extra train flags...]
#
# Re-running resumes each run from its last checkpoint; finished runs only re-print.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-workdirs/compare_priors}
shift || true
PY=${PYTHON:-.venv/bin/python}
for prior in standard vamp mog vamp_data realnvp maf; do
  exp="vae_${prior}_static_mnist"
  if [[ ! -f "$BASE/$exp/evaluation.json" ]]; then
    "$PY" -m trainers.train --experiment="$exp" --data_dir=../shared/data \
      --workdir="$BASE/$exp" --epochs=50 --warmup_epochs=10 --seed=0 \
      --eval_num_samples=1000 --verbose=2 "$@"
  fi
done
"$PY" - "$BASE" <<'PY'
import json, os, sys
base = sys.argv[1]
print(f"{'experiment':30s} {'test ELBO':>10s} {'test LL (IS)':>13s} {'train s':>8s}")
for prior in ["standard", "vamp", "mog", "vamp_data", "realnvp", "maf"]:
    path = os.path.join(base, f"vae_{prior}_static_mnist", "evaluation.json")
    if os.path.exists(path):
        r = json.load(open(path))
        print(f"{r['experiment']:30s} {r['test_elbo']:10.2f} {r['test_log_likelihood']:13.2f} "
              f"{r.get('train_seconds_this_run', float('nan')):8.0f}")
PY
