#!/bin/bash
# Command-line behaviour: exit codes, no partial outputs, determinism, VCD
# validity (read back by GTKWave's vcd2fst), co-simulation catching injected
# faults. Usage: cli_test.sh SYSTRAIN_BINARY SOURCE_DIR WORK_DIR CASE
set -u
st=$1 src=$2 work=$3 case=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
cfg=$src/configs/lockstep.yaml
tlm() { "$st" run "$cfg" --backend tlm --quiet "$@"; }

case $case in
bad_config_exit_2)
  cmp "$src/configs/bad.yaml" "$src/tests/bad_configs/configs_bad.yaml" || fail "configs/bad.yaml and its test copy differ"
  "$st" check "$src/tests/bad_configs/misspelt_key.yaml" 2> err.txt; rc=$?
  [ $rc -eq 2 ] || fail "check: exit $rc, expected 2"
  grep -q "misspelt_key.yaml:5:5: accelerator.array.colums: unknown key (did you mean 'cols'?)" err.txt || fail "message: $(cat err.txt)"
  "$st" run "$src/tests/bad_configs/many_errors.yaml" --out out 2> err.txt; rc=$?
  [ $rc -eq 2 ] || fail "run: exit $rc, expected 2"
  [ "$(grep -c '^.*many_errors.yaml:[0-9]*:[0-9]*: ' err.txt)" -ge 9 ] || fail "not every error reported: $(cat err.txt)"
  [ ! -e out/report.json ] || fail "a report was written for a bad config"
  ;;
bad_flags_exit_2)
  # flags may come before CONFIG; each --set takes one KEY=VALUE
  "$st" run --set training.test_samples=3 "$cfg" --set training.batch=2 --backend tlm --quiet --out ok \
    || fail "--set before CONFIG"
  grep -q '"steps": 2, "samples": 3' ok/report.json || fail "the --set values were not applied"
  "$st" run "$cfg" --set accelerator.array.rows=0 --out out 2>/dev/null; [ $? -eq 2 ] || fail "--set rows=0"
  "$st" run "$cfg" --backend verilog --out out 2>/dev/null; [ $? -eq 2 ] || fail "--backend verilog"
  "$st" run "$cfg" --frobnicate 2>/dev/null; [ $? -eq 2 ] || fail "unknown flag"
  "$st" 2>/dev/null; [ $? -eq 2 ] || fail "no subcommand"
  "$st" compare "$cfg" --schedules baseline,frobnicate 2>/dev/null; [ $? -eq 2 ] || fail "compare with a bad schedule"
  touch afile; "$st" run "$cfg" --out afile/sub 2>/dev/null; [ $? -eq 2 ] || fail "--out under a file"
  [ ! -e out/report.json ] || fail "a report was written"
  ;;
bad_data_exit_2)
  mkdir -p data && echo "not gzip" | gzip > data/t10k-images-idx3-ubyte.gz && printf 'xx' > data/t10k-labels-idx1-ubyte.gz
  "$st" run "$src/configs/inference_mlp.yaml" --set training.data_dir="$work/data" --out out 2> err.txt; rc=$?
  [ $rc -eq 2 ] || fail "corrupt data: exit $rc, expected 2"
  grep -q "t10k-images-idx3-ubyte.gz: " err.txt || fail "message: $(cat err.txt)"
  "$st" run "$src/configs/inference_mlp.yaml" --set training.data_dir="$work/none" --out out 2>/dev/null
  [ $? -eq 2 ] || fail "missing data dir"
  [ ! -e out/report.json ] || fail "a report was written"
  ;;
cosim_catches_faults)
  for kind in value cycles event; do
    SYSTRAIN_INJECT_FAULT=$kind:5 "$st" run "$cfg" --backend cosim --out out_$kind --vcd out_$kind/t.vcd 2> err.txt; rc=$?
    [ $rc -eq 1 ] || fail "$kind fault: exit $rc, expected 1"
    grep -q "co-simulation mismatch at cycle [0-9]* (step 0, layer 0, forward pass, ws tile 5 " err.txt || fail "$kind: $(cat err.txt)"
    [ -z "$(find out_$kind -type f 2>/dev/null)" ] || fail "$kind: files left behind: $(find out_$kind -type f)"
  done
  # the speculative schedule's engines are checked the same way, and the message names the engine
  SYSTRAIN_INJECT_FAULT=value:5 "$st" run "$src/configs/lockstep_training.yaml" --schedule speculative --out out_spec 2> err.txt
  [ $? -eq 1 ] || fail "speculative fault: exit code"
  grep -q "co-simulation mismatch at cycle [0-9]* (step 0, engine 0, layer 0, forward pass, ws tile 5 " err.txt || fail "$(cat err.txt)"
  [ ! -e out_spec/report.json ] || fail "speculative fault: a report was written"
  ;;
