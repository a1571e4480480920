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
  end else begin : g_ring
    // DEPTH words in a ring: each enabled cycle writes d over the oldest
    // word, at `at`, and moves `at` on; q is the word `at` points to, the
    // one written DEPTH enabled cycles ago, or zero until DEPTH have passed
    // since the reset (`full`): what DEPTH registers in a row, reset to zero,
    // give. One word is written a cycle instead of DEPTH moved, so the
    // simulator's cost no longer grows with the depth.
    localparam int AB = $clog2(DEPTH);  // (DEPTH >= 2 here)
    logic [WIDTH-1:0] ring [DEPTH];
    logic [AB-1:0] at;
    logic full;
    always_ff @(posedge clk) begin
      if (rst) begin
        at <= '0;
        full <= 1'b0;
      end else if (en) begin
        ring[at] <= d;
        at <= at == AB'(DEPTH - 1) ? '0 : at + AB'(1);
        if (at == AB'(DEPTH - 1)) full <= 1'b1;
      end
    end
    assign q = full ? ring[at] : '0;
  end
endmodule
