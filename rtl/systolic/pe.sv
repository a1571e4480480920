// One processing element.
//
// Registers: a_q (DW, moves right: X, or the A operand in OS), v_q (AW, moves
// down: the WS partial sum, the OS B operand, or dY in AG/IL), h_q (AW, moves
// right: the partial sum of dX in AG/IL), w_q (the stationary weight, shifted
// down the column to load and to write back), g_q (AW: the OS accumulator,
// which is the weight-gradient accumulator G of the interleaved mode).
//
// Decoded controls (from systolic_top's controller):
//   tick     the moving registers a, v, h advance
//   ws_mac   v_q <= v_in + a_in·w_q          (WS forward)
//   ag_mac   h_q <= h_in + v_in·w_q          (AG, IL)
//   g_mac    g_q <= g_q + a_in·v_in          (OS, IL)
//   g_shift  g_q <= g_in                     (OS drain)
//   w_shift  w_q <= w_in                     (load, write-back)
//   w_update w_q <= sat(w_q − round(lr·requant(g_q, g_sh)) >> upd_sh); g_q <= 0
// With MULT = 1 one multiplier serves every MAC (the controller never asks
// for ag_mac and g_mac in one cycle); MULT = 2 adds a multiplier for g_mac.
// Products and sums wrap modulo 2^AW.
module pe #(
  parameter int DW = 16,
  parameter int AW = 32,
  parameter int MULT = 1
) (
  input  logic                 clk,
  input  logic                 rst,
  input  logic                 tick,
  input  logic                 ws_mac,
  input  logic                 ag_mac,
  input  logic                 g_mac,
  input  logic                 g_shift,
  input  logic                 w_shift,
  input  logic                 w_update,
  input  logic                 w_swap,   // W <= the shadow S (a preloaded tile's launch)
  input  logic                 s_shift,  // the shadow chain shifts down
  input  logic signed [DW-1:0] s_in,
  output logic signed [DW-1:0] s_q,
  input  logic [5:0]           g_sh,
  input  logic [23:0]          lr,
  input  logic [5:0]           upd_sh,
  input  logic signed [DW-1:0] a_in,
  input  logic signed [AW-1:0] v_in,
  input  logic signed [AW-1:0] h_in,
  input  logic signed [DW-1:0] w_in,
  input  logic signed [AW-1:0] g_in,
  output logic signed [DW-1:0] a_q,
  output logic signed [AW-1:0] v_q,
  output logic signed [AW-1:0] h_q,
  output logic signed [DW-1:0] w_q,
  output logic signed [AW-1:0] g_q
);
  // The products and the update are written out in the branches that use
  // them, so that the simulation evaluates a PE's multiplier only in the
  // cycles it works, not at every evaluation (continuous assigns that read
  // the stall input were computed at both clock edges), and with no
  // function: Verilator zeroes every inlined function's locals at every
  // evaluation, for every PE, whether the branch runs or not. The hardware
  // is the same: one multiplier, or two with MULT = 2, behind the same
  // operand muxes.
  logic signed [DW-1:0] vd;
  assign vd = v_in[DW-1:0];
  // main multiplier: v_in (AG, IL) or a_in times w_q, or vd (one multiplier's g_mac)
`define PE_P_MAIN (AW'(DW'(ag_mac ? vd : a_in)) * AW'(DW'((MULT == 1 && g_mac) ? vd : w_cur)))
  // the G accumulator's product: its own multiplier with MULT = 2, else the main one
`define PE_P_G (MULT == 2 ? AW'(a_in) * AW'(vd) : `PE_P_MAIN)

  // the weight update: dW = requant(G) (round half up, shift, saturate to DW),
  // then W - round(lr·dW / 2^upd_sh), saturated to DW
  localparam logic signed [63:0] SAT_HI = (64'sd1 <<< (DW - 1)) - 64'sd1;
  localparam logic signed [63:0] SAT_LO = -(64'sd1 <<< (DW - 1));
`define PE_SAT(x) ((x) > SAT_HI ? SAT_HI : ((x) < SAT_LO ? SAT_LO : (x)))
`define PE_RSHIFT(x, s) ((s) == 6'd0 ? (x) : (((x) + (64'sd1 <<< ((s) - 6'd1))) >>> (s)))
`define PE_DW (64'(DW'(`PE_SAT(`PE_RSHIFT(64'(g_cur), g_sh)))))
`define PE_UPDATED (DW'(`PE_SAT(64'(w_cur) - `PE_RSHIFT($signed({40'd0, lr}) * `PE_DW, upd_sh))))

  always_ff @(posedge clk) begin
    // W and G as they are at the edge, read through these two locals: the
    // same values (no register has changed yet), but a register whose
    // assignment reads the register itself made Verilator keep a shadow copy
    // of it, copied in and out every cycle, at almost every PE (241 of 256 at
    // 16x16); read so, none (docs/performance.md). Not traced: they are w_q and g_q.
    /* verilator tracing_off */
    logic signed [DW-1:0] w_cur;
    logic signed [AW-1:0] g_cur;
    /* verilator tracing_on */
    w_cur = w_q;
    g_cur = g_q;
    if (rst) begin
      a_q <= '0;
      v_q <= '0;
      h_q <= '0;
      w_q <= '0;
      g_q <= '0;
      s_q <= '0;
    end else begin
      if (s_shift) s_q <= s_in;
      if (tick) begin
        a_q <= a_in;
        v_q <= ws_mac ? v_in + `PE_P_MAIN : v_in;
        h_q <= ag_mac ? h_in + `PE_P_MAIN : h_in;
      end
      if (w_update) w_q <= `PE_UPDATED;
      else if (w_swap) w_q <= s_q;
      else if (w_shift) w_q <= w_in;
      if (w_update) g_q <= '0;
      else if (g_shift) g_q <= g_in;
      else if (g_mac) g_q <= g_cur + `PE_P_G;
    end
  end
endmodule

`undef PE_P_MAIN
`undef PE_P_G
`undef PE_SAT
`undef PE_RSHIFT
`undef PE_DW
`undef PE_UPDATED
