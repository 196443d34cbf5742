//! Claude Code settings files: layers, the pure merge of ccgw's keys, and the undo record.
