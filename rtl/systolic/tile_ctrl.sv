// The tile controller: takes a tile descriptor when idle and `start` is high
// (that cycle is already the tile's first busy cycle), walks the phase table
// of the tile's mode, raises the read requests, and drives the pipeline tick.
//
// A WS tile launched `preloaded` starts in STREAM (its weights are in the
// shadow registers); one with pf_rows > 0 reads the next block in its first
// pf_rows stream cycles (systolic_top.sv).
//
// Phase table (VD = ROWS + COLS; s = 2 for an IL tile with ag_en on a
// one-multiplier PE, else 1):
//   WS, AG: LOAD rows_used, STREAM len, DRAIN VD
//   OS:     STREAM len, FLUSH VD-1, DRAIN ROWS
//   IL:     LOAD rows_used, STREAM s·len, DRAIN s·VD, UPDATE 1, WRITEBACK ROWS
// `d_*` is the descriptor in effect this cycle (the inputs in a launch cycle,
// the registered copy after it), `r_*` the registered copy only: the grid and
// the output stage use `r_*`, so they never depend combinationally on the
// launch inputs (in a launch cycle the array holds only flushed zeros).
module tile_ctrl
  import systrain_pkg::*;
#(
  parameter int ROWS = 4,
  parameter int COLS = 4,
  parameter int MULT = 1
) (
  input  logic        clk,
  input  logic        rst,
  input  logic        stall,       // frozen: no register changes
  input  logic        start,
  input  logic [1:0]  mode,
  input  logic        first,
  input  logic        last,
  input  logic        relu,
  input  logic        ag_en,
  input  logic [5:0]  shift,
  input  logic [5:0]  g_shift,
  input  logic [23:0] lr,
  input  logic [5:0]  upd_shift,
  input  logic [15:0] rows_used,
  input  logic [15:0] cols_used,
  input  logic [15:0] xu,
  input  logic [31:0] len,
  input  logic        preloaded,
  input  logic [15:0] pf_rows,
  input  logic [15:0] pf_cols,
  output logic        pf_rd,       // a preload read this cycle (WS)
  output logic [15:0] d_pf_cols,
  output logic        w_swap,      // copy the shadow weights into W (a preloaded tile's launch)
  // this cycle (launch-aware)
  output logic [2:0]  st,
  output logic        launching,
  output logic [1:0]  d_mode,
  output logic        d_ag,
  output logic [15:0] d_ru,
  output logic [15:0] d_cu,
  output logic [15:0] d_xu,
  output logic        busy,
  output logic        last_cycle,
  output logic [2:0]  phase,
  output logic        rd_cycle,    // a stream row is read this cycle
  output logic        top_rd_en,
  output logic [31:0] top_rd_idx,
  output logic        left_rd_en,
  output logic [31:0] left_rd_idx,
  output logic        psum_rd_en,
  output logic [31:0] psum_rd_idx,
  // registered state and descriptor
  output logic [2:0]  state,
  output logic [31:0] cnt,
  output logic [1:0]  r_mode,
  output logic        r_last,
  output logic        r_relu,
  output logic        r_ag,
  output logic        r_slow,
  output logic [5:0]  r_shift,
  output logic [5:0]  r_gsh,
  output logic [5:0]  r_ush,
  output logic [23:0] r_lr,
  output logic [15:0] r_ru,
  output logic [15:0] r_cu,
  output logic [15:0] r_xu,
  output logic        tick,        // the pipeline advances (low in a slow tile's odd cycles, and while stalled)
  output logic        tick_free    // the same regardless of stall
);
  localparam int VD = ROWS + COLS;
  logic [31:0] cnt_e, ncnt, r_len, d_len, stream_n, drain_n;
  logic [2:0]  nstate;
  logic        r_first, d_first, d_slow;
  logic [15:0] r_pf_rows, r_pf_cols, d_pf_rows;

  assign launching = (state == S_IDLE) && start;
  assign d_mode  = launching ? mode      : r_mode;
  assign d_first = launching ? first     : r_first;
  assign d_ag    = launching ? ag_en     : r_ag;
  assign d_ru    = launching ? rows_used : r_ru;
  assign d_cu    = launching ? cols_used : r_cu;
  assign d_xu    = launching ? xu        : r_xu;
  assign d_len   = launching ? len       : r_len;
  assign d_slow  = (d_mode == M_IL) && d_ag && (MULT == 1);
  assign d_pf_rows = launching ? pf_rows : r_pf_rows;
  assign d_pf_cols = launching ? pf_cols : r_pf_cols;
  assign st      = launching ? (mode == M_OS || preloaded ? S_STREAM : S_LOAD) : state;
  assign w_swap  = launching && preloaded && !stall;
  assign cnt_e   = launching ? 32'd0 : cnt;

  assign stream_n = d_slow ? {d_len[30:0], 1'b0} : d_len;
  assign drain_n  = d_mode == M_OS ? 32'(ROWS) : (d_slow ? 32'(2 * VD) : 32'(VD));
  always_comb begin
    nstate = st;
    ncnt   = cnt_e + 32'd1;
    last_cycle = 1'b0;
    case (st)
      S_LOAD:      if (cnt_e == 32'(d_ru) - 32'd1) begin nstate = S_STREAM; ncnt = 0; end
      S_STREAM:    if (cnt_e == stream_n - 32'd1) begin
                     nstate = d_mode == M_OS ? S_FLUSH : S_DRAIN; ncnt = 0;
                   end
      S_FLUSH:     if (cnt_e == 32'(VD - 2)) begin nstate = S_DRAIN; ncnt = 0; end
      S_DRAIN:     if (cnt_e == drain_n - 32'd1) begin
                     ncnt = 0;
                     if (d_mode == M_IL) nstate = S_UPDATE;
                     else begin nstate = S_IDLE; last_cycle = 1'b1; end
                   end
      S_UPDATE:    begin nstate = S_WRITEBACK; ncnt = 0; end
      S_WRITEBACK: if (cnt_e == 32'(ROWS - 1)) begin nstate = S_IDLE; ncnt = 0; last_cycle = 1'b1; end
      default:     begin nstate = S_IDLE; ncnt = 0; end
    endcase
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      state <= S_IDLE; cnt <= 0;
      r_mode <= M_WS; r_first <= 0; r_last <= 0; r_relu <= 0; r_ag <= 0; r_slow <= 0;
      r_shift <= 0; r_gsh <= 0; r_ush <= 0; r_lr <= 0;
      r_ru <= 0; r_cu <= 0; r_xu <= 0; r_len <= 0; r_pf_rows <= 0; r_pf_cols <= 0;
    end else if (!stall) begin
      state <= nstate; cnt <= ncnt;
      if (launching) begin
        r_mode <= mode; r_first <= first; r_last <= last; r_relu <= relu; r_ag <= ag_en;
        r_slow <= d_slow; r_shift <= shift; r_gsh <= g_shift; r_ush <= upd_shift; r_lr <= lr;
        r_ru <= rows_used; r_cu <= cols_used; r_xu <= xu; r_len <= len;
        r_pf_rows <= pf_rows; r_pf_cols <= pf_cols;
      end
    end
  end

  assign busy  = (st != S_IDLE);
  assign phase = st;

  // reads: a slow tile reads in the even cycles of its stream
  logic [31:0] sidx;
  assign rd_cycle    = (st == S_STREAM) && !(d_slow && cnt_e[0]);
  assign sidx        = d_slow ? {1'b0, cnt_e[31:1]} : cnt_e;
  assign pf_rd       = d_mode == M_WS && st == S_STREAM && cnt_e < 32'(d_pf_rows);
  assign top_rd_en   = (st == S_LOAD) || (rd_cycle && d_mode != M_WS) || pf_rd;
  assign top_rd_idx  = (st == S_LOAD) ? (32'(d_ru) - 32'd1 - cnt_e)
                     : pf_rd ? (32'(d_pf_rows) - 32'd1 - cnt_e) : sidx;
  assign left_rd_en  = rd_cycle && d_mode != M_AG;
  assign left_rd_idx = sidx;
  assign psum_rd_en  = rd_cycle && !d_first &&
                       (d_mode == M_WS || d_mode == M_AG || (d_mode == M_IL && d_ag));
  assign psum_rd_idx = sidx;

  assign tick_free = !(r_slow && (state == S_STREAM || state == S_DRAIN) && cnt[0]);
  assign tick      = tick_free && !stall;
endmodule
