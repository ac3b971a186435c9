"""Reading and writing: EDF, TUSZ paths, window tables, atomic outputs, problem records."""
