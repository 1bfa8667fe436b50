"""The code of scripts/report.py: results/REPORT.md from the committed CSVs and the paper's published numbers."""
