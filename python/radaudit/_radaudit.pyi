"""Type stubs of radaudit's native module (python/src/lib.rs)."""

from typing import List, Optional, Sequence, Tuple

__version__: str

def extract(
    image: str,
    mask: str,
    params_json: Optional[str] = None,
    params_file: Optional[str] = None,
    label: Optional[int] = None,
) -> List[Tuple[str, float]]:
    """The features of one image and mask file, as (name, value) pairs in radaudit's order.
    Raises FileNotFoundError (a missing file) or ValueError, with radaudit's message."""

def extract_batch(
    cases: Sequence[Tuple[str, str, Optional[int]]],
    params_json: Optional[str] = None,
    params_file: Optional[str] = None,
    threads: Optional[int] = None,
) -> List[Tuple[List[Tuple[str, float]], Optional[str]]]:
    """Many cases in parallel (the GIL released): per case its pairs and None, or no pairs and
    the error's message."""

def feature_names(params_json: Optional[str] = None, params_file: Optional[str] = None) -> List[str]:
    """The feature names the parameters ask for, in output order."""

def icc(ratings: Sequence[Sequence[float]]) -> List[Tuple[str, Tuple[float, float, float, float, float, float, float]]]:
    """The six ICC forms of a complete subjects x raters table: (type, (ICC, F, df1, df2,
    p-value, CI low, CI high)) in the order ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k."""
