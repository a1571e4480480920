edge/edge_junction.sv