report_detail)
  # simulation.report_detail: layers drops the ops from report.json and report.csv, totals drops the layers
  # too and every per-layer file (removing those an earlier run left); what stays is the full report's
  cfg="$src/configs/cnn_fashion.yaml"
  args=(--quiet --set simulation.functional=false --set simulation.max_steps=4)
  "$st" run "$cfg" "${args[@]}" --out full > /dev/null 2>&1 || fail "full run"
  mkdir -p totals && cp full/*.csv full/report.json totals/
  for d in layers totals; do
    "$st" run "$cfg" "${args[@]}" --set simulation.report_detail=$d --out $d > /dev/null 2>&1 || fail "$d run"
  done
  python3 - full layers totals <<'PY' || fail "report contents"
import copy, json, sys
full, layers, totals = (json.load(open(d + "/report.json")) for d in sys.argv[1:])
def strip(r, keys):
    r = copy.deepcopy({k: v for k, v in r.items() if k not in keys and k != "host"})
    r["config"]["simulation"].pop("report_detail")
    return r
assert len(full["ops"]) > 10 and len(full["layers"]) > 3, "the full report lacks ops or layers"
assert "ops" not in layers and layers["layers"] == full["layers"], "layers: ops kept or layers differ"
assert "ops" not in totals and "layers" not in totals, "totals: ops or layers kept"
assert layers["config"]["simulation"]["report_detail"] == "layers"
assert strip(layers, ("ops",)) == strip(full, ("ops",)), "layers: the totals differ from the full report's"
assert strip(totals, ("ops", "layers")) == strip(full, ("ops", "layers")), "totals: they differ from the full report's"
PY
  for f in layers.csv COMPUTE_REPORT.csv BANDWIDTH_REPORT.csv DETAILED_ACCESS_REPORT.csv; do
    cmp -s full/$f layers/$f || fail "layers: $f differs"
    [ ! -e totals/$f ] || fail "totals: an earlier run's $f was left"
  done
  grep -q '^ops\.' full/report.csv || fail "full: report.csv has no ops"
  ! grep -q '^ops\.' layers/report.csv || fail "layers: report.csv has ops"
  ! grep -q '^layers\.' totals/report.csv || fail "totals: report.csv has layers"
  # compare with totals; bars --of layers needs the ops, and says so (stages need only the totals)
  "$st" compare "$cfg" --set simulation.functional=false --set simulation.max_steps=2 \
    --set simulation.report_detail=totals --out cmp > /dev/null 2>&1 || fail "compare with totals"
  "$st" bars cmp --of stages --out s.png > /dev/null 2>&1 && [ -s s.png ] || fail "bars --of stages of a totals compare"
  "$st" bars cmp --of layers --out l.png > err.txt 2>&1; rc=$?
  [ $rc -eq 2 ] && grep -q "report_detail" err.txt && [ ! -e l.png ] || fail "bars --of layers of a totals compare: rc $rc, $(cat err.txt)"
  ;;
tile_classes)
  # timing only, every shipped config (and the training configs in every schedule): the passes by tile
  # classes give the same report, and the same SCALE-Sim files, as the per-tile reference path
  same() {  # NAME ARGS...: run both ways and compare
    local name=$1; shift
    # (300 steps at most: an epoch's later steps repeat the same passes)
    "$st" run "$@" --quiet --set simulation.functional=false --set simulation.max_steps=300 --out "fast_$name" \
      > /dev/null 2>&1 || fail "$name: run (classes)"
    "$st" run "$@" --quiet --set simulation.functional=false --set simulation.max_steps=300 \
      --set simulation.tile_classes=false --out "ref_$name" > /dev/null 2>&1 || fail "$name: run (per tile)"
    diff <(grep -v -e wall_seconds -e '"tile_classes"' "fast_$name/report.json") \
         <(grep -v -e wall_seconds -e '"tile_classes"' "ref_$name/report.json") > /dev/null || fail "$name: report.json differs"
    for f in report.csv layers.csv COMPUTE_REPORT.csv BANDWIDTH_REPORT.csv DETAILED_ACCESS_REPORT.csv; do
      [ -e "ref_$name/$f" ] || continue
      cmp -s <(grep -v '^config.simulation.tile_classes,' "fast_$name/$f") \
             <(grep -v '^config.simulation.tile_classes,' "ref_$name/$f") || fail "$name: $f differs"
    done
    grep -q '"tiles": [1-9]' "ref_$name/report.json" || [ "$name" = edge_board ] || fail "$name: no tiles ran"
  }
  n=0
  for cfg in "$src"/configs/*.yaml; do
    name=$(basename "$cfg" .yaml)
    [ "$name" = bad ] && continue
    same "$name" "$cfg"
    n=$((n + 1))
  done
  [ $n -ge 16 ] || fail "only $n configs"
  for s in baseline interleaved speculative; do
    same "cnn_$s" "$src/configs/cnn_fashion.yaml" --schedule $s --set training.train_samples=512
    same "mlp_$s" "$src/configs/mlp_fashion.yaml" --schedule $s --set accelerator.sram.banks=4 \
      --set accelerator.sram.words_per_cycle=20 --set accelerator.array.weight_double_buffer=true
  done
  # a traced run: the passes inside the VCD window go tile by tile, the others by classes
  same traced "$src/configs/lockstep_training.yaml" --vcd t.vcd --set simulation.vcd_window=[100,600]
  # two engines whose threads meet at the same cycle where a pass in one wait reaches it first, but tile by
  # tile the other engine's thread ran first (model/train/tie_order.h): 32 times in 300 steps; without the
  # yield that puts them back in order, the barrier waits and the engines' cycles differ
  ties=(--schedule speculative --set schedule.speculation.engines=split --set accelerator.vector.latency_cycles=1
        --set accelerator.vector.lanes=8 --set training.batch=7 --set accelerator.array.rows=4
        --set accelerator.array.cols=16 --set accelerator.dram.latency_cycles=1 --set 'network.layers[0].units=8')
  same ties "$src/configs/speculative_mlp35.yaml" "${ties[@]}"
  # the same traced over several sections: engine 1's signals are written by both threads (its update runs
  # from the main thread), which SystemC refused (a second driver), and the run then crashed on the way out;
  # the trace is the same by both paths
  for tc in true false; do
    "$st" run "$src/configs/speculative_mlp35.yaml" "${ties[@]}" --quiet --set simulation.functional=false \
      --set simulation.max_steps=300 --set simulation.tile_classes=$tc --vcd "spec_$tc.vcd" \
      --set 'simulation.vcd_window=[20000,90000]' --out "spec_$tc" > err.txt 2>&1 || fail "traced speculative run: $(tail -3 err.txt)"
  done
  cmp -s <(sed '/^\$date/,/^\$end/d' spec_true.vcd) <(sed '/^\$date/,/^\$end/d' spec_false.vcd) || fail "traced speculative: the VCDs differ"
  [ "$(grep -c '^#' spec_true.vcd)" -gt 1000 ] || fail "traced speculative: a short VCD"
  diff <(grep -v -e wall_seconds -e '"tile_classes"' -e '"vcd"' spec_true/report.json) \
       <(grep -v -e wall_seconds -e '"tile_classes"' -e '"vcd"' spec_false/report.json) > /dev/null || fail "traced speculative: report.json differs"
  # with values: each pass as one GEMM (pass_values.h) trains to the same weights, bit for bit, in every
  # schedule and numerics, whatever the thread count
  values() {  # NAME ARGS...
    local name=$1; shift
    OMP_NUM_THREADS=2 "$st" run "$@" --quiet --out "vfast_$name" > /dev/null 2>&1 || fail "$name: run (classes)"
    OMP_NUM_THREADS=1 "$st" run "$@" --quiet --set simulation.tile_classes=false --out "vref_$name" > /dev/null 2>&1 \
      || fail "$name: run (per tile)"
    diff <(grep -v -e wall_seconds -e '"tile_classes"' "vfast_$name/report.json") \
         <(grep -v -e wall_seconds -e '"tile_classes"' "vref_$name/report.json") || fail "$name: report.json differs"
    case $name in mlp_* | cnn_*) grep -q '"final_weights_fnv1a"' "vref_$name/report.json" || fail "$name: no weights" ;; esac
  }
  for nk in fixed float32; do
    for s in baseline interleaved speculative; do
      for p in gradient_reuse output_speculation; do
        [ $s != speculative ] && [ $p = output_speculation ] && continue
        values "mlp_${nk}_${s}_$p" "$src/configs/mlp_fashion.yaml" --schedule $s --set schedule.speculation.policy=$p \
          --set accelerator.numerics.kind=$nk --set training.train_samples=512 --set training.test_samples=128 \
          --set training.batch=64 --set accelerator.array.weight_double_buffer=true
      done
      values "cnn_${nk}_$s" "$src/configs/cnn_fashion.yaml" --schedule $s --set accelerator.numerics.kind=$nk \
        --set training.train_samples=128 --set training.test_samples=64
    done
    # 40-bit sums (the 64-bit kernel) with the forward pass in OS and IS; 24-bit sums that wrap in WS
    for v in os:40 is:40 ws:24; do
      values "mlp_${nk}_${v%:*}_${v#*:}" "$src/configs/mlp_fashion.yaml" --schedule interleaved \
        --set accelerator.numerics.kind=$nk --set accelerator.numerics.acc_bits=${v#*:} \
        --set schedule.forward_dataflow=${v%:*} --set training.train_samples=512 --set training.test_samples=128
    done
  done
  for cfg in odd_shapes onnx_cnn speculative_mlp35 quickstart; do values "$cfg" "$src/configs/$cfg.yaml" --set simulation.max_steps=40; done
  ;;
deterministic_reports)
  tlm --out a && tlm --out b && OMP_NUM_THREADS=1 tlm --out c || fail "run failed"
  for d in b c; do
    diff <(grep -v wall_seconds a/report.json) <(grep -v wall_seconds $d/report.json) || fail "report.json differs ($d)"
    cmp a/report.csv $d/report.csv || fail "report.csv differs ($d)"
  done
  # training too, in fixed point and float32, whatever the thread count
  for nk in fixed float32; do
    for th in 1 2; do
      OMP_NUM_THREADS=$th "$st" run "$src/configs/mlp_fashion.yaml" --quiet --out tr_${nk}_$th \
        --set training.train_samples=256 --set training.test_samples=64 --set accelerator.numerics.kind=$nk \
        || fail "training run ($nk, $th threads)"
    done
    cmp tr_${nk}_1/report.csv tr_${nk}_2/report.csv || fail "training report.csv depends on the thread count ($nk)"
  done
  # the speculative schedule's two engine threads, and big tiles that go parallel (batch 512)
  for p in gradient_reuse output_speculation; do
    for th in 1 2; do
      OMP_NUM_THREADS=$th "$st" run "$src/configs/mlp_fashion.yaml" --quiet --out sp_${p}_$th --set schedule.kind=speculative \
        --set schedule.speculation.policy=$p --set training.train_samples=1024 --set training.batch=512 \
        --set training.test_samples=64 --set accelerator.numerics.kind=float32 --set schedule.speculation.threshold=1 \
        || fail "speculative run ($p, $th threads)"
    done
    cmp sp_${p}_1/report.csv sp_${p}_2/report.csv || fail "speculative report.csv depends on the thread count ($p)"
    diff <(grep -v wall_seconds sp_${p}_1/report.json) <(grep -v wall_seconds sp_${p}_2/report.json) || fail "$p report.json"
  done
  # the three backends report the same counters
  "$st" run "$cfg" --backend rtl --quiet --out r || fail "rtl run"
  diff <(grep -v -e wall_seconds -e '"backend"' -e '"cosim"' a/report.json) \
       <(grep -v -e wall_seconds -e '"backend"' -e '"cosim"' r/report.json) || fail "tlm and rtl reports differ"
  ;;
report_keys)
  tlm --out o || fail "run failed"
  for k in systrain_version config backend schedule cycles total forward backward update stall macs utilization \
           memory sram dram by_operand reads writes energy_pj training steps samples test_accuracy train_loss \
           speculation hits misses cosim tlm_cycles rtl_cycles mismatches layers; do
    grep -q "\"$k\":" o/report.json || fail "report.json lacks $k"
  done
  grep -q '^cycles.total,' o/report.csv || fail "report.csv lacks cycles.total"
  grep -q '"warnings": \[\]' o/report.json || fail "unexpected warnings: $(grep warnings o/report.json)"
  # a 32x32 array on the default SRAM (32 words a cycle, 16 banks) stalls: a WS stream cycle moves
  # R+C = 64 activation words and 2·C·2 = 128 partial-sum words; with 128 words a cycle and 64 banks it
  # does not, and the difference is all in cycles.bandwidth_stall
  for wpc in 32 128; do
    "$st" run "$cfg" --backend tlm --quiet --out w32_$wpc --set accelerator.array.rows=32 --set accelerator.array.cols=32 \
      --set accelerator.sram.words_per_cycle=$wpc --set accelerator.sram.banks=$((wpc / 2)) 2> err.txt || fail "32x32 run failed"
    [ ! -s err.txt ] || fail "stderr: $(cat err.txt)"
  done
  b32=$(grep '^cycles.bandwidth_stall,' w32_32/report.csv | cut -d, -f2)
  [ "$b32" -gt 0 ] || fail "no bandwidth stall at 32 words a cycle"
  [ "$(grep '^cycles.bandwidth_stall,' w32_128/report.csv | cut -d, -f2)" -eq 0 ] || fail "a stall at 128 words a cycle"
  t32=$(grep '^cycles.total,' w32_32/report.csv | cut -d, -f2); t128=$(grep '^cycles.total,' w32_128/report.csv | cut -d, -f2)
  [ $((t32 - t128)) -eq "$b32" ] || fail "the stall is not the difference: $t32 - $t128 != $b32"
  # energy: the levels and the phases each add up to the total; the vector unit's share is its elements
  "$st" run "$src/configs/lockstep_cnn.yaml" --backend tlm --quiet --out cnn || fail "cnn run"
  v() { grep "^$1," cnn/report.csv | cut -d, -f2; }
  awk -v t="$(v energy_pj.total)" -v a="$(v energy_pj.mac)" -v b="$(v energy_pj.sram_by_buffer.activations)" \
      -v c="$(v energy_pj.sram_by_buffer.weights)" -v d="$(v energy_pj.sram_by_buffer.gradients)" \
      -v e="$(v energy_pj.dram)" -v f="$(v energy_pj.vector)" -v p="$(v energy_pj.by_phase.forward.total)" \
      -v q="$(v energy_pj.by_phase.backward.total)" -v r="$(v energy_pj.by_phase.update.total)" \
      -v n="$(v vector_elements)" -v s="$(v memory.sram.reads)" -v w="$(v memory.sram.writes)" 'BEGIN {
        bad = (a + b + c + d + e + f - t) ^ 2 > 1e-6 * t * t || (p + q + r - t) ^ 2 > 1e-6 * t * t
        bad = bad || (f - 0.5 * n) ^ 2 > 1e-6 * f * f || (b + c + d - 2 * (s + w)) ^ 2 > 1e-6 * t * t
        bad = bad || n <= 0 || r <= 0
        exit bad }' || fail "energy does not add up: $(grep '^energy_pj' cnn/report.csv)"
  ;;
compare_schedules)
  tcfg=$src/configs/lockstep_training.yaml
  "$st" compare "$tcfg" --set simulation.backend=tlm --out cmp > table.txt || fail "compare failed: $(cat table.txt)"
  [ -f cmp/compare.json ] && [ -f cmp/baseline/report.json ] && [ -f cmp/interleaved/report.json ] || fail "files"
  grep -q '"ratios_to_baseline"' cmp/compare.json || fail "no ratios"
  grep -q '^cycles.total ' table.txt || fail "table: $(cat table.txt)"
  # the schedule changes timing, never values
  for k in training.final_test_accuracy training.final_train_loss; do
    [ "$(grep "^$k," cmp/baseline/report.csv)" = "$(grep "^$k," cmp/interleaved/report.csv)" ] || fail "$k differs"
  done
  # interleaving never writes dW to SRAM and reads dY fewer times
  grep -q '^memory.sram.by_operand.dw.writes,0$' cmp/interleaved/report.csv || fail "interleaved wrote dw"
  b=$(grep '^memory.sram.by_operand.dy.reads,' cmp/baseline/report.csv | cut -d, -f2)
  i=$(grep '^memory.sram.by_operand.dy.reads,' cmp/interleaved/report.csv | cut -d, -f2)
  [ "$i" -lt "$b" ] || fail "dy reads: interleaved $i, baseline $b"
  ;;
dumps_identical_across_schedules)
  tcfg=$src/configs/lockstep_training.yaml
  for s in baseline interleaved; do
    "$st" run "$tcfg" --backend tlm --schedule $s --quiet --out o_$s --set simulation.max_steps=2 \
      --set simulation.dump_tensors=$work/d_$s || fail "$s run"
  done
  for f in labels.npy layer_0/x.npy layer_0/y.npy layer_0/w_before.npy layer_0/w_after.npy layer_0/dy.npy \
           layer_0/dw.npy layer_0/db.npy layer_0/b_before.npy layer_0/b_after.npy layer_1/dx.npy layer_1/dw.npy; do
    [ -s d_baseline/step_1/$f ] || fail "missing $f"
  done
  [ ! -e d_baseline/step_0/layer_0/dx.npy ] || fail "layer 0 has no dx"
  diff -r d_baseline d_interleaved > /dev/null || fail "baseline and interleaved dumps differ: $(diff -rq d_baseline d_interleaved)"
  # and in float32
  for s in baseline interleaved; do
    "$st" run "$tcfg" --backend tlm --schedule $s --quiet --out f_$s --set simulation.max_steps=2 \
      --set accelerator.numerics.kind=float32 --set simulation.dump_tensors=$work/f_$s/d || fail "$s float run"
  done
  diff -r f_baseline/d f_interleaved/d > /dev/null || fail "float32 dumps differ"
  # a CNN: the same dumps from both schedules, in PyTorch's layouts
  ccfg=$src/configs/lockstep_cnn.yaml
  for s in baseline interleaved; do
    "$st" run "$ccfg" --backend tlm --schedule $s --quiet --out c_$s --set simulation.max_steps=2 \
      --set simulation.dump_tensors=$work/c_$s/d || fail "cnn $s run"
  done
  diff -r c_baseline/d c_interleaved/d > /dev/null || fail "cnn dumps differ: $(diff -rq c_baseline/d c_interleaved/d)"
  shape() { head -c 128 "$1" | tr -d '\000' | grep -ao "'shape': ([^)]*)"; }
  # (numbered as the config's layers: conv, maxpool, conv, conv, flatten, dense)
  for fs in "layer_0/x.npy:(3, 2, 11, 9)" "layer_0/y.npy:(3, 5, 11, 9)" "layer_0/w_after.npy:(5, 2, 5, 5)" \
            "layer_1/x.npy:(3, 5, 11, 9)" "layer_1/y.npy:(3, 5, 5, 4)" "layer_1/dx.npy:(3, 5, 11, 9)" \
            "layer_2/x.npy:(3, 5, 5, 4)" "layer_2/dx.npy:(3, 5, 5, 4)" "layer_2/db.npy:(3,)" "layer_2/dy.npy:(3, 3, 3, 2)" \
            "layer_3/dw.npy:(4, 3, 1, 1)" "layer_4/y.npy:(3, 24)" "layer_5/x.npy:(3, 24)" "layer_5/dx.npy:(3, 24)"; do
    [ "$(shape c_baseline/d/step_1/${fs%%:*})" = "'shape': ${fs#*:}" ] || fail "${fs%%:*}: $(shape c_baseline/d/step_1/${fs%%:*})"
  done
  ;;
dram_invariants)
  # capacity-driven DRAM traffic (model/mem/dram.h) on the small CNN, timing only, two full steps:
  # more SRAM never means more DRAM traffic; a tensor that goes to DRAM moves
  # at least its footprint; stalls are never negative
  ccfg=$src/configs/lockstep_cnn.yaml
  v() { grep "^$2," "$1/report.csv" | cut -d, -f2; }
  for s in baseline interleaved; do
    for buf in activations gradients weights; do
      prev=""
      for kib in 1 2 4 8 16 32 64 128; do
        d=r_${s}_${buf}_$kib
        "$st" run "$ccfg" --backend tlm --quiet --out $d --schedule $s --set simulation.functional=false \
          --set accelerator.sram.activations_kib=128 --set accelerator.sram.gradients_kib=128 \
          --set accelerator.sram.weights_kib=128 --set accelerator.sram.${buf}_kib=$kib --set training.train_samples=6 \
          || fail "$d"
        traffic=$(( $(v $d memory.dram.reads) + $(v $d memory.dram.writes) ))
        [ -z "$prev" ] || [ "$traffic" -le "$prev" ] || fail "$s: $buf $kib KiB moves $traffic DRAM words, more than $prev"
        prev=$traffic
        steps=$(v $d training.steps); samples=$(v $d training.samples)
        [ "$(v $d cycles.stall)" -ge 0 ] || fail "$d: negative stall"
        ! grep -q '^layers\.[0-9]*\.stall_cycles,-' $d/report.csv || fail "$d: a negative layer stall"
        [ "$(v $d memory.dram.by_operand.w.reads)" -ge "$(v $d footprint.weight_words)" ] || fail "$d: weights"
        [ "$(v $d memory.dram.by_operand.x.reads)" -ge $(( samples * $(v $d footprint.input_words_per_sample) )) ] || fail "$d: inputs"
        [ "$(v $d memory.dram.by_operand.y.writes)" -eq $(( samples * 3 )) ] || fail "$d: logits"
        xw=$(v $d memory.dram.by_operand.x.writes)
        if [ "$xw" -gt 0 ]; then  # the stash went out: all of it but the inputs, every step, and came back
          [ "$xw" -ge $(( samples * ($(v $d footprint.stash_words_per_sample) - $(v $d footprint.input_words_per_sample)) )) ] || fail "$d: stash out $xw"
          [ "$(v $d memory.dram.by_operand.x.reads)" -ge $(( samples * $(v $d footprint.stash_words_per_sample) )) ] || fail "$d: stash back"
        fi
        # what goes out comes back: dY once per pass that reads it, dW once
        [ "$(v $d memory.dram.by_operand.dy.reads)" -ge "$(v $d memory.dram.by_operand.dy.writes)" ] || fail "$d: dy"
        [ "$(v $d memory.dram.by_operand.dw.reads)" -eq "$(v $d memory.dram.by_operand.dw.writes)" ] || fail "$d: dw"
      done
    done
    # the smallest buffers spill every kind of tensor
    [ "$(v r_${s}_activations_1 memory.dram.by_operand.x.writes)" -gt 0 ] || fail "$s: no stash spill at 1 KiB"
    [ "$(v r_${s}_gradients_1 memory.dram.by_operand.dy.writes)" -gt 0 ] || fail "$s: no dY spill at 1 KiB"
  done
  [ "$(v r_baseline_gradients_1 memory.dram.by_operand.dw.writes)" -gt 0 ] || fail "baseline: no dW spill at 1 KiB"
  [ "$(v r_interleaved_gradients_1 memory.dram.by_operand.dw.writes)" -eq 0 ] || fail "interleaved stores no dW"
  # interleaving reads a spilled dY once a layer, the baseline twice (AG and WG)
  [ "$(v r_baseline_gradients_1 memory.dram.by_operand.dy.reads)" -gt "$(v r_interleaved_gradients_1 memory.dram.by_operand.dy.reads)" ] || fail "dy reads"
  ;;
training_config_rules)
  tcfg=$src/configs/lockstep_training.yaml
  "$st" run "$tcfg" --set accelerator.numerics.kind=float32 --out o 2> err.txt; [ $? -eq 2 ] || fail "float32 on cosim"
  grep -q "simulation.backend: 'cosim' needs accelerator.numerics.kind: fixed" err.txt || fail "$(cat err.txt)"
  # cross-key checks run after --set: a schedule the file gets wrong can be rescued
  sed -e 's/kind: baseline/kind: speculative/' -e 's/cols: 4/cols: 1/' "$tcfg" > spec.yaml
  "$st" check spec.yaml 2> err.txt > /dev/null; [ $? -eq 2 ] || fail "split needs two columns"
  grep -q "schedule.speculation.engines: split shares the array's columns between two engines: needs accelerator.array.cols >= 2, found 1" err.txt || fail "$(cat err.txt)"
  "$st" check spec.yaml --set schedule.speculation.engines=dual > /dev/null || fail "--set did not rescue the engines"
  "$st" check spec.yaml --set schedule.kind=interleaved > /dev/null || fail "--set did not rescue the schedule"
  "$st" check "$tcfg" --set schedule.kind=speculative --set schedule.speculation.forward_cols=4 2> err.txt > /dev/null
  [ $? -eq 2 ] || fail "forward_cols = cols"
  grep -q "schedule.speculation.forward_cols: must leave the backward engine a column: expected at most 3 (cols - 1), found 4" err.txt || fail "$(cat err.txt)"
  "$st" run "$tcfg" --set accelerator.numerics.gradient_frac_bits=40 --out o 2> err.txt; [ $? -eq 2 ] || fail "wg shift"
  grep -q "gradient_frac_bits: must be < acc_bits (32), found 40" err.txt || fail "$(cat err.txt)"
  "$st" run "$tcfg" --set training.learning_rate=300 --out o 2> err.txt; [ $? -eq 2 ] || fail "lr"
  grep -q "learning_rate: must be < 256 in fixed point" err.txt || fail "$(cat err.txt)"
  "$st" run "$tcfg" --set simulation.dump_tensors=dd --set simulation.functional=false --out o 2>/dev/null
  [ $? -eq 2 ] || fail "dump_tensors without values"
  # a quote in the name and a saturating format: valid JSON, a warning in the report
  "$st" run "$cfg" --backend tlm --quiet --out q --set 'name=a"b' --set accelerator.numerics.data_bits=8 \
    --set accelerator.numerics.frac_bits=12 --set accelerator.numerics.acc_bits=32 2> err.txt || fail "run"
  grep -q '"name": "a\\"b"' q/report.json || fail "name not escaped: $(grep '"name"' q/report.json)"
  grep -q 'activation values have 12 fractional bits in 8-bit words' q/report.json || fail "no saturation warning"
  [ ! -e o/report.json ] || fail "a report was written"
  ;;
vcd_valid)
  command -v vcd2fst >/dev/null || fail "vcd2fst (GTKWave) is not installed"
  tlm --out t --vcd t/tlm.vcd || fail "tlm vcd run"
  # cycles 400-600 lie inside layer 0 of step 0, after the first DRAM wait (340 cycles)
  "$st" run "$cfg" --backend rtl --quiet --out r --vcd r/rtl.vcd --set simulation.vcd_window=[400,600] || fail "rtl vcd run"
  for f in t/tlm.vcd r/rtl.vcd; do
    grep -q '^\$enddefinitions' $f || fail "$f has no header"
    vcd2fst "$f" "$f.fst" > /dev/null 2>&1 || fail "GTKWave's vcd2fst cannot read $f"
    [ -s "$f.fst" ] || fail "$f.fst is empty"
  done
  # the window is honoured: the RTL trace starts at cycle 400 (2000 ps a cycle at 500 MHz)
  [ "$(grep -m1 '^#' r/rtl.vcd)" = "#800000" ] || fail "rtl trace starts at $(grep -m1 '^#' r/rtl.vcd)"
  [ "$(grep '^#' r/rtl.vcd | tail -1)" = "#1201000" ] || fail "rtl trace ends at $(grep '^#' r/rtl.vcd | tail -1)"
  grep -q 'left_rd_en' r/rtl.vcd || fail "rtl trace lacks left_rd_en"
  # a window inside the first DRAM wait (cycles 0-339) still shows every held value
  "$st" run "$cfg" --backend rtl --quiet --out w --vcd w/wait.vcd --set simulation.vcd_window=[10,20] || fail "wait run"
  [ "$(grep -m1 '^#' w/wait.vcd)" = "#20000" ] || fail "wait trace starts at $(grep -m1 '^#' w/wait.vcd)"
  [ "$(sed -n '/^#20000/,$p' w/wait.vcd | grep -c '^[01b]')" -gt 10 ] || fail "the wait trace holds no values"
  # training shows the mode and phase of each cycle in both backends
  "$st" run "$src/configs/lockstep_training.yaml" --backend rtl --schedule interleaved --quiet --out tr \
    --vcd tr/il.vcd --set simulation.vcd_window=[0,20000] || fail "training rtl vcd"
  grep -q ' r_mode ' tr/il.vcd && grep -q ' phase ' tr/il.vcd || fail "rtl training trace lacks mode/phase"
  grep -q ' mode ' t/tlm.vcd || fail "tlm trace lacks mode"
  grep -q ' phase ' t/tlm.vcd || fail "tlm trace lacks phase"
  # the default window (null) starts where the array can first work (the first DRAM wait: 340 cycles here) and
  # holds array work in both backends: the busy signal is 1 in it
  for b in tlm rtl; do
    "$st" run "$cfg" --backend $b --out d_$b --vcd d_$b/d.vcd > out.txt || fail "default-window $b vcd"
    grep -q "vcd: d_$b/d.vcd (cycles 340 to 2340, [1-9][0-9]* of them with array work)" out.txt || fail "$b: $(tail -1 out.txt)"
    id=$(awk '$1 == "$var" && $5 == "busy" { print $4; exit }' d_$b/d.vcd)
    [ -n "$id" ] && grep -q "^1$id\$" d_$b/d.vcd || fail "$b: busy is never 1 in the default window"
  done
  [ "$(grep -m1 '^#[1-9]' d_rtl/d.vcd)" = "#680000" ] || fail "rtl default window starts at $(grep -m1 '^#[1-9]' d_rtl/d.vcd)"
  # a window with no array work gets a warning that says where the work starts
  "$st" run "$cfg" --backend tlm --out e --vcd e/e.vcd --set 'simulation.vcd_window=[0, 100]' > out.txt || fail "empty window"
  grep -q "warning: the trace's window, cycles 0 to 100, holds no array work (.*the array can first work at cycle 340)" out.txt ||
    fail "no empty-window warning: $(cat out.txt)"
  grep -q "holds no array work" <("$st" run "$cfg" --backend tlm --out e2 --vcd e2/e.vcd) && fail "a warning on the default window"
  ;;
interrupt_leaves_nothing)
  # a long RTL run, interrupted: exit 1, no report, no VCD, no temporary files
  "$st" run "$src/configs/inference_mlp.yaml" --backend rtl --set accelerator.array.rows=4 \
    --set accelerator.array.cols=4 --set training.test_samples=0 --out o --vcd t/x.vcd 2> err.txt &
  pid=$!
  for _ in $(seq 1 600); do [ -d o ] && break; sleep 0.1; done  # it has started
  sleep 1
  kill -INT $pid; wait $pid; rc=$?
  [ $rc -eq 1 ] || fail "interrupted run: exit $rc, expected 1 ($(cat err.txt))"
  grep -q "interrupted" err.txt || fail "message: $(cat err.txt)"
  [ -z "$(find o t -type f 2>/dev/null)" ] || fail "files left behind: $(find o t -type f)"
  # the same for SIGHUP (a closed terminal) and SIGTERM, in the TLM backend with a trace
  for sig in HUP TERM; do
    # (20 epochs: one takes under 2 s now, and the signal must come while it runs)
    "$st" run "$src/configs/mlp_fashion.yaml" --out o_$sig --vcd t_$sig/x.vcd --set simulation.vcd_window=[0,100000] \
      --set training.epochs=20 2> err.txt > /dev/null &
    pid=$!
    for _ in $(seq 1 600); do [ -e t_$sig ] && break; sleep 0.1; done
    sleep 1.5
    kill -$sig $pid; wait $pid; rc=$?
    [ $rc -eq 1 ] || fail "SIG$sig: exit $rc, expected 1 ($(cat err.txt))"
    [ -z "$(find o_$sig t_$sig -type f 2>/dev/null)" ] || fail "SIG$sig: files left: $(find o_$sig t_$sig -type f)"
  done
  ;;
sweep)
  "$st" sweep "$cfg" --set accelerator.array.rows=2,5 --set schedule.forward_dataflow=ws,os \
    --set simulation.backend=tlm --jobs 2 --out sw > out.txt || fail "sweep failed: $(cat out.txt)"
  [ "$(wc -l < sw/sweep.csv)" -eq 5 ] || fail "sweep.csv: $(cat sw/sweep.csv)"
  # each row equals the single run with the same settings
  "$st" run "$cfg" --backend tlm --set accelerator.array.rows=5 --set schedule.forward_dataflow=os --quiet --out one
  want=$(grep '^cycles.total,' one/report.csv | cut -d, -f2)
  grep -q '^run_003,"5","os","tlm",'"$want"',' sw/sweep.csv || fail "run_003 is not rows=5 os: $(cat sw/sweep.csv)"
  # commas inside brackets do not split a value
  "$st" sweep "$cfg" --set "simulation.vcd_window=[0,10],[5, 20]" --set simulation.backend=tlm --out br > /dev/null \
    || fail "bracketed sweep failed"
  [ "$(wc -l < br/sweep.csv)" -eq 3 ] || fail "bracketed sweep.csv: $(cat br/sweep.csv)"
  grep -q '"vcd_window": \[5, 20\]' br/run_001/report.json || fail "run_001 did not get [5, 20]"
  "$st" sweep "$cfg" --set accelerator.array.rows=2,0 --out bad 2> err.txt; rc=$?
  [ $rc -eq 2 ] || fail "bad sweep value: exit $rc"
  [ ! -e bad/run_000 ] || fail "a bad sweep ran something"
  # a sweep into the folder of an earlier one replaces it whole: no run_NNN of the old sweep stays beside the new
  mkdir sw/notes && "$st" sweep "$cfg" --set accelerator.array.rows=3 --set simulation.backend=tlm --out sw > /dev/null 2> err.txt ||
    fail "a sweep into a used folder"
  grep -q "sw holds an earlier sweep: its 4 run folders and table were removed" err.txt || fail "$(cat err.txt)"
  [ "$(ls sw | tr '\n' ' ')" = "notes run_000 sweep.csv " ] || fail "sweep left: $(ls sw)"
  # how far a batch is, a line a run in a log; and the version
  grep -q "systrain: 1/2 runs done" <("$st" sweep "$cfg" --set accelerator.array.rows=2,3 --set simulation.backend=tlm --out sw2 2>&1 > /dev/null) ||
    fail "no progress line"
  "$st" --version | grep -q "^systrain [0-9.]* (SystemC 2.3.4" || fail "--version: $("$st" --version)"
  ;;
speculative_equivalence)
  # output_speculation that never hits recomputes every error chain: the
  # weights it trains are the baseline's, bit for bit (fixed point: any
  # tiling sums the same integers; float32: the dual engines tile as the
  # baseline does), whether it verifies per sample or per batch.
  # gradient_reuse over one step (no delayed update yet) is the baseline's
  # step. On the MLP and on the CNN (conv, maxpool, flatten: its prep stages
  # run on the backward engine).
  hash() { sed -n 's/.*"final_weights_fnv1a": "\([0-9a-f]*\)".*/\1/p' "$1/report.json"; }
  for net in lockstep_training lockstep_cnn; do
    tcfg=$src/configs/$net.yaml
    run() { "$st" run "$tcfg" --backend tlm --quiet "$@" || fail "$net: run $*"; }
    run --out $net/base
    for e in split dual; do
      for v in sample batch; do
        run --out $net/os_${e}_$v --set schedule.kind=speculative --set schedule.speculation.policy=output_speculation \
          --set schedule.speculation.threshold=0 --set schedule.speculation.engines=$e --set schedule.speculation.verify=$v
        [ -n "$(hash $net/base)" ] && [ "$(hash $net/base)" = "$(hash $net/os_${e}_$v)" ] ||
          fail "$net: output_speculation $e $v: $(hash $net/os_${e}_$v) != $(hash $net/base)"
      done
    done
    run --out $net/base_f --set accelerator.numerics.kind=float32
    run --out $net/os_f --set accelerator.numerics.kind=float32 --set schedule.kind=speculative \
      --set schedule.speculation.policy=output_speculation --set schedule.speculation.threshold=0 --set schedule.speculation.engines=dual
    [ "$(hash $net/base_f)" = "$(hash $net/os_f)" ] || fail "$net: float32 output_speculation dual differs from the baseline"
    run --out $net/base1 --set simulation.max_steps=1
    for e in split dual; do
      run --out $net/gr_$e --set simulation.max_steps=1 --set schedule.kind=speculative --set schedule.speculation.threshold=0 \
        --set schedule.speculation.engines=$e
      [ "$(hash $net/base1)" = "$(hash $net/gr_$e)" ] || fail "$net: gradient_reuse $e, one step: $(hash $net/gr_$e) != $(hash $net/base1)"
    done
    # and over two steps the delayed update makes it differ
    run --out $net/base2 --set simulation.max_steps=2
    run --out $net/gr2 --set simulation.max_steps=2 --set schedule.kind=speculative --set schedule.speculation.threshold=0
    [ "$(hash $net/base2)" != "$(hash $net/gr2)" ] || fail "$net: two steps of gradient_reuse equal the baseline's: no delayed update?"
  done
  ;;
