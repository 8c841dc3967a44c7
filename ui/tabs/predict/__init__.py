"""The Predict tab: one text or a whole file, the evidence, and the evaluate panel."""
