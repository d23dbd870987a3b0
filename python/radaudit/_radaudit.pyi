"""Type stubs of radaudit's native module (python/src/lib.rs)."""

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

__version__: str

def extract(
    image: str,
    mask: str,
    params_json: Optional[str] = None,
    params_file: Optional[str] = None,
    label: Optional[int] = None,
    diagnostics: bool = False,
) -> Tuple[List[Tuple[str, float]], List[Tuple[str, Any]]]:
    """The features of one image and mask file, as (name, value) pairs in radaudit's order,
    and with diagnostics PyRadiomics' diagnostics_Image-* and diagnostics_Mask-* entries (keys
    without the prefix) from the same loaded image and mask. Raises FileNotFoundError (a
    missing file) or ValueError, with radaudit's message."""

def extract_batch(
    cases: Sequence[Tuple[str, str, Optional[int]]],
    params_json: Optional[str] = None,
    params_file: Optional[str] = None,
    threads: Optional[int] = None,
    progress: Optional[Callable[[int, int], Any]] = None,
) -> List[Tuple[List[Tuple[str, float]], Optional[str]]]:
    """Many cases in parallel (the GIL released): per case its pairs and None, or no pairs and
    the error's message; progress(done, total) as each case ends."""

def feature_names(params_json: Optional[str] = None, params_file: Optional[str] = None) -> List[str]:
    """The feature names the parameters ask for, in output order."""

def icc(ratings: Sequence[Sequence[float]]) -> List[Tuple[str, Tuple[float, float, float, float, float, float, float]]]:
    """The six ICC forms of a complete subjects x raters table: (type, (ICC, F, df1, df2,
    p-value, CI low, CI high)) in the order ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k."""

def combat(
    dat: bytes,
    feature_names: Sequence[str],
    subjects: Sequence[str],
    batch: Sequence[str],
    categorical: Sequence[Tuple[str, Sequence[str]]],
    continuous: Sequence[Tuple[str, Sequence[float]]],
    eb: bool = True,
    parametric: bool = True,
    mean_only: bool = False,
    ref_batch: Optional[str] = None,
) -> Dict[str, Any]:
    """ComBat of a features x subjects float64 array (its bytes): the harmonized data and design
    (bytearrays), the estimates, the fitted model (JSON) and notes. Raises ValueError with
    radaudit's message."""

def combat_apply(
    model: str,
    dat: bytes,
    subjects: Sequence[str],
    batch: Sequence[str],
    categorical: Sequence[Tuple[str, Sequence[str]]],
    continuous: Sequence[Tuple[str, Sequence[float]]],
) -> bytearray:
    """Harmonizes new subjects with a fitted model (`combat`'s "model"): the bytes of the
    harmonized features x subjects array."""

def audit(
    protocol: str, out: Optional[str] = None, threads: Optional[int] = None
) -> Tuple[str, Optional[str], bool, str]:
    """The audit of a protocol: (run folder, report.html or None, passed, closing lines)."""

def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> Tuple[float, float, float, float]:
    """(AUC, DeLong variance, CI low, CI high); a higher score means a case."""

def roc_paired(
    scores1: Sequence[float], scores2: Sequence[float], labels: Sequence[bool]
) -> Tuple[float, float, float, float, float, float, float, float, float, float]:
    """DeLong's paired test: (auc1, auc2, covariance, difference, z, p two-sided, p greater,
    p less, CI low, CI high)."""

def resolve_label(mask: str, label: str, label_table: Optional[str] = None) -> int:
    """The label number of a number or structure name for a mask (through label_table, or the
    mask's RTSTRUCT ROIs, SEG segments or per-structure files)."""

def read_params(path: str) -> str:
    """A parameter file's content (YAML or JSON) as JSON text, read by radaudit."""