speculative_hits)
  # timing only: labels cycle through the 10 classes, so with every sample
  # hitting once its label has been seen, 30 samples give 10 misses and 20 hits
  tcfg=$src/configs/lockstep_training.yaml
  for p in gradient_reuse output_speculation; do
    for rate in 0 1; do
      "$st" run "$tcfg" --backend tlm --quiet --out $p$rate --set schedule.kind=speculative --set simulation.functional=false \
        --set schedule.speculation.policy=$p --set schedule.speculation.assumed_hit_rate=$rate || fail "$p $rate"
    done
    grep -q '^speculation.hits,0$' ${p}0/report.csv && grep -q '^speculation.misses,30$' ${p}0/report.csv \
      || fail "$p rate 0: $(grep '^speculation.[hm]' ${p}0/report.csv)"
    grep -q '^speculation.hits,20$' ${p}1/report.csv && grep -q '^speculation.misses,10$' ${p}1/report.csv \
      || fail "$p rate 1: $(grep '^speculation.[hm]' ${p}1/report.csv)"
    # the engines overlap (stall is defined as total - (busy - overlap), so check what can be wrong: the busy
    # cycles exceed the total by the overlap at most, and the overlap is part of the busy cycles)
    for d in ${p}0 ${p}1; do
      v() { grep "^$1," $d/report.csv | cut -d, -f2; }
      busy=$(( $(v cycles.forward) + $(v cycles.backward) + $(v cycles.update) ))
      [ "$(v cycles.overlap)" -gt 0 ] || fail "$d: the engines never overlapped"
      [ "$(v cycles.stall)" -ge 0 ] && [ $(( busy - $(v cycles.overlap) )) -le "$(v cycles.total)" ] \
        || fail "$d: more busy cycles than the run has"
      [ "$(v cycles.overlap)" -lt "$(v cycles.forward)" ] || fail "$d: overlap beyond the forward engine's work"
    done
  done
  # hits skip backward work (gradient_reuse) and cost the update its stored gradients
  c() { grep "^$2," $1/report.csv | cut -d, -f2; }
  [ "$(c gradient_reuse1 speculation.cycles_saved)" -gt 0 ] || fail "no cycles saved"
  [ "$(c gradient_reuse0 speculation.cycles_saved)" -eq 0 ] || fail "cycles saved without hits"
  [ "$(c gradient_reuse1 speculation.reuse_cycles)" -gt 0 ] || fail "applying stored gradients cost nothing"
  [ "$(c gradient_reuse1 speculation.words_saved)" -gt 0 ] && [ "$(c gradient_reuse1 speculation.reuse_words)" -gt 0 ] \
    || fail "the traffic of reuse is not reported"
  [ "$(c gradient_reuse0 speculation.words_saved)" -eq 0 ] || fail "words saved without hits"
  [ "$(c output_speculation1 speculation.recompute_cycles)" -lt "$(c output_speculation0 speculation.recompute_cycles)" ] \
    || fail "hits did not save recomputation"
  [ "$(c gradient_reuse1 cycles.total)" -lt "$(c gradient_reuse0 cycles.total)" ] || fail "hits made gradient_reuse slower"
  ;;
