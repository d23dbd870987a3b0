"""The hostile inputs of the reliability issue (issue 20), from Python: each is run in a child
interpreter, which must end normally (exit 0, no signal, within its time) having either a
result or a Python exception whose message names what is wrong. A native panic or abort
would kill the child instead, and the test names the case it died on."""

import subprocess
import sys
import textwrap

# (case, code): the code runs with `image`, `mask` (brain1's files), `tmp` (a folder) and
# `ours`/`radaudit` imported; it may return a value or raise.
CASES = [
    ("binWidth 1e-300", "ours.RadiomicsFeatureExtractor(binWidth=1e-300).execute(image, mask)"),
    ("binWidth 1e308", "ours.RadiomicsFeatureExtractor(binWidth=1e308).execute(image, mask)"),
    ("binWidth NaN", "ours.RadiomicsFeatureExtractor(binWidth=float('nan')).execute(image, mask)"),
    ("binCount 1e9", "ours.RadiomicsFeatureExtractor(binCount=10**9).execute(image, mask)"),
    ("distances 1e9", "ours.RadiomicsFeatureExtractor(distances=[10**9]).execute(image, mask)"),
    ("normalizeScale 1e308",
     "ours.RadiomicsFeatureExtractor(normalize=True, normalizeScale=1e308).execute(image, mask)"),
    ("resampledPixelSpacing 1e-300",
     "ours.RadiomicsFeatureExtractor(resampledPixelSpacing=[1e-300] * 3).execute(image, mask)"),
    ("padDistance 1e9", "ours.RadiomicsFeatureExtractor(padDistance=10**9).execute(image, mask)"),
    ("label 1e9", "ours.RadiomicsFeatureExtractor().execute(image, mask, label=10**9)"),
    ("LoG sigma 1e308",
     "ours.RadiomicsFeatureExtractor({'imageType': {'LoG': {'sigma': [1e308]}}}).execute(image, mask)"),
    ("wavelet level 1e9",
     "ours.RadiomicsFeatureExtractor({'imageType': {'Wavelet': {'level': 10**9}}}).execute(image, mask)"),
    ("lbp2DSamples 1e9",
     "ours.RadiomicsFeatureExtractor({'imageType': {'LBP2D': {'lbp2DSamples': 10**9}}}).execute(image, mask)"),
    ("truncated gzip", """
        import gzip
        raw = gzip.compress(open(image, 'rb').read())
        path = tmp + '/cut.nrrd.gz'
        open(path, 'wb').write(raw[: len(raw) // 3])
        ours.RadiomicsFeatureExtractor().execute(path, mask)
    """),
    ("header promising 1e15 voxels", """
        path = tmp + '/huge.nrrd'
        open(path, 'wb').write(b'NRRD0004\\ntype: short\\ndimension: 3\\nsizes: 100000 100000 100000\\n'
                               b'encoding: raw\\nendian: little\\n\\n' + bytes(64))
        ours.RadiomicsFeatureExtractor().execute(path, mask)
    """),
    ("billion laughs parameter file", """
        path = tmp + '/laughs.yaml'
        lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]']
        lines += [f'a{i}: &a{i} [' + ', '.join([f'*a{i - 1}'] * 9) + ']' for i in range(1, 10)]
        open(path, 'w').write('\\n'.join(lines) + '\\nsetting: {binWidth: 25}\\n')
        ours.RadiomicsFeatureExtractor(path).execute(image, mask)
    """),
    ("100k-deep parameter document", """
        path = tmp + '/deep.json'
        open(path, 'w').write('{"setting": ' + '[' * 100000 + ']' * 100000 + '}')
        ours.RadiomicsFeatureExtractor(path).execute(image, mask)
    """),
    ("not a parameter file", "ours.RadiomicsFeatureExtractor(image).execute(image, mask)"),
    ("extract_batch n_jobs 1e9",
     "import pandas as pd; radaudit.extract_batch(pd.DataFrame({'case': ['c'], 'image': [image], 'mask': [mask]}), n_jobs=10**9)"),
    ("extract_batch label 1e9",
     "import pandas as pd; radaudit.extract_batch(pd.DataFrame({'case': ['c'], 'image': [image], 'mask': [mask], 'label': [10**9]}))"),
    ("extract_batch from a list", "radaudit.extract_batch([('c', image, mask)])"),
    ("icc with 1e308", """
        import pandas as pd
        from radaudit.stats import intraclass_corr
        rows = [(t, r, 1e308 if (t, r) == (0, 0) else t + r) for t in range(5) for r in range(3)]
        intraclass_corr(pd.DataFrame(rows, columns=['t', 'r', 'x']), 't', 'r', 'x')
    """),
    ("icc with NaN", """
        import pandas as pd
        from radaudit.stats import intraclass_corr
        rows = [(t, r, float('nan') if (t, r) == (0, 0) else t + r) for t in range(5) for r in range(3)]
        intraclass_corr(pd.DataFrame(rows, columns=['t', 'r', 'x']), 't', 'r', 'x')
    """),
    ("neuroCombat with 1e308", """
        import numpy as np, pandas as pd
        from radaudit.harmonization import neuroCombat
        dat = np.arange(40.0).reshape(4, 10); dat[1, 2] = 1e308
        neuroCombat(dat, pd.DataFrame({'b': ['x'] * 5 + ['y'] * 5}), 'b')
    """),
    ("neuroCombat with NaN", """
        import numpy as np, pandas as pd
        from radaudit.harmonization import neuroCombat
        dat = np.arange(40.0).reshape(4, 10); dat[1, 2] = np.nan
        neuroCombat(dat, pd.DataFrame({'b': ['x'] * 5 + ['y'] * 5}), 'b')
    """),
    ("neuroCombat batch of one", """
        import numpy as np, pandas as pd
        from radaudit.harmonization import neuroCombat
        neuroCombat(np.random.default_rng(1).normal(size=(4, 10)), pd.DataFrame({'b': ['x'] * 9 + ['y']}), 'b')
    """),
    ("neuroCombat with no subjects", """
        import numpy as np, pandas as pd
        from radaudit.harmonization import neuroCombat
        neuroCombat(np.zeros((4, 0)), pd.DataFrame({'b': []}), 'b')
    """),
]

