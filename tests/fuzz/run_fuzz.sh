#!/bin/bash
# Runs one libFuzzer target for a fixed budget from seed corpora; any
# finding (crash, sanitizer report, leak, timeout, out-of-memory) fails.
#   tests/fuzz/run_fuzz.sh FUZZER SOURCE_DIR WORK_DIR config|idx|topology|sweep_csv|onnx SECONDS
set -u
fuzzer=$1 src=$2 work=$3 kind=$4 seconds=$5
rm -rf "$work" && mkdir -p "$work/corpus" "$work/seeds" && cd "$work" || exit 1
case $kind in
config)
  cp "$src"/configs/*.yaml "$src"/tests/bad_configs/*.yaml seeds/
  # a few with --set overrides
  printf 'network: {input_shape: [4], layers: [{type: dense, units: 3}]}\ntraining: {dataset: synthetic}\n# --set\nschedule.kind=speculative\naccelerator.array.cols=1\n' > seeds/set1
  printf 'name: x\n# --set\nsimulation.vcd_window=[0, 5]\naccelerator=&a [*a]\n' > seeds/set2
  ;;
idx)
  # a valid pair: two 2x3 images and their labels; and a damaged one
  { printf '\x80\x02'; printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x03'; printf '\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c';
    printf '\x00\x00\x08\x01\x00\x00\x00\x02\x03\x07'; } > seeds/pair
  { printf '\xff\x05'; printf '\x00\x00\x08\x03\xff\xff\xff\xff\x00\x00\x00\x1c\x00\x00\x00\x1c'; } > seeds/big
  ;;
topology)
  cp "$src"/configs/topologies/*.csv "$src"/tests/bad_configs/*.csv seeds/
  printf 'Layer,M,N,K\nQKT,1024,1024,64\nLinear1,1024,4800,1600\n' > seeds/gemm.csv
  printf 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,,,Eh\n,,,,,,,,,,\nc1 ,224 ,224 ,7 ,7 ,3 ,64 ,2 ,,,110\n' > seeds/extra.csv
  ;;
onnx)
  # the shipped models and small backend test models, each with both first bytes (wrap or not)
  data=/usr/share/libonnx-testdata/data
  i=0
  for f in "$src"/configs/models/*.onnx "$data"/node/test_gemm_default_vector_bias/model.onnx \
           "$data"/node/test_conv_with_strides_and_asymmetric_padding/model.onnx \
           "$data"/node/test_maxpool_2d_precomputed_strides/model.onnx "$data"/pytorch-converted/test_Linear/model.onnx \
           "$data"/pytorch-converted/test_Conv2d/model.onnx "$data"/node/test_flatten_axis1/model.onnx \
           "$data"/pytorch-operator/test_operator_addmm/model.onnx "$data"/node/test_softmax_example/model.onnx; do
    [ -f "$f" ] || continue
    i=$((i + 1))
    { printf '\x00'; cat "$f"; } > seeds/m$i.0
    { printf '\x01'; cat "$f"; } > seeds/m$i.1
  done
  ;;
sweep_csv)
  # a title, then the values of one swept key, split at 0x1e
  printf 'accuracy\x1e1\x1e2\x1e3' > seeds/plain
  printf 'a "title"\x1e[1, 2]\x1ena"me\x1e{a: "b,c"}\x1eline\nbreak' > seeds/quotes
  printf "it's\x1e'\x1e''\x1e,\x1e\"\"" > seeds/single
  ;;
*) echo "unknown corpus $kind"; exit 1 ;;
esac
"$fuzzer" -max_total_time="$seconds" -timeout=10 -close_fd_mask=1 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  corpus seeds > log.txt 2>&1
rc=$?
tail -20 log.txt
if [ $rc -ne 0 ] || ls crash-* leak-* timeout-* oom-* > /dev/null 2>&1; then
  echo "FAIL: $kind fuzzing found something (exit $rc); the input is in $work"
  exit 1
fi
echo "0 findings in ${seconds} s ($(grep -o 'stat::number_of_executed_units: [0-9]*' log.txt | cut -d' ' -f2) inputs)"
