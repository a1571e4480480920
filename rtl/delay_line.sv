// DEPTH registers in a row: q is d delayed by DEPTH cycles (DEPTH 0: a wire).
// The array's skew (inputs of row r / column c delayed r / c cycles) and
// deskew (column c's results delayed COLS-1-c cycles) are made of these.
module delay_line #(
  parameter int WIDTH = 16,
  parameter int DEPTH = 1
) (
  /* verilator lint_off UNUSEDSIGNAL */
  input  logic             clk,  // unused when DEPTH is 0
  input  logic             rst,
  /* verilator lint_on UNUSEDSIGNAL */
  input  logic [WIDTH-1:0] d,
  output logic [WIDTH-1:0] q
);
  if (DEPTH == 0) begin : g_wire
    assign q = d;
  end else begin : g_regs
    logic [WIDTH-1:0] r [DEPTH];
    always_ff @(posedge clk) begin
      r[0] <= rst ? '0 : d;
      for (int k = 1; k < DEPTH; k++) r[k] <= rst ? '0 : r[k-1];
    end
    assign q = r[DEPTH-1];
  end
endmodule
