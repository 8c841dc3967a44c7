"""The Data tab: upload, columns, the health report, and the suspect-labels panel."""