sweep_shards)
  # a sweep run as three shards (separate processes) and merged is the unsharded sweep, byte for byte
  tcfg=$src/configs/lockstep_training.yaml
  sw() { "$st" sweep "$tcfg" --set schedule.kind=baseline,speculative --set schedule.speculation.threshold=0,2.3,100 \
           --set simulation.backend=tlm "$@" > /dev/null; }
  sw --jobs 2 --out all || fail "unsharded sweep"
  for i in 0 1 2; do sw --shard $i/3 --out s$i & done
  wait
  for i in 0 1 2; do [ -s s$i/sweep.csv ] && [ -s s$i/shard.txt ] || fail "shard $i wrote no table"; done
  [ "$(ls -d s1/run_* | wc -l)" -eq 2 ] || fail "shard 1 of 3 ran $(ls -d s1/run_* | wc -l) of 6 points"
  "$st" sweep merge s2 s0 s1 --out merged > /dev/null || fail "merge"
  cmp all/sweep.csv merged/sweep.csv || fail "merged shards differ from the unsharded sweep"
  [ "$(wc -l < all/sweep.csv)" -eq 7 ] || fail "sweep.csv: $(cat all/sweep.csv)"
  head -1 all/sweep.csv | grep -q "training.final_test_accuracy,training.final_train_loss,speculation.hits,speculation.misses,exit_code" \
    || fail "sweep.csv columns: $(head -1 all/sweep.csv)"
  # a shard missing or given twice, a bad --shard, a key swept twice: exit 2, nothing written
  "$st" sweep merge s0 s1 --out m2 2> err.txt; [ $? -eq 2 ] || fail "merge without shard 2"
  grep -q "shard 2 of 3 is missing" err.txt || fail "$(cat err.txt)"
  "$st" sweep merge s0 s0 s1 s2 --out m2 2> err.txt; [ $? -eq 2 ] || fail "merge with a shard twice"
  grep -q "shard 0 of 3 is given twice" err.txt || fail "$(cat err.txt)"
  "$st" sweep merge all --out m2 2> err.txt; [ $? -eq 2 ] || fail "merge of an unsharded sweep"
  [ ! -e m2/sweep.csv ] || fail "a failed merge wrote a table"
  for bad in 3/3 -1/2 1 a/b 1/0; do
    sw --shard $bad --out bs 2> err.txt; [ $? -eq 2 ] || fail "--shard $bad accepted"
  done
  grep -q "^--shard: expected I/N with 0 <= I < N" err.txt || fail "$(cat err.txt)"
  "$st" sweep "$tcfg" --set training.batch=1,2 --set training.batch=3 --out twice 2> err.txt; [ $? -eq 2 ] || fail "key swept twice"
  grep -q "training.batch is swept twice" err.txt || fail "$(cat err.txt)"
  [ ! -e twice/run_000 ] && [ ! -e bs/run_000 ] || fail "a bad sweep ran something"
  ;;
