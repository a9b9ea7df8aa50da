"""Classifier Explorer's engine: CSV reading, encoding, training, metrics, model files.

Nothing in this package imports Streamlit or plotly, so every step runs
from plain Python and from the command line (`python -m core --help`).
"""
