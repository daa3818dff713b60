"""What a case is and where it lives: the Case model, the SQLite store and the settings.

This package imports nothing from the other casebank packages; they all import it.
"""