plot)
  tcfg=$src/configs/lockstep_training.yaml
  "$st" sweep "$tcfg" --set schedule.kind=baseline,speculative --set schedule.speculation.threshold=0,100 \
    --set simulation.backend=tlm --jobs 2 --out sw > /dev/null || fail "sweep"
  "$st" plot sw/sweep.csv --x cycles.total --y training.final_test_accuracy --by schedule.kind --out p.png > out.txt \
    || fail "plot: $(cat out.txt)"
  grep -q "2 lines, 4 points" out.txt || fail "$(cat out.txt)"
  [ "$(head -c 8 p.png | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "p.png is not a PNG"
  [ -z "$(ls | grep tmp)" ] || fail "temporary files left: $(ls)"
  "$st" plot sw/sweep.csv --x cycles.totl --y macs --out q.png 2> err.txt; [ $? -eq 2 ] || fail "unknown column"
  grep -q "plot: --x cycles.totl: no such column in sw/sweep.csv (its columns: run, schedule.kind" err.txt || fail "$(cat err.txt)"
  "$st" plot nothere.csv --x a --y b --out q.png 2> err.txt; [ $? -eq 2 ] || fail "missing csv"
  [ ! -e q.png ] || fail "a failed plot wrote a file"
  printf 'x,y\n173000000,1\n173100000,2\n173200000,3\n' > close.csv
  # a plot of values close together runs (test_plot.cpp checks the tick formats and axis titles themselves)
  "$st" plot close.csv --x x --y y --out close.png > /dev/null || fail "close ticks"
  [ "$(head -c 8 close.png | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "close.png is not a PNG"
  # bar charts of a compare folder: stages, energy, layers
  "$st" compare "$tcfg" --set simulation.backend=tlm --schedules baseline,interleaved,speculative --out cmp > /dev/null || fail "compare"
  for of in stages energy layers; do
    "$st" bars cmp --of $of --out b_$of.png > out.txt || fail "bars --of $of: $(cat out.txt)"
    grep -q "bars: b_$of.png ($of of 3 schedules)" out.txt || fail "$(cat out.txt)"
    [ "$(head -c 8 b_$of.png | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "b_$of.png is not a PNG"
  done
  "$st" bars cmp --of power --out b.png 2> err.txt; [ $? -eq 2 ] && grep -q "expected stages, energy or layers" err.txt || fail "--of power"
  "$st" bars sw --out b.png 2> err.txt; [ $? -eq 2 ] && grep -q "sw/compare.json: not found" err.txt || fail "bars on a sweep folder"
  [ ! -e b.png ] || fail "a failed bars wrote a file"
  [ -z "$(ls | grep tmp)" ] || fail "temporary files left: $(ls)"
  ;;
output_files)
  # what the commands write is what it claims to be (issue 15): strict JSON
  # (no NaN; every string escaped and valid UTF-8), CSV that round-trips
  json_ok() { /usr/bin/python3 -c 'import json, sys
json.load(open(sys.argv[1], encoding="utf-8"), parse_constant=lambda c: sys.exit("not JSON: " + c))' "$1"; }
  tcfg=$src/configs/lockstep_training.yaml
  # a float32 run that diverges: its losses are null, and a warning says so
  "$st" run "$tcfg" --backend tlm --quiet --out div --set accelerator.numerics.kind=float32 \
    --set training.learning_rate=1000000 || fail "diverging run"
  json_ok div/report.json || fail "report.json of a diverged run is not JSON"
  grep -q '"final_train_loss": null' div/report.json || fail "a diverged loss is not null"
  grep -q 'training diverged' div/report.json || fail "no divergence warning"
  # a config with a byte that is not UTF-8 is refused, located (JSON is UTF-8)
  sed 's/^name: .*/name: "bad \xff byte"/' "$tcfg" > latin.yaml
  "$st" run latin.yaml --backend tlm --quiet --out utf 2> err.txt; rc=$?
  [ $rc -eq 2 ] && grep -q "latin.yaml:[0-9]*:[0-9]*: a byte that is not UTF-8 (0xff)" err.txt && [ ! -e utf/report.json ] ||
    fail "a non-UTF-8 config: exit $rc, $(cat err.txt)"
  # a config path with a quote and a backslash, and a name with a quote: escaped in every JSON file
  odd='q"u\o'
  sed 's/^name: .*/name: "say \\"hi\\" \\\\ there"/' "$tcfg" > "$odd.yaml"
  "$st" run "$odd.yaml" --backend tlm --quiet --out quoted || fail "run of a quoted name"
  json_ok quoted/report.json || fail "report.json with a quoted name is not JSON"
  "$st" compare "$odd.yaml" --set simulation.backend=tlm --out cmp > /dev/null || fail "compare"
  json_ok cmp/compare.json || fail "compare.json with a quote in the config path is not JSON"
  /usr/bin/python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["config"] == sys.argv[2]' cmp/compare.json \
    "$odd.yaml" || fail "compare.json names another config path"
  # a schedule named twice is refused before anything runs
  "$st" compare "$tcfg" --schedules interleaved,interleaved --out dup 2> err.txt; rc=$?
  [ $rc -eq 2 ] && grep -q "named twice" err.txt && [ ! -e dup/interleaved ] || fail "duplicate schedules: exit $rc"
  # sweep values with a quote, a comma and a line break: sweep.csv quotes them, merge and plot read them back
  set_v=$'name=a"b,c\nd,e'
  "$st" sweep "$tcfg" --set simulation.backend=tlm --set "$set_v" --out all > /dev/null || fail "sweep"
  for i in 0 1; do
    "$st" sweep "$tcfg" --set simulation.backend=tlm --set "$set_v" --shard $i/3 --out s$i > /dev/null || fail "shard $i"
  done
  "$st" sweep "$tcfg" --set simulation.backend=tlm --set "$set_v" --shard 2/3 --out s2 > /dev/null || fail "shard 2"
  "$st" sweep merge s0 s1 s2 --out merged > /dev/null || fail "merge of quoted values"
  cmp all/sweep.csv merged/sweep.csv || fail "merged sweep.csv differs from the unsharded one"
  /usr/bin/python3 -c 'import csv, sys
names = [r["name"] for r in csv.DictReader(open(sys.argv[1], newline=""))]
assert names == ["a\"b", "c\nd", "e"], names' all/sweep.csv || fail "sweep.csv values do not round-trip"
  "$st" plot all/sweep.csv --x cycles.total --y training.final_test_accuracy --out p.png > /dev/null 2>&1 || fail "plot"
  # sweep and merge refuse what is not one sweep, or too big to be one
  "$st" sweep "$tcfg" --set simulation.backend=tlm --set training.seed=1,2 --shard 0/2 --out fa > /dev/null || fail "shard a"
  "$st" sweep "$tcfg" --set simulation.backend=tlm --set training.seed=3,4 --shard 1/2 --out fb > /dev/null || fail "shard b"
  "$st" sweep merge fa fb --out fm > /dev/null 2> err.txt; rc=$?
  [ $rc -eq 2 ] && grep -q "another sweep" err.txt && [ ! -e fm/sweep.csv ] || fail "a foreign shard merged: exit $rc"
  "$st" sweep "$tcfg" --set training.seed=1,2 --shard 0/99999999999999999999 --out big > /dev/null 2> err.txt; rc=$?
  [ $rc -eq 2 ] || fail "a shard count past 64 bits: exit $rc"
  "$st" sweep "$tcfg" --set training.seed=1,2 --shard 0/3 --out big > /dev/null 2> err.txt; rc=$?
  [ $rc -eq 2 ] && grep -q "at most as many shards as points" err.txt || fail "more shards than points: exit $rc"
  v25=$(seq -s, 1 25)
  timeout 20 "$st" sweep "$tcfg" --set training.seed=$v25 --set training.batch=$v25 --set training.epochs=$v25 \
    --out huge > /dev/null 2> err.txt; rc=$?
  [ $rc -eq 2 ] && grep -q "more than 10000 points" err.txt || fail "a sweep of 15,625 points: exit $rc"
  printf '0 99999999999999 99999999999999 x\n' > fa/shard.txt
  "$st" sweep merge fa --out fm > /dev/null 2> err.txt; rc=$?
  [ $rc -eq 2 ] || fail "a shard.txt of 10^14 shards: exit $rc"
  # a sweep into a used folder: a run that now fails keeps none of the earlier sweep's figures
  qcfg=$src/configs/inference_mlp.yaml
  "$st" sweep "$qcfg" --set training.test_samples=32 --out used > /dev/null || fail "first sweep"
  "$st" sweep "$qcfg" --set training.test_samples=32 --set training.data_dir=/nonexistent --out used > /dev/null 2>&1
  /usr/bin/python3 -c 'import csv, sys
r = list(csv.DictReader(open(sys.argv[1], newline="")))[0]
assert r["exit_code"] != "0" and r["cycles.total"] == "", r' used/sweep.csv || fail "a failed run shows an earlier sweep's figures"
  # a VCD window to the end of int64 is sized without overflow (refused before anything runs: no disk holds
  # its bound), and a VCD name of 249 bytes, legal, is written (its temporary name is short)
  lcfg=$src/configs/lockstep.yaml
  "$st" run "$lcfg" --backend tlm --quiet --out vw --vcd vw.vcd --set 'simulation.vcd_window=[0, 9223372036854775807]' \
    2> err.txt; rc=$?
  [ $rc -eq 2 ] && grep -q "a window of" err.txt && [ ! -e vw/report.json ] && [ ! -e vw.vcd ] ||
    fail "a window to the end of int64: exit $rc, $(cat err.txt)"
  long=$(printf 'v%.0s' $(seq 1 245)).vcd
  "$st" run "$lcfg" --backend tlm --quiet --out vl --vcd "$long" || fail "a 249-byte VCD name"
  [ -s "$long" ] && [ -z "$(ls | grep tmp)" ] || fail "the 249-byte VCD: $(ls)"
  # plot and merge: no FIFO read, the output checked up front (exit 2 with the reason, as run does)
  mkfifo fifo.csv
  timeout 10 "$st" plot fifo.csv --x cycles.total --y macs --out f.png 2> err.txt; rc=$?
  [ $rc -eq 2 ] && grep -q "not a regular file" err.txt || fail "plot on a FIFO: exit $rc"
  cp -r s0 sf && rm sf/shard.txt && mkfifo sf/shard.txt
  timeout 10 "$st" sweep merge sf s1 s2 --out mf 2> err.txt; rc=$?
  [ $rc -eq 2 ] && grep -q "not a regular file" err.txt || fail "merge of a FIFO shard.txt: exit $rc"
  for out in nofolder/p.png all; do
    "$st" plot all/sweep.csv --x cycles.total --y macs --out $out > /dev/null 2> err.txt; rc=$?
    [ $rc -eq 2 ] && grep -q -- "--out" err.txt || fail "plot --out $out: exit $rc, $(cat err.txt)"
  done
  "$st" sweep "$tcfg" --set simulation.backend=tlm --set training.seed=1,2 --out neg > /dev/null || fail "sweep for --logx"
  "$st" plot neg/sweep.csv --x cycles.overlap --y macs --logx --out lx.png > /dev/null 2> err.txt; rc=$?  # x = 0
  [ $rc -eq 2 ] && grep -q "logx needs every x above 0" err.txt && [ ! -e lx.png ] || fail "plot --logx on x = 0: exit $rc"
  "$st" plot all/sweep.csv --x training.final_train_loss --y macs --logx --out lx2.png > /dev/null 2>&1 || fail "--logx on x > 0"
  touch afile
  "$st" sweep merge s0 s1 s2 --out afile/sub > /dev/null 2> err.txt; rc=$?
  [ $rc -eq 2 ] && grep -q -- "--out" err.txt || fail "merge into an --out that cannot be made: exit $rc"
  # SIGTERM to sweep or compare stops their runs too (no orphan goes on to write a report), exit 1, no table
  mcfg=$src/configs/mlp_fashion.yaml
  for cmd in sweep compare; do
    if [ $cmd = sweep ]; then
      "$st" sweep "$mcfg" --set training.epochs=10 --set training.seed=1,2,3 --jobs 1 --out sig_$cmd \
        > /dev/null 2> err_$cmd.txt &
    else
      "$st" compare "$mcfg" --set training.epochs=10 --out sig_$cmd > /dev/null 2> err_$cmd.txt &
    fi
    p=$!
    sleep 1.5  # (ten epochs of 60,000 images take many seconds: none has finished)
    kill -TERM $p
    wait $p; rc=$?
    sleep 1
    [ $rc -eq 1 ] || fail "$cmd after SIGTERM: exit $rc"
    ! pgrep -f "out sig_$cmd" > /dev/null || fail "$cmd left its runs going after SIGTERM"
    [ ! -e sig_$cmd/sweep.csv ] && [ ! -e sig_$cmd/compare.json ] || fail "$cmd wrote its table after SIGTERM"
    [ -z "$(find sig_$cmd -name report.json)" ] || fail "$cmd: a stopped run wrote a report"
  done
  # the tensor dump: its folder checked before the run; a run stopped midway leaves whole steps only, and says which
  "$st" run "$tcfg" --backend tlm --quiet --out dm --set simulation.dump_tensors=afile/sub 2> err.txt; rc=$?
  [ $rc -eq 2 ] && grep -q "dump_tensors: cannot create" err.txt && [ ! -e dm/report.json ] || fail "a dump under a file: exit $rc"
  # (stopped once its first steps are on disk, not after a fixed time: a thousand steps took under 1.5 s)
  "$st" run "$mcfg" --schedule baseline --quiet --out dm2 --set simulation.dump_tensors=$work/dumped \
    --set training.epochs=10 --set simulation.max_steps=100000 2> err.txt &
  p=$!
  for _ in $(seq 600); do [ -e dumped/step_3 ] && break; sleep 0.05; done
  kill -TERM $p
  wait $p; rc=$?
  [ $rc -eq 1 ] && [ ! -e dm2/report.json ] || fail "a dump run after SIGTERM: exit $rc"
  last=$(ls dumped | sed 's/step_//' | sort -n | tail -1)
  grep -q "holds steps 0 to $last (step $((last + 1)), cut short, was removed)" err.txt || fail "dump message: $(cat err.txt)"
  for d in dumped/step_*; do
    [ "$(find $d -type f | wc -l)" -eq "$(find dumped/step_0 -type f | wc -l)" ] || fail "$d is not whole"
  done
  # two runs into one --out: the report pair is one run's, whichever finished last (the folder is locked while
  # a pair is renamed; a race, which this can catch only by chance before the lock)
  for k in 1 2 3 4 5 6; do
    "$st" run "$src/configs/lockstep.yaml" --backend tlm --quiet --out same & a=$!
    "$st" run "$src/configs/odd_shapes.yaml" --backend tlm --quiet --out same & b=$!
    wait $a $b
    j=$(sed -n 's/.*"cycles": {"total": \([0-9]*\).*/\1/p' same/report.json)
    c=$(sed -n 's/^cycles.total,//p' same/report.csv)
    [ -n "$j" ] && [ "$j" = "$c" ] || fail "report.json ($j cycles) and report.csv ($c) are of two runs"
  done
  # --set takes the documented network.layers, a list as in a file
  "$st" run "$tcfg" --backend tlm --quiet --out setl \
    --set 'network.layers=[{type: dense, units: 16, activation: relu}, {type: dense, units: 10}]' || fail "--set network.layers"
  grep -q '"gemm": {"m": 7, "k": 16, "n": 10}' setl/report.json || fail "--set network.layers did not take"
  # ... and one layer, or one key of one, in run, sweep and compare (issue 14), with located errors
  "$st" run "$tcfg" --backend tlm --quiet --out setk --set 'network.layers[0].units=16' || fail "--set network.layers[0].units"
  grep -q '"gemm": {"m": 7, "k": 17, "n": 10}' setk/report.json && grep -q '"gemm": {"m": 7, "k": 38, "n": 16}' setk/report.json ||
    fail "--set network.layers[0].units did not take"
  "$st" sweep "$tcfg" --set simulation.backend=tlm --set 'network.layers[0].units=8,16' --out swk > /dev/null || fail "sweep a layer's units"
  [ "$(/usr/bin/python3 -c 'import csv, sys; r = list(csv.DictReader(open(sys.argv[1]))); print(" ".join(x["network.layers[0].units"] + ":" + x["macs"] for x in r))' swk/sweep.csv)" = \
    "8:$(sed -n 's/^macs,//p' <("$st" run "$tcfg" --backend tlm --quiet --out k8 --set 'network.layers[0].units=8' && cat k8/report.csv)) 16:$(sed -n 's/^macs,//p' setk/report.csv)" ] ||
    fail "sweep over network.layers[0].units: $(cat swk/sweep.csv | cut -c1-200)"
  "$st" compare "$tcfg" --set simulation.backend=tlm --set 'network.layers[1]={type: dense, units: 10, bias: false}' --out cmpk > /dev/null ||
    fail "compare with a layer replaced"
  grep -q '"bias": false' <(sed -n '/"network"/,/"training"/p' cmpk/baseline/report.json) || fail "compare: the layer was not replaced"
  for bad in "network.layers[2].units=4:the network has 2 layers (indices 0 to 1)" \
             "network.layers[0].unit=4:network.layers\[0\].unit: unknown key for a dense layer (did you mean 'units'?)" \
             "network.layers[0].units=0:network.layers\[0\].units: expected an integer in \[1, 16777216\], found '0'" \
             "network.layers[a].units=4:expected network.layers\[I\] or network.layers\[I\].KEY"; do
    "$st" check "$tcfg" --set "${bad%%:*}" > /dev/null 2> err.txt; rc=$?
    [ $rc -eq 2 ] && grep -q "${bad#*:}" err.txt || fail "--set ${bad%%:*}: exit $rc, $(cat err.txt)"
  done
  "$st" check "$tcfg" --set 'network.layers=[{type: dense, unit: 16}]' 2> err.txt; rc=$?
  [ $rc -eq 2 ] && grep -q "network.layers\[0\].unit: unknown key for a dense layer (did you mean 'units'?)" err.txt ||
    fail "--set network.layers with a misspelt key: exit $rc, $(cat err.txt)"
  # plot hands gnuplot no command: an --out that starts with '|' is a file name, and a line break in a
  # string handed to gnuplot is refused (exit 2)
  "$st" plot all/sweep.csv --x cycles.total --y training.final_test_accuracy --out '|touch injected #' > /dev/null 2>&1
  [ ! -e injected ] && [ -s '|touch injected #' ] || fail "plot --out ran a shell command"
  "$st" plot all/sweep.csv --x cycles.total --y training.final_test_accuracy --title $'t\nsystem("touch injected2")' \
    --out t.png > /dev/null 2> err.txt; rc=$?
  [ $rc -eq 2 ] && [ ! -e injected2 ] && [ ! -e t.png ] && grep -q "control character" err.txt || fail "plot --title: exit $rc"
  "$st" plot all/sweep.csv --x cycles.total --y training.final_test_accuracy --label name --out l.png > /dev/null 2> err.txt
  [ $? -eq 2 ] && grep -q "control character" err.txt || fail "a label with a line break"
  # a dump on a full disk names the errno text and leaves no partial step (a file-size limit stands in for the
  # full disk: the write fails the same way, with EFBIG)
  (trap '' XFSZ; ulimit -f 100; "$st" run "$mcfg" --schedule baseline --quiet --out dfull --set simulation.dump_tensors=full \
    --set simulation.max_steps=3 2> err.txt); rc=$?
  [ $rc -eq 1 ] && grep -q "dump_tensors: cannot write full/step_0/.*: File too large" err.txt &&
    [ -z "$(ls full)" ] && [ ! -e dfull/report.json ] || fail "a dump on a full disk: exit $rc, $(cat err.txt)"
  # one compare or sweep at a time into a folder: a second one is refused (exit 2) while the first runs
  "$st" compare "$mcfg" --set training.epochs=10 --out busy > /dev/null 2>&1 & p=$!
  sleep 1
  for cmd in compare sweep; do
    if [ $cmd = compare ]; then "$st" compare "$tcfg" --out busy > /dev/null 2> err.txt; rc=$?
    else "$st" sweep "$tcfg" --set training.seed=1,2 --out busy > /dev/null 2> err.txt; rc=$?; fi
    [ $rc -eq 2 ] && grep -q "another compare or sweep is writing into busy" err.txt || fail "a second $cmd into busy/: exit $rc"
  done
  kill -TERM $p; wait $p
  "$st" compare "$tcfg" --set simulation.backend=tlm --out busy > /dev/null 2>&1 || fail "compare into busy/ once the first has ended"
  # SIGTERM to plot: gnuplot stopped, its temporary folder and the PNG's temporary gone, exit 1
  seq 1 1500000 | awk 'BEGIN { print "a,b" } { print $1 "," ($1 % 977) }' > bigplot.csv
  ls -d /tmp/systrain-plot-* 2> /dev/null | sort > tmp_before.txt
  "$st" plot bigplot.csv --x a --y b --out big.png > /dev/null 2> err.txt & p=$!
  sleep 2
  kill -TERM $p; wait $p; rc=$?
  sleep 0.5
  ls -d /tmp/systrain-plot-* 2> /dev/null | sort > tmp_after.txt
  [ $rc -eq 1 ] && grep -q "plot: interrupted; nothing was written" err.txt || fail "plot after SIGTERM: exit $rc, $(cat err.txt)"
  cmp -s tmp_before.txt tmp_after.txt || fail "plot left $(comm -13 tmp_before.txt tmp_after.txt)"
  ! ls | grep -q "big.png" || fail "plot left $(ls | grep big.png)"
  ! pgrep -f "systrain-plot-" > /dev/null || fail "plot left gnuplot running"
  # a 30,000-row topology: linear (the report of ~3.6 M counters in seconds), and SIGTERM is honoured while the
  # report is made, as in every phase: exit 1 within a second, no report
  awk 'BEGIN { print "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,";
               for (i = 0; i < 30000; i++) print "l" i ",8,8,3,3,4,8,1," }' > rows30k.csv
  sed "s#topologies/alexnet.csv#$work/rows30k.csv#" "$src/configs/alexnet_topology.yaml" > rows30k.yaml
  "$st" run rows30k.yaml --schedule interleaved --quiet --out r30k 2> err.txt & p=$!
  sleep 2.5
  kill -TERM $p
  for i in $(seq 1 20); do kill -0 $p 2> /dev/null || break; sleep 0.1; done
  ! kill -0 $p 2> /dev/null || fail "a 30,000-row topology run went on 2 s after SIGTERM"
  wait $p; rc=$?
  [ $rc -eq 1 ] && grep -q "interrupted; no report was written" err.txt && [ ! -e r30k/report.json ] ||
    fail "SIGTERM to a 30,000-row topology run: exit $rc, $(cat err.txt)"
  ;;
hostile_inputs)
  # regression tests of the reliability probe (issue 7): each ends promptly, exit 2, a clear message, no file
  mkdir adir && mkfifo fifo
  for f in adir fifo /dev/zero; do
    timeout 10 "$st" check $f 2> err.txt; rc=$?
    [ $rc -eq 2 ] || fail "check $f: exit $rc"
    grep -q -e "is a folder, not a config file" -e "is not a regular file" err.txt || fail "$f: $(cat err.txt)"
  done
  timeout 10 "$st" check nothere.yaml 2> err.txt; [ $? -eq 2 ] || fail "a missing file"
  grep -q "nothere.yaml: cannot read the file: No such file or directory" err.txt || fail "$(cat err.txt)"
  head -c 2000000 /dev/zero | tr '\0' '#' > big.yaml
  timeout 10 "$st" check big.yaml 2> err.txt; [ $? -eq 2 ] || fail "a 2 MB config"
  grep -q "big.yaml: is 2000000 bytes; a config file is at most 1048576 bytes" err.txt || fail "$(cat err.txt)"
  timeout 10 "$st" check "$cfg" --set 'accelerator=&a [*a]' 2> err.txt; [ $? -eq 2 ] || fail "recursive alias in --set"
  grep -q "nested deeper than 32 levels" err.txt || fail "$(cat err.txt)"
  # IDX images that are not what the network takes (1x1, 10x10, 28x29): exit 2, no garbage run
  idx() {  # DIR H W: two images of HxW and their labels, as t10k files
    mkdir -p $1
    { printf '\x00\x00\x08\x03\x00\x00\x00\x02'; printf "\\x00\\x00\\x00\\x$(printf %02x $2)"; printf "\\x00\\x00\\x00\\x$(printf %02x $3)";
      head -c $((2 * $2 * $3)) /dev/zero; } | gzip > $1/t10k-images-idx3-ubyte.gz
    { printf '\x00\x00\x08\x01\x00\x00\x00\x02\x01\x02'; } | gzip > $1/t10k-labels-idx1-ubyte.gz
  }
  for hw in "1 1" "10 10" "28 29"; do
    idx d_${hw/ /x} $hw
    "$st" run "$src/configs/inference_mlp.yaml" --set training.data_dir="$work/d_${hw/ /x}" --out o_idx 2> err.txt; rc=$?
    [ $rc -eq 2 ] || fail "$hw images: exit $rc"
    grep -q "the test images have $(( ${hw% *} * ${hw#* } )) features each; the network's input_shape takes 784" err.txt \
      || fail "$hw: $(cat err.txt)"
  done
  idx d_ok 28 28
  "$st" run "$src/configs/inference_mlp.yaml" --set training.data_dir="$work/d_ok" --out o_idx --quiet || fail "28x28 images"
  # a gzip trailer that claims 4 GiB (the file itself is tiny): a precise error, and nothing of that size is
  # allocated (the run's peak resident memory stays under 1 GiB; an address-space cap would stop ASan itself)
  mkdir d_isize && cp d_ok/*.gz d_isize/
  python3 -c "import sys; p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[-4:] = b'\xf0\xff\xff\xff'; open(p, 'wb').write(b)" \
    d_isize/t10k-images-idx3-ubyte.gz
  peak=$(python3 -c "import resource, subprocess, sys
r = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], 'w'), timeout=60)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)" err.txt \
    "$st" run "$src/configs/inference_mlp.yaml" --set training.data_dir="$work/d_isize" --out o_isize)
  read -r rc kib <<< "$peak"
  [ "$rc" = 2 ] && grep -q "t10k-images-idx3-ubyte.gz: corrupt gzip data" err.txt || fail "a 4 GiB trailer: rc $rc, $(cat err.txt)"
  [ "$kib" -lt 1048576 ] || fail "a 4 GiB trailer: the run peaked at $kib KiB"
  mkfifo d_fifo_dir; mkdir d_fifo && mkfifo d_fifo/t10k-images-idx3-ubyte.gz && cp d_ok/t10k-labels-idx1-ubyte.gz d_fifo/
  timeout 10 "$st" run "$src/configs/inference_mlp.yaml" --set training.data_dir="$work/d_fifo" --out o_f 2> err.txt
  [ $? -eq 2 ] || fail "a FIFO as a data file"
  grep -q "t10k-images-idx3-ubyte.gz: not a regular file" err.txt || fail "$(cat err.txt)"
  # outputs that cannot be written are found before anything runs, and leave nothing
  echo x > afile
  for v in afile/t.vcd /proc/t.vcd; do
    "$st" run "$cfg" --backend tlm --vcd $v --out o_v 2> err.txt; [ $? -eq 2 ] || fail "--vcd $v"
    grep -q "simulation.vcd: cannot write $v: " err.txt || fail "$(cat err.txt)"
  done
  mkdir vdir
  "$st" run "$cfg" --backend tlm --vcd vdir --out o_v 2> err.txt; [ $? -eq 2 ] || fail "--vcd a folder"
  grep -q "simulation.vcd: vdir is a folder" err.txt || fail "$(cat err.txt)"
  [ -z "$(ls vdir)" ] && [ ! -e o_v/report.json ] || fail "files left: $(ls vdir o_v)"
  # an --out where nothing can be written is found before anything runs, with the reason
  timeout 10 "$st" run "$src/configs/mlp_fashion.yaml" --out /proc/sys 2> err.txt; [ $? -eq 2 ] || fail "--out /proc/sys"
  grep -q "^--out: cannot write in /proc/sys: " err.txt || fail "$(cat err.txt)"
  # a VCD window no disk can hold is refused before anything runs
  "$st" run "$cfg" --backend tlm --vcd big.vcd --set "simulation.vcd_window=[0, 1000000000000]" --out o_v 2> err.txt
  [ $? -eq 2 ] || fail "a window of 1e12 cycles"
  grep -q "simulation.vcd: a window of 1000000000001 cycles can take up to .* MB free; narrow simulation.vcd_window" err.txt \
    || fail "$(cat err.txt)"
  [ -z "$(ls | grep big.vcd)" ] || fail "a VCD was left"
  # a report that cannot be written takes its partner with it (report.csv is a folder here)
  mkdir -p pair/report.csv
  "$st" run "$cfg" --backend tlm --quiet --out pair 2> err.txt; [ $? -eq 1 ] || fail "unwritable report.csv"
  [ ! -e pair/report.json ] || fail "report.json was left without report.csv"
  [ -z "$(ls pair | grep -v '^report.csv$')" ] || fail "temporary files left: $(ls pair)"
  # a damaged cached RTL model (truncated, a flipped byte) is found before dlopen and built again
  export SYSTRAIN_RTL_CACHE=$work/rtl_cache
  one=(run "$cfg" --backend cosim --set accelerator.array.rows=1 --set accelerator.array.cols=1 --set training.test_samples=2)
  "$st" "${one[@]}" --out c0 > /dev/null 2>&1 || fail "first 1x1 cosim run"
  so=$(ls $SYSTRAIN_RTL_CACHE/*/libsystolic.so)
  head -c 4096 $so > t.so && cat t.so > $so
  "$st" "${one[@]}" --out c1 > /dev/null 2> err.txt || fail "a truncated model: $(cat err.txt)"
  grep -q "is damaged or unverified; rebuilding it" err.txt || fail "no rebuild: $(cat err.txt)"
  printf '\xff' | dd of=$so bs=1 seek=20000 conv=notrunc 2> /dev/null
  "$st" "${one[@]}" --out c2 > /dev/null 2> err.txt || fail "a flipped byte: $(cat err.txt)"
  grep -q "rebuilding it" err.txt || fail "no rebuild after a flipped byte"
  unset SYSTRAIN_RTL_CACHE
  # buffers are sized by what runs (batch 1048576 over 20 samples), and a run that cannot fit is refused up front
  timeout 20 "$st" run "$cfg" --backend tlm --quiet --set training.batch=1048576 --out big_batch || fail "a huge batch"
  printf 'network: {input_shape: [200000], layers: [{type: dense, units: 100000}]}\ntraining: {dataset: synthetic, test_samples: 10}\n' > huge.yaml
  timeout 20 "$st" run huge.yaml --out o_huge 2> err.txt; [ $? -eq 2 ] || fail "a network of 2e10 weights"
  grep -q "GiB are available (the bound is the machine's MemAvailable): .* words of SRAM state .* To fit, make network.layers smaller\( (timing only would still need [0-9.]* GiB)\|, or run timing only (simulation.functional: false: about\)" err.txt || fail "$(cat err.txt)"
  [ ! -e o_huge/report.json ] || fail "a report for a refused run"
  # timing-only runs are counted too (issue 15): the per-sample labels and order of 2^27 samples, the tile list of a
  # 1x65536x65536 GEMM; against ulimit -v (not under ASan, whose shadow memory needs the address space) and a
  # memory cgroup of 512 MB (where one can be made: root, a writable hierarchy)
  printf 'Layer, M, N, K,\ng1,1,65536,65536,\n' > gemm.csv
  sed "s#topologies/alexnet.csv#$work/gemm.csv#" "$src/configs/alexnet_topology.yaml" > gemm.yaml
  many=(run "$src/configs/quickstart.yaml" --schedule interleaved --quiet --out o_many --set simulation.functional=false
        --set training.train_samples=134217728 --set simulation.max_steps=2)
  if ! grep -q __asan_init "$st"; then
    (ulimit -v 1000000; timeout 20 "$st" "${many[@]}" 2> err.txt); rc=$?
    [ $rc -eq 2 ] && grep -q "(the bound is ulimit -v of 0.95 GiB.*GiB for per-sample labels and order (1342[0-9]* samples)\. To fit, lower training.train_samples" err.txt ||
      fail "2^27 timing-only samples under ulimit -v: exit $rc, $(cat err.txt)"
    (ulimit -v 1000000; timeout 20 "$st" run gemm.yaml --quiet --out o_gemm 2> err.txt); rc=$?
    [ $rc -eq 2 ] && grep -q "GiB for the tile list of the largest pass (up to 4194304 tiles)\. To fit, use a larger accelerator.array" err.txt ||
      fail "a 1x65536x65536 GEMM under ulimit -v: exit $rc, $(cat err.txt)"
  fi
  cg=""
  for base in /sys/fs/cgroup/memory /sys/fs/cgroup; do
    d=$base/systrain-test-$$
    if mkdir $d 2> /dev/null; then
      if echo 536870912 > $d/memory.limit_in_bytes 2> /dev/null || echo 536870912 > $d/memory.max 2> /dev/null; then cg=$d; break; fi
      rmdir $d
    fi
  done
  if [ -n "$cg" ]; then
    (echo $BASHPID > $cg/cgroup.procs && exec timeout 20 "$st" "${many[@]}") 2> err.txt; rc=$?
    rmdir $cg
    [ $rc -eq 2 ] && grep -q "(the bound is the memory cgroup's limit of 0.50 GiB" err.txt ||
      fail "2^27 timing-only samples in a 512 MB cgroup: exit $rc, $(cat err.txt)"
  else
    echo "note: no memory cgroup could be made here; the cgroup limit was not tested"
  fi
  # the clock is bounded by what the picosecond timeline holds
  "$st" check "$cfg" --set accelerator.clock_mhz=1e-9 2> err.txt; [ $? -eq 2 ] || fail "clock 1e-9"
  grep -q "accelerator.clock_mhz: expected a number in \[1, 100000\], found .1e-9." err.txt || fail "$(cat err.txt)"
  ;;
