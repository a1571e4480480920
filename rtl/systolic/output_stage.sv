// The array's edges on the way out: the deskew registers that align a result
// row (WS: the bottom row's partial sums, column c delayed COLS-1-c ticks;
// AG/IL: the right column's, row r delayed ROWS-1-r ticks), the valid pipe
// that says when a stream row's results leave (VD ticks after its read), the
// requantisation (round half up, shift, saturate to DW, ReLU), and the write
// port: row results, the drained OS accumulators, or the IL write-back.
module output_stage
  import systrain_pkg::*;
#(
  parameter int ROWS = 4,
  parameter int COLS = 4,
  parameter int DW   = 16,
  parameter int AW   = 32,
  localparam int PL  = ROWS > COLS ? ROWS : COLS
) (
  input  logic                 clk,
  input  logic                 rst,
  input  logic                 stall,
  input  logic                 tick,
  input  logic                 launching,
  input  logic                 streams_out,  // a stream row whose results will leave is read this cycle
  input  logic [2:0]           state,
  input  logic [31:0]          cnt,
  input  logic [1:0]           r_mode,
  input  logic                 r_last,
  input  logic                 r_relu,
  input  logic                 r_slow,
  input  logic [5:0]           r_shift,
  input  logic [15:0]          r_ru,
  input  logic [15:0]          r_cu,
  input  logic [15:0]          r_xu,
  input  logic signed [AW-1:0] bottom_v [COLS],
  input  logic signed [AW-1:0] right_h  [ROWS],
  input  logic signed [AW-1:0] bottom_g [COLS],
  input  logic signed [DW-1:0] bottom_w [COLS],
  output logic                 out_wr_en,
  output logic [31:0]          out_wr_idx,
  output logic [PL*AW-1:0]     out_wr_data
);
  localparam int VD = ROWS + COLS;
  logic signed [AW-1:0] bot [COLS];
  logic signed [AW-1:0] rgt [ROWS];
  for (genvar c = 0; c < COLS; c++) begin : g_bskew
    delay_line #(.WIDTH(AW), .DEPTH(COLS - 1 - c)) u_dl (.clk, .rst, .en(tick), .d(bottom_v[c]), .q(bot[c]));
  end
  for (genvar r = 0; r < ROWS; r++) begin : g_rskew
    delay_line #(.WIDTH(AW), .DEPTH(ROWS - 1 - r)) u_dl (.clk, .rst, .en(tick), .d(right_h[r]), .q(rgt[r]));
  end

  // vd[k]: a stream row read k+1 ticks ago whose results are on their way;
  // a slow tile writes in the odd cycle of the two that show a result
  logic [VD-1:0] vd;
  logic [31:0]   row_out_cnt;
  logic          row_out;
  assign row_out = vd[VD-1] && !(r_slow && !cnt[0]);
  always_ff @(posedge clk) begin
    if (rst) vd <= '0;
    else if (tick) vd <= {vd[VD-2:0], streams_out};
    if (rst || (launching && !stall)) row_out_cnt <= 0;
    else if (row_out && !stall) row_out_cnt <= row_out_cnt + 1;
  end

  // requant(x, f, rl): round half up, shift right by f, saturate to DW, ReLU
  // when rl. An expression, not a function: Verilator zeroes an inlined
  // function's locals at every evaluation, for every lane and call.
  localparam logic signed [AW:0] RQ_HI = (AW+1)'((64'sd1 <<< (DW - 1)) - 64'sd1);
  localparam logic signed [AW:0] RQ_LO = -(AW+1)'(64'sd1 <<< (DW - 1));
`define OS_T(x, f) ((((AW+1)'(x)) + ((f) == 6'd0 ? (AW+1)'(0) : ((AW+1)'(1) <<< ((f) - 6'd1)))) >>> (f))
`define OS_REQUANT(x, f, rl) \
  (AW'(((rl) && `OS_T(x, f) < 0) ? (AW+1)'(0) : `OS_T(x, f) > RQ_HI ? RQ_HI : `OS_T(x, f) < RQ_LO ? RQ_LO : `OS_T(x, f)))

  logic os_out, wb_out;
  logic [31:0] drain_row;
  assign drain_row = 32'(ROWS - 1) - cnt;
  assign os_out = r_mode == M_OS && state == S_DRAIN && drain_row < 32'(r_ru);
  assign wb_out = state == S_WRITEBACK && drain_row < 32'(r_ru);
  assign out_wr_en  = os_out || wb_out || row_out;
  assign out_wr_idx = (os_out || wb_out) ? drain_row : row_out_cnt;
  for (genvar i = 0; i < PL; i++) begin : g_out
    logic signed [AW-1:0] v;
    always_comb begin
      v = '0;  // (and when nothing is written: the lanes rest at zero)
      if (!out_wr_en) v = '0;
      else if (wb_out) begin
        if (i < COLS && i < 32'(r_cu)) v = AW'(bottom_w[i % COLS]);
      end else if (r_mode == M_OS) begin
        if (i < COLS && i < 32'(r_cu)) v = `OS_REQUANT(bottom_g[i % COLS], r_shift, r_relu);
      end else if (r_mode == M_WS) begin
        if (i < COLS && i < 32'(r_cu)) v = r_last ? `OS_REQUANT(bot[i % COLS], r_shift, r_relu) : bot[i % COLS];
      end else begin
        if (i < ROWS && i < 32'(r_xu)) v = r_last ? `OS_REQUANT(rgt[i % ROWS], r_shift, 1'b0) : rgt[i % ROWS];
      end
    end
    assign out_wr_data[i*AW +: AW] = v;
  end
endmodule

`undef OS_T
`undef OS_REQUANT
