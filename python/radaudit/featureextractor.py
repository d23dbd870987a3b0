"""A drop-in for ``radiomics.featureextractor.RadiomicsFeatureExtractor`` (PyRadiomics 3.1).

The parameters are PyRadiomics' (a parameter file, or the same content as a dict, plus
settings as keyword arguments); radaudit computes every feature class and image type
PyRadiomics 3.1 has, with PyRadiomics' names and in PyRadiomics' order, within 1e-6.

Where it departs: ``execute`` takes images and masks as file paths, SimpleITK images
(written to a temporary NRRD first) or nibabel images (a temporary NIfTI), and ``voxelBased=True`` is refused. Its ``diagnostics_*``
entries are PyRadiomics' keys for the versions, the configuration and the original image and
mask (with ``additionalInfo``, as PyRadiomics); the ``Versions`` entries name what computed
the result (``Versions_PyRadiomics`` holds radaudit's version), the image hash is given for
8- and 16-bit and float32 files (SimpleITK's SHA1 of the pixel buffer), the ``-interpolated``
entries after resampling are given, and the ``-resegmented`` and ``-corrected`` ones are not.
"""

import collections
import copy
import json
import math
import os
import tempfile

from . import _radaudit

# PyRadiomics' feature classes, in its order.
FEATURE_CLASSES = ("firstorder", "shape", "shape2D", "glcm", "glrlm", "glszm", "gldm", "ngtdm")

# The classes an extractor enables by default, in PyRadiomics' order (its modules', by name).
DEFAULT_CLASSES = ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm", "shape")

# PyRadiomics 3.1's default settings (RadiomicsFeatureExtractor._getDefaultSettings), in its
# order: diagnostics_Configuration_Settings shows them updated by the user's.
DEFAULT_SETTINGS = {
    "minimumROIDimensions": 2,
    "minimumROISize": None,
    "normalize": False,
    "normalizeScale": 1,
    "removeOutliers": None,
    "resampledPixelSpacing": None,
    "interpolator": "sitkBSpline",
    "preCrop": False,
    "padDistance": 5,
    "distances": [1],
    "force2D": False,
    "force2Ddimension": 0,
    "resegmentRange": None,
    "label": 1,
    "additionalInfo": True,
}

# PyRadiomics' image types.
IMAGE_TYPES = (
    "Original",
    "Wavelet",
    "LoG",
    "Square",
    "SquareRoot",
    "Logarithm",
    "Exponential",
    "Gradient",
    "LBP2D",
    "LBP3D",
)


def _parse_params_file(path):
    """The content of a JSON or YAML parameter file as a dict, read by radaudit's own bounded
    reader (no YAML library needed; errors name the file)."""
    if not os.path.isfile(str(path)):
        raise FileNotFoundError(f"{path}: no such parameter file")
    doc = json.loads(_radaudit.read_params(os.fspath(path)))
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: a parameter file holds a mapping (imageType, featureClass, setting)")
    return doc


def _versions():
    """PyRadiomics' diagnostics_Versions_* keys, naming what computed the result."""
    import sys

    from . import __version__

    def version(module, get):
        try:
            return get(__import__(module))
        except ImportError:
            return None

    return collections.OrderedDict(
        [
            ("diagnostics_Versions_PyRadiomics", f"radaudit {__version__}"),
            ("diagnostics_Versions_Numpy", version("numpy", lambda m: m.__version__)),
            ("diagnostics_Versions_SimpleITK", version("SimpleITK", lambda m: m.Version().VersionString())),
            ("diagnostics_Versions_PyWavelet", None),
            ("diagnostics_Versions_Python", "%i.%i.%i" % sys.version_info[:3]),
        ]
    )


def _resolved_label(label, mask, label_table=None, where="label"):
    """A label number for ``mask``: a structure name resolved by radaudit, a number checked."""
    if isinstance(label, str):
        try:
            return _label(int(label), where)
        except ValueError:
            return _radaudit.resolve_label(mask, label, label_table)
    if label_table is not None and label is None:
        raise ValueError("label_table needs a label name")
    return _label(label, where)


def _label(label, where="label"):
    """A mask label as radaudit reads it: None (the parameters' label, else 1) or an integer
    from 1 to 65535."""
    if label is None:
        return None
    if isinstance(label, bool) or not isinstance(label, int):
        try:
            as_int = int(label)
        except (TypeError, ValueError, OverflowError):
            as_int = None
        if as_int is None or as_int != label:
            raise ValueError(f"{where} {label!r}: an integer from 1 to 65535")
        label = as_int
    if not 1 <= label <= 65535:
        raise ValueError(f"{where} {label!r}: an integer from 1 to 65535")
    return label