memory_warnings)
  # warnings when memory dominates (issue 14): each fires on a config that deserves it, naming the tensor, the
  # buffer and the key, and stays silent on shipped configs that do not
  warnings() { /usr/bin/python3 -c 'import json, sys; print("\n".join(json.load(open(sys.argv[1]))["warnings"]))' "$1"; }
  # the 784-128-64-10 MLP's weights (109,184 words, 214 KiB) at the default 128 KiB: fetched every step
  "$st" run "$src/configs/inference_mlp.yaml" --quiet --out inf || fail "inference_mlp"
  warnings inf/report.json | grep -q "memory dominates: 27 % of the cycles wait for DRAM.*the weights (109184 words, 214 KiB) do not fit accelerator.sram.weights_kib (128 KiB).*raise weights_kib to 214" ||
    fail "no weights warning: $(warnings inf/report.json)"
  "$st" run "$src/configs/inference_mlp.yaml" > out.txt && grep -q "warning: memory dominates" out.txt || fail "the summary does not show it"
  "$st" run "$src/configs/inference_mlp.yaml" --quiet --out inf2 --set accelerator.sram.weights_kib=256 || fail "256 KiB"
  [ -z "$(warnings inf2/report.json)" ] || fail "a warning at 256 KiB: $(warnings inf2/report.json)"
  # a small CNN at the default 128 KiB activations buffer: its stash spills
  printf 'network:\n  input_shape: [1, 28, 28]\n  layers:\n    - {type: conv2d, filters: 16, kernel: 3, padding: 1, activation: relu}\n    - {type: maxpool, size: 2}\n    - {type: flatten}\n    - {type: dense, units: 10}\ntraining: {dataset: synthetic, train_samples: 128, test_samples: 10, batch: 32}\nschedule: {kind: interleaved}\n' > cnn.yaml
  "$st" run cnn.yaml --quiet --out cnn || fail "small cnn"
  warnings cnn/report.json | grep -q "memory dominates: .*the activations stashed .* spill from accelerator.sram.activations_kib (128 KiB)" ||
    fail "no stash warning: $(warnings cnn/report.json)"
  # a 32x32 array at the default 32 words a cycle: bandwidth stalls
  "$st" run "$src/configs/mlp_fashion.yaml" --quiet --out bw --set accelerator.array.rows=32 --set accelerator.array.cols=32 \
    --set accelerator.sram.words_per_cycle=32 --set training.train_samples=320 --set training.test_samples=10 || fail "32x32"
  warnings bw/report.json | grep -q "the SRAM's bandwidth or banks freeze the array for .* raise accelerator.sram.words_per_cycle (now 32)" ||
    fail "no bandwidth warning: $(warnings bw/report.json)"
  # a weights buffer smaller than one 32x32 block, at load time
  "$st" run "$cfg" --backend tlm --quiet --out small --set accelerator.sram.weights_kib=1 --set accelerator.array.rows=32 \
    --set accelerator.array.cols=32 || fail "1 KiB"
  warnings small/report.json | grep -q "accelerator.sram.weights_kib: 1 KiB holds 512 words of 16 bits, fewer than one 32x32 block" ||
    fail "no block warning: $(warnings small/report.json)"
  # check predicts them before anything runs: each layer's GEMM, each buffer's footprint, the bottleneck
  "$st" check "$src/configs/inference_mlp.yaml" > plan.txt || fail "check inference_mlp"
  grep -q "^#   0    dense 128                       32 x    784 x    128           100352" plan.txt &&
    grep -q "^#   weights         128 KiB: the weights need 109184 words (213 KiB, 167 %): fetched from DRAM every step" plan.txt &&
    grep -q "^# predicted bottleneck: DRAM: the weights are fetched every step (109184 words); raise accelerator.sram.weights_kib to 214" plan.txt ||
    fail "check's plan: $(tail -8 plan.txt)"
  "$st" check "$src/configs/mlp_fashion.yaml" --set accelerator.array.rows=32 --set accelerator.array.cols=32 \
    --set accelerator.sram.words_per_cycle=32 | grep -q "SRAM bandwidth: 17 % of the tiles' cycles stall" || fail "no bandwidth prediction"
  "$st" check "$src/configs/quickstart.yaml" | grep -q "^# predicted bottleneck: compute" || fail "quickstart is not compute-bound"
  # training that does not learn: errors and gradients in 4 fractional bits round to zero
  "$st" run "$src/configs/quickstart.yaml" --quiet --out nl --set training.train_samples=4000 --set training.test_samples=500 \
    --set accelerator.numerics.error_frac_bits=4 --set accelerator.numerics.gradient_frac_bits=4 2> /dev/null || fail "no-learning run"
  for w in "the mean loss of the last tenth of the steps" "training accuracy, .* is near chance (1 in 10)" \
           "0 of 109184 weights (0.00 %) changed in 125 steps"; do
    warnings nl/report.json | grep -q "training is not learning: .*$w" || fail "no '$w' warning: $(warnings nl/report.json)"
  done
  # the default numerics train the quickstart network under every schedule within 3 points of float32
  for s in baseline interleaved speculative; do
    for nk in fixed float32; do
      "$st" run "$src/configs/quickstart.yaml" --quiet --out q_${s}_$nk --schedule $s --set training.train_samples=4000 \
        --set training.test_samples=2000 --set accelerator.numerics.kind=$nk > /dev/null 2>&1 || fail "quickstart $s $nk"
      [ -z "$(warnings q_${s}_$nk/report.json | grep 'not learning')" ] || fail "$s $nk: $(warnings q_${s}_$nk/report.json)"
    done
    /usr/bin/python3 -c 'import csv, sys
