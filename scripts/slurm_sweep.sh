#!/bin/bash
# A systrain sweep across a Slurm cluster: one array task per shard, each
# running every N-th point of the sweep in its own folder; a last job
# (after the array) merges the shards into one sweep.csv, identical to an
# unsharded run, and draws the trade-off plot.
#
#   sbatch --array=0-7 scripts/slurm_sweep.sh CONFIG OUT --set KEY=V1,V2,... [--set ...]
#   # when the array is done (or chain it: sbatch --dependency=afterok:JOBID ...):
#   systrain sweep merge OUT/shard_* --out OUT
#   systrain plot OUT/sweep.csv --x cycles.total --y training.final_test_accuracy --by KEY --out OUT/tradeoff.png
#
# Every task must see the same systrain, config and data set (a shared file
# system); RTL models build into $SYSTRAIN_RTL_CACHE on first use (point it
# at node-local or shared scratch). Each shard runs --jobs points at a time
# on its node (SLURM_CPUS_PER_TASK, default 1).
#SBATCH --job-name=systrain-sweep
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=02:00:00
set -euo pipefail
config=$1 out=$2
shift 2
: "${SLURM_ARRAY_TASK_ID:?run this with sbatch --array=0-(N-1)}"
: "${SLURM_ARRAY_TASK_COUNT:?run this with sbatch --array=0-(N-1)}"
mkdir -p "$out"
exec systrain sweep "$config" "$@" --jobs "${SLURM_CPUS_PER_TASK:-1}" \
  --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" --out "$out/shard_$SLURM_ARRAY_TASK_ID"
