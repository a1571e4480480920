#!/bin/bash
# Opens a TLM and an RTL trace of the inference MLP (configs/inference_mlp.yaml) in GTKWave under Xvfb and
# saves screenshots to docs/. Needs: apt-get install xvfb x11-apps imagemagick
#   scripts/gtkwave_screenshots.sh [BUILD_DIR]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/.."
docs=$PWD/docs
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
st=$build/systrain
# it waits 15880 cycles for its first input and weights (DRAM), then computes
$st run configs/inference_mlp.yaml --vcd "$work/tlm.vcd" --set simulation.vcd_window=[15840,16240] --quiet --out "$work/o1"
$st run configs/inference_mlp.yaml --backend rtl --vcd "$work/rtl.vcd" --set simulation.vcd_window=[15880,16000] --quiet --out "$work/o2"
# the speculative schedule's two engines (split 2+2 columns): step 1's forward beside step 0's backward
$st run configs/lockstep_training.yaml --backend tlm --schedule speculative --vcd "$work/spec.vcd" \
  --set simulation.vcd_window=[2850,3450] --quiet --out "$work/o3"
cat > "$work/tlm.tcl" <<'TCL'
set sigs [list]
for {set i 0} {$i < [gtkwave::getNumFacs]} {incr i} { lappend sigs [gtkwave::getFacName $i] }
gtkwave::addSignalsFromList $sigs
# SystemC dumps the initial values at time 0: show the window (cycles 15840-16240, 2000 ps each)
gtkwave::setZoomRangeTimes 31680000 32482000
TCL
cat > "$work/spec.tcl" <<'TCL'
set sigs [list]
for {set i 0} {$i < [gtkwave::getNumFacs]} {incr i} { lappend sigs [gtkwave::getFacName $i] }
gtkwave::addSignalsFromList $sigs
gtkwave::setZoomRangeTimes 5700000 6900000
TCL
cat > "$work/rtl.tcl" <<'TCL'
gtkwave::addSignalsFromList [list TOP.clk TOP.busy {TOP.phase[2:0]} {TOP.mode[1:0]} TOP.top_rd_en TOP.left_rd_en {TOP.left_rd_idx[31:0]} TOP.psum_rd_en TOP.out_wr_en {TOP.out_wr_idx[31:0]}]
gtkwave::/Time/Zoom/Zoom_Best_Fit
TCL
Xvfb :97 -screen 0 1400x700x24 >/dev/null 2>&1 &
sleep 2
for t in tlm rtl spec; do
  DISPLAY=:97 gtkwave -S "$work/$t.tcl" "$work/$t.vcd" >/dev/null 2>&1 &
  pid=$!
  sleep 6
  DISPLAY=:97 xwd -root -silent | convert xwd:- -crop 1010x660+0+0 "$docs/gtkwave_$t.png"
  kill $pid
done
