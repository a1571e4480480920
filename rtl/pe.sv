// One processing element of the systolic array.
//
// Registers: a_q (activation moving right), v_q (the vertical value moving
// down: a partial sum in WS, the streamed weight in OS), w_q (stationary weight,
// loaded by shifting down the column in WS), acc_q (output-stationary
// accumulator, drained by shifting down the column).
//
// Arithmetic is two's complement: the DWxDW product and every sum wrap modulo
// 2^AW (Verilog sizes the expression to AW bits); saturation happens only when
// a result leaves the array (see requant in systolic_top).
module pe #(
  parameter int DW = 16,
  parameter int AW = 32
) (
  input  logic                 clk,
  input  logic                 rst,
  input  logic                 mode_os,    // 0: weight-stationary, 1: output-stationary
  input  logic                 w_shift,    // WS preload: w_q <= w_in
  input  logic                 acc_en,     // OS: acc_q <= acc_q + a_in * v_in
  input  logic                 acc_shift,  // OS drain: acc_q <= acc_in
  input  logic signed [DW-1:0] a_in,
  input  logic signed [AW-1:0] v_in,
  input  logic signed [DW-1:0] w_in,
  input  logic signed [AW-1:0] acc_in,
  output logic signed [DW-1:0] a_q,
  output logic signed [AW-1:0] v_q,
  output logic signed [DW-1:0] w_q,
  output logic signed [AW-1:0] acc_q
);
  logic signed [DW-1:0] b_op;
  logic signed [AW-1:0] a_ext, b_ext, prod;
  assign b_op  = mode_os ? v_in[DW-1:0] : w_q;
  assign a_ext = AW'(a_in);
  assign b_ext = AW'(b_op);
  assign prod  = a_ext * b_ext;

  always_ff @(posedge clk) begin
    if (rst) begin
      a_q   <= '0;
      v_q   <= '0;
      w_q   <= '0;
      acc_q <= '0;
    end else begin
      a_q <= a_in;
      v_q <= mode_os ? v_in : v_in + prod;
      if (w_shift) w_q <= w_in;
      if (acc_shift) acc_q <= acc_in;
      else if (acc_en) acc_q <= acc_q + prod;
    end
  end
endmodule
