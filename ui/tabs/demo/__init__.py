"""Presenter mode: a separate small page for the admin's runs (python app.py --demo RUN)."""