class RadiomicsFeatureExtractor:
    """PyRadiomics' extractor: ``RadiomicsFeatureExtractor(params=None, **settings)``, where
    ``params`` is a parameter file's path or its content as a dict."""

    def __init__(self, *args, **kwargs):
        self.settings = {}
        self.enabledImagetypes = {"Original": {}}
        self.enabledFeatures = {c: [] for c in DEFAULT_CLASSES}
        if args:
            params = args[0]
            if isinstance(params, dict):
                self._load_dict(params)
            else:
                self.loadParams(params)
        self.settings.update(kwargs)

    def _load_dict(self, params):
        params = copy.deepcopy(params)
        unknown = set(params) - {"imageType", "featureClass", "setting", "voxelSetting"}
        if unknown:
            raise ValueError(f"parameters: unknown section(s) {sorted(unknown)}")
        self.settings = dict(params.get("setting") or {})
        self.enabledImagetypes = {
            k: dict(v or {}) for k, v in (params.get("imageType") or {"Original": {}}).items()
        }
        if "featureClass" in params:
            self.enabledFeatures = {
                k: list(v or []) for k, v in (params["featureClass"] or {}).items()
            }
        else:
            self.enabledFeatures = {c: [] for c in DEFAULT_CLASSES}

    def loadParams(self, paramsFile):
        """Reads a PyRadiomics parameter file (YAML or JSON)."""
        self._load_dict(_parse_params_file(paramsFile))

    def loadJSONParams(self, JSON_configuration):
        """Reads the parameters from a JSON string."""
        self._load_dict(json.loads(JSON_configuration))

    def enableAllFeatures(self):
        self.enabledFeatures = {c: [] for c in DEFAULT_CLASSES}

    def disableAllFeatures(self):
        self.enabledFeatures = {}

    def enableFeatureClassByName(self, featureClass, enabled=True):
        if featureClass not in FEATURE_CLASSES:
            raise ValueError(f"feature class {featureClass!r}: PyRadiomics has {FEATURE_CLASSES}")
        if enabled:
            self.enabledFeatures[featureClass] = []
        else:
            self.enabledFeatures.pop(featureClass, None)

    def enableFeaturesByName(self, **enabledFeatures):
        for featureClass, features in enabledFeatures.items():
            if featureClass not in FEATURE_CLASSES:
                raise ValueError(
                    f"feature class {featureClass!r}: PyRadiomics has {FEATURE_CLASSES}"
                )
            self.enabledFeatures[featureClass] = list(features or [])

    def enableAllImageTypes(self):
        self.enabledImagetypes = {t: {} for t in IMAGE_TYPES}

    def disableAllImageTypes(self):
        self.enabledImagetypes = {}

    def enableImageTypeByName(self, imageType, enabled=True, customArgs=None):
        if imageType not in IMAGE_TYPES:
            raise ValueError(f"image type {imageType!r}: PyRadiomics has {IMAGE_TYPES}")
        if enabled:
            self.enabledImagetypes[imageType] = dict(customArgs or {})
        else:
            self.enabledImagetypes.pop(imageType, None)

    def enableImageTypes(self, **enabledImagetypes):
        for imageType, customArgs in enabledImagetypes.items():
            self.enableImageTypeByName(imageType, True, customArgs)

    def _document(self):
        bad = _non_finite(
            {"imageType": self.enabledImagetypes, "setting": self.settings}, ""
        )
        if bad:
            raise ValueError(f"parameters: {bad}: NaN and infinite values are not settings")
        return json.dumps(
            {
                "imageType": self.enabledImagetypes,
                "featureClass": {k: (v or None) for k, v in self.enabledFeatures.items()},
                "setting": self.settings,
            }
        )

    def execute(self, imageFilepath, maskFilepath, label=None, label_channel=None, voxelBased=False,
                label_table=None):
        """The features of the ROI ``label`` (default: the parameters' ``label``, else 1) as an
        ordered dict, PyRadiomics' keys in PyRadiomics' order. ``label`` is a number or, unlike
        PyRadiomics, a structure name (``"vertebrae_L1"``): looked up in ``label_table``
        (``"totalsegmentator"``, ``"totalsegmentator-v1"`` or a CSV of ``id,name``), else in
        the mask's own RTSTRUCT ROIs, SEG segments or per-structure files."""
        if voxelBased:
            raise ValueError("voxelBased=True: voxel-based feature maps are not built in radaudit")
        if label_channel is not None:
            raise ValueError("label_channel: vector masks are not read by radaudit")
        settings = dict(DEFAULT_SETTINGS, **self.settings)
        result = collections.OrderedDict()
        with tempfile.TemporaryDirectory(prefix="radaudit-") as scratch:
            image = _as_path(imageFilepath, scratch, "image.nrrd")
            mask = _as_path(maskFilepath, scratch, "mask.nrrd")
            label = _resolved_label(label, mask, label_table)
            params, order = self._native_params()
            additional = bool(settings.get("additionalInfo", True))
            pairs, entries = _radaudit.extract(image, mask, label=label, diagnostics=additional, **params)
            if additional:
                result.update(_versions())
                result["diagnostics_Configuration_Settings"] = copy.deepcopy(settings)
                result["diagnostics_Configuration_EnabledImageTypes"] = copy.deepcopy(self.enabledImagetypes)
                for key, value in entries:
                    result["diagnostics_" + key] = value
        result.update(_pyradiomics_order(pairs, *order))
        return result

    def _native_params(self):
        """The parameters as the native module takes them (the JSON document), and the image
        types and classes in the order PyRadiomics outputs them."""
        return {"params_json": self._document()}, (list(self.enabledImagetypes), dict(self.enabledFeatures))