a = [float(dict(csv.reader(open(f)))["training.final_test_accuracy"]) for f in sys.argv[1:]]
assert a[0] > 0.6 and abs(a[0] - a[1]) <= 0.03, a' q_${s}_fixed/report.csv q_${s}_float32/report.csv || fail "$s: fixed point is not within 3 points of float32"
  done
  # silent where memory does not dominate
  for c in quickstart lockstep odd_shapes lockstep_training lockstep_cnn; do
    "$st" run "$src/configs/$c.yaml" --quiet --out s_$c || fail "$c"
    [ -z "$(warnings s_$c/report.json)" ] || fail "$c warns: $(warnings s_$c/report.json)"
  done
  ;;
dumps_by_config_layer)
  # a CNN's dump and its per-layer figures are numbered as the config numbers its layers (maxpool and flatten
  # included), and each layer's tensors follow PyTorch's definition of the layer from the layer before's
  # (tests/dump_check.py); two steps, so the second starts from updated weights
  for s in baseline interleaved; do
    "$st" run "$src/configs/lockstep_cnn.yaml" --backend tlm --schedule $s --quiet --out r_$s \
      --set simulation.dump_tensors=d_$s --set simulation.max_steps=2 > /dev/null || fail "$s dump run"
    [ "$(ls d_$s/step_1 | tr '\n' ' ')" = "labels.npy layer_0 layer_1 layer_2 layer_3 layer_4 layer_5 " ] || fail "$s: $(ls d_$s/step_1)"
    for l in 1 4; do [ "$(ls d_$s/step_1/layer_$l | tr '\n' ' ')" = "dx.npy dy.npy x.npy y.npy " ] || fail "$s layer_$l: $(ls d_$s/step_1/layer_$l)"; done
    /usr/bin/python3 "$src/tests/dump_check.py" d_$s/step_1 r_$s/report.json --torch || fail "$s: the dump does not follow the layers"
    # an overlapping, padded maxpool (3x3 every 2, padding 1): windows that share inputs add their gradients
    "$st" run "$src/configs/lockstep_cnn.yaml" --backend tlm --schedule $s --quiet --out o_$s --set network.layers[1].size=3 \
      --set network.layers[1].stride=2 --set network.layers[1].padding=1 --set simulation.dump_tensors=e_$s \
      --set simulation.max_steps=2 > /dev/null || fail "$s overlapping pool run"
    /usr/bin/python3 "$src/tests/dump_check.py" e_$s/step_1 o_$s/report.json --torch || fail "$s: overlapping maxpool"
    # layers.csv: a row per config layer and stage; its cycles add up to the ops'
    /usr/bin/python3 - r_$s <<'PY' || fail "$s: layers.csv"
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/layers.csv")))
r = json.load(open(d + "/report.json"))
assert [(x["layer"], x["type"], x["stage"]) for x in rows] == [
    (str(i), t, s) for i, t in enumerate(["conv2d", "maxpool", "conv2d", "conv2d", "flatten", "dense"])
    for s in ("forward", "backward", "update")], [(x["layer"], x["type"], x["stage"]) for x in rows]
assert sum(int(x["cycles"]) for x in rows) == sum(o["cycles"] for o in r["ops"])
assert sum(int(x["macs"]) for x in rows) == r["macs"]
assert [l["type"] for l in r["layers"]] == ["conv2d", "maxpool", "conv2d", "conv2d", "flatten", "dense"]
assert [l["gemm_index"] for l in r["layers"]] == [0, None, 1, 2, None, 3]
pool = [o for o in r["ops"] if o["op"] in ("maxpool", "unpool")]
assert pool and all(o["layer"] == 1 and o["gemm_layer"] == 1 for o in pool), pool
PY
  done
  ;;
readme_tables)
  # the README's measured tables are what the code measures (the fast ones; scripts/readme_tables.py remakes all)
  /usr/bin/python3 "$src/scripts/readme_tables.py" --build "$(dirname "$st")" --check memory_system lockstep_training ||
    fail "a README table drifted from what systrain measures"
  ;;
golden_reports)
  # did a report change? (regenerate with scripts/regen_golden_reports.sh and review the diff)
  for g in "$src"/tests/golden/*.csv; do
    name=$(basename "$g" .csv)
    "$st" run "$src/configs/$name.yaml" --backend tlm --quiet --out "$name" || fail "$name did not run"
    diff "$g" "$name/report.csv" || fail "$name: report.csv differs from tests/golden/$name.csv"
  done
  ;;
scalesim_reports)
  # SCALE-Sim v2's report files: its headers; on its own AlexNet file (conv1 at 227), each layer's Total Cycles
  # is its published figure (22f88b1, CALC mode, 32x32) plus one plus the per-tile difference docs/cnn.md states
  # (a WS tile ru - R + 2, an OS tile R + 1), computed here from the GEMMs; the other columns are report.json's
  printf '%s\n' "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides," \
    "Conv1,227,227,11,11,3,96,4," "Conv2,27,27,5,5,96,256,1," "Conv3,13,13,3,3,256,384,1," \
    "Conv4,13,13,3,3,384,384,1," "Conv5,13,13,3,3,384,256,1," > alexnet.csv
  sed "s|topologies/alexnet.csv|$work/alexnet.csv|" "$src/configs/alexnet_topology.yaml" > alexnet.yaml
  for df in ws os; do
    "$st" run alexnet.yaml --set schedule.forward_dataflow=$df --set accelerator.sram.words_per_cycle=65536 --quiet \
      --out $df > /dev/null || fail "$df run"  # (SCALE-Sim's CALC mode: no SRAM bandwidth limit)
  done
  "$st" run alexnet.yaml --schedule interleaved --quiet --out il > /dev/null || fail "training run"
  /usr/bin/python3 - <<'PY' || fail "SCALE-Sim report files"
import csv, json, math
published = {"ws": [112283, 373799, 185759, 278639, 185759], "os": [121124, 334831, 113567, 168863, 112575]}
shapes = [(227, 11, 3, 96, 4), (27, 5, 96, 256, 1), (13, 3, 256, 384, 1), (13, 3, 384, 384, 1), (13, 3, 384, 256, 1)]
R = C = 32
head = {"COMPUTE_REPORT.csv": "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,",
        "BANDWIDTH_REPORT.csv": "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, "
                                "Avg FILTER DRAM BW, Avg OFMAP DRAM BW,",
        "DETAILED_ACCESS_REPORT.csv": "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, "
            "SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start Cycle, "
            "SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
            "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, DRAM OFMAP Start Cycle, "
            "DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,"}
def rows(d, f, training=False):
    lines = open(f"{d}/{f}").read().split("\n")
    assert lines[0] == head[f] + (" Pass," if training else ""), lines[0]
    assert lines[-1] == "" and all(l.endswith(",") for l in lines[1:-1])
    return [[x.strip() for x in l.split(",")[:-1]] for l in lines[1:-1]]
for df in ("ws", "os"):
    comp, bw, det = (rows(df, f) for f in head)
    ops = [o for o in json.load(open(f"{df}/report.json"))["ops"] if o["tiles"] > 0]
    assert [r[0] for r in comp] == [str(i) for i in range(5)], comp
    for i, (h, f, c, n, s) in enumerate(shapes):
        o = (h - f + s - 1) // s + 1  # SCALE-Sim's OFMAP, rounded up
        M, K, N = o * o, f * f * c, n
        if df == "ws":
            folds = [min(R, K - r) for r in range(0, K, R)]
            extra = math.ceil(N / C) * sum(ru - R + 2 for ru in folds)
        else:
            extra = math.ceil(M / R) * math.ceil(N / C) * (R + 1)
        assert int(comp[i][1]) == published[df][i] + 1 + extra, (df, i, comp[i][1], published[df][i], extra)
        op = ops[i]
        assert int(comp[i][1]) == op["cycles"] + op["dram_wait_cycles"]
        assert abs(float(comp[i][3]) - 100 * M * K * N / (int(comp[i][1]) * R * C)) < 1e-9
        sram = op["sram"]["by_operand"]
        assert int(det[i][3]) == sram["x"]["reads"] and int(det[i][6]) == sram["w"]["reads"]
        assert int(det[i][9]) == op["sram"]["writes"]
        assert int(det[i][1]) < int(det[i][2]) and int(det[i][2]) - int(det[i][1]) == op["cycles"]
        assert abs(float(bw[i][1]) - sram["x"]["reads"] / int(comp[i][1])) < 1e-9
        if df == "ws":  # WS maps K on rows, N on columns: the mean over tiles of the PEs in use
            mapped = sum(min(R, K - r) * min(C, N - c) for r in range(0, K, R) for c in range(0, N, C))
            tiles = math.ceil(K / R) * math.ceil(N / C)
            assert abs(float(comp[i][4]) - 100 * mapped / (tiles * R * C)) < 1e-9, (comp[i][4], mapped, tiles)
    r = json.load(open(f"{df}/report.json"))
    assert sum(int(x[12]) + int(x[15]) for x in det) <= r["memory"]["dram"]["reads"]
# a training run: a row per layer and pass, the pass named in the last column
comp = rows("il", "COMPUTE_REPORT.csv", True)
r = json.load(open("il/report.json"))
passes = [(o["layer"], o["op"]) for o in r["ops"] if o["tiles"] > 0]
assert [(int(x[0]), x[6]) for x in comp] == passes, comp
assert {p for _, p in passes} == {"forward", "il"}, passes
assert sum(int(x[1]) for x in comp) == sum(o["cycles"] + o["dram_wait_cycles"] for o in r["ops"] if o["tiles"] > 0)
for f in ("BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"):
    assert [(int(x[0]), x[-1]) for x in rows("il", f, True)] == passes
PY
  ;;
onnx_import)
  # a network written in YAML and the same network exported from PyTorch with the YAML run's first weights:
  # the first training step is the same bit for bit (every tensor of the dump, every counter of report.csv),
  # through a non-square kernel with unequal strides and padding, an overlapping padded maxpool, flatten, Gemm
  # with a bias
  cat > net.yaml <<'YML'
schema_version: 1
name: onnx-import
accelerator:
  array: {rows: 4, cols: 4}
  numerics: {data_bits: 16, frac_bits: 8, acc_bits: 32, weight_frac_bits: 10, error_frac_bits: 12, gradient_frac_bits: 12}
network:
  input_shape: [2, 11, 9]
  layers:
    - {type: conv2d, filters: 4, kernel: 3, kernel_w: 2, stride: 1, stride_w: 2, padding: 1, padding_left: 0, activation: relu}
    - {type: maxpool, size: 3, stride: 2, padding: 1}
    - {type: conv2d, filters: 3, kernel: 3, stride: 2, padding: 1, activation: relu, bias: true}
    - {type: flatten}
    - {type: dense, units: 3, bias: true}
training: {dataset: synthetic, train_samples: 6, test_samples: 3, batch: 3, learning_rate: 0.1, seed: 3}
schedule: {kind: baseline}
simulation: {backend: tlm}
YML
  "$st" run net.yaml --quiet --out yaml --set simulation.dump_tensors=d_yaml --set simulation.max_steps=1 > /dev/null ||
    fail "the YAML run"
  /usr/bin/python3 - <<'PY' || fail "export"
import numpy as np, torch
from torch import nn
net = nn.Sequential(nn.Conv2d(2, 4, (3, 2), stride=(1, 2), padding=(1, 0), bias=False), nn.ReLU(),
                    nn.MaxPool2d(3, stride=2, padding=1),
                    nn.Conv2d(4, 3, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(9, 3))
d = "d_yaml/step_0/layer_{}/{}.npy"
with torch.no_grad():
    net[0].weight.copy_(torch.from_numpy(np.load(d.format(0, "w_before"))))
    net[3].weight.copy_(torch.from_numpy(np.load(d.format(2, "w_before"))))
    net[3].bias.copy_(torch.from_numpy(np.load(d.format(2, "b_before"))))
    net[6].weight.copy_(torch.from_numpy(np.load(d.format(4, "w_before")).T.copy()))
    net[6].bias.copy_(torch.from_numpy(np.load(d.format(4, "b_before")).reshape(-1)))
torch.onnx.export(net, torch.zeros(1, 2, 11, 9), "net.onnx", input_names=["x"], output_names=["y"],
                  dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, opset_version=13)
PY
  grep -v "^  input_shape\|^  layers\|^    - " net.yaml | sed 's|^network:|network:\n  onnx: net.onnx|' > onnx.yaml
  "$st" run onnx.yaml --quiet --out onnx --set simulation.dump_tensors=d_onnx --set simulation.max_steps=1 > /dev/null ||
    fail "the ONNX run"
  diff -r d_yaml d_onnx > /dev/null || fail "the dumps differ: $(diff -rq d_yaml d_onnx | head -3)"
  diff yaml/report.csv onnx/report.csv || fail "report.csv differs"
  # the imported layers, as check prints them
  "$st" check onnx.yaml | grep -q "{type: conv2d, filters: 4, kernel: 3, stride: 1, padding: 1, kernel_w: 2, stride_w: 2, padding_left: 0, activation: relu, bias: false}" ||
    fail "check: $("$st" check onnx.yaml | grep conv2d)"
  # training.init: glorot starts from the seed instead: not the same weights
  "$st" run onnx.yaml --quiet --out glorot --set training.init=glorot --set simulation.max_steps=1 > /dev/null || fail "glorot"
  cmp -s yaml/report.csv glorot/report.csv || fail "init: glorot gave the model's weights"
  # co-simulation of the imported network: TLM and RTL exact, two steps
  "$st" run onnx.yaml --backend cosim --quiet --out cosim --set simulation.max_steps=2 > /dev/null || fail "cosim"
  # bad keys and values: located errors, exit 2, nothing written
  printf 'schema_version: 1\nnetwork: {onnx: net.onnx, input_shape: [3]}\n' > both.yaml
  "$st" run both.yaml --out bad 2> err.txt; [ $? -eq 2 ] || fail "onnx and input_shape: exit code"
  grep -q "both.yaml:2:11: network.onnx: give either onnx or input_shape and layers, not both" err.txt || fail "$(cat err.txt)"
  "$st" run net.yaml --set training.init=model --out bad 2> err.txt; [ $? -eq 2 ] || fail "init model without onnx"
  grep -q "training.init: model: the weights come from a model file, and network.onnx is not set" err.txt || fail "$(cat err.txt)"
  "$st" run onnx.yaml --set training.init=maybe --out bad 2> err.txt; [ $? -eq 2 ] || fail "init: maybe"
  grep -q "training.init: expected one of auto | model | glorot, found 'maybe'" err.txt || fail "$(cat err.txt)"
  head -c 100 /dev/urandom > junk.onnx
  "$st" run onnx.yaml --set network.onnx=junk.onnx --out bad 2> err.txt; [ $? -eq 2 ] || fail "junk: exit code"
  grep -q "network.onnx: junk.onnx: not an ONNX model" err.txt || fail "junk: $(cat err.txt)"
  "$st" run onnx.yaml --set network.onnx=none.onnx --out bad 2> err.txt; [ $? -eq 2 ] || fail "missing file"
  grep -q "network.onnx: none.onnx: cannot read the file: No such file or directory" err.txt || fail "$(cat err.txt)"
  # a FIFO would block the reader forever: refused before it is opened, as a config is
  mkfifo fifo.onnx
  timeout 20 "$st" run onnx.yaml --set network.onnx=fifo.onnx --out bad 2> err.txt; [ $? -eq 2 ] || fail "fifo: exit code"
  grep -q "network.onnx: fifo.onnx: is not a regular file (a device, FIFO or socket); give an ONNX model" err.txt ||
    fail "fifo: $(cat err.txt)"
  [ ! -e bad ] || fail "a bad run wrote $(ls bad)"
  ;;
onnx_backend)
  # ONNX's own backend test cases (Debian's libonnx-testdata): each runs through the importer and the TLM model
  # in float32 and matches ONNX's expected outputs (|got - want| <= 1e-5 |want| + 1e-6), or is refused with a
  # located error; no case crashes or mismatches. tests/onnx_backend.txt holds each case's outcome
  # (scripts/regen_onnx_backend.sh): a case of a supported op that stops passing fails here
  data=/usr/share/libonnx-testdata/data
  [ -d "$data/node" ] || fail "libonnx-testdata is not installed (scripts/install_deps.sh)"
  "$st" onnx-test "$data"/node/* "$data"/pytorch-converted/* "$data"/pytorch-operator/* "$data"/simple/* > out.txt
  rc=$?
  [ $rc -eq 0 ] || fail "onnx-test: exit $rc: $(grep -E '^(MISMATCH|CRASH)' out.txt | head -5)"
  tail -1 out.txt | grep -q "mismatched, 0 crashed" || fail "$(tail -1 out.txt)"
  sed -n 's/^\(pass\|refused\|MISMATCH\|CRASH\) \([^ :]*\).*/\1 \2/p' out.txt | diff - "$src/tests/onnx_backend.txt" ||
    fail "outcomes differ from tests/onnx_backend.txt"
  # every refusal is located: the model or data file it is about, then why
  bad=$(grep '^refused' out.txt | grep -v "^refused [^ ]*: $data/[^ ]*\(/model\.onnx\|\.pb\|/test_data_set_0\): ")
  [ -z "$bad" ] || fail "unlocated refusals: $(echo "$bad" | head -3)"
  # an unsupported op names the node, its op type and inputs, and lists what is supported
  grep -q "^refused node/test_abs: $data/node/test_abs/model.onnx: node 0 '' (Abs, inputs: x): op Abs is not supported. systrain imports chains of Gemm, MatMul (with an Add as its bias), Conv, MaxPool, Relu, Flatten, Reshape (flattening), Identity, Dropout and a final Softmax or LogSoftmax$" out.txt ||
    fail "$(grep 'node/test_abs:' out.txt)"
  # a branch (a residual Add of two computed tensors) and a grouped conv
  grep -q "^refused pytorch-operator/test_operator_addmm: .*: node 0 '' (Gemm, inputs: 0, 1, 2): '0' is read by 2 nodes: a branch" out.txt || fail "branch"
  grep -q "^refused pytorch-converted/test_Conv2d_groups: .*(Conv, inputs: 0, 1, 2): group = 2: " out.txt || fail "groups"
  [ "$(grep -c '^pass' out.txt)" -ge 44 ] || fail "fewer cases pass: $(grep -c '^pass' out.txt)"
  ;;