CHILD = """
import sys, tempfile, traceback
import radaudit
import radaudit.featureextractor as ours
image, mask = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp()
for name, code in CASES:
    print('case', name, flush=True)
    try:
        exec(code)
        print('result', name, flush=True)
    except Exception as e:
        print('raised', name, type(e).__name__, str(e)[:300].replace('\\n', ' '), flush=True)
"""


def test_the_interpreter_survives_every_hostile_input(reference):
    data = reference / "pyradiomics" / "data"
    cases = [(name, textwrap.dedent(code)) for name, code in CASES]
    child = "CASES = " + repr(cases) + "\n" + CHILD
    proc = subprocess.run([sys.executable, "-c", child, str(data / "brain1_image.nrrd"),
                           str(data / "brain1_label.nrrd")], capture_output=True, text=True, timeout=600)
    lines = proc.stdout.splitlines()
    started = [line.split(" ", 1)[1] for line in lines if line.startswith("case ")]
    assert proc.returncode == 0, f"died (exit {proc.returncode}) on {started[-1] if started else '?'}: {proc.stderr[-2000:]}"
    ended = [line for line in lines if line.startswith(("result ", "raised "))]
    assert len(started) == len(CASES) and len(ended) == len(CASES), proc.stdout
    raised = {line.split(" ", 1)[1] for line in lines if line.startswith("raised ")}
    # Every refusal is the exception a caller expects, not an accident of the binding.
    for line in raised:
        assert " ValueError " in line or " FileNotFoundError " in line, line
    # Inputs no tool could honour must be refused (the others may give a result).
    must_refuse = ["binWidth 1e-300", "binWidth NaN", "distances 1e9", "resampledPixelSpacing 1e-300",
                   "truncated gzip", "header promising 1e15 voxels", "billion laughs parameter file",
                   "100k-deep parameter document", "not a parameter file", "extract_batch n_jobs 1e9",
                   "icc with NaN", "neuroCombat with NaN", "neuroCombat batch of one",
                   "neuroCombat with no subjects", "label 1e9", "extract_batch label 1e9",
                   "extract_batch from a list"]
    for name in must_refuse:
        assert any(r.startswith(name + " ") for r in raised), f"{name} was not refused:\n{proc.stdout}"
    print(proc.stdout)
