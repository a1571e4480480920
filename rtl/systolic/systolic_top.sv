// An ROWS x COLS systolic array: the tile controller (tile_ctrl.sv), the edge
// feeds with their skew (edge_feed.sv), the PE grid (pe.sv) with its decoded
// controls, and the output stage (output_stage.sv). The mode of each tile is
// a run-time input (systrain_pkg: WS forward, OS, AG, interleaved AG+WG with
// the weight update).
//
// SRAM limits: while `stall` is high the array is frozen (no register
// changes; the requests of the cycle stay raised): the SRAM model holds it
// for the cycles a cycle's accesses need beyond one (model/systolic/bandwidth.h), and
// serves them in the cycle it lowers `stall`.
//
// Memory side: synchronous read ports. The controller raises *_rd_en with an
// index in cycle t; the SRAM model drives *_rd_data in the same cycle; the
// data is captured at the end of cycle t. Results leave through out_wr_* (one
// row vector a cycle).
//   top   (COLS lanes): weight rows in LOAD; in STREAM the B operand (OS) or
//         dY (AG, IL)
//   left  (ROWS lanes): in STREAM the rows of X (WS, IL), or columns of A (OS)
//   psum  (PL lanes of AW bits): partial sums in, at the top (WS, COLS lanes)
//         or at the left (AG, IL, `xu` lanes); not for a tile's first block
//   out   (PL lanes): WS: Y or partial sums (bottom, COLS lanes); OS: the
//         drained accumulators; AG/IL: dX or partial sums (right edge, `xu`
//         lanes); IL WRITEBACK: the updated weight rows (bottom)
//
// Double-buffered weights: a WS tile with pf_rows > 0 reads the next tile's
// weight block through the top port in its first pf_rows stream cycles (row
// pf_rows-1-j in cycle j; pf_cols lanes) into a shadow register chain; a tile
// launched with `preloaded` skips LOAD and copies the shadow into W at the
// end of its launch cycle.
//
// Tile descriptor (sampled in the cycle `start` is high while idle; that cycle
// is the tile's first busy cycle, so tiles issued back to back have no bubble).
// VD = ROWS + COLS; s = 2 for an IL tile with ag_en on a one-multiplier PE,
// else 1 (each sample then takes two cycles: the WG MAC, then the AG MAC).
//   WS, AG: LOAD rows_used, STREAM len, DRAIN VD
//   OS:     STREAM len, FLUSH VD-1, DRAIN ROWS
//   IL:     LOAD rows_used, STREAM s·len, DRAIN s·VD, UPDATE 1, WRITEBACK ROWS
// Stream row j is read in stream cycle s·j; its result row leaves in stream
// cycle s·(j+VD) - (s-1). `last` makes results leave requantised (round half
// up, arithmetic shift right by `shift`, saturate to DW, ReLU for WS/OS when
// `relu`); otherwise raw AW-bit partial sums leave.
module systolic_top
  import systrain_pkg::*;
