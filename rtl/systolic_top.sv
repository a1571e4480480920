// An ROWS x COLS systolic array with its skew/deskew registers, edge buffers,
// output stage and tile controller. The mode of each tile is a run-time input
// (systrain_pkg: WS forward, OS, AG, interleaved AG+WG with the weight update).
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
  localparam int VD = ROWS + COLS;

  // ---------------- controller ----------------
  logic [2:0]  state, st, nstate;
  logic [31:0] cnt, cnt_e, ncnt;
  logic [1:0]  r_mode;
  logic        r_first, r_last, r_relu, r_ag, r_slow;
  logic [5:0]  r_shift, r_gsh, r_ush;
  logic [23:0] r_lr;
  logic [15:0] r_ru, r_cu, r_xu;
  logic [31:0] r_len;
  logic        launching;
  logic [1:0]  d_mode;
  logic        d_first, d_ag, d_slow;
  logic [15:0] d_ru, d_cu, d_xu;
  logic [31:0] d_len;

  assign launching = (state == S_IDLE) && start;
  assign d_mode  = launching ? mode      : r_mode;
  assign d_first = launching ? first     : r_first;
  assign d_ag    = launching ? ag_en     : r_ag;
  assign d_ru    = launching ? rows_used : r_ru;
  assign d_cu    = launching ? cols_used : r_cu;
  assign d_xu    = launching ? xu        : r_xu;
  assign d_len   = launching ? len       : r_len;
  assign d_slow  = (d_mode == M_IL) && d_ag && (MULT == 1);
  assign st      = launching ? (mode == M_OS ? S_STREAM : S_LOAD) : state;
  assign cnt_e   = launching ? 32'd0 : cnt;

  // the phase table: each phase's length by mode, and what follows it
  logic [31:0] stream_n, drain_n;
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
      r_ru <= 0; r_cu <= 0; r_xu <= 0; r_len <= 0;
    end else begin
      state <= nstate; cnt <= ncnt;
      if (launching) begin
        r_mode <= mode; r_first <= first; r_last <= last; r_relu <= relu; r_ag <= ag_en;
        r_slow <= d_slow; r_shift <= shift; r_gsh <= g_shift; r_ush <= upd_shift; r_lr <= lr;
        r_ru <= rows_used; r_cu <= cols_used; r_xu <= xu; r_len <= len;
      end
    end
  end

  assign busy  = (st != S_IDLE);
  assign phase = st;

  // reads: a slow tile reads in the even cycles of its stream
  logic rd_cycle;
  logic [31:0] sidx;
  assign rd_cycle    = (st == S_STREAM) && !(d_slow && cnt_e[0]);
  assign sidx        = d_slow ? {1'b0, cnt_e[31:1]} : cnt_e;
  assign top_rd_en   = (st == S_LOAD) || (rd_cycle && d_mode != M_WS);
  assign top_rd_idx  = (st == S_LOAD) ? (32'(d_ru) - 32'd1 - cnt_e) : sidx;
  assign left_rd_en  = rd_cycle && d_mode != M_AG;
  assign left_rd_idx = sidx;
  assign psum_rd_en  = rd_cycle && !d_first &&
                       (d_mode == M_WS || d_mode == M_AG || (d_mode == M_IL && d_ag));
  assign psum_rd_idx = sidx;

  // The pipeline tick: low in the odd cycles of a slow tile's stream and
  // drain. Like the grid's other controls it comes from registered state
  // only: in a tile's launch cycle the array holds nothing but flushed zeros
  // (the previous tile ended only after its last operand left the grid).
  logic tick;
  assign tick = !(r_slow && (state == S_STREAM || state == S_DRAIN) && cnt[0]);

  // ---------------- edge registers and skew ----------------
  logic signed [DW-1:0] act_vec [ROWS];
  logic signed [AW-1:0] lps_vec [ROWS];
  logic signed [AW-1:0] top_vec [COLS];
  logic signed [DW-1:0] w_vec   [COLS];
  logic signed [DW-1:0] a_edge  [ROWS];
  logic signed [AW-1:0] h_edge  [ROWS];
  logic signed [AW-1:0] t_edge  [COLS];

  always_ff @(posedge clk) begin
    for (int c = 0; c < COLS; c++)
      w_vec[c] <= (!rst && st == S_LOAD && c < 32'(d_cu)) ? top_rd_data[c*DW +: DW] : '0;
    if (rst || tick) begin
      for (int r = 0; r < ROWS; r++) begin
        act_vec[r] <= (!rst && left_rd_en && r < 32'(d_ru)) ? left_rd_data[r*DW +: DW] : '0;
        lps_vec[r] <= (!rst && psum_rd_en && d_mode != M_WS && r < 32'(d_xu)) ? psum_rd_data[r*AW +: AW] : '0;
      end
      for (int c = 0; c < COLS; c++)
        if (rst || c >= 32'(d_cu)) top_vec[c] <= '0;
        else if (d_mode == M_WS) top_vec[c] <= psum_rd_en ? psum_rd_data[c*AW +: AW] : '0;
        else top_vec[c] <= (top_rd_en && st == S_STREAM) ? AW'($signed(top_rd_data[c*DW +: DW])) : '0;
    end
  end

  // row r sees the left vectors r ticks later; column c the top vector c later
  for (genvar r = 0; r < ROWS; r++) begin : g_lskew
    delay_line #(.WIDTH(DW), .DEPTH(r)) u_a (.clk, .rst, .en(tick), .d(act_vec[r]), .q(a_edge[r]));
    delay_line #(.WIDTH(AW), .DEPTH(r)) u_h (.clk, .rst, .en(tick), .d(lps_vec[r]), .q(h_edge[r]));
  end
  for (genvar c = 0; c < COLS; c++) begin : g_tskew
    delay_line #(.WIDTH(AW), .DEPTH(c)) u_dl (.clk, .rst, .en(tick), .d(top_vec[c]), .q(t_edge[c]));
  end

  // ---------------- PE grid ----------------
  // the last column's a_q, the bottom row's v_q beyond the deskew, and so on
  // feed nothing
  /* verilator lint_off UNUSEDSIGNAL */
  logic signed [DW-1:0] a_q [ROWS][COLS];
  logic signed [AW-1:0] v_q [ROWS][COLS];
  logic signed [AW-1:0] h_q [ROWS][COLS];
  logic signed [DW-1:0] w_q [ROWS][COLS];
  logic signed [AW-1:0] g_q [ROWS][COLS];
  /* verilator lint_on UNUSEDSIGNAL */
  // WS/AG/IL: a weight row read in LOAD cycle j is captured in w_vec and
  // shifted in at the end of cycle j+1 (the last one in stream cycle 0, one
  // cycle before row 0 first needs it). OS: the accumulators need no clear,
  // since a drain shifts zeros in from the top; IL clears G as it updates W.
  logic ws_mac, ag_mac, g_mac, g_shift_c, w_shift, w_update;
  assign ws_mac    = r_mode == M_WS;
  assign ag_mac    = r_mode == M_AG || (r_mode == M_IL && r_ag && tick);
  assign g_mac     = (r_mode == M_OS && (state == S_STREAM || state == S_FLUSH)) ||
                     (r_mode == M_IL && (state == S_STREAM || state == S_DRAIN) && !(r_slow && tick));
  assign g_shift_c = r_mode == M_OS && state == S_DRAIN;
  assign w_shift   = (r_mode != M_OS && ((state == S_LOAD && cnt != 0) || (state == S_STREAM && cnt == 0))) ||
                     state == S_WRITEBACK;
  assign w_update  = state == S_UPDATE;

  for (genvar r = 0; r < ROWS; r++) begin : g_row
    for (genvar c = 0; c < COLS; c++) begin : g_col
      logic signed [DW-1:0] a_in, w_in;
      logic signed [AW-1:0] v_in, h_in, g_in;
      if (c == 0) begin : ga0
        assign a_in = a_edge[r];
        assign h_in = h_edge[r];
      end else begin : gan
        assign a_in = a_q[r][c-1];
        assign h_in = h_q[r][c-1];
      end
      if (r == 0) begin : gv0
        assign v_in = t_edge[c];
        assign w_in = w_vec[c];
        assign g_in = '0;
      end else begin : gvn
        assign v_in = v_q[r-1][c];
        assign w_in = w_q[r-1][c];
        assign g_in = g_q[r-1][c];
      end
      pe #(.DW(DW), .AW(AW), .MULT(MULT)) u_pe (
        .clk, .rst, .tick, .ws_mac, .ag_mac, .g_mac, .g_shift(g_shift_c), .w_shift, .w_update,
        .g_sh(r_gsh), .lr(r_lr), .upd_sh(r_ush),
        .a_in, .v_in, .h_in, .w_in, .g_in,
        .a_q(a_q[r][c]), .v_q(v_q[r][c]), .h_q(h_q[r][c]), .w_q(w_q[r][c]), .g_q(g_q[r][c])
      );
    end
  end

  // ---------------- deskew and output stage ----------------
  // WS: column c's sum for stream row j is at the bottom VD-(COLS-1-c) ticks
  // after its read; delaying it COLS-1-c ticks aligns the row. AG/IL: row r's
  // sum at the right edge, delayed ROWS-1-r ticks.
  logic signed [AW-1:0] bot [COLS];
  logic signed [AW-1:0] rgt [ROWS];
  for (genvar c = 0; c < COLS; c++) begin : g_bskew
    delay_line #(.WIDTH(AW), .DEPTH(COLS - 1 - c)) u_dl (.clk, .rst, .en(tick), .d(v_q[ROWS-1][c]), .q(bot[c]));
  end
  for (genvar r = 0; r < ROWS; r++) begin : g_rskew
    delay_line #(.WIDTH(AW), .DEPTH(ROWS - 1 - r)) u_dl (.clk, .rst, .en(tick), .d(h_q[r][COLS-1]), .q(rgt[r]));
  end

  // vd[k]: a stream row read k+1 ticks ago whose results are on their way
  logic [VD-1:0] vd;
  logic [31:0]   row_out_cnt;
  logic          row_out;
  logic          streams_out;
  assign streams_out = rd_cycle && (d_mode == M_WS || d_mode == M_AG || (d_mode == M_IL && d_ag));
  assign row_out = vd[VD-1] && !(r_slow && !cnt[0]);
  always_ff @(posedge clk) begin
    if (rst) vd <= '0;
    else if (tick) vd <= {vd[VD-2:0], streams_out};
    if (rst || launching) row_out_cnt <= 0;
    else if (row_out) row_out_cnt <= row_out_cnt + 1;
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

  // outputs never leave in a launch cycle, so the output stage reads the
  // registered descriptor
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
      v = '0;
      if (wb_out) begin
        if (i < COLS && i < 32'(r_cu)) v = AW'(w_q[ROWS-1][i % COLS]);
      end else if (r_mode == M_OS) begin
        if (i < COLS && i < 32'(r_cu)) v = requant(g_q[ROWS-1][i % COLS], r_shift, r_relu);
      end else if (r_mode == M_WS) begin
        if (i < COLS && i < 32'(r_cu)) v = r_last ? requant(bot[i % COLS], r_shift, r_relu) : bot[i % COLS];
      end else begin
        if (i < ROWS && i < 32'(r_xu)) v = r_last ? requant(rgt[i % ROWS], r_shift, 1'b0) : rgt[i % ROWS];
      end
    end
    assign out_wr_data[i*AW +: AW] = v;
  end
endmodule
