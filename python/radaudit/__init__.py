"""radaudit for Python: PyRadiomics' feature extraction, pingouin's intraclass correlations and
neuroCombat's harmonization,
computed by radaudit's Rust library (the same numbers, faster).

- ``radaudit.featureextractor.RadiomicsFeatureExtractor``: PyRadiomics' extractor interface.
- ``radaudit.extract_batch``: many cases in parallel, one row per case (a pandas DataFrame).
- ``radaudit.stats.intraclass_corr``: pingouin's ``intraclass_corr``; ``radaudit.stats.roc``:
  pROC's AUC, DeLong CI and paired test.
- ``radaudit.audit``: the robustness audit of a protocol, its summary and report.
- ``radaudit.harmonization.neuroCombat`` and ``neuroCombatFromTraining``: neuroCombat's ComBat,
  with its documented defects mended.

Errors are Python exceptions carrying radaudit's message: ``FileNotFoundError`` for a missing
file, ``ValueError`` for anything else the input gets wrong.
"""

from ._radaudit import __version__
from .audit import audit
from .batch import extract_batch

__all__ = ["__version__", "audit", "extract_batch", "featureextractor", "harmonization", "stats"]
