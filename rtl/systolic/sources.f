common/systrain_pkg.sv
common/delay_line.sv
systolic/pe.sv
systolic/tile_ctrl.sv
systolic/edge_feed.sv
systolic/output_stage.sv
systolic/systolic_top.sv
