// The enumerations shared by the array's modules and mirrored by the C++
// model (model/systolic/tile.h: Mode, Phase; sim/rtl/shim/rtl_abi.h: ports).
package systrain_pkg;
  // the array's run-time modes (a tile descriptor field)
  localparam logic [1:0] M_WS = 2'd0,  // forward, weight-stationary: Y = X·W
                         M_OS = 2'd1,  // output-stationary: forward Y = X·W, or WG dW = Xᵀ·dY
                         M_AG = 2'd2,  // activation gradient on the stationary W: dX = dY·Wᵀ
                         M_IL = 2'd3;  // interleaved AG + WG on one stream of dY, then W -= eta·G
  // the controller's phases (the `phase` output)
  localparam logic [2:0] S_IDLE = 3'd0, S_LOAD = 3'd1, S_STREAM = 3'd2, S_FLUSH = 3'd3,
                         S_DRAIN = 3'd4, S_UPDATE = 3'd5, S_WRITEBACK = 3'd6;
endpackage
