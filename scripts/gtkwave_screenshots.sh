#!/bin/bash
# Opens a TLM and an RTL trace of the quickstart in GTKWave under Xvfb and
# saves screenshots to docs/. Needs: apt-get install xvfb x11-apps imagemagick
#   scripts/gtkwave_screenshots.sh [BUILD_DIR]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/.."
docs=$PWD/docs
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
st=$build/systrain
$st run configs/quickstart.yaml --vcd "$work/tlm.vcd" --set simulation.vcd_window=[0,400] --quiet --out "$work/o1"
$st run configs/quickstart.yaml --backend rtl --vcd "$work/rtl.vcd" --set simulation.vcd_window=[0,120] --quiet --out "$work/o2"
cat > "$work/tlm.tcl" <<'TCL'
set sigs [list]
for {set i 0} {$i < [gtkwave::getNumFacs]} {incr i} { lappend sigs [gtkwave::getFacName $i] }
gtkwave::addSignalsFromList $sigs
gtkwave::/Time/Zoom/Zoom_Best_Fit
TCL
cat > "$work/rtl.tcl" <<'TCL'
gtkwave::addSignalsFromList [list TOP.clk TOP.busy {TOP.phase[2:0]} TOP.wgt_rd_en TOP.act_rd_en {TOP.act_rd_idx[31:0]} TOP.psum_rd_en TOP.out_wr_en {TOP.out_wr_idx[31:0]}]
gtkwave::/Time/Zoom/Zoom_Best_Fit
TCL
Xvfb :97 -screen 0 1400x700x24 >/dev/null 2>&1 &
sleep 2
for t in tlm rtl; do
  DISPLAY=:97 gtkwave -S "$work/$t.tcl" "$work/$t.vcd" >/dev/null 2>&1 &
  pid=$!
  sleep 6
  DISPLAY=:97 xwd -root -silent | convert xwd:- -crop 1010x660+0+0 "$docs/gtkwave_$t.png"
  kill $pid
done
