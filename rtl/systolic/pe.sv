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
  // The products, as functions called only in the branch that uses them, so
  // that the simulation evaluates a PE's multiplier in the cycles it works,
  // not at every evaluation (the hardware is the same: one multiplier, or
  // two with MULT = 2, behind the same operand muxes).
  logic signed [DW-1:0] vd;
  assign vd = v_in[DW-1:0];
  function automatic logic signed [AW-1:0] p_main();
    logic signed [DW-1:0] x_op, y_op;
    x_op = ag_mac ? vd : a_in;
    y_op = (MULT == 1 && g_mac) ? vd : w_q;
    return AW'(x_op) * AW'(y_op);
  endfunction
  function automatic logic signed [AW-1:0] p_g();
    return MULT == 2 ? AW'(a_in) * AW'(vd) : p_main();
  endfunction

  // the weight update: dW = requant(G) (round half up, shift, saturate to DW),
  // then W - round(lr·dW / 2^upd_sh), saturated to DW
  function automatic logic signed [DW-1:0] sat(input logic signed [63:0] x);
    logic signed [63:0] hi, lo;
    hi = (64'sd1 <<< (DW - 1)) - 64'sd1;
    lo = -(64'sd1 <<< (DW - 1));
    return DW'(x > hi ? hi : (x < lo ? lo : x));
  endfunction
  function automatic logic signed [63:0] rshift(input logic signed [63:0] x, input logic [5:0] s);
    return s == 0 ? x : (x + (64'sd1 <<< (s - 6'd1))) >>> s;
  endfunction
  // (a function called only in the update cycle, so the simulation does not
  // evaluate it while G accumulates)
  function automatic logic signed [DW-1:0] updated(input logic signed [DW-1:0] w, input logic signed [AW-1:0] g);
    logic signed [DW-1:0] dw;
    dw = sat(rshift(64'(g), g_sh));
    return sat(64'(w) - rshift($signed({40'd0, lr}) * 64'(dw), upd_sh));
  endfunction

  always_ff @(posedge clk) begin
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
        v_q <= ws_mac ? v_in + p_main() : v_in;
        h_q <= ag_mac ? h_in + p_main() : h_in;
      end
      if (w_update) w_q <= updated(w_q, g_q);
      else if (w_swap) w_q <= s_q;
      else if (w_shift) w_q <= w_in;
      if (w_update) g_q <= '0;
      else if (g_shift) g_q <= g_in;
      else if (g_mac) g_q <= g_q + p_g();
    end
  end
endmodule