edge_trainer)
  # the edge trainer's board build: the closed form's epoch (451,728 clocks), baseline (144 clocks an input),
  # ten epochs back to back, the plan of `check`; a short training run learns, and is byte-identical whatever
  # the thread count
  cfg=$src/configs/edge_board.yaml
  "$st" run "$cfg" --quiet --out t1 --set simulation.functional=false > /dev/null || fail "timing run"
  grep -q '^cycles.total,451728$' t1/report.csv || fail "epoch: $(grep '^cycles.total,' t1/report.csv)"
  grep -q '^edge.weight_reads_separate,141295616$' t1/report.csv || fail "separate reads"
  grep -q '^memory.sram.by_operand.w.reads,64225280$' t1/report.csv || fail "weight reads: 5,120 an input"
  "$st" run "$cfg" --quiet --out t2 --set simulation.functional=false --schedule baseline > /dev/null || fail "baseline"
  grep -q '^cycles.total,1806372$' t2/report.csv || fail "baseline: $(grep '^cycles.total,' t2/report.csv)"
  "$st" run "$cfg" --quiet --out t3 --set simulation.functional=false --set training.epochs=10 > /dev/null || fail "10"
  grep -q '^cycles.total,4515984$' t3/report.csv || fail "ten epochs: $(grep '^cycles.total,' t3/report.csv)"
  "$st" check "$cfg" | grep -q "a block of 32 + 2 + 2 = 36 clocks, 384 multipliers" || fail "check's plan"
  for th in 1 2; do
    OMP_NUM_THREADS=$th "$st" run "$cfg" --quiet --out f$th --set training.train_samples=3000 \
      --set training.test_samples=1000 > /dev/null || fail "functional run ($th threads)"
  done
  # compare across kinds: the array (16x24, 384 multipliers) on the same masked network with its own activations,
  # under baseline and interleaved; the edge trainer under baseline and pipelined
  "$st" compare "$cfg" --variants accelerator.kind=systolic,edge --set training.train_samples=300 \
    --set training.test_samples=200 --out kinds > kinds.txt || fail "compare across kinds"
  for d in systolic-baseline systolic-interleaved edge-baseline edge-pipelined; do [ -f kinds/$d/report.json ] || fail "$d"; done
  grep -q "edge/pipelined against systolic/baseline: " kinds.txt || fail "$(tail -3 kinds.txt)"
  "$st" compare "$cfg" --variants accelerator.kind=systolic --out k2 2> err.txt; [ $? -eq 2 ] || fail "one variant"
  grep -q "expected KEY=V1,V2" err.txt || fail "$(cat err.txt)"
  "$st" compare "$cfg" --variants accelerator.kind=systolic,edge --schedules interleaved --out k3 2> err.txt
  [ $? -eq 2 ] || fail "interleaved on the edge trainer"
  grep -q "expected training schedules baseline or pipelined (the edge trainer's), found 'interleaved'" err.txt || fail "$(cat err.txt)"
  # the array's masked network: weights off the mask start at 0 and stay 0 after updates (fan-in fi a column, fan-out
  # fo a row at most), in baseline and interleaved
  for s in baseline interleaved; do
    "$st" run "$cfg" --set accelerator.kind=systolic --schedule $s --set network.layers[0].activation=relu \
      --set network.layers[1].activation=none --set training.loss=auto --set training.train_samples=64 \
      --set training.test_samples=64 --set simulation.dump_tensors=md_$s --set simulation.max_steps=3 --quiet \
      --out ma_$s > /dev/null || fail "the masked network on the array ($s)"
    /usr/bin/python3 - md_$s/step_2 "$src/tests" <<'PY' || fail "masked weights ($s)"
import sys
sys.path.insert(0, sys.argv[2])
from dump_check import load
for layer, (fo, fi, k, n) in enumerate([(4, 64, 1024, 64), (16, 32, 64, 32)]):
    for name in ("w_before", "w_after"):
        shape, w = load(f"{sys.argv[1]}/layer_{layer}/{name}.npy")
        assert tuple(shape) == (k, n), shape
        nz = [[w[r * n + c] != 0 for c in range(n)] for r in range(k)]
        assert all(sum(nz[r]) <= fo for r in range(k)), (layer, name, "fan-out")
        assert all(sum(nz[r][c] for r in range(k)) <= fi for c in range(n)), (layer, name, "fan-in")
        assert sum(map(sum, nz)) >= 0.9 * k * fo, (layer, name, sum(map(sum, nz)))
PY
  done
  /usr/bin/python3 - <<'PY' || fail "the short training run"
import json
a, b = (json.load(open(f"f{t}/report.json")) for t in (1, 2))
for r in (a, b):
    r.pop("host", None)
assert a == b, "reports differ with the thread count"
acc = a["training"]["final_test_accuracy"]
assert acc > 0.6, acc  # 10 classes: chance is 0.1
PY
  ;;
edge_cosim)
  # the edge trainer co-simulated: each junction's RTL beside its block model, every access and word, whole
  # training runs with one, two and three junctions, pipelined and baseline, several inputs; the weights are
  # the tlm backend's
  net() {  # NAME Z INPUT LAYERS...
    local name=$1 z=$2 input=$3
    shift 3
    { echo "schema_version: 1"
      echo "accelerator: {kind: edge, numerics: {kind: fixed, data_bits: 10, frac_bits: 7}, edge: {z: $z}}"
      echo "network:"
      echo "  input_shape: [$input]"
      echo "  layers:"
      for l in "$@"; do echo "    - {type: dense, units: ${l%:*}, activation: sigmoid, fan_out: ${l#*:}}"; done
      echo "training: {dataset: synthetic, batch: 1, learning_rate: 0.25, train_samples: 7, test_samples: 5}"
    } > "$name.yaml"
  }
  net one "[8]" 16 8:4
  net two "[32, 8]" 64 16:2 4:2
  net three "[32, 16, 8]" 64 32:4 16:4 8:4
  for n in one two three; do
    for s in pipelined baseline; do
      for start in zeros seeded; do
        args=(--schedule $s --set accelerator.edge.interleaver.start=$start --quiet)
        "$st" run $n.yaml --backend cosim "${args[@]}" --out c_${n}_${s}_${start} > /dev/null 2> err.txt ||
          fail "$n $s $start cosim: $(cat err.txt)"
        "$st" run $n.yaml --backend tlm "${args[@]}" --out t_${n}_${s}_${start} > /dev/null || fail "$n $s $start tlm"
        /usr/bin/python3 - c_${n}_${s}_${start} t_${n}_${s}_${start} <<'PY' || fail "$n $s $start: cosim report"
import json, sys
c, t = (json.load(open(d + "/report.json")) for d in sys.argv[1:])
assert c["cosim"]["ran"] and c["cosim"]["mismatches"] == 0 and c["cosim"]["events_compared"] > 0, c["cosim"]
assert c["cosim"]["tlm_cycles"] == c["cosim"]["rtl_cycles"]
assert c["training"]["final_weights_fnv1a"] == t["training"]["final_weights_fnv1a"]
assert c["cycles"] == t["cycles"]
PY
      done
    done
  done
  "$st" run two.yaml --backend rtl --quiet --out r > /dev/null || fail "the rtl backend"
  # what the RTL cannot run: located errors, exit 2
  "$st" run two.yaml --backend rtl --set simulation.functional=false --out bad 2> err.txt; [ $? -eq 2 ] || fail "timing only"
  grep -q "simulation.functional: the edge trainer's RTL runs with values" err.txt || fail "$(cat err.txt)"
  "$st" run two.yaml --backend cosim --set accelerator.numerics.kind=float32 --out bad 2> err.txt; [ $? -eq 2 ] || fail "float32"
  grep -q "needs accelerator.numerics.kind: fixed" err.txt || fail "$(cat err.txt)"
  "$st" run two.yaml --backend cosim --set 'accelerator.edge.z=[32, 16]' --out bad 2> err.txt; [ $? -eq 2 ] || fail "z 16"
  grep -q "z\[1\] = 16 must be at most half of junction 2's 16 left neurons" err.txt || fail "$(cat err.txt)"
  "$st" run two.yaml --set accelerator.edge.input_bits=9 --out bad 2> err.txt; [ $? -eq 2 ] || fail "input_bits 9"
  grep -q "accelerator.edge.input_bits: an input's 8 fractional bits must fit frac_bits (7): at most 8" err.txt || fail "$(cat err.txt)"
  [ ! -e bad ] || fail "a bad run wrote $(ls bad)"
  ;;
edge_cosim_large)
  # the issue's 1024-64-16 (z 512 and 32: a 20-clock block) and the board build (z 128 and 32), co-simulated
  printf '%s\n' "schema_version: 1" \
    "accelerator: {kind: edge, numerics: {kind: fixed, data_bits: 10, frac_bits: 7}, edge: {z: [512, 32]}}" \
    "network: {input_shape: [1024], layers: [{type: dense, units: 64, activation: sigmoid, fan_out: 8}, {type: dense, units: 16, activation: sigmoid, fan_out: 8}]}" \
    "training: {dataset: synthetic, batch: 1, learning_rate: 0.25, train_samples: 5, test_samples: 4}" > mid.yaml
  for s in pipelined baseline; do
    "$st" run mid.yaml --backend cosim --schedule $s --quiet --out m_$s > /dev/null 2> err.txt || fail "1024-64-16 $s: $(cat err.txt)"
    grep -q '^cosim.mismatches,0$' m_$s/report.csv || fail "1024-64-16 $s"
    grep -q '^edge.clocks_a_block,20$' m_$s/report.csv || fail "1024-64-16: 20 clocks a block"
  done
  "$st" run "$src/configs/edge_board.yaml" --backend cosim --set training.train_samples=30 --set training.test_samples=50 \
    --quiet --out b > /dev/null 2> err.txt || fail "the board build: $(cat err.txt)"
  # the junctions work (L − 1)(N + L − 1) = 2 · 32 = 64 blocks of 36 clocks between them
  grep -q '^cosim.rtl_cycles,2304$' b/report.csv || fail "board: $(grep '^cosim' b/report.csv)"
  grep -q '^cycles.total,1224$' b/report.csv || fail "board: (30 + 4) · 36"
  ;;
*) fail "unknown case $case" ;;
esac
echo "ok: $case"
