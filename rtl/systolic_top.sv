// An ROWS x COLS systolic array with its skew/deskew registers, edge buffers
// and tile controller. The dataflow is chosen per tile by `mode_os`.
//
// The memory side is a set of synchronous read ports: the controller raises
// *_rd_en with an index in cycle t and the testbench (the SRAM model) drives
// *_rd_data in the same cycle; the data is captured at the end of cycle t.
// Output rows leave through out_wr_* (one row vector per cycle).
//
// Tile descriptor (sampled in the cycle `start` is high while idle; that cycle
// is already the tile's first busy cycle, so tiles issued back to back run
// with no bubble):
//   ws (mode_os=0): rows_used = k extent (<= ROWS), cols_used = n extent,
//       len = M rows streamed. LOAD rows_used cycles (weight rows, bottom row
//       first), STREAM len cycles (activation rows, partial sums when !first),
//       DRAIN ROWS+COLS cycles; output row j is written in stream-relative
//       cycle j+ROWS+COLS.  Tile cycles = rows_used + len + ROWS + COLS.
//   os (mode_os=1): rows_used = m extent, cols_used = n extent, len = K.
//       STREAM len cycles (activation columns and weight rows), FLUSH
//       ROWS+COLS-1 cycles, DRAIN ROWS cycles (row ROWS-1 first).
//       Tile cycles = len + 2*ROWS + COLS - 1.
// `last` makes outputs leave requantised (round half up, shift right by frac,
// saturate to DW bits) and, with `relu`, clamped at zero; otherwise raw AW-bit
// partial sums leave.
module systolic_top #(
  parameter int ROWS = 4,
  parameter int COLS = 4,
  parameter int DW   = 16,
  parameter int AW   = 32
) (
  input  logic                 clk,
  input  logic                 rst,
  input  logic                 start,
  input  logic                 mode_os,
  input  logic                 first,
  input  logic                 last,
  input  logic                 relu,
  input  logic [5:0]           frac,
  input  logic [15:0]          rows_used,
  input  logic [15:0]          cols_used,
  input  logic [31:0]          len,
  output logic                 busy,
  output logic                 last_cycle,
  output logic [2:0]           phase,
  output logic                 wgt_rd_en,
  output logic [31:0]          wgt_rd_idx,
  input  logic [COLS*DW-1:0]   wgt_rd_data,
  output logic                 act_rd_en,
  output logic [31:0]          act_rd_idx,
  input  logic [ROWS*DW-1:0]   act_rd_data,
  output logic                 psum_rd_en,
  output logic [31:0]          psum_rd_idx,
  input  logic [COLS*AW-1:0]   psum_rd_data,
  output logic                 out_wr_en,
  output logic [31:0]          out_wr_idx,
  output logic [COLS*AW-1:0]   out_wr_data
);
  localparam logic [2:0] S_IDLE = 3'd0, S_LOAD = 3'd1, S_STREAM = 3'd2,
                         S_FLUSH = 3'd3, S_DRAIN = 3'd4;
  localparam int VD = ROWS + COLS;  // WS output valid delay

  // ---------------- controller ----------------
  logic [2:0]  state, st;
  logic [31:0] cnt, cnt_e;
  logic        r_os, r_first, r_last, r_relu;
  logic [5:0]  r_frac;
  logic [15:0] r_ru, r_cu;
  logic [31:0] r_len;
  logic        launching;
  logic        d_os, d_first;
  logic [15:0] d_ru, d_cu;
  logic [31:0] d_len;
  logic [2:0]  nstate;
  logic [31:0] ncnt;

  assign launching = (state == S_IDLE) && start;
  assign d_os    = launching ? mode_os   : r_os;
  assign d_first = launching ? first     : r_first;
  assign d_ru    = launching ? rows_used : r_ru;
  assign d_cu    = launching ? cols_used : r_cu;
  assign d_len   = launching ? len       : r_len;
  assign st      = launching ? (mode_os ? S_STREAM : S_LOAD) : state;
  assign cnt_e   = launching ? 32'd0 : cnt;

  always_comb begin
    nstate = st;
    ncnt   = cnt_e + 32'd1;
    last_cycle = 1'b0;
    case (st)
      S_LOAD:   if (cnt_e == 32'(d_ru) - 32'd1) begin nstate = S_STREAM; ncnt = 0; end
      S_STREAM: if (cnt_e == d_len - 32'd1) begin nstate = d_os ? S_FLUSH : S_DRAIN; ncnt = 0; end
      S_FLUSH:  if (cnt_e == 32'(ROWS + COLS - 2)) begin nstate = S_DRAIN; ncnt = 0; end
      S_DRAIN:  if (cnt_e == (d_os ? 32'(ROWS - 1) : 32'(VD - 1))) begin
                  nstate = S_IDLE; ncnt = 0; last_cycle = 1'b1;
                end
      default:  begin nstate = S_IDLE; ncnt = 0; end
    endcase
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      state <= S_IDLE; cnt <= 0;
      r_os <= 0; r_first <= 0; r_last <= 0; r_relu <= 0; r_frac <= 0;
      r_ru <= 0; r_cu <= 0; r_len <= 0;
    end else begin
      state <= nstate; cnt <= ncnt;
      if (launching) begin
        r_os <= mode_os; r_first <= first; r_last <= last; r_relu <= relu;
        r_frac <= frac; r_ru <= rows_used; r_cu <= cols_used; r_len <= len;
      end
    end
  end

  assign busy  = (st != S_IDLE);
  assign phase = st;

  assign wgt_rd_en   = (st == S_LOAD) || (st == S_STREAM && d_os);
  assign wgt_rd_idx  = (st == S_LOAD) ? (32'(d_ru) - 32'd1 - cnt_e) : cnt_e;
  assign act_rd_en   = (st == S_STREAM);
  assign act_rd_idx  = cnt_e;
  assign psum_rd_en  = (st == S_STREAM) && !d_os && !d_first;
  assign psum_rd_idx = cnt_e;

  // ---------------- edge registers and skew ----------------
  logic signed [DW-1:0] act_vec [ROWS];
  logic signed [AW-1:0] top_vec [COLS];
  logic signed [DW-1:0] a_edge  [ROWS];
  logic signed [AW-1:0] t_edge  [COLS];
  logic signed [DW-1:0] w_vec   [COLS];

  always_ff @(posedge clk) begin
    for (int c = 0; c < COLS; c++)
      w_vec[c] <= (!rst && wgt_rd_en && !d_os && c < 32'(d_cu)) ? wgt_rd_data[c*DW +: DW] : '0;
    for (int r = 0; r < ROWS; r++)
      act_vec[r] <= (!rst && act_rd_en && r < 32'(d_ru)) ? act_rd_data[r*DW +: DW] : '0;
    for (int c = 0; c < COLS; c++)
      if (rst) top_vec[c] <= '0;
      else if (d_os) top_vec[c] <= (wgt_rd_en && c < 32'(d_cu)) ? AW'($signed(wgt_rd_data[c*DW +: DW])) : '0;
      else top_vec[c] <= (psum_rd_en && c < 32'(d_cu)) ? psum_rd_data[c*AW +: AW] : '0;
  end

  // row r sees the activation vector r cycles later; column c sees the top
  // vector c cycles later
  for (genvar r = 0; r < ROWS; r++) begin : g_askew
    delay_line #(.WIDTH(DW), .DEPTH(r)) u_dl (.clk, .rst, .d(act_vec[r]), .q(a_edge[r]));
  end
  for (genvar c = 0; c < COLS; c++) begin : g_tskew
    delay_line #(.WIDTH(AW), .DEPTH(c)) u_dl (.clk, .rst, .d(top_vec[c]), .q(t_edge[c]));
  end

  // ---------------- PE grid ----------------
  // the last column's a_q and the bottom row's w_q feed nothing
  /* verilator lint_off UNUSEDSIGNAL */
  logic signed [DW-1:0] a_q   [ROWS][COLS];
  logic signed [AW-1:0] v_q   [ROWS][COLS];
  logic signed [DW-1:0] w_q   [ROWS][COLS];
  logic signed [AW-1:0] acc_q [ROWS][COLS];
  /* verilator lint_on UNUSEDSIGNAL */
  // The grid is driven from registered state only, so that it does not
  // depend combinationally on the launch inputs. That is safe because in a
  // tile's launch cycle the array holds nothing but flushed zeros: the
  // previous tile ended only after its last operand left the grid.
  // WS: a weight row read in LOAD cycle j is captured in w_vec and shifted in
  // at the end of cycle j+1 (the last one in stream cycle 0, one cycle before
  // row 0 first needs it). OS: the accumulators need no clear, since a drain
  // shifts zeros in from the top and leaves every row at zero.
  logic w_shift, acc_en, acc_shift;
  assign w_shift   = !r_os && ((state == S_LOAD && cnt != 0) || (state == S_STREAM && cnt == 0));
  assign acc_en    = r_os && (state == S_STREAM || state == S_FLUSH);
  assign acc_shift = r_os && (state == S_DRAIN);

  for (genvar r = 0; r < ROWS; r++) begin : g_row
    for (genvar c = 0; c < COLS; c++) begin : g_col
      logic signed [DW-1:0] a_in, w_in;
      logic signed [AW-1:0] v_in, acc_in;
      if (c == 0) begin : ga0
        assign a_in = a_edge[r];
      end else begin : gan
        assign a_in = a_q[r][c-1];
      end
      if (r == 0) begin : gv0
        assign v_in   = t_edge[c];
        assign w_in   = w_vec[c];
        assign acc_in = '0;
      end else begin : gvn
        assign v_in   = v_q[r-1][c];
        assign w_in   = w_q[r-1][c];
        assign acc_in = acc_q[r-1][c];
      end
      pe #(.DW(DW), .AW(AW)) u_pe (
        .clk, .rst, .mode_os(r_os), .w_shift, .acc_en, .acc_shift,
        .a_in, .v_in, .w_in, .acc_in,
        .a_q(a_q[r][c]), .v_q(v_q[r][c]), .w_q(w_q[r][c]), .acc_q(acc_q[r][c])
      );
    end
  end

  // ---------------- deskew and output ----------------
  // WS: column c's sum for stream row j is at the bottom in cycle j+ROWS+c+1;
  // delaying it COLS-1-c cycles aligns the whole row at cycle j+ROWS+COLS.
  logic signed [AW-1:0] bot [COLS];
  for (genvar c = 0; c < COLS; c++) begin : g_dskew
    delay_line #(.WIDTH(AW), .DEPTH(COLS - 1 - c)) u_dl (.clk, .rst, .d(v_q[ROWS-1][c]), .q(bot[c]));
  end

  logic [VD-1:0] vd;
  logic [31:0]   ws_out_cnt;
  always_ff @(posedge clk) begin
    if (rst || launching) begin
      vd <= rst ? '0 : {vd[VD-2:0], act_rd_en && !d_os};
      ws_out_cnt <= 0;
    end else begin
      vd <= {vd[VD-2:0], act_rd_en && !d_os};
      if (vd[VD-1]) ws_out_cnt <= ws_out_cnt + 1;
    end
  end

  function automatic logic signed [AW-1:0] requant(input logic signed [AW-1:0] x,
                                                   input logic [5:0] f, input logic rl);
    logic signed [AW:0] t;
    logic signed [AW:0] rnd;
    logic signed [AW:0] hi, lo;
    rnd = (f == 0) ? '0 : ((AW+1)'(1) <<< (f - 6'd1));
    t = ((AW+1)'(x) + rnd) >>> f;
    hi = (AW+1)'((64'sd1 <<< (DW - 1)) - 64'sd1);
    lo = -(AW+1)'(64'sd1 <<< (DW - 1));
    if (t > hi) t = hi;
    if (t < lo) t = lo;
    if (rl && t < 0) t = '0;
    return AW'(t);
  endfunction

  logic os_out;
  logic [31:0] os_row;
  // outputs never leave in a launch cycle, so the output stage reads the
  // registered descriptor
  assign os_row = 32'(ROWS - 1) - cnt;
  assign os_out = r_os && (state == S_DRAIN) && (os_row < 32'(r_ru));
  assign out_wr_en  = os_out || (!r_os && vd[VD-1]);
  assign out_wr_idx = r_os ? os_row : ws_out_cnt;
  for (genvar c = 0; c < COLS; c++) begin : g_out
    logic signed [AW-1:0] raw;
    assign raw = r_os ? acc_q[ROWS-1][c] : bot[c];
    assign out_wr_data[c*AW +: AW] =
        (c < 32'(r_cu)) ? ((r_last || r_os) ? requant(raw, r_frac, r_relu) : raw) : '0;
  end
endmodule