#(
  parameter int ROWS = 4,
  parameter int COLS = 4,
  parameter int DW   = 16,
  parameter int AW   = 32,
  parameter int MULT = 1,
  localparam int PL  = ROWS > COLS ? ROWS : COLS
) (
  input  logic                 clk,
  input  logic                 rst,
  input  logic                 stall,
  input  logic                 start,
  input  logic [1:0]           mode,
  input  logic                 first,
  input  logic                 last,
  input  logic                 relu,
  input  logic                 ag_en,      // IL: also compute dX
  input  logic [5:0]           shift,      // requantisation shift of results
  input  logic [5:0]           g_shift,    // IL update: dW = requant(G, g_shift)
  input  logic [23:0]          lr,         // IL update: eta · 2^16
  input  logic [5:0]           upd_shift,  // IL update: W -= round(lr·dW / 2^upd_shift)
  input  logic [15:0]          rows_used,
  input  logic [15:0]          cols_used,
  input  logic [15:0]          xu,         // AG/IL: lanes of dX (rows below it)
  input  logic [31:0]          len,
  input  logic                 preloaded,  // WS: W is in the shadow registers; no LOAD
  input  logic [15:0]          pf_rows,    // WS: preload the next tile's block (0: none)
  input  logic [15:0]          pf_cols,
  output logic                 busy,
  output logic                 last_cycle,
  output logic [2:0]           phase,
  output logic                 top_rd_en,
  output logic [31:0]          top_rd_idx,
  input  logic [COLS*DW-1:0]   top_rd_data,
  output logic                 left_rd_en,
  output logic [31:0]          left_rd_idx,
  input  logic [ROWS*DW-1:0]   left_rd_data,
  output logic                 psum_rd_en,
  output logic [31:0]          psum_rd_idx,
  input  logic [PL*AW-1:0]     psum_rd_data,
  output logic                 out_wr_en,
  output logic [31:0]          out_wr_idx,
  output logic [PL*AW-1:0]     out_wr_data
);
  logic [2:0]  st, state;
  logic [31:0] cnt;
  logic        launching, rd_cycle, tick, tick_free, pf_rd, w_swap, s_shift;
  logic [15:0] d_pf_cols;
  logic [1:0]  d_mode, r_mode;
  logic        d_ag, r_last, r_relu, r_ag, r_slow;
  logic [15:0] d_ru, d_cu, d_xu, r_ru, r_cu, r_xu;
  logic [5:0]  r_shift, r_gsh, r_ush;
  logic [23:0] r_lr;

  tile_ctrl #(.ROWS(ROWS), .COLS(COLS), .MULT(MULT)) u_ctrl (
    .clk, .rst, .stall, .start, .mode, .first, .last, .relu, .ag_en, .shift, .g_shift, .lr, .upd_shift,
    .rows_used, .cols_used, .xu, .len, .preloaded, .pf_rows, .pf_cols, .pf_rd, .d_pf_cols, .w_swap,
    .st, .launching, .d_mode, .d_ag, .d_ru, .d_cu, .d_xu, .busy, .last_cycle, .phase, .rd_cycle,
    .top_rd_en, .top_rd_idx, .left_rd_en, .left_rd_idx, .psum_rd_en, .psum_rd_idx,
    .state, .cnt, .r_mode, .r_last, .r_relu, .r_ag, .r_slow, .r_shift, .r_gsh, .r_ush, .r_lr,
    .r_ru, .r_cu, .r_xu, .tick, .tick_free
  );

  logic signed [DW-1:0] w_vec  [COLS];
  logic signed [DW-1:0] w2_vec [COLS];  // a preloaded weight row, on its way into the shadow chain
  logic signed [DW-1:0] a_edge [ROWS];
  logic signed [AW-1:0] h_edge [ROWS];
  logic signed [AW-1:0] t_edge [COLS];
  edge_feed #(.ROWS(ROWS), .COLS(COLS), .DW(DW), .AW(AW)) u_feed (
    .clk, .rst, .stall, .tick, .st, .d_mode, .d_ru, .d_cu, .d_xu, .top_rd_en, .left_rd_en, .psum_rd_en,
    .top_rd_data, .left_rd_data, .psum_rd_data, .w_vec, .a_edge, .h_edge, .t_edge,
    .pf_rd, .d_pf_cols, .w2_vec, .s_shift
  );

  // ---------------- PE grid ----------------
  // Each PE's registers are signals of its own generate block
  // (g_row[r].g_col[c].a_q, ...), read by its right and lower neighbours
  // there: the simulator then uses the PE's registers where they are, where
  // ports bound to elements of [ROWS][COLS] arrays were copied into them
  // every cycle.
  // WS/AG/IL: a weight row read in LOAD cycle j is captured in w_vec and
  // shifted in at the end of cycle j+1 (the last one in stream cycle 0, one
  // cycle before row 0 first needs it). OS: the accumulators need no clear,
  // since a drain shifts zeros in from the top; IL clears G as it updates W.
  logic ws_mac, ag_mac, g_mac, g_shift_c, w_shift, w_update;
  assign ws_mac    = r_mode == M_WS;
  assign ag_mac    = r_mode == M_AG || (r_mode == M_IL && r_ag && tick);
  // (tick is low while stalled; so are the other register enables)
  assign g_mac     = !stall && ((r_mode == M_OS && (state == S_STREAM || state == S_FLUSH)) ||
                     (r_mode == M_IL && (state == S_STREAM || state == S_DRAIN) && !(r_slow && tick_free)));
  assign g_shift_c = !stall && r_mode == M_OS && state == S_DRAIN;
  assign w_shift   = !stall && ((r_mode != M_OS && ((state == S_LOAD && cnt != 0) || (state == S_STREAM && cnt == 0))) ||
                     state == S_WRITEBACK);
  assign w_update  = !stall && state == S_UPDATE;

  for (genvar r = 0; r < ROWS; r++) begin : g_row
    for (genvar c = 0; c < COLS; c++) begin : g_col
      logic signed [DW-1:0] a_in, w_in, s_in;
      logic signed [AW-1:0] v_in, h_in, g_in;
      // the PE's registers (the last column's a_q and similar edge registers feed nothing)
      /* verilator lint_off UNUSEDSIGNAL */
      logic signed [DW-1:0] a_q, w_q, s_q;  // s_q: the shadow weight
      logic signed [AW-1:0] v_q, h_q, g_q;
      /* verilator lint_on UNUSEDSIGNAL */
      if (c == 0) begin : ga0
        assign a_in = a_edge[r];
        assign h_in = h_edge[r];
      end else begin : gan
        assign a_in = g_row[r].g_col[c-1].a_q;
        assign h_in = g_row[r].g_col[c-1].h_q;
      end
      if (r == 0) begin : gv0
        assign v_in = t_edge[c];
        assign w_in = w_vec[c];
        assign s_in = w2_vec[c];
        assign g_in = '0;
      end else begin : gvn
        assign v_in = g_row[r-1].g_col[c].v_q;
        assign w_in = g_row[r-1].g_col[c].w_q;
        assign s_in = g_row[r-1].g_col[c].s_q;
        assign g_in = g_row[r-1].g_col[c].g_q;
      end
      pe #(.DW(DW), .AW(AW), .MULT(MULT)) u_pe (
        .clk, .rst, .tick, .ws_mac, .ag_mac, .g_mac, .g_shift(g_shift_c), .w_shift, .w_update,
        .w_swap, .s_shift, .s_in, .s_q,
        .g_sh(r_gsh), .lr(r_lr), .upd_sh(r_ush),
        .a_in, .v_in, .h_in, .w_in, .g_in,
        .a_q, .v_q, .h_q, .w_q, .g_q
      );
    end
  end

  logic signed [AW-1:0] bottom_v [COLS];
  logic signed [AW-1:0] right_h  [ROWS];
  logic signed [AW-1:0] bottom_g [COLS];
  logic signed [DW-1:0] bottom_w [COLS];
  for (genvar c = 0; c < COLS; c++) begin : g_bottom
    assign bottom_v[c] = g_row[ROWS-1].g_col[c].v_q;
    assign bottom_g[c] = g_row[ROWS-1].g_col[c].g_q;
    assign bottom_w[c] = g_row[ROWS-1].g_col[c].w_q;
  end
  for (genvar r = 0; r < ROWS; r++) begin : g_right
    assign right_h[r] = g_row[r].g_col[COLS-1].h_q;
  end
  logic streams_out;
  assign streams_out = rd_cycle && (d_mode == M_WS || d_mode == M_AG || (d_mode == M_IL && d_ag));
  output_stage #(.ROWS(ROWS), .COLS(COLS), .DW(DW), .AW(AW)) u_out (
    .clk, .rst, .stall, .tick, .launching, .streams_out, .state, .cnt, .r_mode, .r_last, .r_relu, .r_slow, .r_shift,
    .r_ru, .r_cu, .r_xu, .bottom_v, .right_h, .bottom_g, .bottom_w, .out_wr_en, .out_wr_idx, .out_wr_data
  );
endmodule
