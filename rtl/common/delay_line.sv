// DEPTH registers in a row that advance when `en` is high: q is d delayed by
// DEPTH enabled cycles (DEPTH 0: a wire). The array's skew (inputs of row r /
// column c delayed r / c steps) and deskew are made of these; `en` is the
// array's pipeline tick, low on the second cycle of each sample when one
// multiplier does both MACs of the interleaved mode.
module delay_line #(
  parameter int WIDTH = 16,
  parameter int DEPTH = 1
) (
  /* verilator lint_off UNUSEDSIGNAL */
  input  logic             clk,  // unused when DEPTH is 0
  input  logic             rst,
  input  logic             en,
  /* verilator lint_on UNUSEDSIGNAL */
  input  logic [WIDTH-1:0] d,
  output logic [WIDTH-1:0] q
);
  if (DEPTH == 0) begin : g_wire
    assign q = d;
  end else if (DEPTH == 1) begin : g_reg
    always_ff @(posedge clk) begin
      if (rst) q <= '0;
      else if (en) q <= d;
    end
  end else begin : g_regs
    // one packed vector, stage k in bits [k*WIDTH +: WIDTH], shifted as a
    // whole (the simulator moves it a word at a time, not element by element)
    logic [DEPTH*WIDTH-1:0] r;
    always_ff @(posedge clk) begin
      if (rst) r <= '0;
      else if (en) r <= {r[(DEPTH-1)*WIDTH-1:0], d};
    end
    assign q = r[(DEPTH-1)*WIDTH +: WIDTH];
  end
endmodule
