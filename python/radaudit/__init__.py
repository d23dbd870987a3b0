"""radaudit for Python: PyRadiomics' feature extraction and pingouin's intraclass correlations,
computed by radaudit's Rust library (the same numbers, faster).

- ``radaudit.featureextractor.RadiomicsFeatureExtractor``: PyRadiomics' extractor interface.
- ``radaudit.stats.intraclass_corr``: pingouin's ``intraclass_corr``.

Errors are Python exceptions carrying radaudit's message: ``FileNotFoundError`` for a missing
file, ``ValueError`` for anything else the input gets wrong.
"""

from ._radaudit import __version__

__all__ = ["__version__", "featureextractor", "stats"]
