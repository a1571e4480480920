// The array's edges on the way in: the registers that capture what the SRAM
// returns, and the skew that delays row r's inputs by r ticks and column c's
// by c ticks, so that a stream row meets every PE on the same wavefront.
//   left: X (WS, IL) or the OS A operand (DW), and AG/IL partial sums (AW)
//   top:  WS partial sums, or the OS B operand / dY sign-extended (AW)
//   w_vec: a weight row read in LOAD (not skewed: it shifts down the columns)
module edge_feed
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
  input  logic [2:0]           st,
  input  logic [1:0]           d_mode,
  input  logic [15:0]          d_ru,
  input  logic [15:0]          d_cu,
  input  logic [15:0]          d_xu,
  input  logic                 top_rd_en,
  input  logic                 left_rd_en,
  input  logic                 psum_rd_en,
  input  logic [COLS*DW-1:0]   top_rd_data,
  input  logic [ROWS*DW-1:0]   left_rd_data,
  input  logic [PL*AW-1:0]     psum_rd_data,
  output logic signed [DW-1:0] w_vec  [COLS],
  output logic signed [DW-1:0] a_edge [ROWS],
  output logic signed [AW-1:0] h_edge [ROWS],
  output logic signed [AW-1:0] t_edge [COLS],
  input  logic                 pf_rd,
  input  logic [15:0]          d_pf_cols,
  output logic signed [DW-1:0] w2_vec [COLS],
  output logic                 s_shift   // w2_vec holds a preloaded row: shift it into the shadow chain
);
  logic pf_valid;
  assign s_shift = pf_valid && !stall;
  logic signed [DW-1:0] act_vec [ROWS];
  logic signed [AW-1:0] lps_vec [ROWS];
  logic signed [AW-1:0] top_vec [COLS];

  always_ff @(posedge clk) begin
    if (rst || !stall) begin
      for (int c = 0; c < COLS; c++) begin
        w_vec[c]  <= (!rst && st == S_LOAD && c < 32'(d_cu)) ? top_rd_data[c*DW +: DW] : '0;
        w2_vec[c] <= (!rst && pf_rd && c < 32'(d_pf_cols)) ? top_rd_data[c*DW +: DW] : '0;
      end
      pf_valid <= !rst && pf_rd;
    end
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

  for (genvar r = 0; r < ROWS; r++) begin : g_lskew
    delay_line #(.WIDTH(DW), .DEPTH(r)) u_a (.clk, .rst, .en(tick), .d(act_vec[r]), .q(a_edge[r]));
    delay_line #(.WIDTH(AW), .DEPTH(r)) u_h (.clk, .rst, .en(tick), .d(lps_vec[r]), .q(h_edge[r]));
  end
  for (genvar c = 0; c < COLS; c++) begin : g_tskew
    delay_line #(.WIDTH(AW), .DEPTH(c)) u_dl (.clk, .rst, .en(tick), .d(top_vec[c]), .q(t_edge[c]));
  end
endmodule
