// One junction of the edge-processing trainer (model/edge/edge_shape.h): Z
// lanes that read one row of z ≤ Z weights a clock and use it three ways —
// the feed-forward (FF) of one input, the backpropagation (BP) and the
// weight update (UP) of an older one — for a block of C + 2 + P clocks
// (P = 2: the multiplier stage and the adder-tree register). The memories
// are the host's (synchronous reads: an address in clock t, the data
// captured at its end), as for the array.
//
// Block clock k (k < C reads row k):
//   k      read W row k; FF: the left activations of row k's lanes (set of
//          the FF input); UP: those of the older input; BP: their σ′; the
//          right δ of row k's z/fi right neurons (lane t uses neuron t >> lfi)
//   k + 1  products: a·w (FF), a·δ (UP), δ·σ′ (BP)
//   k + 2  adder trees (FF, groups of 2^lfi lanes, saturating), the new weight
//          w − round(a·δ / 2^kshift) (UP), (δ·σ′)·w (BP) added to the left
//          neuron's partial δ, read this clock
//   k + 3  W row k written back (UP); the partial δ written (BP); the trees'
//          sums through the sigmoid look-up table
//   k + 4  row k's right neurons written: a, σ′ and, at the last junction,
//          δ = a − y (y: 2^F − 1 for the label's neuron, else 0)
// The left neuron of lane t in row k is bank t, row ((k mod dl) + s_p[t])
// mod dl with p = k / dl (the interleaver; s the start vectors, loaded
// through sv_*). Products round half up and saturate to D bits; sums
// saturate. A junction with BP needs dl ≥ 2 (its partial δ's
// read-modify-write).
module edge_junction #(
  parameter int Z = 32,       // lanes
  parameter int D = 10,       // data bits
  parameter int F = 7,        // fractional bits
  parameter int AWID = 16,    // row address bits
  parameter int PASSES = 16,  // start vectors (fan-out) the junction can hold
  localparam int LZ = $clog2(Z)
) (
  input  logic                   clk,
  input  logic                   rst,
  // a block: taken when idle and start is high (that clock is its clock 0)
  input  logic                   start,
  input  logic [LZ:0]            z_used,
  input  logic [4:0]             lfi,      // log2 of the fan-in
  input  logic [AWID-1:0]        rows,     // C
  input  logic [AWID-1:0]        dl,       // rows a pass (left neurons / z)
  input  logic                   do_ff,
  input  logic                   do_bp,
  input  logic                   do_up,
  input  logic                   last,     // the output layer: δ = a − y
  input  logic [AWID+LZ:0]       label,
  input  logic [4:0]             kshift,   // η = 2^-kshift
  // the interleaver's start vectors
  input  logic                   sv_we,
  input  logic [$clog2(PASSES)-1:0] sv_pass,
  input  logic [LZ-1:0]          sv_lane,
  input  logic [AWID-1:0]        sv_val,
  output logic                   busy,
  output logic [AWID+2:0]        clock,    // the block's clock
  // weights: one row of Z words
  output logic                   w_rd_en,
  output logic [AWID-1:0]        w_rd_row,
  input  logic [Z*D-1:0]         w_rd_data,
  output logic                   w_wr_en,
  output logic [AWID-1:0]        w_wr_row,
  output logic [Z*D-1:0]         w_wr_data,
  // the left layer, bank t = lane t: activations (FF input, UP input), σ′ (BP)
  output logic [Z*AWID-1:0]      l_addr,
  output logic                   aff_rd_en,
  input  logic [Z*D-1:0]         aff_rd_data,
  output logic                   aup_rd_en,
  input  logic [Z*D-1:0]         aup_rd_data,
  output logic                   sp_rd_en,
  input  logic [Z*D-1:0]         sp_rd_data,
  // the left layer's partial δ (BP): read two clocks after row k, written one later
  output logic                   pd_rd_en,
  output logic [Z*AWID-1:0]      pd_rd_addr,
  input  logic [Z*D-1:0]         pd_rd_data,
  output logic                   pd_wr_en,
  output logic [Z*AWID-1:0]      pd_wr_addr,
  output logic [Z*D-1:0]         pd_wr_data,
  // the right layer: δ of row k's neurons (bank g = neuron mod z/fi, row k)
  output logic                   dr_rd_en,
  output logic [AWID-1:0]        dr_rd_row,
  input  logic [Z*D-1:0]         dr_rd_data,
  // row k's right neurons out: a, σ′, δ (lanes g < z/fi)
  output logic                   out_wr_en,
  output logic [AWID-1:0]        out_wr_row,
  output logic [Z*D-1:0]         out_act,
  output logic [Z*D-1:0]         out_sp,
  output logic [Z*D-1:0]         out_delta
);
  typedef logic signed [D-1:0] word_t;
  localparam int NL = 1 << D;
  localparam int TOP = (1 << F) - 1;

  // ---------------- arithmetic ----------------
  function automatic word_t sat(input logic signed [2*D+1:0] v);
    logic signed [2*D+1:0] hi, lo;
    hi = (2*D+2)'((1 << (D - 1)) - 1);
    lo = -(2*D+2)'(1 << (D - 1));
    return v > hi ? word_t'(hi) : v < lo ? word_t'(lo) : word_t'(v);
  endfunction
  function automatic word_t mul(input word_t a, input word_t b);
    logic signed [2*D+1:0] p;
    p = (2*D+2)'(a) * (2*D+2)'(b);
    return sat((p + (2*D+2)'(1 << (F - 1))) >>> F);  // round half up
  endfunction
  function automatic word_t add(input word_t a, input word_t b);
    return sat((2*D+2)'(a) + (2*D+2)'(b));
  endfunction
  function automatic word_t upd(input word_t w, input word_t g, input logic [4:0] k);
    logic signed [2*D+1:0] s;
    s = k == 0 ? (2*D+2)'(g) : ((2*D+2)'(g) + ((2*D+2)'(1) <<< (k - 1))) >>> k;
    return sat((2*D+2)'(w) - s);
  endfunction

  // the sigmoid table over every D-bit sum: σ = round(2^F / (1 + e^(-s/2^F))) (at most 2^F − 1), and
  // σ′ = round(2^F · σ(1 − σ)) of the exact σ
  word_t lut_a [NL];
  word_t lut_d [NL];
  initial begin
    for (int i = 0; i < NL; i++) begin
      real s, sg, av, dv;
      s = real'(i - NL / 2) / real'(1 << F);
      sg = 1.0 / (1.0 + $exp(-s));
      av = sg * real'(1 << F);
      dv = sg * (1.0 - sg) * real'(1 << F);
      lut_a[i] = word_t'($rtoi(av + 0.5) > TOP ? TOP : $rtoi(av + 0.5));
      lut_d[i] = word_t'($rtoi(dv + 0.5));
    end
  end

  // ---------------- the block's clock ----------------
  logic [AWID+2:0] k;
  logic            run;
  logic [LZ:0]     r_z;
  logic [4:0]      r_lfi, r_kshift;
  logic [AWID-1:0] r_rows, r_dl;
  logic            r_ff, r_bp, r_up, r_last;
  logic [AWID+LZ:0] r_label;
  always_ff @(posedge clk) begin
    if (rst) begin
      run <= 0; k <= 0;
    end else if (!run && start) begin
      run <= 1; k <= 1;
      r_z <= z_used; r_lfi <= lfi; r_rows <= rows; r_dl <= dl; r_kshift <= kshift;
      r_ff <= do_ff; r_bp <= do_bp; r_up <= do_up; r_last <= last; r_label <= label;
    end else if (run) begin
      if (k == (AWID+3)'(r_rows) + 3) begin run <= 0; k <= 0; end
      else k <= k + 1;
    end
  end
  // this clock's descriptor (the inputs in the start clock)
  logic launching, c_ff, c_bp, c_up;
  logic [AWID-1:0] c_rows, c_dl;
  assign launching = !run && start;
  assign c_ff = launching ? do_ff : r_ff;
  assign c_bp = launching ? do_bp : r_bp;
  assign c_up = launching ? do_up : r_up;
  assign c_rows = launching ? rows : r_rows;
  assign c_dl = launching ? dl : r_dl;
  logic [AWID+2:0] kc;  // this clock's k
  assign kc = launching ? '0 : k;
  assign busy = launching || run;
  assign clock = kc;

  // ---------------- the interleaver ----------------
  logic [AWID-1:0] sv [PASSES][Z];
  always_ff @(posedge clk)
    if (sv_we) sv[sv_pass][sv_lane] <= sv_val;
  // row k = pass p, row rr of it: kept as counters (k advances by one a clock)
  logic [AWID-1:0] rr, pass;
  always_ff @(posedge clk) begin
    if (rst || !busy || kc + 1 >= (AWID+3)'(c_rows)) begin rr <= 0; pass <= 0; end
    else if (rr + 1 == c_dl) begin rr <= 0; pass <= pass + 1; end
    else rr <= rr + 1;
  end
  logic reading;
  assign reading = busy && kc < (AWID+3)'(c_rows);
  logic [AWID-1:0] cur_rr;
  logic [$clog2(PASSES)-1:0] cur_pass;
  assign cur_rr = launching ? '0 : rr;
  assign cur_pass = launching ? '0 : pass[$clog2(PASSES)-1:0];
  for (genvar t = 0; t < Z; t++) begin : g_addr
    logic [AWID:0] a;
    assign a = {1'b0, cur_rr} + {1'b0, sv[cur_pass][t]};
    assign l_addr[t*AWID +: AWID] = a >= {1'b0, c_dl} ? AWID'(a - {1'b0, c_dl}) : AWID'(a);
  end

  // ---------------- clock k: reads ----------------
  assign w_rd_en   = reading;
  assign w_rd_row  = AWID'(kc);
  assign aff_rd_en = reading && c_ff;
  assign aup_rd_en = reading && c_up;
  assign sp_rd_en  = reading && c_bp;
  assign dr_rd_en  = reading && (c_up || c_bp);
  assign dr_rd_row = AWID'(kc);

  // stage 0 (end of clock k): what was read
  word_t w0 [Z], aff0 [Z], aup0 [Z], sp0 [Z], dr0 [Z];
  logic v0; logic [AWID-1:0] row0; logic [Z*AWID-1:0] addr0;
  always_ff @(posedge clk) begin
    v0 <= !rst && reading;
    row0 <= AWID'(kc);
    addr0 <= l_addr;
  end
  // (per-lane registers in generate blocks: Verilator unrolls them at any width)
  for (genvar t = 0; t < Z; t++) begin : g_s0
    always_ff @(posedge clk) begin
      w0[t] <= w_rd_data[t*D +: D];
      aff0[t] <= aff_rd_data[t*D +: D];
      aup0[t] <= aup_rd_data[t*D +: D];
      sp0[t] <= sp_rd_data[t*D +: D];
      dr0[t] <= dr_rd_data[t*D +: D];
    end
  end

  // stage 1 (clock k + 1): the products
  word_t ffp1 [Z], upp1 [Z], bpp1 [Z], w1 [Z];
  logic v1; logic [AWID-1:0] row1; logic [Z*AWID-1:0] addr1;
  always_ff @(posedge clk) begin
    v1 <= !rst && v0;
    row1 <= row0;
    addr1 <= addr0;
  end
  for (genvar t = 0; t < Z; t++) begin : g_s1
    always_ff @(posedge clk) begin
      ffp1[t] <= mul(aff0[t], w0[t]);
      upp1[t] <= mul(aup0[t], dr0[LZ'(t) >> r_lfi]);
      bpp1[t] <= mul(dr0[LZ'(t) >> r_lfi], sp0[t]);
      w1[t] <= w0[t];
    end
  end

  // stage 2 (clock k + 2): the trees, the new weights, the partial δ
  word_t lvl [LZ+1][Z];
  always_comb begin
    for (int t = 0; t < Z; t++) lvl[0][t] = ffp1[t];
    for (int l = 1; l <= LZ; l++)
      for (int t = 0; t < Z; t++)
        lvl[l][t] = (t < (Z >> l)) ? add(lvl[l-1][2*t], lvl[l-1][2*t+1]) : '0;
  end
  assign pd_rd_en = v1 && r_bp;
  assign pd_rd_addr = addr1;
  // the partial δ this clock writes (the row before) to the neuron it reads: forwarded (a pass's first row
  // can meet the previous pass's last one on a lane with seeded start vectors)
  word_t pd_in [Z];
  for (genvar t = 0; t < Z; t++) begin : g_fwd
    assign pd_in[t] = (pd_wr_en && pd_wr_addr[t*AWID +: AWID] == addr1[t*AWID +: AWID]) ? pdn2[t]
                                                                                        : pd_rd_data[t*D +: D];
  end
  word_t tree2 [Z], wn2 [Z], pdn2 [Z];
  logic v2; logic [AWID-1:0] row2; logic [Z*AWID-1:0] addr2;
  always_ff @(posedge clk) begin
    v2 <= !rst && v1;
    row2 <= row1;
    addr2 <= addr1;
  end
  for (genvar t = 0; t < Z; t++) begin : g_s2
    always_ff @(posedge clk) begin
      tree2[t] <= lvl[$clog2(LZ+1)'(r_lfi)][t];
      wn2[t] <= upd(w1[t], upp1[t], r_kshift);
      pdn2[t] <= add(pd_in[t], mul(bpp1[t], w1[t]));
    end
  end

  // clock k + 3: write back W and the partial δ; the look-up table
  assign w_wr_en = v2 && r_up;
  assign w_wr_row = row2;
  assign pd_wr_en = v2 && r_bp;
  assign pd_wr_addr = addr2;
  for (genvar t = 0; t < Z; t++) begin : g_wb
    assign w_wr_data[t*D +: D] = t < r_z ? wn2[t] : '0;
    assign pd_wr_data[t*D +: D] = t < r_z ? pdn2[t] : '0;
  end
  word_t act3 [Z], sp3 [Z], dl3 [Z];
  logic v3; logic [AWID-1:0] row3;
  always_ff @(posedge clk) begin
    v3 <= !rst && v2;
    row3 <= row2;
  end
  for (genvar g = 0; g < Z; g++) begin : g_s3
    always_ff @(posedge clk) begin
      act3[g] <= lut_a[{~tree2[g][D-1], tree2[g][D-2:0]}];  // index: the sum + 2^(D−1)
      sp3[g] <= lut_d[{~tree2[g][D-1], tree2[g][D-2:0]}];
      dl3[g] <= add(lut_a[{~tree2[g][D-1], tree2[g][D-2:0]}],
                    -word_t'((AWID+LZ+1)'(row2) * ((AWID+LZ+1)'(r_z) >> r_lfi) + (AWID+LZ+1)'(g) == r_label ? TOP : 0));
    end
  end

  // clock k + 4: row k's right neurons
  assign out_wr_en = v3 && r_ff;
  assign out_wr_row = row3;
  for (genvar g = 0; g < Z; g++) begin : g_out
    assign out_act[g*D +: D] = act3[g];
    assign out_sp[g*D +: D] = sp3[g];
    assign out_delta[g*D +: D] = r_last ? dl3[g] : '0;
  end
endmodule