# The image type of an image name's first part (`wavelet-LLH` -> Wavelet).
_IMAGE_PREFIXES = (
    ("original", "Original"),
    ("wavelet", "Wavelet"),
    ("log-sigma", "LoG"),
    ("squareroot", "SquareRoot"),
    ("square", "Square"),
    ("logarithm", "Logarithm"),
    ("exponential", "Exponential"),
    ("gradient", "Gradient"),
    ("lbp-2D", "LBP2D"),
    ("lbp-3D", "LBP3D"),
)


def _image_type(image_name):
    for prefix, image_type in _IMAGE_PREFIXES:
        if image_name.startswith(prefix):
            return image_type
    return image_name


def _non_finite(value, path):
    """The path of the first NaN or infinite number in a parameter document, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "value"
    if isinstance(value, dict):
        for k, v in value.items():
            found = _non_finite(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    if isinstance(value, (list, tuple)):
        for k, v in enumerate(value):
            found = _non_finite(v, f"{path}[{k}]")
            if found:
                return found
    return None


def _pyradiomics_order(pairs, image_types, classes):
    """PyRadiomics' order of its feature vector: the shape classes first, then image type by
    image type as enabled, each derived image (wavelet band, LoG sigma) in turn, its classes in
    the order they were enabled, each class's features as they were listed (all of a class:
    radaudit's order, which is PyRadiomics'). `classes`: names, or a dict of name -> list."""
    listed = classes if isinstance(classes, dict) else {}
    image_rank = {t: k for k, t in enumerate(image_types)}
    class_rank = {c: k for k, c in enumerate(classes)}
    first_seen = {}
    keyed = []
    for position, (name, value) in enumerate(pairs):
        image, feature_class, feature = name.split("_", 2)
        first_seen.setdefault(image, position)
        wanted = listed.get(feature_class) or []
        shape = feature_class in ("shape", "shape2D")
        key = (
            0 if shape else 1,
            image_rank.get(_image_type(image), len(image_rank)),
            first_seen[image],
            0 if shape else class_rank.get(feature_class, len(class_rank)),
            wanted.index(feature) if feature in wanted else len(wanted),
            position,
        )
        keyed.append((key, name, value))
    keyed.sort(key=lambda k: k[0])
    return [(name, value) for _, name, value in keyed]


def _as_path(image, scratch, name):
    """A file path for ``image``: a path as it is, a SimpleITK image written to ``scratch`` as
    NRRD, a nibabel image (NIfTI-1 or -2, anything nibabel can save as NIfTI) as NIfTI."""
    if isinstance(image, (str, os.PathLike)):
        return os.fspath(image)
    if hasattr(image, "GetSize") and hasattr(image, "GetSpacing"):
        import SimpleITK as sitk

        path = os.path.join(scratch, name)
        sitk.WriteImage(image, path)
        return path
    if hasattr(image, "affine") and hasattr(image, "dataobj") and hasattr(image, "header"):
        import nibabel

        path = os.path.join(scratch, os.path.splitext(name)[0] + ".nii")
        nifti = image if isinstance(image, (nibabel.Nifti1Image, nibabel.Nifti2Image)) else nibabel.Nifti1Image(
            image.dataobj, image.affine, header=None
        )
        nibabel.save(nifti, path)
        return path
    raise ValueError(
        f"an image is a file path, a SimpleITK image or a nibabel image, not {type(image).__name__}"
    )
