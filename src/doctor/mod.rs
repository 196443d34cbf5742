//! `ccgw doctor`: checks, probes and the report.
